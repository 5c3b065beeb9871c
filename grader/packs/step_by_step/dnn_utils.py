"""The course's helper module `dnn_utils` (also served as `dnn_utils_v2`), as students import it.

Given, not graded. Only NumPy: this file is served inside the sandbox.
"""

import numpy as np


def sigmoid(Z):
    """Returns A = 1 / (1 + exp(-Z)) and Z itself, as the activation cache."""
    A = 1 / (1 + np.exp(-Z))
    cache = Z
    return A, cache


def relu(Z):
    """Returns A = max(0, Z) and Z itself, as the activation cache."""
    A = np.maximum(0, Z)
    cache = Z
    return A, cache


def relu_backward(dA, cache):
    """dZ for a ReLU unit: a copy of dA, zero where Z <= 0."""
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    """dZ for a sigmoid unit: dA * s * (1 - s) with s = sigmoid(Z)."""
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ
