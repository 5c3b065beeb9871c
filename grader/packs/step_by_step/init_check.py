"""Initialisation: what the course asks, checked as exactly as the evidence allows.

The course draws every W[l] with `np.random.randn(n[l], n[l-1]) * 0.01` (standard normal, scaled) and
sets every b[l] to `np.zeros((n[l], 1))`; its templates seed the generator inside the function
(`np.random.seed(1)` for the two-layer version, `np.random.seed(3)` for the deep one). So:

- where the draws follow the template's order under one of those seeds, the values must be exactly
  the course's (and a copy that draws `np.random.rand` under the seed is recognised as uniform);
- otherwise no single answer exists, and the draws are checked as a sample: all the W entries of every
  case together must look like 0.01 times a standard normal (mean near 0, both signs, a standard
  deviation near 0.01, not flat like a uniform). Each bound is six standard errors wide, so correct
  code fails it about once in a billion gradings; below 30 entries nothing is claimed.

The scale is 0.01 in every version of the Step by Step notebook; the `/ np.sqrt(n[l-1])` scaling
belongs to the week's other notebook (Deep Neural Network - Application), not to this one.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from grader.judge.compare import Mismatch

SEEDS = (1, 3, 2)  # the templates' seeds (shallow, deep), then the other one students use
SCALE = 0.01
MIN_SAMPLE = 30  # fewer W entries than this say nothing about a distribution
FLAT_SAMPLE = 1000  # the kurtosis test (uniform against normal) needs this many
SIGMAS = 6.0


def weight_shapes(function: str, args: tuple) -> list[tuple[str, tuple[int, int]]]:
    """The W's in the template's order of drawing, with their shapes."""
    if function == "initialize_parameters":
        n_x, n_h, n_y = args
        return [("W1", (n_h, n_x)), ("W2", (n_y, n_h))]
    (dims,) = args
    return [(f"W{l}", (dims[l], dims[l - 1])) for l in range(1, len(dims))]


@functools.lru_cache(maxsize=4096)
def _draws(shapes: tuple, seed: int, kind: str) -> dict[str, np.ndarray]:
    """The template's draws under `seed`: the same for every submission graded on a case, so kept (they
    were a tenth of the trusted side's time per submission). Read-only: the arrays are only compared."""
    state = np.random.RandomState(seed)
    draw = state.randn if kind == "randn" else state.rand
    out = {key: draw(*shape) * SCALE for key, shape in shapes}
    for array in out.values():
        array.setflags(write=False)
    return out


_TRIES = tuple((kind, seed) for kind in ("randn", "rand") for seed in SEEDS)
_EXACT_FLOATS = (np.float64, np.float32, np.float16)  # float(x) is exact: x - want is what NumPy computes


@functools.lru_cache(maxsize=4096)
def _first_draws(shapes: tuple) -> tuple[float, ...]:
    """The first entry of the first W under each of `_TRIES` (nan where that W is empty)."""
    out = []
    for kind, seed in _TRIES:
        first = _draws(shapes, seed, kind)[shapes[0][0]].reshape(-1)
        out.append(float(first[0]) if first.size else math.nan)
    return tuple(out)


def seeded_match(function: str, args: tuple, value: dict) -> tuple[str, int] | None:
    """('randn' or 'rand', seed) when every W equals that draw, in the template's order, under that seed."""
    shapes = tuple(weight_shapes(function, args))
    if not all(isinstance(value.get(k), np.ndarray) and value[k].shape == s for k, s in shapes):
        return None
    got: np.ndarray = value[shapes[0][0]] if shapes else np.empty(0)  # the first W (none: nothing to try first)
    quick = got.size > 0 and got.dtype.type in _EXACT_FLOATS
    g = float(got.reshape(-1)[0]) if quick else 0.0
    firsts = _first_draws(shapes) if quick else ()
    for k, (kind, seed) in enumerate(_TRIES):
        if quick and not abs(g - firsts[k]) <= 1e-12 + 1e-6 * abs(firsts[k]):
            continue  # the first draw already differs (_close on one entry, in floats): most tries end here
        want = _draws(shapes, seed, kind)
        if not quick and got.size and not _close(got.reshape(-1)[:1], want[shapes[0][0]].reshape(-1)[:1]):
            continue
        if all(_close(value[key], want[key]) for key, _ in shapes):
            return kind, seed
    return None


def _close(got: np.ndarray, want: np.ndarray) -> bool:
    """np.allclose(got, want, rtol=1e-6, atol=1e-12) for arrays of one shape, without its generality
    (it was a tenth of the trusted side's time per submission); NaN is never close."""
    return bool((np.abs(got - want) <= 1e-12 + 1e-6 * np.abs(want)).all())


def uniform_mismatch(seed: int) -> Mismatch:
    return Mismatch(
        "parameters",
        "distribution",
        f"the weights equal np.random.rand(...) * 0.01 under np.random.seed({seed}): "
        "uniform on [0, 0.01), every entry positive. The course draws np.random.randn(...) * 0.01 "
        "(standard normal: mean 0, both signs)",
    )


def sample_problem(weights: list[np.ndarray]) -> str | None:
    """Why the pooled W entries are not 0.01 times standard normal draws, or None (also when too few to tell).

    Said without the sample's own statistics, which change from run to run for unseeded code: the
    same seed must give the same feedback, not only the same score."""
    z = np.concatenate([w.reshape(-1) for w in weights]).astype(np.float64) / SCALE if weights else np.zeros(0)
    n = z.size
    if n < MIN_SAMPLE:
        return None
    mean, std = float(z.mean()), float(z.std())
    seen = f"across the cases, the {n} entries of W"
    if (z > 0).all() or (z < 0).all():
        sign = "positive" if z[0] > 0 else "negative"
        return (
            f"{seen} are all {sign}: np.random.randn(...) * 0.01 has both signs (np.random.rand is uniform on [0, 1))"
        )
    if abs(mean) > SIGMAS / np.sqrt(n):
        side = "above" if mean > 0 else "below"
        return (
            f"{seen} have a mean well {side} 0 (more than {SIGMAS:g} standard errors): np.random.randn(...) * 0.01 "
            "draws have mean 0"
        )
    if abs(std - 1.0) > SIGMAS * np.sqrt(1.0 / (2 * n)) + 0.01:
        size = "larger" if std > 1 else "smaller"
        return (
            f"{seen} have a standard deviation clearly {size} than 0.01 (more than {SIGMAS:g} standard errors away): "
            "np.random.randn(...) * 0.01 draws have standard deviation 0.01"
        )
    if n >= FLAT_SAMPLE:
        kurtosis = float(np.mean(((z - mean) / std) ** 4) - 3.0) if std > 0 else 0.0
        if kurtosis < -SIGMAS * np.sqrt(24.0 / n):
            return f"{seen} are spread flat, as a uniform distribution is, not bell-shaped as normal draws are"
    return None


def review(function: str, cases: list, inputs: list) -> None:
    """After each case was judged on its own: the draws of the cases that passed, as one sample."""
    by_index = {inp.index: inp for inp in inputs}
    open_cases, weights = [], []
    for case in cases:
        inp = by_index.get(case.index)
        if not case.passed or inp is None or not isinstance(case.value, dict):
            continue
        if seeded_match(function, inp.args, case.value):
            continue  # exactly the course's own values
        open_cases.append(case)
        weights += [case.value[k] for k, _ in weight_shapes(function, inp.args)]
    problem = sample_problem(weights)
    if problem is None:
        return
    message = f"the weights are not drawn as np.random.randn(...) * 0.01: {problem}"
    for case in open_cases:
        case.mismatches = case.mismatches + [Mismatch("parameters", "distribution", message)]
        case.status = "failed"
