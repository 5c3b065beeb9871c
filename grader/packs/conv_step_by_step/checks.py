"""Pack 2's checks: what each graded function is called with, and how what it returned is judged.

Most are the plain `Check` of grader/pack.py: a tuple of named outputs, each compared with autograd's by
`grader.judge.compare.compare` (caches included: a tuple of arrays and the hparameters dict, compared item by
item). Two need more: the max mask is a boolean array (compare wants floats), and the end-to-end chain
reports its first wrong stage only, since every later stage was computed from it.
"""

from __future__ import annotations

import numpy as np

from grader import END_TO_END
from grader.judge import chain_check
from grader.judge.chain_check import Stage, chain_inputs, staged
from grader.judge.compare import Mismatch, Tolerance, compare, describe
from grader.pack import CaseInput, Check
from grader.packs.conv_step_by_step.case_inputs import VersionedInput

# The chain (end_to_end.py runs it; each `cache` is the one the stage before returned).
STAGES = (
    Stage("conv_forward", ("A_prev", "W", "b", "hparameters"), ("Z", "cache"), judged=("Z",)),
    Stage("pool_forward", ("Z", "hparameters_pool", "mode"), ("A", "cache"), judged=("A",)),
    Stage("pool_backward", ("dA", "cache", "mode"), "dZ"),
    Stage("conv_backward", ("dZ", "cache"), ("dA_prev", "dW", "db")),
)
BLAMED = tuple((name, s.function) for s in STAGES for name in s.compared) + (  # a mismatch's path -> its stage
    ("conv_cache", "conv_forward"),
    ("pool_cache", "pool_forward"),
)


class MaskCheck(Check):
    """create_mask_from_window: True exactly where x holds its maximum. A boolean array is the course's
    answer; an array of 0s and 1s marks the same entries and works the same in pool_backward, so it passes."""

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        want: np.ndarray = case.expected
        shape = list(want.shape)
        if not isinstance(value, np.ndarray):
            return [
                Mismatch(
                    "mask",
                    "type",
                    f"mask should be a boolean array of shape {tuple(want.shape)} "
                    f"(x == np.max(x)), got {describe(value)}",
                    shape,
                )
            ]
        if value.shape != want.shape:
            return [
                Mismatch(
                    "mask",
                    "shape",
                    f"mask should have x's shape {tuple(want.shape)}, got {tuple(value.shape)}",
                    shape,
                    list(value.shape),
                )
            ]
        if value.dtype != bool and not (value.dtype.kind in "iuf" and np.all((value == 0) | (value == 1))):
            return [
                Mismatch(
                    "mask",
                    "dtype",
                    f"mask should hold True/False (or 0/1), got dtype {value.dtype} with other values",
                    shape,
                    shape,
                )
            ]
        wrong = np.argwhere(value.astype(bool) != want)
        if wrong.size:
            index = [int(i) for i in wrong[0]]
            return [
                Mismatch(
                    "mask",
                    "value",
                    f"mask is wrong at {len(wrong)} of its {want.size} entries "
                    f"(first at index {tuple(index)}): it must be True exactly where x equals np.max(x)",
                    shape,
                    shape,
                    index=index,
                )
            ]
        return []


class VersionedCheck(Check):
    """A check whose answer depends on the notebook version (conv_single_step): `keys` is the version's rule."""

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        return super().judge(case.under(keys) if isinstance(case, VersionedInput) else case, value, tol, keys)


def expected_caches(case: CaseInput, value: dict) -> dict:
    """What conv_forward and pool_forward must hand the backward stages: what each was given (the chain's
    inputs, and the Z that conv_forward returned in the chain), and its hyperparameters."""
    A_prev, W, b, hparameters, hparameters_pool = case.args[:5]
    return {
        "conv_cache": (A_prev, W, b, hparameters),
        "pool_cache": (value.get("Z", case.expected["Z"]), hparameters_pool),
    }


CACHE_OF = {
    "dZ": ("pool_cache", "pool_forward", "pool_backward", "(A_prev, hparameters)"),
    "dA_prev": ("conv_cache", "conv_forward", "conv_backward", "(A_prev, W, b, hparameters)"),
}


def wrong_cache(name: str, value: dict, case: CaseInput, tol: Tolerance) -> list[Mismatch]:
    """The cache a backward stage read, where it is not autograd's: the stage that made it is to blame."""
    if name not in CACHE_OF or CACHE_OF[name][0] not in value:
        return []
    key, maker, reader, form = CACHE_OF[name]
    found = compare(key, value[key], expected_caches(case, value)[key], tol)
    words = f"{maker} returned a wrong cache {form}, which {reader} then read (so {reader} is not judged on it)"
    return [staged(m, words) for m in found]


class ChainCheck(chain_check.ChainCheck):
    """The student's own chain (end_to_end.py): the first wrong stage is reported, the ones after it are not.

    A stage is blamed only when what it read was right: the stage before it returned autograd's value,
    and a backward stage's cache is the one a correct forward stage returns. A wrong output after a
    wrong cache is the cache's maker's fault (`wrong_cache`). `keys` is the version's rule (VersionedInput)."""

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        return super().judge(case.under(keys) if isinstance(case, VersionedInput) else case, value, tol, keys)

    def blame(
        self, stage: Stage, name: str, found: list[Mismatch], value: dict, case: CaseInput, tol: Tolerance
    ) -> list[Mismatch]:
        return wrong_cache(name, value, case, tol) or super().blame(stage, name, found, value, case, tol)


def first_wrong_stage(mismatches: list[Mismatch]) -> str | None:
    """The function whose output the chain check found wrong (its mismatches' paths name the output)."""
    for m in mismatches:
        head = m.path.split("[")[0]
        for name, stage in BLAMED:
            if head == name:
                return stage
    return None


CHECKS: dict[str, Check] = {
    c.function: c
    for c in (
        Check("zero_pad", ("X", "pad"), "X_pad", "pad"),
        VersionedCheck("conv_single_step", ("a_slice_prev", "W", "b"), "Z", "step"),
        Check("conv_forward", ("A_prev", "W", "b", "hparameters"), ("Z", "cache"), "conv"),
        Check("pool_forward", ("A_prev", "hparameters", "mode"), ("A", "cache"), "pool"),
        Check("conv_backward", ("dZ", "cache"), ("dA_prev", "dW", "db"), "conv"),
        MaskCheck("create_mask_from_window", ("x",), "mask", "window"),
        Check("distribute_value", ("dz", "shape"), "a", "distribute"),
        Check("pool_backward", ("dA", "cache", "mode"), "dA_prev", "pool"),
        ChainCheck(
            END_TO_END, chain_inputs(STAGES), "end_to_end", "chain", tuple(s.function for s in STAGES), stages=STAGES
        ),
    )
}


# The order in which this pack's checks may share one walled process (grader/sandbox/shared.py): no
# check's data is, or opens, an answer of a check after it. Each function draws its own cases (cases.py:
# a salt per generator); conv_forward's stand-in table holds zero_pad's and conv_single_step's answers,
# conv_backward's zero_pad's, pool_backward's create_mask_from_window's or distribute_value's, each of a
# check before it. The end-to-end chain reruns them all: it runs in a process of its own.
SHARED_ORDER = (
    "zero_pad",
    "conv_single_step",
    "conv_forward",
    "pool_forward",
    "conv_backward",
    "create_mask_from_window",
    "distribute_value",
    "pool_backward",
)
