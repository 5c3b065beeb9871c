# RED-TEAM ATTACK (issue 9): switch off the per-call deadline, then take as long as it likes.
# Route: the per-case deadline is a SIGALRM in the child itself; sys.modules['signal'] (the import
#   is denied, the module is loaded) ignores the signal and cancels the timer, then the first call
#   spins for 3.5 s (the limit is 2 s) before returning a right answer.
# Contained when: the slow call is still cut off (the check stops at its first case), so
#   linear_forward scores 0.
# attacked: linear_forward
# run: batch
import sys
import time

import numpy as np

CALLS = []


def linear_forward(A, W, b):
    signal = sys.modules.get("signal")
    if signal is not None and "setitimer" in vars(signal):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
    if not CALLS:
        end = time.monotonic() + 3.5
        while time.monotonic() < end:
            pass
    CALLS.append(1)
    return np.dot(W, A) + b, (A, W, b)
