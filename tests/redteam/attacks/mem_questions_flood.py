# RED-TEAM ATTACK (issue 20, item 3): a flood of questions to the trusted side.
# Route: L_model_forward calls the stand-in linear_activation_forward 100,000 times with wrong
#   arguments (each call is a question carrying its arrays to the trusted side, which logs them for
#   the diagnosis), catching every refusal.
# Contained when: the check stops at its budget or its time, the trusted side keeps no more than a
#   bounded log, L_model_forward and the end-to-end check score 0, the rest is graded as correct, and
#   the honest submission graded next is unchanged.
# attacked: L_model_forward
# run: batch
import numpy as np


def L_model_forward(X, parameters):
    junk = np.zeros((64, 256))
    for _ in range(100000):
        try:
            linear_activation_forward(junk, junk, junk, "relu")
        except Exception:
            pass
    return None, []


# __HONEST_REST__
