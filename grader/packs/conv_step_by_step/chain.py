"""Pack 2's end-to-end cases: one small network, conv_forward -> pool_forward -> pool_backward -> conv_backward.

The chain is what a student's own functions compute together, without stand-ins: Z = conv(A_prev), A =
pool(Z), and with an upstream gradient dA given, dZ = pool_backward(dA), then (dA_prev, dW, db) =
conv_backward(dZ). Autograd's answer is the gradient of sum(A * dA) (oracle.py, `ConvOracle.end_to_end`).

NumPy only. Inputs are dyadic (cases.GRID), so Z is exact in float64 whatever the summation order. The
convolution always pads (the template un-pads with [pad:-pad]), and with pad < f every window reads the
input, so no two outputs are the bias alone; max-pooling cases are redrawn until no pooling window of Z
holds a tied maximum, where autograd and the course's mask would part ways.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grader.packs.conv_step_by_step.cases import GRID, output_size

_SALT = 10  # after cases._SALT's generators


@dataclass(frozen=True)
class ChainCase:
    index: int
    label: str
    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    hparameters: dict  # the convolution's {"stride", "pad"}
    hparameters_pool: dict  # the pooling's {"stride", "f"}
    mode: str
    dA: np.ndarray  # the upstream gradient of the pooling's output A

    @property
    def args(self) -> tuple:
        """What end_to_end.py unpacks, in its order."""
        return (self.A_prev, self.W, self.b, self.hparameters, self.hparameters_pool, self.mode, self.dA)

    def describe(self) -> str:
        conv, pool = self.hparameters, self.hparameters_pool
        return (
            f"A_prev {self.A_prev.shape}, W {self.W.shape}, conv stride {conv['stride']} pad {conv['pad']}, "
            f"then {self.mode} pooling f {pool['f']} stride {pool['stride']}"
        )


def conv_z(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Z by sliding windows (exact on dyadic inputs): used only to reject tied max-pool windows."""
    f = W.shape[0]
    X = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n_H, n_W = output_size(A_prev.shape[1], f, stride, pad), output_size(A_prev.shape[2], f, stride, pad)
    win = sliding_window_view(X, (f, f), axis=(1, 2))[
        :, : (n_H - 1) * stride + 1 : stride, : (n_W - 1) * stride + 1 : stride
    ]
    return np.einsum("mhwcij,ijcn->mhwn", win, W) + b.reshape(1, 1, 1, -1)


def has_tied_maximum(Z: np.ndarray, f: int, stride: int) -> bool:
    n_H, n_W = output_size(Z.shape[1], f, stride), output_size(Z.shape[2], f, stride)
    win = sliding_window_view(Z, (f, f), axis=(1, 2))[
        :, : (n_H - 1) * stride + 1 : stride, : (n_W - 1) * stride + 1 : stride
    ]
    return bool(np.any((win == win.max(axis=(4, 5), keepdims=True)).sum(axis=(4, 5)) > 1))


def _draw(rng: np.random.Generator, shape) -> np.ndarray:
    return np.round(rng.standard_normal(shape) / GRID) * GRID


def chain_cases(seed: int, n: int) -> list[ChainCase]:
    """Max and average pooling alternating (max first); strides 1 and 2 in both layers."""
    rng = np.random.default_rng([seed, _SALT])
    cases: list[ChainCase] = []
    while len(cases) < n:
        k = len(cases)
        mode = "max" if k % 2 == 0 else "average"
        m, n_C_prev, n_C = (int(v) for v in rng.integers(1, [4, 4, 4]))
        f = int(rng.integers(2, 4))
        pad, stride = int(rng.integers(1, f)), int(rng.integers(1, 3))
        n_H_prev, n_W_prev = (int(v) for v in rng.integers(3, 8, size=2))
        n_H, n_W = output_size(n_H_prev, f, stride, pad), output_size(n_W_prev, f, stride, pad)
        pool_f = int(rng.integers(1, min(3, n_H, n_W) + 1))
        pool_stride = int(rng.integers(1, 3))
        A_prev, W, b = (
            _draw(rng, (m, n_H_prev, n_W_prev, n_C_prev)),
            _draw(rng, (f, f, n_C_prev, n_C)),
            _draw(rng, (1, 1, 1, n_C)),
        )
        if mode == "max" and has_tied_maximum(conv_z(A_prev, W, b, stride, pad), pool_f, pool_stride):
            continue  # a tie: draw this case again
        dA = _draw(rng, (m, output_size(n_H, pool_f, pool_stride), output_size(n_W, pool_f, pool_stride), n_C))
        cases.append(
            ChainCase(
                k,
                f"{mode} pooling {k // 2}",
                A_prev,
                W,
                b,
                {"stride": stride, "pad": pad},
                {"stride": pool_stride, "f": pool_f},
                mode,
                dA,
            )
        )
    return cases
