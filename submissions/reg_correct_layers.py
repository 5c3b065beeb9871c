"""Regularization -- a correct submission in another style: loops over the layers, dicts of gradients,
integer masks, np.random.rand(*shape), and no np.random.seed line of its own (the grader seeds NumPy
before each case with the course's seed, so its draws are the course's)."""

import numpy as np
from reg_utils import sigmoid


def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    cross_entropy = -np.mean(Y * np.log(A3) + (1 - Y) * np.log(1 - A3))
    squares = sum(np.sum(parameters["W%d" % l] ** 2) for l in (1, 2, 3))
    return cross_entropy + lambd * squares / (2 * m)


def _backward(X, Y, layers, keep_prob=1.0, lambd=0.0):
    """layers: [(A, W, D or None)] for l = 1, 2, 3, A the layer's output."""
    m = X.shape[1]
    grads = {"dZ3": layers[2][0] - Y}
    for l in (3, 2, 1):
        A_prev = X if l == 1 else layers[l - 2][0]
        W = layers[l - 1][1]
        dZ = grads["dZ%d" % l]
        grads["dW%d" % l] = dZ @ A_prev.T / m + lambd * W / m
        grads["db%d" % l] = dZ.mean(axis=1, keepdims=True)
        if l > 1:
            D = layers[l - 2][2]
            dA = W.T @ dZ
            if D is not None:
                dA = dA * D / keep_prob
            grads["dA%d" % (l - 1)] = dA
            grads["dZ%d" % (l - 1)] = dA * (A_prev > 0)
    return grads


def backward_propagation_with_regularization(X, Y, cache, lambd):
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache
    return _backward(X, Y, [(A1, W1, None), (A2, W2, None), (A3, W3, None)], lambd=lambd)


def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    A, cache = X, []
    for l in (1, 2):
        W, b = parameters["W%d" % l], parameters["b%d" % l]
        Z = W @ A + b
        D = (np.random.rand(*Z.shape) < keep_prob).astype(int)
        A = np.maximum(Z, 0) * D / keep_prob
        cache += [Z, D, A, W, b]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z3 = W3 @ A + b3
    A3 = sigmoid(Z3)
    return A3, tuple(cache + [Z3, A3, W3, b3])


def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3 = cache
    return _backward(X, Y, [(A1, W1, D1), (A2, W2, D2), (A3, W3, None)], keep_prob=keep_prob)
