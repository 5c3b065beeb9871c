"""`compare`'s quick all-pass test (`_all_close`) never changes a verdict: on every kind of answer, right,
wrong by a hair, wrong in structure, it gives exactly what the full walk (`_compare`) gives."""

from __future__ import annotations

import numpy as np
import pytest

from grader.judge import compare as C

TOL = C.Tolerance()
RNG = np.random.default_rng(11)


def expected_value() -> dict:
    return {
        "dW1": RNG.standard_normal((4, 3)),
        "db1": RNG.standard_normal((4, 1)),
        "cache": (RNG.standard_normal((3, 5)), [RNG.standard_normal((2, 2)), np.float64(0.5)]),
        "cost": np.array(0.25),
        "L": 3,
    }


def variants(want: dict):
    """(label, answer) pairs: the right one and near misses of every kind the walk distinguishes."""
    same = {k: v for k, v in want.items()}
    yield "right", same
    yield "float32", {**want, "dW1": want["dW1"].astype(np.float32)}
    slack = TOL.slack(want["dW1"])
    yield "at the slack", {**want, "dW1": want["dW1"] + slack}
    yield "past the slack", {**want, "dW1": np.nextafter(want["dW1"] + slack, np.inf)}
    bad = want["db1"].copy()
    bad[2, 0] = np.nan
    yield "nan", {**want, "db1": bad}
    yield "inf", {**want, "db1": want["db1"] + np.inf}
    yield "transposed", {**want, "dW1": want["dW1"].T}
    yield "ints", {**want, "db1": want["db1"].astype(np.int64)}
    yield "longdouble", {**want, "db1": want["db1"].astype(np.longdouble)}
    yield "missing key", {k: v for k, v in want.items() if k != "db1"}
    yield "list for tuple", {**want, "cache": list(want["cache"])}
    yield "short", {**want, "cache": want["cache"][:1]}
    yield "0-d wrong", {**want, "cost": np.array(0.5)}
    yield "0-d float", {**want, "cost": 0.25}
    yield "other int", {**want, "L": 4}
    yield "none", None
    yield "nested wrong", {**want, "cache": (want["cache"][0], [want["cache"][1][0] * 2, np.float64(0.5)])}


@pytest.mark.parametrize("label", [label for label, _ in variants(expected_value())])
def test_the_quick_test_gives_the_full_walks_verdict(label):
    want = expected_value()
    got = dict(variants(want))[label]
    full = [m.to_dict() for m in C._compare("grads", got, want, TOL, frozenset())]
    assert [m.to_dict() for m in C.compare("grads", got, want, TOL)] == full
    assert [m.to_dict() for m in C.compare("grads", got, want, TOL)] == full  # again, from the cache
    if label in ("right", "float32", "0-d float", "longdouble", "list for tuple"):
        assert full == []
    elif label != "at the slack":  # rounding decides that one; both walks agree on it (above)
        assert full != []


def test_a_cached_layout_is_never_used_for_another_expected_value():
    """The cache of laid-out answers is keyed by identity: a new expected value of the same shape, built
    where an old one was freed, is compared with its own numbers."""
    for _ in range(50):
        want = {"a": RNG.standard_normal((3, 3)), "b": RNG.standard_normal(2)}
        right = {k: v.copy() for k, v in want.items()}
        assert C.compare("x", right, want, TOL) == []
        assert C.compare("x", {"a": want["a"] + 1, "b": want["b"]}, want, TOL) != []


def test_a_stricter_tolerance_is_not_answered_from_the_cache():
    want = (RNG.standard_normal((5, 5)), RNG.standard_normal((5, 1)))
    near = (want[0] * (1 + 5e-5), want[1])
    assert C.compare("t", near, want, TOL) == []
    assert C.compare("t", near, want, C.Tolerance(rtol=1e-6, atol_scale=0.0)) != []


def test_the_cache_holds_a_bounded_amount_of_expected_values_built_afresh_on_every_call():
    """A check that builds its expected value on every call (pack 2's caches) must not make the cache,
    which holds what it lays out, grow with the number of submissions."""
    for _ in range(120):
        want = (RNG.standard_normal(100_000), RNG.standard_normal(10))  # 0.8 MB each, new every time
        assert C.compare("big", (want[0].copy(), want[1].copy()), want, TOL) == []
        assert C._held[0] <= C._FLAT_BYTES
    held = sum(2 * flat.nbytes + sum(a.nbytes for a in C._expected_arrays(e)) for e, _, flat, _ in C._FLAT.values())
    assert held == C._held[0] <= C._FLAT_BYTES
