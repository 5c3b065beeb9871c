"""Pack 3's misconceptions: each a wrong formula, computed on the case (NumPy), that the engine compares
with what came back (grader/judge/misconception_data.py)."""

from __future__ import annotations

import numpy as np

from grader.judge.misconception_data import AnyOf, Misconception

CACHE = ("Z1", "D1", "A1", "W1", "b1", "Z2", "D2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")


def _l2_missing(args: dict, right: dict, seed) -> AnyOf:
    W = {1: args["cache"][2], 2: args["cache"][6], 3: args["cache"][10]}
    m = args["X"].shape[1]
    return AnyOf({**right, f"dW{l}": right[f"dW{l}"] - args["lambd"] / m * W[l]} for l in (1, 2, 3))


def _cost_not_halved(args: dict, right, seed):
    m = args["Y"].shape[1]
    squares = sum(np.sum(np.square(args["parameters"][w])) for w in ("W1", "W2", "W3"))
    return np.asarray(right + args["lambd"] / (2 * m) * squares)


def _dropout_forward(X, parameters, keep_prob, seed, inverted=False, scaled=True):
    draws, p = np.random.RandomState(seed), parameters
    A, cache = X, []
    for l in (1, 2):
        Z = p[f"W{l}"] @ A + p[f"b{l}"]
        D = draws.rand(Z.shape[0], Z.shape[1])
        D = D > keep_prob if inverted else D < keep_prob
        A = np.maximum(0, Z) * D / (keep_prob if scaled else 1)
        cache += [Z, D, A, p[f"W{l}"], p[f"b{l}"]]
    Z3 = p["W3"] @ A + p["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    return A3, tuple(cache + [Z3, A3, p["W3"], p["b3"]])


def _dropout_backward(args: dict, masked=True, scaled=True) -> dict:
    X, Y, keep_prob = args["X"], args["Y"], args["keep_prob"]
    c = dict(zip(CACHE, args["cache"]))
    m = X.shape[1]
    g = {"dZ3": c["A3"] - Y}
    for l, below in ((3, "A2"), (2, "A1"), (1, None)):
        dZ = g[f"dZ{l}"]
        g[f"dW{l}"] = dZ @ (c[below] if below else X).T / m
        g[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        if below:
            dA = c[f"W{l}"].T @ dZ
            dA = dA * c[f"D{l - 1}"] if masked else dA
            dA = dA / keep_prob if scaled else dA
            g[f"dA{l - 1}"], g[f"dZ{l - 1}"] = dA, dA * (c[below] > 0)
    return {k: g[k] for k in ("dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1")}


def _forward(**how):
    return lambda args, right, seed: _dropout_forward(args["X"], args["parameters"], args["keep_prob"], seed, **how)


FORWARD, BACKWARD = "forward_propagation_with_dropout", "backward_propagation_with_dropout"
MISCONCEPTIONS = (
    Misconception(
        "L2_MISSING_IN_DW",
        "backward_propagation_with_regularization",
        "the L2 term is missing from one dW",
        "One of dW1, dW2, dW3 is the plain backprop gradient: the regularisation term's own gradient, "
        "lambd / m * W, was not added to it (every dW gets it, each with its own W).",
        "dW_l = 1/m * dZ_l · A_{l-1}.T + lambd / m * W_l, for l = 1, 2, 3",
        _l2_missing,
    ),
    Misconception(
        "L2_COST_NOT_HALVED",
        "compute_cost_with_regularization",
        "the L2 term of the cost is not halved",
        "The regularisation term is lambd / m times the sum of the squared weights; the course's is half "
        "that (the 1/2 makes its gradient lambd / m * W).",
        "cost = cross-entropy + (1/m) * (lambd/2) * (sum W1² + sum W2² + sum W3²)",
        _cost_not_halved,
    ),
    Misconception(
        "DROPOUT_FORWARD_NOT_SCALED",
        FORWARD,
        "the kept activations are not divided by keep_prob",
        "After A = A * D the activations must be divided by keep_prob (inverted dropout), so that their "
        "expected value stays what it is without dropout.",
        "A1 = A1 * D1 / keep_prob, and the same for A2",
        _forward(scaled=False),
    ),
    Misconception(
        "DROPOUT_MASK_INVERTED",
        FORWARD,
        "the dropout mask keeps the wrong neurons",
        "D = np.random.rand(...) > keep_prob keeps a neuron with probability 1 - keep_prob: the mask must be "
        "True where the draw is below keep_prob.",
        "D1 = np.random.rand(A1.shape[0], A1.shape[1]) < keep_prob",
        _forward(inverted=True),
    ),
    Misconception(
        "DROPOUT_BACKWARD_NO_MASK",
        BACKWARD,
        "the backward pass does not apply the dropout masks",
        "The neurons shut down in the forward pass get no gradient: multiply dA2 by D2 and dA1 by D1 "
        "(the masks in the cache) before dividing by keep_prob.",
        "dA2 = dA2 * D2 / keep_prob; dA1 = dA1 * D1 / keep_prob",
        lambda args, right, seed: _dropout_backward(args, masked=False),
    ),
    Misconception(
        "DROPOUT_BACKWARD_NOT_SCALED",
        BACKWARD,
        "the backward pass does not divide by keep_prob",
        "The forward pass divided the kept activations by keep_prob, so their gradient must be divided by "
        "keep_prob too.",
        "dA2 = dA2 * D2 / keep_prob; dA1 = dA1 * D1 / keep_prob",
        lambda args, right, seed: _dropout_backward(args, scaled=False),
    ),
)
