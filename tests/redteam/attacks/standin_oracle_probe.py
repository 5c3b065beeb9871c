# RED-TEAM ATTACK (issue 9): use the stand-ins as an oracle that says which guess is right.
# Route: L_model_backward does not know the formula of dAL; it tries the usual candidates one by one
#   on the stand-in that replaces linear_activation_backward, catching the HelperCallMismatch each
#   wrong one raises, and keeps the candidate that gets an answer. Earned by trial, not by knowing.
# Contained when: a call that a correct L_model_backward does not make fails the case even when the
#   submission catches its error, so L_model_backward (and end_to_end, which uses it) score 0; the
#   rest of the submission is correct and keeps its points.
# attacked: L_model_backward
# run: batch
import numpy as np


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    Y = Y.reshape(AL.shape)
    candidates = [AL - Y, (Y / AL - (1 - Y) / (1 - AL)), -(Y / AL - (1 - Y) / (1 - AL)) / m,
                  -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))]
    for dAL in candidates:
        try:
            dA_prev, dW, db = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
            break
        except Exception:
            continue
    else:
        raise RuntimeError("no candidate was right")
    grads["dA%d" % (L - 1)], grads["dW%d" % L], grads["db%d" % L] = dA_prev, dW, db
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA%d" % (l + 1)], caches[l], "relu")
        grads["dA%d" % l], grads["dW%d" % (l + 1)], grads["db%d" % (l + 1)] = dA_prev, dW, db
    return grads


# __HONEST_REST__
