"""Convolution model: Step by Step -- a correct submission in another style: vectorised NumPy.

np.pad for the padding, sliding windows (numpy.lib.stride_tricks) and einsum for the convolution, no loop
over examples, positions or channels anywhere (only over the f x f offsets of a window when gradients are
added back). It calls none of its own helpers, and un-pads with an explicit end, so pad 0 works too.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def zero_pad(X, pad):
    return np.pad(X, [(0, 0), (pad, pad), (pad, pad), (0, 0)])


def conv_single_step(a_slice_prev, W, b):
    return np.sum(a_slice_prev * W) + np.squeeze(b)


def _windows(X, f, stride):
    """(m, n_H, n_W, n_C, f, f): the f x f window of every output position, corners h * stride."""
    return sliding_window_view(X, (f, f), axis=(1, 2))[:, ::stride, ::stride]


def conv_forward(A_prev, W, b, hparameters):
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    windows = _windows(np.pad(A_prev, [(0, 0), (pad, pad), (pad, pad), (0, 0)]), f, stride)
    Z = np.einsum("mhwcij,ijcn->mhwn", windows, W) + b
    return Z, (A_prev, W, b, hparameters)


def pool_forward(A_prev, hparameters, mode="max"):
    windows = _windows(A_prev, hparameters["f"], hparameters["stride"])
    A = windows.max(axis=(4, 5)) if mode == "max" else windows.mean(axis=(4, 5))
    return A, (A_prev, hparameters)


def _add_back(shape, per_offset, f, stride):
    """Add per_offset[m, h, w, c, i, j] onto entry (h * stride + i, w * stride + j) of an array of `shape`."""
    out = np.zeros(shape)
    n_H, n_W = per_offset.shape[1:3]
    for i in range(f):
        for j in range(f):
            out[:, i:i + stride * (n_H - 1) + 1:stride, j:j + stride * (n_W - 1) + 1:stride, :] += per_offset[..., i, j]
    return out


def conv_backward(dZ, cache):
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    _, n_H_prev, n_W_prev, _ = A_prev.shape
    A_prev_pad = np.pad(A_prev, [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    windows = _windows(A_prev_pad, f, stride)
    dW = np.einsum("mhwcij,mhwn->ijcn", windows, dZ)
    db = np.sum(dZ, axis=(0, 1, 2), keepdims=True)
    dA_prev_pad = _add_back(A_prev_pad.shape, np.einsum("mhwn,ijcn->mhwcij", dZ, W), f, stride)
    dA_prev = dA_prev_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def create_mask_from_window(x):
    return np.equal(x, x.max())


def distribute_value(dz, shape):
    return np.full(shape, dz / np.prod(shape))


def pool_backward(dA, cache, mode="max"):
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    windows = _windows(A_prev, f, stride)
    upstream = dA[..., None, None]
    if mode == "max":
        per_offset = (windows == windows.max(axis=(4, 5), keepdims=True)) * upstream
    else:
        per_offset = np.broadcast_to(upstream / (f * f), windows.shape)
    return _add_back(A_prev.shape, per_offset, f, stride)
