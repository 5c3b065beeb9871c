"""Seeded cases for pack 2: every input of every graded function, NumPy only.

Layout is the course's, channels last: A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C),
b (1, 1, 1, n_C), dZ and dA (m, n_H, n_W, n_C); hparameters {"stride", "pad"} for a convolution and
{"stride", "f"} for pooling, the course's own key order. Output sizes follow the course's formula
floor((n + 2 pad - f) / stride) + 1 (pad = 0 for pooling).

Every drawn value is a multiple of a power of two (`GRID`, `POOL_STEP`), so the same seed gives
bit-identical inputs on every machine, and the convolution's sums of products (Z, dA_prev, dW, db) are
exact in float64 whatever the summation order: a loop, an einsum and torch's conv2d agree to the bit.
Max-pooling inputs are distinct within each (example, channel) plane, POOL_STEP apart, so no window has
a tied maximum (where autograd and the course's mask rule part ways); only the `ties=True` cases of
`pool_tie_cases` and `window_cases` have ties, on purpose.

Each generator returns the edge cases first (m = 1, one channel, f = 1, stride > 1 with windows that do
not tile the input, pad 0, pad > f, a single output position, ...), then random ones. conv_cases with
`backward=True` never has pad = 0: the template un-pads dA_prev with [pad:-pad], empty when pad = 0, and
the course never poses that case (CONTRACT.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

GRID = 2.0**-10  # conv inputs and upstream gradients: products and their sums exact in float64
POOL_STEP = 2.0**-5  # max-pool inputs: distinct integers times this, so maxima are unique by a margin
MAX_M, MAX_SIDE, MAX_CHANNELS, MAX_F, MAX_STRIDE, MAX_PAD = 4, 9, 4, 4, 3, 3

# One salt per generator, so cases of different functions under the same seed are independent draws.
_SALT = {
    "zero_pad": 1,
    "conv_single_step": 2,
    "conv": 3,
    "conv_backward": 4,
    "pool": 5,
    "pool_ties": 6,
    "window": 7,
    "window_ties": 8,
    "distribute": 9,
}


def output_size(n: int, f: int, stride: int, pad: int = 0) -> int:
    """The course's floor((n + 2 pad - f) / stride) + 1."""
    return (n + 2 * pad - f) // stride + 1


def tiles(n: int, f: int, stride: int, pad: int = 0) -> bool:
    """Whether the windows end exactly at the (padded) input's edge, leaving no row or column unread."""
    return (n + 2 * pad - f) % stride == 0


def _rng(seed: int, kind: str) -> np.random.Generator:
    return np.random.default_rng([seed, _SALT[kind]])


def _draw(rng: np.random.Generator, shape) -> np.ndarray:
    return np.round(rng.standard_normal(shape) / GRID) * GRID


def _distinct_planes(rng: np.random.Generator, m: int, n_H: int, n_W: int, n_C: int) -> np.ndarray:
    """Values distinct within each (example, channel) plane, at least POOL_STEP apart."""
    planes = np.stack([rng.choice(np.arange(-256, 256), size=n_H * n_W, replace=False) for _ in range(m * n_C)])
    return planes.reshape(m, n_C, n_H, n_W).transpose(0, 2, 3, 1).astype(np.float64) * POOL_STEP


# --- case types -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PadCase:
    index: int
    label: str
    X: np.ndarray
    pad: int


@dataclass(frozen=True)
class StepCase:
    index: int
    label: str
    a_slice_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray


@dataclass(frozen=True)
class ConvCase:
    """One convolution layer: its inputs, hyperparameters and the upstream gradient dZ."""

    index: int
    label: str
    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    hparameters: dict
    dZ: np.ndarray

    @property
    def m(self) -> int:
        return self.A_prev.shape[0]

    @property
    def f(self) -> int:
        return self.W.shape[0]

    @property
    def stride(self) -> int:
        return self.hparameters["stride"]

    @property
    def pad(self) -> int:
        return self.hparameters["pad"]

    @property
    def cache(self) -> tuple:
        """What the course's conv_forward caches and conv_backward receives."""
        return (self.A_prev, self.W, self.b, self.hparameters)

    def tiles(self) -> bool:
        _, n_H_prev, n_W_prev, _ = self.A_prev.shape
        return tiles(n_H_prev, self.f, self.stride, self.pad) and tiles(n_W_prev, self.f, self.stride, self.pad)

    def describe(self) -> str:
        return f"A_prev {self.A_prev.shape}, W {self.W.shape}, stride {self.stride}, pad {self.pad}"


@dataclass(frozen=True)
class PoolCase:
    """One pooling layer in one mode, with the upstream gradient dA."""

    index: int
    label: str
    A_prev: np.ndarray
    hparameters: dict
    mode: str
    dA: np.ndarray
    ties: bool = False

    @property
    def f(self) -> int:
        return self.hparameters["f"]

    @property
    def stride(self) -> int:
        return self.hparameters["stride"]

    @property
    def cache(self) -> tuple:
        """What the course's pool_forward caches and pool_backward receives."""
        return (self.A_prev, self.hparameters)

    def tiles(self) -> bool:
        _, n_H_prev, n_W_prev, _ = self.A_prev.shape
        return tiles(n_H_prev, self.f, self.stride) and tiles(n_W_prev, self.f, self.stride)

    def describe(self) -> str:
        return f"A_prev {self.A_prev.shape}, f {self.f}, stride {self.stride}, mode {self.mode!r}"


@dataclass(frozen=True)
class WindowCase:
    index: int
    label: str
    x: np.ndarray
    ties: bool = False


@dataclass(frozen=True)
class DistributeCase:
    index: int
    label: str
    dz: np.float64
    shape: tuple


# --- generators ---------------------------------------------------------------------------------------
def zero_pad_cases(seed: int, n: int) -> list[PadCase]:
    rng = _rng(seed, "zero_pad")
    edges = [
        ("pad 0", (2, 3, 4, 2), 0),
        ("m = 1, one channel", (1, 4, 4, 1), 2),
        ("pad larger than the image", (2, 2, 3, 3), 4),
        ("non-square", (3, 2, 5, 2), 1),
    ]
    specs = edges + [
        (
            f"random {i}",
            tuple(int(v) for v in rng.integers(1, [MAX_M + 1, 7, 7, MAX_CHANNELS + 1])),
            int(rng.integers(0, MAX_PAD + 1)),
        )
        for i in range(max(0, n - len(edges)))
    ]
    return [PadCase(i, label, _draw(rng, shape), pad) for i, (label, shape, pad) in enumerate(specs[:n])]


def conv_single_step_cases(seed: int, n: int) -> list[StepCase]:
    rng = _rng(seed, "conv_single_step")
    edges = [("f = 1, one channel", 1, 1), ("the course's shape", 4, 3), ("f = 5", 5, 2)]
    specs = edges + [
        (f"random {i}", int(rng.integers(1, 6)), int(rng.integers(1, MAX_CHANNELS + 1)))
        for i in range(max(0, n - len(edges)))
    ]
    return [
        StepCase(i, label, _draw(rng, (f, f, c)), _draw(rng, (f, f, c)), _draw(rng, (1, 1, 1)))
        for i, (label, f, c) in enumerate(specs[:n])
    ]


# (label, m, n_H_prev, n_W_prev, n_C_prev, n_C, f, stride, pad)
_CONV_EDGES = [
    ("m = 1", 1, 5, 5, 3, 2, 3, 1, 1),
    ("one channel in and out", 2, 6, 6, 1, 1, 3, 1, 1),
    ("f = 1", 2, 4, 5, 3, 2, 1, 1, 1),
    ("stride 2, windows do not tile the input", 2, 6, 6, 2, 3, 3, 2, 1),
    ("stride 3, pad 2", 2, 7, 8, 2, 2, 2, 3, 2),
    ("pad 0, stride 2 (the course's own case)", 2, 5, 7, 4, 3, 3, 2, 0),
    ("pad larger than f", 1, 3, 4, 2, 2, 2, 1, 3),
    ("one output position", 2, 3, 3, 2, 2, 5, 1, 1),
    ("non-square input and output", 3, 4, 9, 2, 3, 2, 2, 1),
]


def conv_cases(seed: int, n: int, *, backward: bool = False) -> list[ConvCase]:
    """Convolution layers for conv_forward and, with backward=True (pad >= 1 only), conv_backward."""
    rng = _rng(seed, "conv_backward" if backward else "conv")
    edges = [e for e in _CONV_EDGES if not (backward and e[8] == 0)]
    specs = list(edges)
    while len(specs) < n:
        m, n_C_prev, n_C = (int(v) for v in rng.integers(1, [MAX_M + 1, MAX_CHANNELS + 1, MAX_CHANNELS + 1]))
        f, stride = int(rng.integers(1, MAX_F + 1)), int(rng.integers(1, MAX_STRIDE + 1))
        pad = int(rng.integers(1 if backward else 0, MAX_PAD + 1))
        low = max(1, f - 2 * pad)
        n_H_prev, n_W_prev = (int(v) for v in rng.integers(low, MAX_SIDE + 1, size=2))
        specs.append((f"random {len(specs) - len(edges)}", m, n_H_prev, n_W_prev, n_C_prev, n_C, f, stride, pad))
    cases = []
    for i, (label, m, n_H_prev, n_W_prev, n_C_prev, n_C, f, stride, pad) in enumerate(specs[:n]):
        n_H, n_W = output_size(n_H_prev, f, stride, pad), output_size(n_W_prev, f, stride, pad)
        cases.append(
            ConvCase(
                i,
                label,
                _draw(rng, (m, n_H_prev, n_W_prev, n_C_prev)),
                _draw(rng, (f, f, n_C_prev, n_C)),
                _draw(rng, (1, 1, 1, n_C)),
                {"stride": stride, "pad": pad},
                _draw(rng, (m, n_H, n_W, n_C)),
            )
        )
    return cases


# (label, m, n_H_prev, n_W_prev, n_C, f, stride)
_POOL_EDGES = [
    ("m = 1", 1, 5, 5, 3, 3, 1),
    ("one channel", 2, 6, 6, 1, 2, 2),
    ("f = 1", 3, 4, 5, 2, 1, 1),
    ("stride larger than f: gaps between windows", 2, 7, 7, 2, 2, 3),
    ("windows do not tile the input (the course's own case)", 2, 5, 7, 3, 2, 2),
    ("overlapping windows", 2, 5, 5, 3, 3, 1),
    ("one output row (the course's own case)", 2, 5, 7, 4, 5, 1),
    ("f = the whole input", 2, 4, 4, 2, 4, 2),
]


def _pool_specs(rng: np.random.Generator, n: int) -> list[tuple]:
    specs = list(_POOL_EDGES)
    while len(specs) < n:
        m, n_C = int(rng.integers(1, MAX_M + 1)), int(rng.integers(1, MAX_CHANNELS + 1))
        f, stride = int(rng.integers(1, MAX_F + 1)), int(rng.integers(1, MAX_STRIDE + 1))
        n_H_prev, n_W_prev = (int(v) for v in rng.integers(f, MAX_SIDE + 1, size=2))
        specs.append((f"random {len(specs) - len(_POOL_EDGES)}", m, n_H_prev, n_W_prev, n_C, f, stride))
    return specs[:n]


def pool_cases(seed: int, n: int, mode: str) -> list[PoolCase]:
    """Pooling layers in one mode ("max" or "average"); max-pool inputs have no tied maximum anywhere."""
    if mode not in ("max", "average"):
        raise ValueError(f"mode must be 'max' or 'average', not {mode!r}")
    rng = _rng(seed, "pool")
    cases = []
    for i, (label, m, n_H_prev, n_W_prev, n_C, f, stride) in enumerate(_pool_specs(rng, n)):
        A_prev = (
            _distinct_planes(rng, m, n_H_prev, n_W_prev, n_C)
            if mode == "max"
            else _draw(rng, (m, n_H_prev, n_W_prev, n_C))
        )
        dA = _draw(rng, (m, output_size(n_H_prev, f, stride), output_size(n_W_prev, f, stride), n_C))
        cases.append(PoolCase(i, label, A_prev, {"stride": stride, "f": f}, mode, dA))
    return cases


def pool_tie_cases(seed: int, n: int) -> list[PoolCase]:
    """Max pooling with tied maxima on purpose (values in {-1, 0, 1}): the course's mask rule decides."""
    rng = _rng(seed, "pool_ties")
    cases = []
    for i, (label, m, n_H_prev, n_W_prev, n_C, f, stride) in enumerate(_pool_specs(rng, n)):
        if f == 1:  # a 1x1 window cannot hold a tie
            f = 2
            n_H_prev, n_W_prev = max(n_H_prev, 2), max(n_W_prev, 2)
        A_prev = rng.integers(-1, 2, size=(m, n_H_prev, n_W_prev, n_C)).astype(np.float64)
        dA = _draw(rng, (m, output_size(n_H_prev, f, stride), output_size(n_W_prev, f, stride), n_C))
        cases.append(PoolCase(i, f"ties: {label}", A_prev, {"stride": stride, "f": f}, "max", dA, ties=True))
    return cases


def window_cases(seed: int, n: int, *, ties: bool = False) -> list[WindowCase]:
    """Windows for create_mask_from_window: a unique maximum, or (ties=True) a maximum held at least twice."""
    rng = _rng(seed, "window_ties" if ties else "window")
    edges = [] if ties else [("1x1", (1, 1)), ("the course's shape (2, 3)", (2, 3)), ("a row", (1, 4))]
    specs = edges + [
        (f"random {i}", tuple(int(v) for v in rng.integers(1, 6, size=2))) for i in range(max(0, n - len(edges)))
    ]
    cases = []
    for i, (label, shape) in enumerate(specs[:n]):
        if not ties:
            x = rng.choice(np.arange(-256, 256), size=shape[0] * shape[1], replace=False).reshape(shape) * POOL_STEP
        else:
            shape = (max(shape[0], 2), shape[1])
            x = rng.integers(-2, 2, size=shape).astype(np.float64)
            top = x.max()
            spots = rng.choice(x.size, size=2, replace=False)
            x.flat[spots] = top  # the maximum is held at least twice
            label = f"ties: {label}"
        cases.append(WindowCase(i, label, x.astype(np.float64), ties))
    return cases


def distribute_cases(seed: int, n: int) -> list[DistributeCase]:
    rng = _rng(seed, "distribute")
    edges = [
        ("the course's example", np.float64(2.0), (2, 2)),
        ("1x1", None, (1, 1)),
        ("non-square", None, (2, 3)),
        ("f = 3 (not a power of two)", None, (3, 3)),
    ]
    specs = edges + [
        (f"random {i}", None, tuple(int(v) for v in rng.integers(1, 6, size=2))) for i in range(max(0, n - len(edges)))
    ]
    return [
        DistributeCase(i, label, dz if dz is not None else np.float64(_draw(rng, ())), shape)
        for i, (label, dz, shape) in enumerate(specs[:n])
    ]


def digest(cases) -> str:
    """SHA-256 of every input of the cases, their labels and hyperparameters: equal iff bit-identical."""
    h = hashlib.sha256()
    for case in cases:
        for name, value in vars(case).items():
            h.update(name.encode())
            if isinstance(value, np.ndarray):
                h.update(str((value.dtype.str, value.shape)).encode())
                h.update(np.ascontiguousarray(value).tobytes())
            else:
                h.update(repr(value).encode())
    return h.hexdigest()
