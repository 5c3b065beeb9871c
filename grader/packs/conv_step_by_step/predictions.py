"""What each of pack 2's misconceptions returns: pure NumPy, channels last, keyed by the course's names.

Apart from the catalogue (misconceptions.py) so that each file keeps one job: this one computes, that
one explains and compares. Written vectorised (sliding windows, einsum) and independently of the loops
in reference/, except where the loops' order is the mistake itself (`=` for `+=`); tests/test_conv_pack.py
checks each against a hand-written buggy loop version and against the right answer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grader.packs.conv_step_by_step.cases import (
    ConvCase,
    DistributeCase,
    PadCase,
    PoolCase,
    StepCase,
    WindowCase,
    output_size,
)


# --- vectorised building blocks (channels last) -----------------------------------------------------
def _pad(X: np.ndarray, pad: int) -> np.ndarray:
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def _windows(X: np.ndarray, f: int, n_H: int, n_W: int, step: int) -> np.ndarray:
    """(m, n_H, n_W, n_C, f, f): the window whose corner is (h * step, w * step)."""
    view = sliding_window_view(X, (f, f), axis=(1, 2))
    return view[:, : (n_H - 1) * step + 1 : step, : (n_W - 1) * step + 1 : step]


def _scatter(shape: tuple, per_offset: np.ndarray, f: int, step: int) -> np.ndarray:
    """Add per_offset[..., i, j] (m, n_H, n_W, n_C, f, f) back onto the window entries it belongs to."""
    out = np.zeros(shape)
    n_H, n_W = per_offset.shape[1:3]
    for i in range(f):
        for j in range(f):
            out[:, i : i + (n_H - 1) * step + 1 : step, j : j + (n_W - 1) * step + 1 : step, :] += per_offset[..., i, j]
    return out


def _conv_sizes(case: ConvCase) -> tuple[int, int]:
    _, n_H_prev, n_W_prev, _ = case.A_prev.shape
    return output_size(n_H_prev, case.f, case.stride, case.pad), output_size(n_W_prev, case.f, case.stride, case.pad)


def _conv_z(case: ConvCase, n_H: int, n_W: int, step: int) -> np.ndarray:
    win = _windows(_pad(case.A_prev, case.pad), case.f, n_H, n_W, step)
    return np.einsum("mhwcij,ijcn->mhwn", win, case.W) + case.b.reshape(1, 1, 1, -1)


def _conv_grads(case: ConvCase, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dA_prev_pad, dW, db) with window corners at (h * step, w * step)."""
    X = _pad(case.A_prev, case.pad)
    n_H, n_W = case.dZ.shape[1:3]
    dW = np.einsum("mhwcij,mhwn->ijcn", _windows(X, case.f, n_H, n_W, step), case.dZ)
    db = case.dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, -1)
    per_offset = np.einsum("mhwn,ijcn->mhwcij", case.dZ, case.W)
    return _scatter(X.shape, per_offset, case.f, step), dW, db


def _unpad(dX: np.ndarray, case: ConvCase) -> np.ndarray:
    _, n_H_prev, n_W_prev, _ = case.A_prev.shape
    return dX[:, case.pad : case.pad + n_H_prev, case.pad : case.pad + n_W_prev, :]


def _pool_windows(case: PoolCase, step: int) -> np.ndarray:
    return _windows(case.A_prev, case.f, case.dA.shape[1], case.dA.shape[2], step)


def _pool_grad(case: PoolCase, step: int, *, divide: bool = True) -> np.ndarray:
    """dA_prev, the course's rule in either mode, window corners at (h * step, w * step)."""
    win = _pool_windows(case, step)
    upstream = case.dA[..., None, None]
    if case.mode == "max":
        per_offset = (win == win.max(axis=(4, 5), keepdims=True)) * upstream
    else:
        per_offset = np.broadcast_to(upstream / (case.f * case.f) if divide else upstream, win.shape)
    return _scatter(case.A_prev.shape, per_offset, case.f, step)


# --- what each mistake returns ------------------------------------------------------------------------
def _zero_pad_all_axes(case: PadCase) -> dict:
    return {"X_pad": np.pad(case.X, case.pad)}


def _bias_in_sum(case: StepCase) -> dict:
    return {"Z": np.float64(np.sum(case.a_slice_prev * case.W) + case.a_slice_prev.size * case.b.item())}


def _conv_forward_no_stride(case: ConvCase) -> dict:
    return {"Z": _conv_z(case, *_conv_sizes(case), step=1), "cache": case.cache}


def _unpadded_sizes(case: ConvCase) -> tuple[int, int]:
    """The mistaken int((n_H_prev - f) / stride) + 1, int() and all: it truncates towards 0."""
    _, n_H_prev, n_W_prev, _ = case.A_prev.shape
    return int((n_H_prev - case.f) / case.stride) + 1, int((n_W_prev - case.f) / case.stride) + 1


def _conv_forward_size_without_pad(case: ConvCase) -> dict:
    return {"Z": _conv_z(case, *_unpadded_sizes(case), step=case.stride), "cache": case.cache}


def _conv_backward_no_stride(case: ConvCase) -> dict:
    dX, dW, db = _conv_grads(case, step=1)
    return {"dA_prev": _unpad(dX, case), "dW": dW, "db": db}


def _conv_backward_divided_by_m(case: ConvCase) -> dict:
    dX, dW, db = _conv_grads(case, step=case.stride)
    return {"dA_prev": _unpad(dX, case), "dW": dW / case.m, "db": db / case.m}


def _conv_backward_da_prev_padded(case: ConvCase) -> dict:
    dX, dW, db = _conv_grads(case, step=case.stride)
    return {"dA_prev": dX, "dW": dW, "db": db}


def _conv_backward_db_wrong_axes(case: ConvCase) -> dict:
    dX, dW, _ = _conv_grads(case, step=case.stride)
    return {"dA_prev": _unpad(dX, case), "dW": dW, "db": case.dZ.sum(axis=(1, 2, 3), keepdims=True)}


def _pool_forward_no_stride(case: PoolCase) -> dict:
    win = _pool_windows(case, step=1)
    return {"A": win.max(axis=(4, 5)) if case.mode == "max" else win.mean(axis=(4, 5)), "cache": case.cache}


def _pool_backward_no_stride(case: PoolCase) -> dict:
    return {"dA_prev": _pool_grad(case, step=1)}


def _max_mask_all_channels(case: PoolCase) -> dict:
    if case.mode != "max":  # the average branch is untouched
        return {"dA_prev": _pool_grad(case, step=case.stride)}
    win = _pool_windows(case, step=case.stride)  # (m, n_H, n_W, n_C, f, f)
    mask = win == win.max(axis=(3, 4, 5), keepdims=True)  # the maximum of the window over every channel
    per_offset = mask * case.dA.sum(axis=3)[..., None, None, None]  # each channel's dA lands there
    return {"dA_prev": _scatter(case.A_prev.shape, per_offset, case.f, case.stride)}


def _avg_pool_not_divided(case: PoolCase) -> dict:
    return {"dA_prev": _pool_grad(case, step=case.stride, divide=False)}


def _mask_column_max(case: WindowCase) -> dict:
    return {"mask": case.x == np.max(case.x, axis=0)}


def _mask_is_max_value(case: WindowCase) -> dict:
    return {"mask": np.max(case.x)}


def _distribute_not_divided(case: DistributeCase) -> dict:
    return {"a": np.full(case.shape, np.float64(case.dz))}


def _bias_left_out(case: StepCase) -> dict:
    return {"Z": np.float64(np.sum(case.a_slice_prev * case.W))}


def _conv_forward_bias_twice(case: ConvCase) -> dict:
    return {"Z": _conv_z(case, *_conv_sizes(case), step=case.stride) + case.b.reshape(1, 1, 1, -1), "cache": case.cache}


def _last_window(case: ConvCase) -> np.ndarray:
    """a_slice of the last (i, h, w) the course's loops visit: what `=` instead of `+=` leaves behind."""
    n_H, n_W = case.dZ.shape[1:3]
    return _windows(_pad(case.A_prev, case.pad), case.f, n_H, n_W, case.stride)[-1, -1, -1].transpose(1, 2, 0)


def _dw_not_accumulated(case: ConvCase) -> dict:
    dX, _, db = _conv_grads(case, step=case.stride)
    return {"dA_prev": _unpad(dX, case), "dW": _last_window(case)[..., None] * case.dZ[-1, -1, -1], "db": db}


def _db_not_accumulated(case: ConvCase) -> dict:
    dX, dW, _ = _conv_grads(case, step=case.stride)
    return {"dA_prev": _unpad(dX, case), "dW": dW, "db": case.dZ[-1, -1, -1].reshape(1, 1, 1, -1).copy()}


def _da_prev_not_accumulated(case: ConvCase) -> dict:
    """The loops' own order (i, h, w, c), each window overwritten: a loop, since the order is the mistake."""
    _, dW, db = _conv_grads(case, step=case.stride)
    X = np.zeros(_pad(case.A_prev, case.pad).shape)
    n_H, n_W, n_C = case.dZ.shape[1:]
    s, f = case.stride, case.f
    for i in range(case.m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    X[i, h * s : h * s + f, w * s : w * s + f, :] = case.W[..., c] * case.dZ[i, h, w, c]
    return {"dA_prev": _unpad(X, case), "dW": dW, "db": db}


def _fits_f_steps(case: PoolCase) -> bool:
    """Whether windows with corners (h*f, w*f) stay inside A_prev (else the loop reads cut-off slices)."""
    n_H, n_W = case.dA.shape[1:3]
    return n_H * case.f <= case.A_prev.shape[1] and n_W * case.f <= case.A_prev.shape[2]


def _pool_forward_f_as_stride(case: PoolCase) -> dict:
    win = _pool_windows(case, step=case.f)
    return {"A": win.max(axis=(4, 5)) if case.mode == "max" else win.mean(axis=(4, 5)), "cache": case.cache}


def _pool_forward_all_channels(case: PoolCase) -> dict:
    win = _pool_windows(case, step=case.stride)
    one = win.max(axis=(3, 4, 5)) if case.mode == "max" else win.mean(axis=(3, 4, 5))
    return {"A": np.repeat(one[..., None], case.A_prev.shape[3], axis=3), "cache": case.cache}


def _pool_backward_f_as_stride(case: PoolCase) -> dict:
    return {"dA_prev": _pool_grad(case, step=case.f)}


def _pool_backward_not_accumulated(case: PoolCase) -> dict:
    """Each window's gradient overwrites the overlap, in the loops' order (i, h, w, c)."""
    out = np.zeros(case.A_prev.shape)
    m, n_H, n_W, n_C = case.dA.shape
    s, f = case.stride, case.f
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    x = case.A_prev[i, h * s : h * s + f, w * s : w * s + f, c]
                    share = (
                        (x == x.max()) * case.dA[i, h, w, c] if case.mode == "max" else case.dA[i, h, w, c] / (f * f)
                    )
                    out[i, h * s : h * s + f, w * s : w * s + f, c] = share
    return {"dA_prev": out}


def _distribute_precedence(case: DistributeCase) -> dict:
    n_H, n_W = case.shape
    return {"a": np.full(case.shape, np.float64(case.dz) / n_H * n_W)}


def _conv_backward_right(case: ConvCase) -> dict:
    dX, dW, db = _conv_grads(case, step=case.stride)
    return {"dA_prev": _unpad(dX, case), "dW": dW, "db": db}


def _strided(case) -> bool:
    """Whether some output position's window, at (h*stride, w*stride) or at (h, w), reads the input itself.

    Elsewhere both windows lie wholly in the zero padding (a 1-row input padded by 1, read with f = 1 and
    a stride of 3, say), and leaving out the stride changes nothing.
    """
    if case.stride == 1:
        return False
    pad = case.pad if isinstance(case, ConvCase) else 0
    _, n_H_prev, n_W_prev, _ = case.A_prev.shape
    n_H, n_W = (case.dZ if isinstance(case, ConvCase) else case.dA).shape[1:3]

    def reads(v: int, n: int) -> bool:  # the window starting at v, along a side of n, touches the input
        return v < pad + n and v + case.f > pad

    def reads_input(h: int, w: int) -> bool:
        return reads(h, n_H_prev) and reads(w, n_W_prev)

    return any(
        (h, w) != (0, 0) and (reads_input(h * case.stride, w * case.stride) or reads_input(h, w))
        for h in range(n_H)
        for w in range(n_W)
    )


def _pool_forward_right(case: PoolCase) -> dict:
    win = _pool_windows(case, step=case.stride)
    return {"A": win.max(axis=(4, 5)) if case.mode == "max" else win.mean(axis=(4, 5))}


def _pool_backward_right(case: PoolCase) -> dict:
    return {"dA_prev": _pool_grad(case, step=case.stride)}


def _shows(case: PoolCase, wrong: Callable, right: Callable) -> bool:
    """Whether the mistake changes the answer: max pooling's windows often share their maximum, stride or not."""
    expected = right(case)
    return any(not np.array_equal(value, expected[name]) for name, value in wrong(case).items() if name in expected)
