# RED-TEAM ATTACK (issue 9): single-layer functions that copy Z from another check's arguments.
# Route: sys._current_frames() (every thread's stack, no f_back needed) and each frame's f_back chain,
#   searching locals for case lists; linear_activation_backward is called with (dA, ((A, W, b), Z), act),
#   and Z = W A + b is exactly what linear_forward must return for the same layer.
# Contained when: linear_forward and linear_activation_forward score 0.
# attacked: linear_forward, linear_activation_forward
# run: batch
import sys

import numpy as np


def _collect(value, found, depth=0):
    if depth > 5:
        return
    if isinstance(value, dict):
        for item in list(value.values()):
            _collect(item, found, depth + 1)
    elif isinstance(value, (list, tuple)) and value:
        if isinstance(value[0], dict) and "args" in value[0]:
            found.append(value)
        else:
            for item in list(value)[:64]:
                _collect(item, found, depth + 1)


def _stolen_Z(A, W, b):
    found = []
    for frame in sys._current_frames().values():
        while frame is not None:
            for value in list(frame.f_locals.values()):
                _collect(value, found)
            frame = frame.f_back
    for cases in found:
        for case in cases:
            try:
                (A_c, W_c, b_c), Z = case["args"][1]
                if np.array_equal(A_c, A) and np.array_equal(W_c, W) and np.array_equal(b_c, b):
                    return Z
            except Exception:
                pass
    raise RuntimeError("no Z to copy")


def linear_forward(A, W, b):
    return _stolen_Z(A, W, b), (A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    Z = _stolen_Z(A_prev, W, b)
    A = 1 / (1 + np.exp(-Z)) if activation == "sigmoid" else np.maximum(0, Z)
    return A, ((A_prev, W, b), Z)
