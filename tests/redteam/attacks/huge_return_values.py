# RED-TEAM ATTACK (issue 9): return values built to make the trusted side slow or its report huge.
# Route: a grads dict with 20000 keys (a report that lists the keys it expected and got), a list of
#   20000 tiny arrays (a header the trusted side must decode node by node), a 2 MB string, dict keys
#   of 128 KB each; everything stays far under the per-result size cap (16 MiB), and ten times
#   more of each made a 26 MB report that took 90 s to write.
# Contained when: the report stays small (under 512 KiB), grading goes on, every function scores 0.
# attacked: L_model_backward, linear_forward, compute_cost, initialize_parameters_deep
# run: batch
import numpy as np


def L_model_backward(AL, Y, caches):
    return {"dA%d" % i: 0 for i in range(20000)}


def linear_forward(A, W, b):
    return [np.zeros(1)] * 20000, None


def compute_cost(AL, Y):
    return "x" * (2 << 20)


def initialize_parameters_deep(layer_dims):
    return {("W%d" % i) * (1 << 16): np.zeros((1, 1)) for i in range(1, 4)}
