"""Pack 2's misconceptions told apart: which ones a submission's outputs show on a case.

Evidence is a comparison: `identify` names the misconceptions (catalogue.py) whose prediction a
submission's outputs match, on the cases where no other mistake gives the same numbers (`distinct`).
The table, and the few building blocks of the predictions that diagnosis.py and the tests use, are
re-exported here.
"""

from __future__ import annotations

import numpy as np

from grader.packs.conv_step_by_step.catalogue import BY_CODE, MISCONCEPTIONS, Misconception, for_function  # noqa: F401
from grader.packs.conv_step_by_step.interface import LATEST
from grader.packs.conv_step_by_step.predictions import _conv_sizes, _fits_f_steps, _pad, _pool_windows  # noqa: F401


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


def _predictions(function: str, case, version: str) -> dict[str, dict]:
    return {
        m.code: m.compute(case)
        for m in for_function(function)
        if m.compute is not None and version not in m.right_in and m.applies(case)
    }


def _alike(one: dict, other: dict, rtol: float) -> bool:
    return one.keys() == other.keys() and all(_same(one[k], other[k], rtol) for k in one)


def distinct(function: str, case, rtol: float = 1e-7, version: str = LATEST) -> set[str]:
    """The misconceptions that apply to `case` and that no other one gives the same numbers as there.

    dz / n_H * n_W is dz on a square window, as copying dz is; h * f is h when f = 1. Where two mistakes
    agree, what came back cannot say which one was made, so neither is tested there (never a guess).
    """
    predicted = _predictions(function, case, version)
    return {
        code
        for code, p in predicted.items()
        if not any(other != code and _alike(p, q, rtol) for other, q in predicted.items())
    }


def identify(function: str, case, actual: dict, rtol: float = 1e-7, version: str = LATEST) -> list[str]:
    """The codes of the misconceptions told apart on `case` (`distinct`) whose prediction every output of
    `actual` matches.

    The predictions assume the contract of 2018 and later; under "v1-2017" the conv_forward predictions
    would need its bias, f*f*n_C_prev * b (not done yet), and CONV_STEP_BIAS_IN_SUM is that version's answer.
    """
    predicted = _predictions(function, case, version)
    apart = distinct(function, case, rtol, version)
    return [
        code
        for code, p in predicted.items()
        if code in apart and all(name in actual and _same(actual[name], value, rtol) for name, value in p.items())
    ]
