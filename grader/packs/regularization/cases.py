"""Pack 3's seeded cases (NumPy only): the course's own test case first where it is consistent, then
random three-layer networks. A backward case's cache is asked of the oracle (the forward's own values),
so that every cache is one a correct forward returns."""

from __future__ import annotations

import numpy as np

from grader import END_TO_END
from grader.autograd_pack import Case

UNITS = (
    "compute_cost_with_regularization",
    "backward_propagation_with_regularization",
    "forward_propagation_with_dropout",
    "backward_propagation_with_dropout",
    END_TO_END,
)
COURSE_A3 = np.array([[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])  # testCases' a3
COURSE_Y = np.array([[1, 1, 0, 1, 0]])


def _course_network(with_x: bool) -> tuple:
    """The course's draws after np.random.seed(1): X (3, 5) first where its test case has one, then the
    layers 3-2-3-1."""
    draws = np.random.RandomState(1)
    X = draws.randn(3, 5) if with_x else None
    shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (3, 2), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}
    return X, {k: draws.randn(*s) for k, s in shapes.items()}


def _network(rng: np.random.Generator) -> tuple[np.ndarray, dict, np.ndarray, list[int]]:
    dims = [int(rng.integers(2, 5)), int(rng.integers(2, 6)), int(rng.integers(2, 5)), 1]
    m = int(rng.integers(2, 7))
    parameters = {}
    for l in (1, 2, 3):
        parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * 0.6
        parameters[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 0.3
    return rng.standard_normal((dims[0], m)), parameters, rng.integers(0, 2, (1, m)), dims


def _about(X, dims, **hyper) -> str:
    return f"m = {X.shape[1]}, layers {dims}" + "".join(f", {k} = {v:g}" for k, v in hyper.items())


def cases(unit: str, seed: int, n: int, oracle) -> list[Case]:
    rng = np.random.default_rng([seed, UNITS.index(unit)])
    out: list[Case] = []
    if n and unit == "compute_cost_with_regularization":
        _, parameters = _course_network(with_x=False)
        out.append(
            Case(
                "the course's",
                "the course's test case, lambd = 0.1",
                {"A3": COURSE_A3, "Y": COURSE_Y, "parameters": parameters, "lambd": 0.1},
            )
        )
    elif n and unit == "backward_propagation_with_regularization":
        X, parameters = _course_network(with_x=True)
        out.append(
            Case(
                "the course's",
                "the course's test case, lambd = 0.7",
                {"X": X, "Y": COURSE_Y, "cache": oracle.forward(X, parameters)[1], "lambd": 0.7},
            )
        )
    elif n and unit == "forward_propagation_with_dropout":
        X, parameters = _course_network(with_x=True)
        out.append(
            Case(
                "the course's",
                "the course's test case, keep_prob = 0.7",
                {"X": X, "parameters": parameters, "keep_prob": 0.7},
            )
        )
    while len(out) < n:
        k = len(out)
        X, parameters, Y, dims = _network(rng)
        lambd = float(rng.choice([0.1, 0.3, 0.7, 1.5]))
        keep_prob = float(rng.choice([0.5, 0.6, 0.7, 0.8, 0.86]))
        if unit == "compute_cost_with_regularization":
            A3 = 1 / (1 + np.exp(-rng.standard_normal(Y.shape) * 2))
            out.append(
                Case(
                    f"network {k}",
                    _about(X, dims, lambd=lambd),
                    {"A3": A3, "Y": Y, "parameters": parameters, "lambd": lambd},
                )
            )
        elif unit == "backward_propagation_with_regularization":
            out.append(
                Case(
                    f"network {k}",
                    _about(X, dims, lambd=lambd),
                    {"X": X, "Y": Y, "cache": oracle.forward(X, parameters)[1], "lambd": lambd},
                )
            )
        elif unit == "forward_propagation_with_dropout":
            out.append(
                Case(
                    f"network {k}",
                    _about(X, dims, keep_prob=keep_prob),
                    {"X": X, "parameters": parameters, "keep_prob": keep_prob},
                )
            )
        elif unit == "backward_propagation_with_dropout":
            _, cache = oracle.answer(
                "forward_propagation_with_dropout", (X, parameters, keep_prob), int(rng.integers(1 << 31))
            )
            out.append(
                Case(
                    f"network {k}",
                    _about(X, dims, keep_prob=keep_prob),
                    {"X": X, "Y": Y, "cache": cache, "keep_prob": keep_prob},
                )
            )
        else:
            out.append(
                Case(
                    f"network {k}",
                    _about(X, dims, keep_prob=keep_prob),
                    {"X": X, "parameters": parameters, "keep_prob": keep_prob, "Y": Y},
                )
            )
    return out
