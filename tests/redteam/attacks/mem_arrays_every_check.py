# RED-TEAM ATTACK (issue 20, item 3): every check's results, each just under the per-result cap.
# Route: every graded function returns an array just under the per-result cap (16 MiB) on every case:
#   30 cases x 11 checks, 5 GB for a grader that keeps them all (3.2 GB measured before the budget).
# Contained when: each check stops at its own budget, the submission stops at its budget (256 MiB: the
#   report's `budget` says "for one submission" and the checks after it say "Not run"), every function
#   scores 0, and the honest submission graded next is unchanged.
# attacked: initialize_parameters, initialize_parameters_deep, linear_forward, linear_activation_forward, L_model_forward, compute_cost, linear_backward, linear_activation_backward, L_model_backward, update_parameters
# run: batch
import numpy as np

UNDER_CAP = (16 << 20) - (64 << 10)


def _big(*args, **kwargs):
    return np.zeros(UNDER_CAP // 8)


def initialize_parameters(n_x, n_h, n_y):
    return _big()


def initialize_parameters_deep(layer_dims):
    return _big()


def linear_forward(A, W, b):
    return _big()


def linear_activation_forward(A_prev, W, b, activation):
    return _big()


def L_model_forward(X, parameters):
    return _big()


def compute_cost(AL, Y):
    return _big()


def linear_backward(dZ, cache):
    return _big()


def linear_activation_backward(dA, cache, activation):
    return _big()


def L_model_backward(AL, Y, caches):
    return _big()


def update_parameters(parameters, grads, learning_rate):
    return _big()
