"""Seeded random networks and layers to grade on.

Only NumPy here: cases are built in the trusted process and travel to the sandbox as plain arrays.
Every primary draw (X, Y, W, b, dA, dZ, learning rate) is rounded to a dyadic grid, so the same seed
gives bit-identical draws on every machine (tests/test_case_digest.py pins them). Derived inputs (the
caches a backward function receives) are computed from them in float64 and rounded to a 2^-40 grid;
that makes them identical almost everywhere, but not provably: a hidden layer's W.A + b is not exact
in float64, and an entry within a few ulps of a grid boundary (about 1 in 10^4 at seed 0) may round
the other way under another BLAS summation order. Either way every value is far inside the tolerance,
so scores do not depend on it.

Values keep the comparison meaningful: every ReLU input is at least `RELU_MARGIN` away from 0 (where
the derivative is ambiguous and float32 may flip the sign) and every sigmoid input lies within
`SIGMOID_BOUND`, so outputs stay clear of 0 and 1 where the log blows up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RELU_MARGIN = 1e-2
SIGMOID_BOUND = 4.0
MAX_L, MAX_WIDTH, MAX_M = 8, 32, 128
_INPUT_GRID = 2.0**-12  # X, W, b, dA, dZ: exact products and sums in float64
_DERIVED_GRID = 2.0**-40  # caches: far below any tolerance, identical everywhere


def _grid(x: np.ndarray | float, step: float) -> np.ndarray:
    return np.round(np.asarray(x, dtype=np.float64) / step) * step


def sigmoid(Z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-Z))


def relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, Z)


@dataclass(frozen=True)
class NetworkCase:
    """An L-layer network (ReLU hidden layers, sigmoid output) with a batch and labels."""

    index: int
    label: str
    layer_dims: tuple[int, ...]
    X: np.ndarray
    Y: np.ndarray
    parameters: dict[str, np.ndarray]
    learning_rate: float
    caches: list = field(repr=False, default_factory=list)  # ((A_prev, W, b), Z) per layer, derived
    AL: np.ndarray | None = field(repr=False, default=None)  # derived: the network's output on X (None: not drawn)

    @property
    def L(self) -> int:
        return len(self.layer_dims) - 1

    @property
    def m(self) -> int:
        return self.X.shape[1]

    @property
    def activations(self) -> tuple[str, ...]:
        return ("relu",) * (self.L - 1) + ("sigmoid",)

    def describe(self) -> str:
        return f"layer_dims={list(self.layer_dims)}, m={self.m}"


@dataclass(frozen=True)
class LayerCase:
    """One layer's inputs: what the single-layer forward and backward functions receive."""

    index: int
    label: str
    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    activation: str
    Z: np.ndarray  # derived: W A_prev + b, the activation cache
    dA: np.ndarray  # an arbitrary upstream gradient, shape of A
    dZ: np.ndarray  # an arbitrary upstream gradient, shape of Z

    @property
    def m(self) -> int:
        return self.A_prev.shape[1]

    @property
    def linear_cache(self) -> tuple:
        return (self.A_prev, self.W, self.b)

    @property
    def cache(self) -> tuple:
        return (self.linear_cache, self.Z)

    def describe(self) -> str:
        n, n_prev = self.W.shape
        return f"n_l={n}, n_(l-1)={n_prev}, m={self.m}, activation={self.activation!r}"


@dataclass(frozen=True)
class NetworkTruth:
    """Autograd's answer for one network: index l of Z, A, dZ is layer l (A[0] is X; Z[0], dZ[0] are None)."""

    Z: list
    A: list
    AL: np.ndarray
    cost: np.ndarray
    dZ: list
    dAL: np.ndarray
    grads: dict
    updated: dict

    def caches(self, parameters: dict) -> list:
        L = len(parameters) // 2
        return [((self.A[l - 1], parameters[f"W{l}"], parameters[f"b{l}"]), self.Z[l]) for l in range(1, L + 1)]


def _ok(Z: np.ndarray, activation: str) -> np.ndarray:
    """Rows (units) whose every entry keeps the comparison meaningful."""
    if activation == "relu":
        return (np.abs(Z) >= RELU_MARGIN).all(axis=1)
    return (np.abs(Z) <= SIGMOID_BOUND).all(axis=1)


def _draw_layer(rng: np.random.Generator, A_prev: np.ndarray, n: int, activation: str):
    """Draw W, b for one layer, redrawing unit by unit until its Z keeps the comparison meaningful."""
    n_prev = A_prev.shape[0]
    scale = np.sqrt(2.0 / n_prev) if activation == "relu" else 1.0 / np.sqrt(n_prev)
    W = _grid(rng.standard_normal((n, n_prev)) * scale, _INPUT_GRID)
    b = _grid(rng.standard_normal((n, 1)) * 0.5, _INPUT_GRID)
    for attempt in range(200):
        Z = W @ A_prev + b
        bad = ~_ok(Z, activation)
        if not bad.any():
            return W, b, Z
        shrink = 0.5 ** (attempt // 20)  # a unit that keeps missing gets smaller weights
        k = int(bad.sum())
        W[bad] = _grid(rng.standard_normal((k, n_prev)) * scale * shrink, _INPUT_GRID)
        b[bad] = _grid(rng.standard_normal((k, 1)) * 0.5 * shrink, _INPUT_GRID)
    raise RuntimeError("could not draw a layer clear of the ReLU kink")  # pragma: no cover


def _labels(rng: np.random.Generator, m: int) -> np.ndarray:
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    if m > 1 and Y.min() == Y.max():  # both classes present
        Y[0, rng.integers(m)] = 1.0 - Y[0, 0]
    return Y


def make_network_case(rng: np.random.Generator, index: int, layer_dims, m: int, label: str = "random") -> NetworkCase:
    layer_dims = tuple(int(d) for d in layer_dims)
    L = len(layer_dims) - 1
    X = _grid(rng.standard_normal((layer_dims[0], m)), _INPUT_GRID)
    parameters, caches = {}, []
    A_prev = X
    for l in range(1, L + 1):
        activation = "sigmoid" if l == L else "relu"
        W, b, Z = _draw_layer(rng, A_prev, layer_dims[l], activation)
        Z = _grid(Z, _DERIVED_GRID)
        parameters[f"W{l}"], parameters[f"b{l}"] = W, b
        caches.append(((A_prev, W, b), Z))
        A_prev = _grid(relu(Z) if activation == "relu" else sigmoid(Z), _DERIVED_GRID)
    Y = _labels(rng, m)
    learning_rate = float(_grid(rng.uniform(0.01, 1.0), 2.0**-10))
    cache_arrays = [array for (A, _, _), Z in caches for array in (A, Z)]  # hidden A's and every Z too
    for array in (X, Y, A_prev, *parameters.values(), *cache_arrays):
        array.setflags(write=False)
    return NetworkCase(index, label, layer_dims, X, Y, parameters, learning_rate, caches, A_prev)


def make_layer_case(
    rng: np.random.Generator, index: int, n: int, n_prev: int, m: int, activation: str, label: str = "random"
) -> LayerCase:
    A_prev = _grid(
        np.abs(rng.standard_normal((n_prev, m))) if rng.random() < 0.5 else rng.standard_normal((n_prev, m)),
        _INPUT_GRID,
    )
    W, b, Z = _draw_layer(rng, A_prev, n, activation)
    Z = _grid(Z, _DERIVED_GRID)
    dA = _grid(rng.standard_normal((n, m)), _INPUT_GRID)
    dZ = _grid(rng.standard_normal((n, m)), _INPUT_GRID)
    for array in (A_prev, W, b, Z, dA, dZ):
        array.setflags(write=False)
    return LayerCase(index, label, A_prev, W, b, activation, Z, dA, dZ)


# Edge cases come first, so that even a small case count covers them.
_NETWORK_EDGES = (
    ("edge: m = 1", lambda r: (_random_dims(r, r.integers(1, 5)), 1)),
    ("edge: width 1", lambda r: ((1,) * int(r.integers(2, 5)) + (1,), int(r.integers(2, 17)))),
    ("edge: L = 1", lambda r: ((int(r.integers(1, MAX_WIDTH + 1)), 1), int(r.integers(2, 65)))),
    (
        "edge: deep and narrow",
        lambda r: (tuple(int(d) for d in r.integers(1, 3, MAX_L)) + (1,), int(r.integers(2, 33))),
    ),
    ("edge: wide and shallow", lambda r: ((MAX_WIDTH, MAX_WIDTH, 1), MAX_M)),
)
_LAYER_EDGES = (
    ("edge: m = 1", lambda r: (int(r.integers(2, 9)), int(r.integers(2, 9)), 1)),
    ("edge: one unit", lambda r: (1, int(r.integers(2, 9)), int(r.integers(2, 17)))),
    ("edge: one input feature", lambda r: (int(r.integers(2, 9)), 1, int(r.integers(2, 17)))),
    ("edge: wide", lambda r: (MAX_WIDTH, MAX_WIDTH, MAX_M)),
)


def _random_dims(rng: np.random.Generator, L: int) -> tuple[int, ...]:
    hidden = tuple(int(d) for d in rng.integers(1, MAX_WIDTH + 1, size=L))  # n_x, n_1..n_{L-1}
    return hidden + (1,)


def network_cases(seed: int, count: int) -> list[NetworkCase]:
    """`count` networks for `seed`: the edge cases first, then random depths, widths and batches."""
    rng = np.random.default_rng([seed, 1])
    cases = []
    for index in range(count):
        if index < len(_NETWORK_EDGES):
            label, draw = _NETWORK_EDGES[index]
            dims, m = draw(rng)
        else:
            label = "random"
            dims, m = _random_dims(rng, int(rng.integers(1, MAX_L + 1))), int(rng.integers(1, MAX_M + 1))
        cases.append(make_network_case(rng, index, dims, m, label))
    return cases


def layer_cases(seed: int, count: int) -> list[LayerCase]:
    """`count` single layers for `seed`, with random activations: edge shapes first."""
    rng = np.random.default_rng([seed, 2])
    cases = []
    for index in range(count):
        if index < len(_LAYER_EDGES):
            label, draw = _LAYER_EDGES[index]
            n, n_prev, m = draw(rng)
        else:
            label = "random"
            n, n_prev, m = (
                int(v)
                for v in (rng.integers(1, MAX_WIDTH + 1), rng.integers(1, MAX_WIDTH + 1), rng.integers(1, MAX_M + 1))
            )
        activation = "relu" if rng.random() < 0.5 else "sigmoid"
        cases.append(make_layer_case(rng, index, n, n_prev, m, activation, label))
    return cases
