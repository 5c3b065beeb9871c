"""Pack 2's graded functions: their signatures, what each returns, how a case becomes its arguments.

This is what an engine needs to call a submission's function on a case and to name what came back;
`outputs` lists the returned values in order (a single name: the function returns it bare, not in a
tuple). `in_course_grader` says whether the course's own grader scores it: in every version checked
(CONTRACT.md) the backward section is "OPTIONAL / UNGRADED", so a rubric may weigh it lower.
The arguments are the case's own arrays: an engine must hand a submission copies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from grader.packs.conv_step_by_step import cases as C


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    signature: str
    outputs: tuple[str, ...]
    arguments: Callable[[Any], tuple]
    in_course_grader: bool


def _both_modes(seed: int, n: int) -> list[C.PoolCase]:
    """Max and average pooling cases, alternating, max first."""
    maxes, averages = C.pool_cases(seed, (n + 1) // 2, "max"), C.pool_cases(seed, n // 2, "average")
    mixed = [case for pair in zip(maxes, averages) for case in pair] + maxes[len(averages) :]
    return [replace(case, index=k) for k, case in enumerate(mixed[:n])]


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec("zero_pad", "zero_pad(X, pad)", ("X_pad",), lambda c: (c.X, c.pad), True),
        FunctionSpec(
            "conv_single_step",
            "conv_single_step(a_slice_prev, W, b)",
            ("Z",),
            lambda c: (c.a_slice_prev, c.W, c.b),
            True,
        ),
        FunctionSpec(
            "conv_forward",
            "conv_forward(A_prev, W, b, hparameters)",
            ("Z", "cache"),
            lambda c: (c.A_prev, c.W, c.b, c.hparameters),
            True,
        ),
        FunctionSpec(
            "pool_forward",
            'pool_forward(A_prev, hparameters, mode = "max")',
            ("A", "cache"),
            lambda c: (c.A_prev, c.hparameters, c.mode),
            True,
        ),
        FunctionSpec(
            "conv_backward", "conv_backward(dZ, cache)", ("dA_prev", "dW", "db"), lambda c: (c.dZ, c.cache), False
        ),
        FunctionSpec("create_mask_from_window", "create_mask_from_window(x)", ("mask",), lambda c: (c.x,), False),
        FunctionSpec("distribute_value", "distribute_value(dz, shape)", ("a",), lambda c: (c.dz, c.shape), False),
        FunctionSpec(
            "pool_backward",
            'pool_backward(dA, cache, mode = "max")',
            ("dA_prev",),
            lambda c: (c.dA, c.cache, c.mode),
            False,
        ),
    )
}

ORDER = tuple(FUNCTIONS)  # the notebook's order

# The notebook's versions, oldest first, named by file name and year (both the first and the latest are
# "v1"). Only one contract differs: the 2017 notebook's conv_single_step adds the bias inside the sum,
# Z = sum(a_slice_prev * W + b) = sum(a_slice_prev * W) + f*f*n_C_prev * b, and its expected outputs
# (Z = -23.1602122025, Z's mean = 0.155859324889) follow; from 2018 on Z = sum(a_slice_prev * W) + b.
VERSIONS = ("v1-2017", "v2-2018", "v2a-2019", "v1-2021")
BIAS_IN_SUM_VERSIONS = frozenset({"v1-2017"})
LATEST = VERSIONS[-1]
YEARS = {"v1-2017": "2017", "v2-2018": "2018", "v2a-2019": "2019-2020", "v1-2021": "2021 and later"}
# The rule a version's checks judge by (`Version.grads_keys`, handed to `Check.judge` as `keys`): every
# version but 2017 is "current"; the units whose answers differ keep the 2017 ones beside (VersionedInput).
BIAS_IN_SUM = "bias-in-sum"
VERSIONED_UNITS = ("conv_single_step", "end_to_end")

_GENERATORS: dict[str, Callable[[int, int], list]] = {
    "zero_pad": C.zero_pad_cases,
    "conv_single_step": C.conv_single_step_cases,
    "conv_forward": C.conv_cases,
    "pool_forward": _both_modes,
    "conv_backward": lambda seed, n: C.conv_cases(seed, n, backward=True),
    "create_mask_from_window": C.window_cases,
    "distribute_value": C.distribute_cases,
    "pool_backward": _both_modes,
}


def scored_cases(function: str, seed: int, n: int) -> list:
    """The cases a function is scored on: edge cases first, no pad 0 for conv_backward, no max-pool ties."""
    return _GENERATORS[function](seed, n)
