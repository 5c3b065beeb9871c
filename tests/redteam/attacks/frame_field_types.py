# RED-TEAM ATTACK (issue 20, item 5): well-formed frames whose fields have the wrong type or range.
# Route: each attacked function forges, for its running case, a frame of the right kind and case
#   number with one field wrong: a result whose seconds is "abc", whose status is 5, whose error is a
#   list, whose output_chars is "many", whose traceback is a number; a question whose arguments are
#   a list. Before, `seconds: "abc"` raised on the trusted side: exit 3 and no report.
# Contained when: each forged frame ends only its own check, with a reason that names the field; the
#   attacked functions and the end-to-end check score 0, the rest is graded as correct, and the honest
#   submission graded next is unchanged.
# attacked: initialize_parameters, initialize_parameters_deep, linear_forward, compute_cost, linear_backward, update_parameters
# run: batch
import json
import stat
import struct
import sys


def _send(header):
    raw = json.dumps(header, separators=(",", ":")).encode()
    payload = struct.pack(">I", len(raw)) + raw
    kind = b"Q" if any(pair[0] == "helper" for pair in header["v"]) else b"C"
    data = kind + struct.pack(">I", len(payload)) + payload
    posix = sys.modules.get("posix") or __import__("posix")
    for fd in range(3, 256):
        try:
            if stat.S_ISFIFO(posix.fstat(fd).st_mode):
                posix.write(fd, data)
        except OSError:
            pass


def _result(**wrong):
    fields = {"i": 0, "status": "ok", "seconds": 0.0, "value": None, "calls": {"~": "list", "v": []},
              "output": "", "output_chars": 0, **wrong}
    return {"~": "dict", "v": [[k, {"~": "float", "v": repr(v)} if isinstance(v, float) else v] for k, v in fields.items()]}


def initialize_parameters(n_x, n_h, n_y):
    _send(_result(seconds="abc"))


def initialize_parameters_deep(layer_dims):
    _send(_result(status=5))


def linear_forward(A, W, b):
    _send(_result(status="error", error={"~": "list", "v": [1]}))


def compute_cost(AL, Y):
    _send(_result(output_chars="many"))


def linear_backward(dZ, cache):
    error = {"~": "dict", "v": [["type", "E"], ["message", ""], ["traceback", 7]]}
    _send(_result(status="error", error=error))


def update_parameters(parameters, grads, learning_rate):
    _send({"~": "dict", "v": [["i", 0], ["helper", "linear_forward"], ["args", {"~": "list", "v": []}]]})


# __HONEST_REST__
