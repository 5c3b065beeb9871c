"""Pack 2's misconceptions as data: each one a stable code, its explanation, and what the mistake returns.

`compute(case)` (predictions.py) gives every output a function with that mistake returns on a case (keyed
by the course's names, as oracle.py keys the right ones); `applies(case)` says whether the mistake
changes the answer on that case at all (no stride mistake shows with stride 1). The tests check each
against a hand-written buggy loop version and against the right answer. Three of them were found in
public copies of the notebook (CONTRACT.md): CONV_BACKWARD_NO_STRIDE and POOL_BACKWARD_NO_STRIDE, which
the course's own checks long missed, and MASK_IS_MAX_VALUE. misconceptions.py tells them apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.packs.conv_step_by_step.interface import BIAS_IN_SUM_VERSIONS
from grader.packs.conv_step_by_step.predictions import (
    _avg_pool_not_divided,
    _bias_in_sum,
    _bias_left_out,
    _conv_backward_da_prev_padded,
    _conv_backward_db_wrong_axes,
    _conv_backward_divided_by_m,
    _conv_backward_no_stride,
    _conv_backward_right,
    _conv_forward_bias_twice,
    _conv_forward_no_stride,
    _conv_forward_size_without_pad,
    _conv_sizes,
    _da_prev_not_accumulated,
    _db_not_accumulated,
    _distribute_not_divided,
    _distribute_precedence,
    _dw_not_accumulated,
    _fits_f_steps,
    _mask_column_max,
    _mask_is_max_value,
    _max_mask_all_channels,
    _pool_backward_f_as_stride,
    _pool_backward_no_stride,
    _pool_backward_not_accumulated,
    _pool_backward_right,
    _pool_forward_all_channels,
    _pool_forward_f_as_stride,
    _pool_forward_no_stride,
    _pool_forward_right,
    _shows,
    _strided,
    _unpadded_sizes,
    _zero_pad_all_axes,
)


@dataclass(frozen=True)
class Misconception:
    code: str
    function: str
    title: str
    explanation: str
    expected: str
    applies: Callable[[Any], bool]  # each function's own case type (cases.py)
    compute: Callable[[Any], dict] | None  # None: only a refused stand-in call shows it (diagnosis.call_evidence)
    right_in: frozenset = frozenset()  # notebook versions whose own contract this is (interface.VERSIONS)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    # --- the first fifteen ----------------------------------------------------------------------------
    Misconception(
        "ZERO_PAD_ALL_AXES",
        "zero_pad",
        "Every axis is padded, not just height and width",
        "X has shape (m, n_H, n_W, n_C) and padding belongs to the image only: its height and width. "
        "np.pad(X, pad) pads all four axes, adding 2*pad zero examples and 2*pad zero channels.",
        "X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant', constant_values=(0, 0))",
        lambda c: c.pad > 0,
        _zero_pad_all_axes,
    ),
    Misconception(
        "CONV_STEP_BIAS_IN_SUM",
        "conv_single_step",
        "The bias is added to every entry before the sum",
        "Z = sum(a_slice_prev * W) + b: one bias per filter, added once to the sum. np.sum(a_slice_prev * W + b) "
        "adds b to each of the f*f*n_C_prev products, so Z carries f*f*n_C_prev times b. (The 2017 notebook asked "
        "for exactly this, and its expected Z = -23.1602122025 follows; it is right under that version only.)",
        "Z = np.sum(np.multiply(a_slice_prev, W)) + float(b)",
        lambda c: c.a_slice_prev.size > 1 and c.b.item() != 0,
        _bias_in_sum,
        right_in=BIAS_IN_SUM_VERSIONS,
    ),
    Misconception(
        "CONV_FORWARD_NO_STRIDE",
        "conv_forward",
        "The window corners forget the stride",
        "Output position (h, w) reads the window whose top-left corner is (h*stride, w*stride) of a_prev_pad. "
        "With vert_start = h and horiz_start = w the windows slide one pixel at a time, whatever the stride: "
        "Z has the right shape, but its values come from the wrong windows.",
        "vert_start = h * stride; vert_end = vert_start + f; horiz_start = w * stride; horiz_end = horiz_start + f",
        _strided,
        _conv_forward_no_stride,
    ),
    Misconception(
        "CONV_FORWARD_SIZE_WITHOUT_PAD",
        "conv_forward",
        "The output size leaves out the padding",
        "The output of a convolution has n_H = floor((n_H_prev - f + 2*pad) / stride) + 1 rows: the windows "
        "slide over the padded input. The pooling formula floor((n_H_prev - f) / stride) + 1 gives fewer rows "
        "and columns than the padded input holds.",
        "n_H = int((n_H_prev - f + 2 * pad) / stride) + 1; n_W = int((n_W_prev - f + 2 * pad) / stride) + 1",
        lambda c: min(c.A_prev.shape[1:3]) >= c.f and _unpadded_sizes(c) != _conv_sizes(c),
        _conv_forward_size_without_pad,
    ),
    Misconception(
        "CONV_BACKWARD_NO_STRIDE",
        "conv_backward",
        "The window corners forget the stride in the backward pass",
        "dZ[i, h, w, c] flows back through the same window that produced Z[i, h, w, c], whose corner is "
        "(h*stride, w*stride). With vert_start = h, dW collects the wrong slices a_slice and dA_prev receives "
        "W[:, :, :, c] * dZ[i, h, w, c] at the wrong places; db, which needs no window, stays right. "
        "(The 2017 notebook tested conv_backward with stride 1 only, where this cannot show.)",
        "vert_start = h * stride; horiz_start = w * stride (the same corners as conv_forward)",
        _strided,
        _conv_backward_no_stride,
    ),
    Misconception(
        "CONV_BACKWARD_DIVIDED_BY_M",
        "conv_backward",
        "dW and db are divided by m",
        "The course's conv_backward adds up the contributions of every example, window and position: "
        "dW_c += a_slice * dZ[i, h, w, c] and db_c += dZ[i, h, w, c], summed over i with no 1/m (its own test "
        "expects db_mean = 7.839, the sum). The 1/m of course 1's linear_backward does not belong here.",
        "dW[:, :, :, c] += a_slice * dZ[i, h, w, c]; db[:, :, :, c] += dZ[i, h, w, c]",
        lambda c: c.m > 1,
        _conv_backward_divided_by_m,
    ),
    Misconception(
        "CONV_BACKWARD_DA_PREV_PADDED",
        "conv_backward",
        "dA_prev is returned padded",
        "The gradients are accumulated into da_prev_pad, the padded example, of shape "
        "(n_H_prev + 2*pad, n_W_prev + 2*pad, n_C_prev). dA_prev is the gradient with respect to A_prev, "
        "so the padding must be cut off again.",
        "dA_prev[i, :, :, :] = da_prev_pad[pad:-pad, pad:-pad, :]",
        lambda c: c.pad > 0,
        _conv_backward_da_prev_padded,
    ),
    Misconception(
        "CONV_BACKWARD_DB_WRONG_AXES",
        "conv_backward",
        "db is summed over the wrong axes",
        "db has one entry per filter c, shape (1, 1, 1, n_C): db_c is dZ[:, :, :, c] summed over the examples, "
        "the height and the width (axes 0, 1, 2). Summing over axes 1, 2 and 3 gives one number per example "
        "instead, mixing the filters together.",
        "db = np.sum(dZ, axis=(0, 1, 2), keepdims=True), which the loops build as db[:, :, :, c] += dZ[i, h, w, c]",
        lambda c: not (c.m == 1 and c.W.shape[3] == 1),
        _conv_backward_db_wrong_axes,
    ),
    Misconception(
        "POOL_FORWARD_NO_STRIDE",
        "pool_forward",
        "The pooling windows forget the stride",
        "Output position (h, w) pools the f x f window whose corner is (h*stride, w*stride) of A_prev[i]. "
        "With vert_start = h the windows slide one pixel at a time, whatever the stride.",
        "vert_start = h * stride; vert_end = vert_start + f; horiz_start = w * stride; horiz_end = horiz_start + f",
        lambda c: _strided(c) and _shows(c, _pool_forward_no_stride, _pool_forward_right),
        _pool_forward_no_stride,
    ),
    Misconception(
        "POOL_BACKWARD_NO_STRIDE",
        "pool_backward",
        "The window corners forget the stride in the pooling backward pass",
        "dA[i, h, w, c] goes back to the window that produced A[i, h, w, c], whose corner is (h*stride, w*stride). "
        "With vert_start = h the gradient lands in the wrong windows (and, for max pooling, on the wrong maxima). "
        "The course tests pool_backward with stride 1 only, where this cannot show.",
        "vert_start = h * stride; horiz_start = w * stride (the same corners as pool_forward)",
        lambda c: _strided(c) and _shows(c, _pool_backward_no_stride, _pool_backward_right),
        _pool_backward_no_stride,
    ),
    Misconception(
        "MAX_MASK_ALL_CHANNELS",
        "pool_backward",
        "The max mask is taken over every channel of the window",
        "Max pooling works on each channel on its own: A[i, h, w, c] is the maximum of "
        "a_prev[vert_start:vert_end, horiz_start:horiz_end, c]. Taking the slice with ':' for the channel "
        "finds the maximum over all channels, and every channel's dA[i, h, w, c] is sent to that one entry.",
        "a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]; "
        "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]",
        lambda c: c.mode == "max" and c.A_prev.shape[3] > 1,
        _max_mask_all_channels,
    ),
    Misconception(
        "AVG_POOL_GRADIENT_NOT_DIVIDED",
        "pool_backward",
        "Average pooling's gradient is not divided by f*f",
        "Each entry of an f x f window contributes 1/(f*f) of the average, so each receives dA[i, h, w, c] / (f*f), "
        "which distribute_value(da, (f, f)) computes. Adding the whole dA[i, h, w, c] to every entry makes the "
        "gradient f*f times too large.",
        "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(dA[i, h, w, c], (f, f))",
        lambda c: c.mode == "average" and c.f > 1,
        _avg_pool_not_divided,
    ),
    Misconception(
        "MASK_COLUMN_MAX",
        "create_mask_from_window",
        "The mask marks each column's maximum",
        "The mask is True where x equals the maximum of the whole window, np.max(x). np.max(x, axis=0) is the "
        "maximum of each column, so the mask marks one entry per column and max pooling's gradient is sent to "
        "entries that were not the maximum.",
        "mask = (x == np.max(x))",
        lambda c: c.x.shape[1] > 1,
        _mask_column_max,
    ),
    Misconception(
        "MASK_IS_MAX_VALUE",
        "create_mask_from_window",
        "The mask is the maximum itself, not where it is",
        "create_mask_from_window returns an array of x's shape, True where x equals its maximum and False "
        "elsewhere. np.max(x) is the maximum's value, a number: multiplied by dA[i, h, w, c] in pool_backward it "
        "sends max(x) * dA[i, h, w, c] to every entry of the window instead of dA[i, h, w, c] to the maximum alone.",
        "mask = (x == np.max(x))",
        lambda c: True,
        _mask_is_max_value,
    ),
    Misconception(
        "DISTRIBUTE_NOT_DIVIDED",
        "distribute_value",
        "dz is copied, not shared out",
        "In average pooling every entry of the (n_H, n_W) window has the same influence, 1/(n_H*n_W), on the "
        "output, so each receives dz / (n_H * n_W) and the entries add up to dz. np.ones(shape) * dz hands the "
        "whole of dz to every entry.",
        "average = dz / (n_H * n_W); a = np.ones(shape) * average",
        lambda c: c.shape[0] * c.shape[1] > 1 and c.dz != 0,
        _distribute_not_divided,
    ),
    # --- found in the course's forum threads and students' copies (issue 22, item 5) ----------------
    Misconception(
        "CONV_STEP_BIAS_LEFT_OUT",
        "conv_single_step",
        "The bias is left out",
        "conv_single_step is one output value of the convolution: Z = sum(a_slice_prev * W) + b. The notebook's "
        "hint 'Do not add the bias yet' is about the sum s alone; Z still needs b, added once (float(b), since b "
        "has shape (1, 1, 1)). Without it every entry of conv_forward's Z is off by its filter's bias.",
        "Z = np.sum(np.multiply(a_slice_prev, W)); Z = Z + float(b)",
        lambda c: c.b.item() != 0,
        _bias_left_out,
    ),
    Misconception(
        "CONV_FORWARD_BIAS_TWICE",
        "conv_forward",
        "The bias is added again after conv_single_step",
        "conv_single_step(a_slice_prev, weights, biases) already adds the filter's bias. Adding b[:, :, :, c] "
        "to its result once more puts 2 * b into every entry of Z.",
        "Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)",
        lambda c: bool(np.any(c.b != 0)),
        _conv_forward_bias_twice,
    ),
    Misconception(
        "CONV_FORWARD_ONE_CHANNEL_SLICE",
        "conv_forward",
        "The window is sliced from one channel only",
        "A filter W[:, :, :, c] spans every input channel, so the window it multiplies is "
        "a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :], of shape (f, f, n_C_prev). Writing c for the "
        "channel, as pooling does, takes one channel of shape (f, f), and uses the filter's index as a channel's.",
        "a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]",
        lambda c: True,
        None,
    ),
    Misconception(
        "CONV_BACKWARD_DW_NOT_ACCUMULATED",
        "conv_backward",
        "dW is assigned, not accumulated",
        "dW[:, :, :, c] is the sum over every example i and output position (h, w) of a_slice * dZ[i, h, w, c]. "
        "Writing dW[:, :, :, c] = ... instead of += keeps only the last term, that of the last example's last "
        "position.",
        "dW[:, :, :, c] += a_slice * dZ[i, h, w, c]",
        lambda c: _shows(c, _dw_not_accumulated, _conv_backward_right),
        _dw_not_accumulated,
    ),
    Misconception(
        "CONV_BACKWARD_DB_NOT_ACCUMULATED",
        "conv_backward",
        "db is assigned, not accumulated",
        "db[:, :, :, c] is dZ[:, :, :, c] summed over every example and position. Writing db[:, :, :, c] = "
        "dZ[i, h, w, c] instead of += keeps only the last one, dZ[m-1, n_H-1, n_W-1, c].",
        "db[:, :, :, c] += dZ[i, h, w, c]",
        lambda c: _shows(c, _db_not_accumulated, _conv_backward_right),
        _db_not_accumulated,
    ),
    Misconception(
        "CONV_BACKWARD_DA_PREV_NOT_ACCUMULATED",
        "conv_backward",
        "dA_prev's windows are assigned, not accumulated",
        "An entry of A_prev feeds every window that covers it and every filter c, so its gradient is the sum of "
        "W[:, :, :, c] * dZ[i, h, w, c] over all of them. da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] "
        "= ... instead of += keeps only the last window's and the last filter's share.",
        "da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]",
        lambda c: _shows(c, _da_prev_not_accumulated, _conv_backward_right),
        _da_prev_not_accumulated,
    ),
    Misconception(
        "POOL_FORWARD_F_AS_STRIDE",
        "pool_forward",
        "The pooling windows step by f, not by the stride",
        "Output position (h, w) pools the window whose corner is (h*stride, w*stride). vert_start = h * f "
        "steps by the window's size instead: right only when stride = f, the common 2 x 2 pooling with stride 2.",
        "vert_start = h * stride; horiz_start = w * stride",
        lambda c: c.stride != c.f and _fits_f_steps(c) and _shows(c, _pool_forward_f_as_stride, _pool_forward_right),
        _pool_forward_f_as_stride,
    ),
    Misconception(
        "POOL_FORWARD_ALL_CHANNELS",
        "pool_forward",
        "Each window is pooled over every channel",
        "Pooling works on each channel on its own: A[i, h, w, c] pools A_prev[i, vert_start:vert_end, "
        "horiz_start:horiz_end, c]. With ':' for the channel, every channel of the output gets the maximum (or "
        "mean) of all channels' window together.",
        "a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]",
        lambda c: c.A_prev.shape[3] > 1 and _shows(c, _pool_forward_all_channels, _pool_forward_right),
        _pool_forward_all_channels,
    ),
    Misconception(
        "POOL_BACKWARD_F_AS_STRIDE",
        "pool_backward",
        "The pooling backward pass steps by f, not by the stride",
        "dA[i, h, w, c] goes back to the window whose corner is (h*stride, w*stride), the one pool_forward read. "
        "vert_start = h * f puts it at (h*f, w*f): right only when stride = f. (Not the same as leaving the "
        "stride out: those windows start at (h, w).)",
        "vert_start = h * stride; horiz_start = w * stride (the same corners as pool_forward)",
        lambda c: c.stride != c.f and _fits_f_steps(c) and _shows(c, _pool_backward_f_as_stride, _pool_backward_right),
        _pool_backward_f_as_stride,
    ),
    Misconception(
        "POOL_BACKWARD_NOT_ACCUMULATED",
        "pool_backward",
        "Overlapping windows' gradients are assigned, not accumulated",
        "When windows overlap (stride < f) an entry of A_prev can receive gradient from several of them, and "
        "the shares add up. dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] = ... instead of += "
        "overwrites what the earlier windows put there (for max pooling, with the mask's zeros too).",
        "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]",
        lambda c: c.stride < c.f and _shows(c, _pool_backward_not_accumulated, _pool_backward_right),
        _pool_backward_not_accumulated,
    ),
    Misconception(
        "DISTRIBUTE_PRECEDENCE",
        "distribute_value",
        "dz / n_H * n_W: the division binds first",
        "Python reads dz / n_H * n_W as (dz / n_H) * n_W, which multiplies by n_W instead of dividing by it. "
        "Each entry should receive dz / (n_H * n_W); the parentheses are needed.",
        "average = dz / (n_H * n_W)",
        lambda c: c.shape[1] > 1 and c.dz != 0,
        _distribute_precedence,
    ),
)

BY_CODE = {m.code: m for m in MISCONCEPTIONS}


def for_function(function: str) -> tuple[Misconception, ...]:
    return tuple(m for m in MISCONCEPTIONS if m.function == function)
