"""Pack 2's misconceptions: each one a stable code, its explanation, and what the mistake returns.

`compute(case)` is a pure NumPy function giving every output a function with that mistake returns on a
case (keyed by the course's names, as oracle.py keys the right ones); `applies(case)` says whether the
mistake changes the answer on that case at all (no stride mistake shows with stride 1). They are written
vectorised (sliding windows, einsum) and independently of the loops in reference/: the tests check each
against a hand-written buggy loop version and against the right answer.

Evidence, then, is a comparison: `identify` names the misconceptions whose prediction a submission's
outputs match. Three of them were found in public copies of the notebook (CONTRACT.md):
CONV_BACKWARD_NO_STRIDE and POOL_BACKWARD_NO_STRIDE, which the course's own checks long missed, and
MASK_IS_MAX_VALUE.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grader.packs.conv_step_by_step.cases import ConvCase, DistributeCase, PadCase, PoolCase, StepCase, WindowCase, output_size
from grader.packs.conv_step_by_step.interface import BIAS_IN_SUM_VERSIONS, LATEST


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


@dataclass(frozen=True)
class Misconception:
    code: str
    function: str
    title: str
    explanation: str
    expected: str
    applies: Callable[[Any], bool]
    compute: Callable[[Any], dict]
    right_in: frozenset = frozenset()  # notebook versions whose own contract this is (interface.VERSIONS)


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

    return any((h, w) != (0, 0) and (reads_input(h * case.stride, w * case.stride) or reads_input(h, w))
               for h in range(n_H) for w in range(n_W))


def _pool_forward_right(case: PoolCase) -> dict:
    win = _pool_windows(case, step=case.stride)
    return {"A": win.max(axis=(4, 5)) if case.mode == "max" else win.mean(axis=(4, 5))}


def _pool_backward_right(case: PoolCase) -> dict:
    return {"dA_prev": _pool_grad(case, step=case.stride)}


def _shows(case: PoolCase, wrong: Callable, right: Callable) -> bool:
    """Whether the mistake changes the answer: max pooling's windows often share their maximum, stride or not."""
    expected = right(case)
    return any(not np.array_equal(value, expected[name]) for name, value in wrong(case).items() if name in expected)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        "ZERO_PAD_ALL_AXES", "zero_pad", "Every axis is padded, not just height and width",
        "X has shape (m, n_H, n_W, n_C) and padding belongs to the image only: its height and width. "
        "np.pad(X, pad) pads all four axes, adding 2*pad zero examples and 2*pad zero channels.",
        "X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant', constant_values=(0, 0))",
        lambda c: c.pad > 0, _zero_pad_all_axes),
    Misconception(
        "CONV_STEP_BIAS_IN_SUM", "conv_single_step", "The bias is added to every entry before the sum",
        "Z = sum(a_slice_prev * W) + b: one bias per filter, added once to the sum. np.sum(a_slice_prev * W + b) "
        "adds b to each of the f*f*n_C_prev products, so Z carries f*f*n_C_prev times b. (The 2017 notebook asked "
        "for exactly this, and its expected Z = -23.1602122025 follows; it is right under that version only.)",
        "Z = np.sum(np.multiply(a_slice_prev, W)) + float(b)",
        lambda c: c.a_slice_prev.size > 1 and c.b.item() != 0, _bias_in_sum, right_in=BIAS_IN_SUM_VERSIONS),
    Misconception(
        "CONV_FORWARD_NO_STRIDE", "conv_forward", "The window corners forget the stride",
        "Output position (h, w) reads the window whose top-left corner is (h*stride, w*stride) of a_prev_pad. "
        "With vert_start = h and horiz_start = w the windows slide one pixel at a time, whatever the stride: "
        "Z has the right shape, but its values come from the wrong windows.",
        "vert_start = h * stride; vert_end = vert_start + f; horiz_start = w * stride; horiz_end = horiz_start + f",
        _strided, _conv_forward_no_stride),
    Misconception(
        "CONV_FORWARD_SIZE_WITHOUT_PAD", "conv_forward", "The output size leaves out the padding",
        "The output of a convolution has n_H = floor((n_H_prev - f + 2*pad) / stride) + 1 rows: the windows "
        "slide over the padded input. The pooling formula floor((n_H_prev - f) / stride) + 1 gives fewer rows "
        "and columns than the padded input holds.",
        "n_H = int((n_H_prev - f + 2 * pad) / stride) + 1; n_W = int((n_W_prev - f + 2 * pad) / stride) + 1",
        lambda c: min(c.A_prev.shape[1:3]) >= c.f and _unpadded_sizes(c) != _conv_sizes(c), _conv_forward_size_without_pad),
    Misconception(
        "CONV_BACKWARD_NO_STRIDE", "conv_backward", "The window corners forget the stride in the backward pass",
        "dZ[i, h, w, c] flows back through the same window that produced Z[i, h, w, c], whose corner is "
        "(h*stride, w*stride). With vert_start = h, dW collects the wrong slices a_slice and dA_prev receives "
        "W[:, :, :, c] * dZ[i, h, w, c] at the wrong places; db, which needs no window, stays right. "
        "(The 2017 notebook tested conv_backward with stride 1 only, where this cannot show.)",
        "vert_start = h * stride; horiz_start = w * stride (the same corners as conv_forward)",
        _strided, _conv_backward_no_stride),
    Misconception(
        "CONV_BACKWARD_DIVIDED_BY_M", "conv_backward", "dW and db are divided by m",
        "The course's conv_backward adds up the contributions of every example, window and position: "
        "dW_c += a_slice * dZ[i, h, w, c] and db_c += dZ[i, h, w, c], summed over i with no 1/m (its own test "
        "expects db_mean = 7.839, the sum). The 1/m of course 1's linear_backward does not belong here.",
        "dW[:, :, :, c] += a_slice * dZ[i, h, w, c]; db[:, :, :, c] += dZ[i, h, w, c]",
        lambda c: c.m > 1, _conv_backward_divided_by_m),
    Misconception(
        "CONV_BACKWARD_DA_PREV_PADDED", "conv_backward", "dA_prev is returned padded",
        "The gradients are accumulated into da_prev_pad, the padded example, of shape "
        "(n_H_prev + 2*pad, n_W_prev + 2*pad, n_C_prev). dA_prev is the gradient with respect to A_prev, "
        "so the padding must be cut off again.",
        "dA_prev[i, :, :, :] = da_prev_pad[pad:-pad, pad:-pad, :]",
        lambda c: c.pad > 0, _conv_backward_da_prev_padded),
    Misconception(
        "CONV_BACKWARD_DB_WRONG_AXES", "conv_backward", "db is summed over the wrong axes",
        "db has one entry per filter c, shape (1, 1, 1, n_C): db_c is dZ[:, :, :, c] summed over the examples, "
        "the height and the width (axes 0, 1, 2). Summing over axes 1, 2 and 3 gives one number per example "
        "instead, mixing the filters together.",
        "db = np.sum(dZ, axis=(0, 1, 2), keepdims=True), which the loops build as db[:, :, :, c] += dZ[i, h, w, c]",
        lambda c: not (c.m == 1 and c.W.shape[3] == 1), _conv_backward_db_wrong_axes),
    Misconception(
        "POOL_FORWARD_NO_STRIDE", "pool_forward", "The pooling windows forget the stride",
        "Output position (h, w) pools the f x f window whose corner is (h*stride, w*stride) of A_prev[i]. "
        "With vert_start = h the windows slide one pixel at a time, whatever the stride.",
        "vert_start = h * stride; vert_end = vert_start + f; horiz_start = w * stride; horiz_end = horiz_start + f",
        lambda c: _strided(c) and _shows(c, _pool_forward_no_stride, _pool_forward_right), _pool_forward_no_stride),
    Misconception(
        "POOL_BACKWARD_NO_STRIDE", "pool_backward", "The window corners forget the stride in the pooling backward pass",
        "dA[i, h, w, c] goes back to the window that produced A[i, h, w, c], whose corner is (h*stride, w*stride). "
        "With vert_start = h the gradient lands in the wrong windows (and, for max pooling, on the wrong maxima). "
        "The course tests pool_backward with stride 1 only, where this cannot show.",
        "vert_start = h * stride; horiz_start = w * stride (the same corners as pool_forward)",
        lambda c: _strided(c) and _shows(c, _pool_backward_no_stride, _pool_backward_right), _pool_backward_no_stride),
    Misconception(
        "MAX_MASK_ALL_CHANNELS", "pool_backward", "The max mask is taken over every channel of the window",
        "Max pooling works on each channel on its own: A[i, h, w, c] is the maximum of "
        "a_prev[vert_start:vert_end, horiz_start:horiz_end, c]. Taking the slice with ':' for the channel "
        "finds the maximum over all channels, and every channel's dA[i, h, w, c] is sent to that one entry.",
        "a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]; "
        "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]",
        lambda c: c.mode == "max" and c.A_prev.shape[3] > 1, _max_mask_all_channels),
    Misconception(
        "AVG_POOL_GRADIENT_NOT_DIVIDED", "pool_backward", "Average pooling's gradient is not divided by f*f",
        "Each entry of an f x f window contributes 1/(f*f) of the average, so each receives dA[i, h, w, c] / (f*f), "
        "which distribute_value(da, (f, f)) computes. Adding the whole dA[i, h, w, c] to every entry makes the "
        "gradient f*f times too large.",
        "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(dA[i, h, w, c], (f, f))",
        lambda c: c.mode == "average" and c.f > 1, _avg_pool_not_divided),
    Misconception(
        "MASK_COLUMN_MAX", "create_mask_from_window", "The mask marks each column's maximum",
        "The mask is True where x equals the maximum of the whole window, np.max(x). np.max(x, axis=0) is the "
        "maximum of each column, so the mask marks one entry per column and max pooling's gradient is sent to "
        "entries that were not the maximum.",
        "mask = (x == np.max(x))",
        lambda c: c.x.shape[1] > 1, _mask_column_max),
    Misconception(
        "MASK_IS_MAX_VALUE", "create_mask_from_window", "The mask is the maximum itself, not where it is",
        "create_mask_from_window returns an array of x's shape, True where x equals its maximum and False "
        "elsewhere. np.max(x) is the maximum's value, a number: multiplied by dA[i, h, w, c] in pool_backward it "
        "sends max(x) * dA[i, h, w, c] to every entry of the window instead of dA[i, h, w, c] to the maximum alone.",
        "mask = (x == np.max(x))",
        lambda c: True, _mask_is_max_value),
    Misconception(
        "DISTRIBUTE_NOT_DIVIDED", "distribute_value", "dz is copied, not shared out",
        "In average pooling every entry of the (n_H, n_W) window has the same influence, 1/(n_H*n_W), on the "
        "output, so each receives dz / (n_H * n_W) and the entries add up to dz. np.ones(shape) * dz hands the "
        "whole of dz to every entry.",
        "average = dz / (n_H * n_W); a = np.ones(shape) * average",
        lambda c: c.shape[0] * c.shape[1] > 1 and c.dz != 0, _distribute_not_divided),
)

BY_CODE = {m.code: m for m in MISCONCEPTIONS}


def for_function(function: str) -> tuple[Misconception, ...]:
    return tuple(m for m in MISCONCEPTIONS if m.function == function)


def _same(actual, predicted, rtol: float) -> bool:
    if isinstance(predicted, tuple):  # a cache: compared elsewhere, never part of a misconception's signature
        return True
    a, p = np.asarray(actual), np.asarray(predicted)
    if a.shape != p.shape:
        return False
    if p.dtype == bool or a.dtype == bool:
        return bool(np.array_equal(a.astype(bool), p.astype(bool)))
    scale = max(float(np.max(np.abs(p), initial=0.0)), 1e-300)
    return bool(np.all(np.abs(a.astype(np.float64) - p) <= rtol * scale))


def identify(function: str, case, actual: dict, rtol: float = 1e-7, version: str = LATEST) -> list[str]:
    """The codes of the misconceptions that apply to `case` and whose prediction every output of `actual` matches.

    The predictions assume the contract of 2018 and later; under "v1-2017" the conv_forward predictions
    would need its bias, f*f*n_C_prev * b (not done yet), and CONV_STEP_BIAS_IN_SUM is that version's answer.
    """
    found = []
    for m in for_function(function):
        if version not in m.right_in and m.applies(case):
            predicted = m.compute(case)
            if all(name in actual and _same(actual[name], value, rtol) for name, value in predicted.items()):
                found.append(m.code)
    return found
