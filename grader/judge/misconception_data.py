"""Misconceptions as data, and the rules that name one only when the evidence holds.

A misconception is a code, a title, a message (what the mistake is and how to put it right), the
expected rule in a few words, and a variant: the wrong formula, computing what the mistake returns on a
case (`variant(args, right, seed)`: the function's arguments by name, autograd's right answer, the
case's NumPy seed; it may return `AnyOf(...)` where the mistake has several forms, such as the L2 term
missing in any one of three dW). The engine tests every failing case against every variant of the
function, by the rules pack 1's diagnosis keeps (grader/packs/step_by_step/diagnose.py, evidence.py):

- a case is evidence for a mistake when what came back equals the variant's value within the grader's
  tolerance, and that value is clearly different from the right one (by ten tolerances: a mistake that
  changes nothing on a case, 1/keep_prob with keep_prob = 1, cannot show there);
- a case where two mistakes compute the same value tells them apart for neither: it counts for no one
  (never told apart by guessing);
- a mistake is named when it fits at least two thirds of the failing cases where it could show, and at
  least two cases where others raised or ran out of time; correct code fails no case, so is never named.

In the end-to-end chain the same is asked of its first wrong stage, with autograd's inputs to that stage:
a later stage is never blamed for what an earlier one gave it (the check reports only the first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grader.judge.compare import Tolerance, compare
from grader.judge.results import Diagnosis

MAJORITY = 2 / 3
SEPARATION = 10.0  # a mistake's value must differ from the right one by this many tolerances


class AnyOf(tuple):
    """Several values a mistake may compute (one of them is the student's)."""


@dataclass(frozen=True)
class Misconception:
    code: str
    function: str  # the graded function it lives in
    title: str
    message: str  # what the mistake is, and how to put it right
    expected: str  # the right rule, in the course's notation
    variant: Callable  # (args: dict, right, seed) -> what the mistake returns (or AnyOf several)


@dataclass(frozen=True)
class Evidence:
    """What one failing case was compared with: the returned value (as the function returns it), the
    function's arguments by name, autograd's right answer, and the seed the case ran under."""

    label: str
    description: str
    value: object
    args: dict
    right: object
    seed: int | None
    only: tuple[str, ...] | None = None  # the returned items to compare (the chain records some only)


def _items(returns, value) -> dict | None:
    if isinstance(returns, str):
        return {returns: value}
    if isinstance(value, (tuple, list)) and len(value) == len(returns):
        return dict(zip(returns, value))
    return None


def same(returns, got, want, tol: Tolerance, masks: frozenset, only=None) -> bool:
    """`got` equals `want` within `tol`, item by item (only the items `only` names, where given)."""
    g, w = _items(returns, got), _items(returns, want)
    if g is None or w is None:
        return False
    names = [n for n in w if only is None or n in only]
    with np.errstate(all="ignore"):
        return all(not compare(n, g[n], w[n], tol, masks) for n in names)


def _wide(tol: Tolerance) -> Tolerance:
    return Tolerance(tol.rtol * SEPARATION, tol.atol_scale * SEPARATION, tol.atol * SEPARATION)


def _arrays(value):
    """A variant's value as compare wants an expected one: numbers as 0-d float64 arrays, all the way down."""
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)) and not isinstance(value, AnyOf):
        return type(value)(_arrays(v) for v in value)
    return value


def _candidates(m: Misconception, ev: Evidence) -> list:
    try:
        with np.errstate(all="ignore"):
            made = m.variant(ev.args, ev.right, ev.seed)
    except (ValueError, TypeError, IndexError, KeyError, ArithmeticError):
        return []  # the mistake cannot be computed on this case
    return [_arrays(v) for v in made] if isinstance(made, AnyOf) else [_arrays(made)]


def diagnose(
    misconceptions: tuple[Misconception, ...],
    returns,
    evidence: list[Evidence],
    unread: int,
    tol: Tolerance = Tolerance(),  # noqa: B008 - a frozen dataclass: one shared default is safe
    masks: frozenset = frozenset(),
) -> list[tuple[Misconception, list[int], int]]:
    """The misconceptions the failing cases show: (misconception, the indices into `evidence` it fits,
    how many cases it could show on), most common first. `unread`: failing cases with nothing to read."""
    hits: dict[str, list[int]] = {}
    testable: dict[str, int] = {}
    wide = _wide(tol)
    for i, ev in enumerate(evidence):
        shows: dict[str, list] = {}
        for m in misconceptions:
            made = [v for v in _candidates(m, ev) if not same(returns, v, ev.right, wide, masks, ev.only)]
            if made:
                shows[m.code] = made
        for m in misconceptions:
            if m.code not in shows:
                continue
            twins = [
                o
                for o in shows
                if o != m.code
                and any(same(returns, a, b, tol, masks, ev.only) for a in shows[m.code] for b in shows[o])
            ]
            if twins:
                continue  # another mistake computes the same here: this case tells them apart for neither
            testable[m.code] = testable.get(m.code, 0) + 1
            if any(same(returns, ev.value, v, tol, masks, ev.only) for v in shows[m.code]):
                hits.setdefault(m.code, []).append(i)
    enough = 2 if unread else 1
    order = [m.code for m in misconceptions]
    named = [
        (m, hits[m.code], testable[m.code])
        for m in misconceptions
        if m.code in hits and len(hits[m.code]) >= MAJORITY * testable[m.code] and len(hits[m.code]) >= enough
    ]
    return sorted(named, key=lambda t: (-len(t[1]), order.index(t[0].code)))


def make_diagnosis(
    m: Misconception, fits: list[int], testable: int, evidence: list[Evidence], unread: int, stage: str = ""
) -> Diagnosis:
    first = evidence[fits[0]]
    others = (
        f" ({unread} other failing case{'s' if unread != 1 else ''} raised an error or ran out of time)"
        if unread
        else ""
    )
    where = f"in the chain, {stage} returned" if stage else "it returned"
    return Diagnosis(
        m.code,
        m.title,
        f"{m.message} Evidence: it fits {len(fits)} of the {testable} failing case"
        f"{'s' if testable != 1 else ''} where it could be checked{others}; in case {first.label!r} "
        f"({first.description}), {where} what this mistake computes.",
        m.expected,
    )
