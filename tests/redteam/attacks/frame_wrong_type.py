# RED-TEAM ATTACK (issue 9): well-formed frames with the wrong kinds and types in them.
# Route: a 'D' whose body is a list, a 'C' whose body is a list and one whose "i" names another
#   case, an 'L' (load report) that says no function loaded and carries made-up load errors, a 'Q'
#   whose helper is a list (unhashable) and one for a case that is not running, an unknown kind 'Z'
#   and an 'A' (an answer, which only the trusted side sends).
# Contained when: grading does not hang or crash, initialize_parameters scores 0, and every other
#   function of this submission (correct) and the next submission are graded exactly as without
#   the attack (in particular, the forged load report changes nothing).
# attacked: initialize_parameters
# run: late
import json
import os
import stat
import struct
import sys

FORGED = []


def _frame(kind, payload):
    """Today's framing: a kind byte, a 4-byte big-endian length, the payload."""
    return kind + struct.pack(">I", len(payload)) + payload


def _message(header, *buffers):
    """Today's message: a 4-byte header length, a JSON header, then each buffer with its length."""
    raw = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, bytes) else header
    return struct.pack(">I", len(raw)) + raw + b"".join(struct.pack(">I", len(b)) + b for b in buffers)


def _pipes(posix):
    """Every descriptor that is a pipe or a socket: one of them carries results to the grader."""
    found = []
    for fd in range(3, 1024):
        try:
            mode = posix.fstat(fd).st_mode
        except OSError:
            continue
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            found.append(fd)
    return found


def _send(data, also_parent=False):
    """Write raw bytes into every channel there is (and, if asked, the parent's own output)."""
    posix = sys.modules.get("posix") or __import__("posix")
    targets = _pipes(posix)
    for fd in targets:
        try:
            view = memoryview(data)
            while view:
                view = view[posix.write(fd, view):]
        except OSError:
            pass
    if also_parent:
        try:
            with open("/proc/%d/fd/1" % os.getppid(), "wb") as out:
                out.write(data)
        except Exception:
            pass


def _tagged(pairs):
    return {"~": "dict", "v": [[k, v] for k, v in pairs]}


def initialize_parameters(n_x, n_h, n_y):
    if not FORGED:
        FORGED.append(1)
        frames = [
            (b"L", _tagged([["errors", {"~": "list", "v": [_tagged([["filename", "sub.py"], ["lineno", 1], ["type", "Forged"],
                                                                      ["message", "the grader says: nothing loaded"], ["traceback", {"~": "list", "v": []}]])]}],
                            ["functions", {"~": "list", "v": []}], ["output", ""], ["output_chars", 0]])),
            (b"C", {"~": "list", "v": [1, 2, 3]}),
            (b"C", _tagged([["i", 7], ["status", "ok"], ["value", {"~": "opaque", "type": "dict"}]])),
            (b"Q", _tagged([["i", 0], ["helper", {"~": "list", "v": ["linear_forward"]}], ["args", {"~": "tuple", "v": []}]])),
            (b"Q", _tagged([["i", 10 ** 9], ["helper", "linear_forward"], ["args", {"~": "tuple", "v": []}]])),
            (b"Z", _tagged([["i", 0]])),
            (b"A", _tagged([["matched", "layer 1"], ["answer", 1]])),
            (b"D", {"~": "list", "v": ["finished"]}),
        ]
        for kind, header in frames:
            _send(_frame(kind, _message(header)))
    raise RuntimeError("sent frames of the wrong types")


# __HONEST_REST__
