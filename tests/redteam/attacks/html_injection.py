# RED-TEAM ATTACK (issue 9): put script into the instructor's HTML reports.
# Route: an error message, an exception's type name, printed output and a returned dict's keys that
#   are HTML with a script in it; whatever renders the feedback as HTML without escaping it runs
#   the script in the instructor's browser, with the reports' origin.
# Contained when: no report page holds the markup unescaped, and every function scores 0.
# attacked: initialize_parameters, initialize_parameters_deep, linear_forward, compute_cost
# run: batch
import numpy as np

PAYLOAD = '<script>alert("__TOKEN__")</script><img src=x onerror=alert("__TOKEN__")>'


def initialize_parameters(n_x, n_h, n_y):
    raise RuntimeError(PAYLOAD)


def initialize_parameters_deep(layer_dims):
    return {PAYLOAD: np.zeros((1, 1))}


def linear_forward(A, W, b):
    raise type(PAYLOAD, (Exception,), {})(PAYLOAD)


def compute_cost(AL, Y):
    print(PAYLOAD)
    return PAYLOAD
