"""Pack 2 ("Convolution model: Step by Step"): answer key, oracle, cases and misconceptions check each other.

- reference/conv_model.py (the course's loops) equals the torch float64 oracle on 500 cases per function;
- the oracle reproduces the course's own published figures (so its conventions are the course's: channels
  last, sums with no 1/m) and agrees with finite differences of its own forward pass;
- every misconception's prediction differs from the right answer wherever it applies, equals what a
  hand-written buggy version (the answer key with the student's line changed) returns, and is named by
  `identify` alone; the right answers are never named;
- the case generator is deterministic, dyadic, tie-free where promised, and covers its shape classes;
- the end-to-end chain (chain.py, end_to_end.py) run on the answer key equals autograd's chain on 300 cases.
"""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.packs.conv_step_by_step import cases as C
from grader.packs.conv_step_by_step import chain as CH
from grader.packs.conv_step_by_step import misconceptions as M
from grader.packs.conv_step_by_step.interface import FUNCTIONS, ORDER, scored_cases
from grader.packs.conv_step_by_step.oracle import ConvOracle, _course_max_pool_backward
from reference import conv_model as R

SEED = 2024
N = 500
RTOL = 1e-10  # relative to the largest |expected| entry of the same array; both sides are float64
APART = 1e-6  # a misconception "can be told apart" when it misses the right answer by more than this


@pytest.fixture(scope="module")
def oracle() -> ConvOracle:
    return ConvOracle("cpu")


_CASES: dict[str, list] = {}


def cases_of(function: str) -> list:
    if function not in _CASES:
        _CASES[function] = scored_cases(function, SEED, N)
    return _CASES[function]


_ANSWERS: dict[tuple[str, int], dict] = {}


def answer(oracle: ConvOracle, function: str, case) -> dict:
    """The oracle's answer for one of `cases_of(function)`, computed once per module."""
    key = (function, case.index)
    if key not in _ANSWERS:
        _ANSWERS[key] = oracle.answers(function, case)
    return _ANSWERS[key]


def call(fn, function: str, case) -> dict:
    """Call like a grader would: positionally, on copies; name the outputs as the course does."""
    out = fn(*copy.deepcopy(FUNCTIONS[function].arguments(case)))
    names = FUNCTIONS[function].outputs
    return dict(zip(names, out if len(names) > 1 else (out,)))


def mismatch(actual, expected) -> str | None:
    """Why `actual` is not `expected` (None when it is): a cache by identity of content, arrays within RTOL."""
    if isinstance(expected, tuple):
        if not isinstance(actual, tuple) or len(actual) != len(expected):
            return f"cache {type(actual).__name__} of length {len(actual)}"
        for a, e in zip(actual, expected):
            if isinstance(e, dict) and a != e or isinstance(e, np.ndarray) and not np.array_equal(a, e):
                return "cache content"
        return None
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        return f"shape {a.shape} != {e.shape}"
    if e.dtype == bool:
        return None if a.dtype == bool and np.array_equal(a, e) else "mask"
    scale = max(float(np.max(np.abs(e), initial=0.0)), 1e-300)
    err = float(np.max(np.abs(a - e), initial=0.0)) / scale
    return None if err <= RTOL else f"relative error {err:.3g}"


def rel_gap(actual, expected) -> float:
    """How far apart two answers are: inf for different shapes, else the largest gap over the largest |expected|."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return np.inf
    return float(np.max(np.abs(a - e), initial=0.0)) / max(float(np.max(np.abs(e), initial=0.0)), 1e-300)


# --- the answer key equals the oracle -------------------------------------------------------------------
@pytest.mark.parametrize("function", ORDER)
def test_reference_equals_oracle(oracle, function):
    cases = cases_of(function)
    assert len(cases) == N
    for case in cases:
        expected = answer(oracle, function, case)
        actual = call(getattr(R, function), function, case)
        assert set(actual) == set(expected)
        for name in expected:
            problem = mismatch(actual[name], expected[name])
            assert problem is None, f"{function} case {case.index} ({case.label}), {name}: {problem}"


def test_tied_maxima_follow_the_course_rule(oracle):
    """With ties, every tied entry gets the whole gradient (the course's x == np.max(x)), not autograd's pick."""
    tie_cases = C.pool_tie_cases(SEED, 60)
    windows = C.window_cases(SEED, 60, ties=True)
    assert all(c.ties for c in tie_cases) and all(w.ties for w in windows)
    some_tie_changes_the_answer = False
    for case in tie_cases:
        expected = oracle.answers("pool_backward", case)["dA_prev"]
        assert mismatch(call(R.pool_backward, "pool_backward", case)["dA_prev"], expected) is None, case.label
        A_prev = torch.tensor(case.A_prev, requires_grad=True)
        torch.sum(torch.nn.functional.max_pool2d(A_prev.permute(0, 3, 1, 2), case.f, case.stride).permute(0, 2, 3, 1)
                  * torch.tensor(case.dA)).backward()
        some_tie_changes_the_answer |= rel_gap(A_prev.grad.numpy(), expected) > APART
    assert some_tie_changes_the_answer, "the tie cases never separate the course's rule from autograd's"
    for case in windows:
        mask = oracle.answers("create_mask_from_window", case)["mask"]
        assert mask.sum() >= 2 and mismatch(call(R.create_mask_from_window, "create_mask_from_window", case)["mask"], mask) is None


def test_course_rule_equals_autograd_without_ties(oracle):
    for case in [c for c in cases_of("pool_backward") if c.mode == "max"][:100]:
        course = _course_max_pool_backward(torch.tensor(case.A_prev), torch.tensor(case.dA), case.f, case.stride).numpy()
        assert mismatch(course, answer(oracle, "pool_backward", case)["dA_prev"]) is None, case.label


# --- the oracle follows the course's conventions ------------------------------------------------------
def _legacy_conv_case(shape_A, shape_W, hparameters) -> C.ConvCase:
    """The course's own test inputs: np.random.seed(1), then randn draws in its order."""
    np.random.seed(1)
    A_prev, W, b = np.random.randn(*shape_A), np.random.randn(*shape_W), np.random.randn(1, 1, 1, shape_W[3])
    return C.ConvCase(0, "course", A_prev, W, b, hparameters, np.zeros(0))


def test_oracle_reproduces_the_course_figures(oracle):
    """Figures printed by the 2021 notebook, the forward figures of 2018 and 2019-2020, and the backward
    pass's Expected Output of 2018-2020 (equal to 2021's)."""
    fwd = oracle.conv_forward(_legacy_conv_case((2, 5, 7, 4), (3, 3, 4, 8), {"pad": 1, "stride": 2}))["Z"]
    assert np.isclose(np.mean(fwd), 0.5511276474566768, rtol=1e-12, atol=0)
    assert np.allclose(fwd[0, 2, 1], [-2.17796037, 8.07171329, -0.5772704, 3.36286738, 4.48113645, -2.89198428,
                                      10.99288867, 3.03171932], rtol=0, atol=1e-8)
    for shape_A, shape_W, hp, mean in (((10, 4, 4, 3), (2, 2, 3, 8), {"pad": 2, "stride": 2}, 0.0489952035289),  # v2 (2018)
                                       ((10, 5, 7, 4), (3, 3, 4, 8), {"pad": 1, "stride": 2}, 0.692360880758)):  # v2a
        assert np.isclose(np.mean(oracle.conv_forward(_legacy_conv_case(shape_A, shape_W, hp))["Z"]), mean, rtol=1e-11, atol=0)
    case = _legacy_conv_case((10, 4, 4, 3), (2, 2, 3, 8), {"pad": 2, "stride": 2})
    Z = oracle.conv_forward(case)["Z"]
    case = C.ConvCase(0, "course", case.A_prev, case.W, case.b, case.hparameters, Z)  # the course backpropagates Z itself
    grads = oracle.conv_backward(case)
    for name, mean in (("dA_prev", 1.4524377775388075), ("dW", 1.7269914583139097), ("db", 7.839232564616838)):
        assert np.isclose(np.mean(grads[name]), mean, rtol=1e-12, atol=0), name  # a sum over examples: no 1/m
    # Students' copies of 2018-2020 print these with the stride left out of conv_backward's corners.
    wrong = M.BY_CODE["CONV_BACKWARD_NO_STRIDE"].compute(case)
    assert np.isclose(np.mean(wrong["dA_prev"]), 0.634770447265, rtol=1e-11, atol=0)
    assert np.isclose(np.mean(wrong["dW"]), 1.55726574285, rtol=1e-11, atol=0)

    np.random.seed(1)
    A_prev = np.random.randn(5, 5, 3, 2)
    dA = np.random.randn(5, 4, 2, 2)
    for mode, row in (("max", [[0, 0], [5.05844394, -1.68282702], [0, 0]]),
                      ("average", [[0.08485462, 0.2787552], [1.26461098, -0.25749373], [1.17975636, -0.53624893]])):
        dA_prev = oracle.pool_backward(C.PoolCase(0, "course", A_prev, {"stride": 1, "f": 2}, mode, dA))["dA_prev"]
        assert np.allclose(dA_prev[1, 1], row, rtol=0, atol=1e-8), mode
    # A 2018 copy whose create_mask_from_window returns np.max(x) printed this for max pooling.
    namespace = dict(vars(R), create_mask_from_window=buggy("MASK_IS_MAX_VALUE"))
    exec(compile(inspect.getsource(R.pool_backward), "<pool_backward>", "exec"), namespace)
    dA_prev = namespace["pool_backward"](dA, (A_prev, {"stride": 1, "f": 2}), "max")
    assert np.allclose(dA_prev[1, 1], [[0.56336756, 1.68417722], [8.39601626, -0.2452028], [7.83264869, -1.92938002]],
                       rtol=0, atol=1e-8)


def test_the_2017_notebook_adds_the_bias_inside_the_sum():
    """Its template ("Element-wise product between a_slice and W. Add bias.") and Expected Output agree."""
    old = ConvOracle("cpu", version="v1-2017")
    np.random.seed(1)
    step = C.StepCase(0, "course", np.random.randn(4, 4, 3), np.random.randn(4, 4, 3), np.random.randn(1, 1, 1))
    assert np.isclose(old.conv_single_step(step)["Z"], -23.1602122025, rtol=1e-11, atol=0)
    assert np.isclose(ConvOracle("cpu").conv_single_step(step)["Z"], -6.999089450680221, rtol=1e-12, atol=0)
    case = _legacy_conv_case((10, 4, 4, 3), (2, 2, 3, 8), {"pad": 2, "stride": 1})
    Z = old.conv_forward(case)["Z"]
    assert np.isclose(np.mean(Z), 0.155859324889, rtol=1e-11, atol=0)
    grads = old.conv_backward(C.ConvCase(0, "course", case.A_prev, case.W, case.b, case.hparameters, Z))
    for name, mean in (("dA_prev", 9.60899067587), ("dW", 10.5817412755), ("db", 76.3710691956)):
        assert np.isclose(np.mean(grads[name]), mean, rtol=1e-11, atol=0), name
    bias_in_sum = M.BY_CODE["CONV_STEP_BIAS_IN_SUM"]
    for case in cases_of("conv_single_step")[:100]:
        assert mismatch(bias_in_sum.compute(case)["Z"], old.conv_single_step(case)["Z"]) is None, case.label
        assert M.identify("conv_single_step", case, old.conv_single_step(case), version="v1-2017") == []
    with pytest.raises(ValueError):
        ConvOracle("cpu", version="v3")


def _numeric_gradient(loss, x: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = loss()
        x[idx] = old - eps
        down = loss()
        x[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def test_oracle_agrees_with_finite_differences(oracle):
    """The losses are linear (conv, average) or piecewise linear with maxima POOL_STEP apart (max): eps = 1e-3 is exact."""
    for case in cases_of("conv_backward")[:6]:
        A_prev, W, b = case.A_prev.copy(), case.W.copy(), case.b.copy()

        def loss():
            Z = oracle.conv_forward(C.ConvCase(0, "", A_prev, W, b, case.hparameters, case.dZ))["Z"]
            return float(np.sum(Z * case.dZ))

        grads = oracle.conv_backward(case)
        for name, x in (("dA_prev", A_prev), ("dW", W), ("db", b)):
            assert rel_gap(grads[name], _numeric_gradient(loss, x)) < 1e-8, (case.label, name)
    for case in cases_of("pool_backward")[:8]:
        A_prev = case.A_prev.copy()

        def pool_loss():
            A = oracle.pool_forward(C.PoolCase(0, "", A_prev, case.hparameters, case.mode, case.dA))["A"]
            return float(np.sum(A * case.dA))

        assert rel_gap(oracle.pool_backward(case)["dA_prev"], _numeric_gradient(pool_loss, A_prev)) < 1e-8, case.label
    for case in cases_of("distribute_value")[:5]:
        window = np.zeros(case.shape)
        numeric = _numeric_gradient(lambda: float(case.dz * np.mean(window)), window)
        assert rel_gap(oracle.distribute_value(case)["a"], numeric) < 1e-8, case.label


# --- misconceptions -----------------------------------------------------------------------------------
# Each misconception as a student writes it: the answer key's function with the student's line(s).
_STRIDELESS = [("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w")]
MUTANTS = {
    "ZERO_PAD_ALL_AXES": [('np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant"', 'np.pad(X, pad, mode="constant"')],
    "CONV_STEP_BIAS_IN_SUM": [("s = np.multiply(a_slice_prev, W)", "s = np.multiply(a_slice_prev, W) + b"), ("Z = Z + b.item()", "Z = Z")],
    "CONV_FORWARD_NO_STRIDE": _STRIDELESS,
    "CONV_FORWARD_SIZE_WITHOUT_PAD": [("int((n_H_prev - f + 2 * pad) / stride)", "int((n_H_prev - f) / stride)"),
                                      ("int((n_W_prev - f + 2 * pad) / stride)", "int((n_W_prev - f) / stride)")],
    "CONV_BACKWARD_NO_STRIDE": _STRIDELESS,
    "CONV_BACKWARD_DIVIDED_BY_M": [("return dA_prev, dW, db", "return dA_prev, dW / m, db / m")],
    "CONV_BACKWARD_DA_PREV_PADDED": [("return dA_prev, dW, db", "return dA_prev_pad, dW, db")],
    "CONV_BACKWARD_DB_WRONG_AXES": [("db[:, :, :, c] += dZ[i, h, w, c]", "db = np.sum(dZ, axis=(1, 2, 3), keepdims=True)")],
    "POOL_FORWARD_NO_STRIDE": _STRIDELESS,
    "POOL_BACKWARD_NO_STRIDE": _STRIDELESS,
    "MAX_MASK_ALL_CHANNELS": [("a_prev[vert_start:vert_end, horiz_start:horiz_end, c]", "a_prev[vert_start:vert_end, horiz_start:horiz_end, :]"),
                              ("dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += np.multiply",
                               "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, :] += np.multiply")],
    "AVG_POOL_GRADIENT_NOT_DIVIDED": [("+= distribute_value(da, shape)", "+= np.ones(shape) * da")],
    "MASK_COLUMN_MAX": [("mask = x == np.max(x)", "mask = x == np.max(x, axis=0)")],
    "MASK_IS_MAX_VALUE": [("mask = x == np.max(x)", "mask = np.max(x)")],
    "DISTRIBUTE_NOT_DIVIDED": [("average = dz / (n_H * n_W)", "average = dz")],
    "CONV_STEP_BIAS_LEFT_OUT": [("Z = Z + b.item()", "Z = Z")],
    "CONV_FORWARD_BIAS_TWICE": [("= conv_single_step(a_slice_prev, weights, biases)", "= conv_single_step(a_slice_prev, weights, biases) + biases.item()")],
    "CONV_BACKWARD_DW_NOT_ACCUMULATED": [("dW[:, :, :, c] += a_slice", "dW[:, :, :, c] = a_slice")],
    "CONV_BACKWARD_DB_NOT_ACCUMULATED": [("db[:, :, :, c] += dZ", "db[:, :, :, c] = dZ")],
    "CONV_BACKWARD_DA_PREV_NOT_ACCUMULATED": [("horiz_start:horiz_end, :] += W", "horiz_start:horiz_end, :] = W")],
    "POOL_FORWARD_F_AS_STRIDE": [("vert_start = h * stride", "vert_start = h * f"), ("horiz_start = w * stride", "horiz_start = w * f")],
    "POOL_FORWARD_ALL_CHANNELS": [("A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]", "A_prev[i, vert_start:vert_end, horiz_start:horiz_end, :]")],
    "POOL_BACKWARD_F_AS_STRIDE": [("vert_start = h * stride", "vert_start = h * f"), ("horiz_start = w * stride", "horiz_start = w * f")],
    "POOL_BACKWARD_NOT_ACCUMULATED": [("horiz_start:horiz_end, c] += np.multiply", "horiz_start:horiz_end, c] = np.multiply"),
                                      ("horiz_start:horiz_end, c] += distribute_value", "horiz_start:horiz_end, c] = distribute_value")],
    "DISTRIBUTE_PRECEDENCE": [("average = dz / (n_H * n_W)", "average = dz / n_H * n_W")],
    "CONV_FORWARD_ONE_CHANNEL_SLICE": [("a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]",
                                        "a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, c]")],
}
VALUES = [code for code in MUTANTS if M.BY_CODE[code].compute is not None]  # the others show only in a refused call


def buggy(code: str):
    """The answer key's function with the misconception's lines changed, each change made exactly once."""
    function = M.BY_CODE[code].function
    source = inspect.getsource(getattr(R, function))
    for old, new in MUTANTS[code]:
        assert source.count(old) == 1, (code, old)
        source = source.replace(old, new)
    namespace = dict(vars(R))
    exec(compile(source, f"<{code}>", "exec"), namespace)
    return namespace[function]


def test_catalogue():
    assert len(M.MISCONCEPTIONS) >= 8 and set(MUTANTS) == set(M.BY_CODE)
    assert len(M.BY_CODE) == len(M.MISCONCEPTIONS), "codes must be unique"
    for m in M.MISCONCEPTIONS:
        assert m.function in FUNCTIONS and m.title and len(m.explanation) > 80 and m.expected, m.code


@pytest.mark.parametrize("code", VALUES)
def test_misconception_is_told_apart_and_matches_the_buggy_code(oracle, code):
    m = M.BY_CODE[code]
    cases = cases_of(m.function)
    applicable = [c for c in cases if code in M.distinct(m.function, c)]
    assert len(applicable) >= 40, f"{code} is told apart on only {len(applicable)} of {len(cases)} cases"
    student = buggy(code)
    for i, case in enumerate(applicable):
        predicted, right = m.compute(case), answer(oracle, m.function, case)
        gaps = [rel_gap(predicted[name], right[name]) for name in predicted if not isinstance(right[name], tuple)]
        assert max(gaps) > APART, f"{code} cannot be told apart on case {case.index} ({case.label})"
        assert M.identify(m.function, case, predicted) == [code], (code, case.label)
        if i < 80:  # the loops are slow; 80 cases per misconception are plenty
            written = call(student, m.function, case)
            for name, value in predicted.items():
                assert mismatch(written[name], value) is None, f"{code}, case {case.index} ({case.label}), {name}"


@pytest.mark.parametrize("code", VALUES)
def test_two_mistakes_with_the_same_numbers_are_not_told_apart(code):
    """Where another mistake gives the same numbers (dz / n_H * n_W and dz on a square window), neither is named."""
    m = M.BY_CODE[code]
    for case in [c for c in cases_of(m.function) if m.applies(c) and code not in M.distinct(m.function, c)][:40]:
        predicted = m.compute(case)
        twins = [o.code for o in M.for_function(m.function) if o.code != code and o.applies(case)
                 and all(mismatch(predicted[k], v) is None for k, v in o.compute(case).items() if not isinstance(v, tuple))]
        assert twins, (code, case.label)
        assert M.identify(m.function, case, predicted) == [], (code, case.label)


def test_the_twins_exist():
    """The rule above is exercised: square windows, and f = 1 with stride > 1, make twins."""
    assert any("DISTRIBUTE_PRECEDENCE" not in M.distinct("distribute_value", c) and c.shape[0] == c.shape[1]
               for c in cases_of("distribute_value") if M.BY_CODE["DISTRIBUTE_PRECEDENCE"].applies(c))


@pytest.mark.parametrize("function", ORDER)
def test_right_answers_name_no_misconception(oracle, function):
    for case in cases_of(function)[:150]:
        assert M.identify(function, case, answer(oracle, function, case)) == [], (function, case.label)


def test_a_call_only_misconception_is_the_call_its_buggy_code_makes(oracle):
    """CONV_FORWARD_ONE_CHANNEL_SLICE: the buggy loop's first conv_single_step call is the one diagnosis.call_evidence reads."""
    from grader.packs.conv_step_by_step.diagnosis import call_evidence
    from grader.pack import CaseInput
    from grader.judge.results import CaseResult

    student = buggy("CONV_FORWARD_ONE_CHANNEL_SLICE")
    for case in cases_of("conv_forward")[:60]:
        first: list = []

        def spy(*args):
            first.append(args)
            raise LookupError  # the sandbox's stand-in refuses the call; the case stops here

        namespace = dict(student.__globals__, conv_single_step=spy)
        with pytest.raises(LookupError):
            type(student)(student.__code__, namespace)(*copy.deepcopy(FUNCTIONS["conv_forward"].arguments(case)))
        result = CaseResult(case.index, case.label, "", "failed", calls=[{"helper": "conv_single_step", "matched": None, "args": first[0]}])
        inp = CaseInput(case.index, case.label, "", (), None, {}, case)
        assert call_evidence("conv_forward", inp, result)[0] == ["CONV_FORWARD_ONE_CHANNEL_SLICE"], case.label
        right = CaseResult(case.index, case.label, "", "failed", calls=[{"helper": "conv_single_step", "matched": None,
                                                                         "args": (M._pad(case.A_prev, case.pad)[0, :case.f, :case.f], case.W[..., 0], case.b[..., 0])}])
        assert call_evidence("conv_forward", inp, right)[0] == [], case.label  # a whole window is not this mistake


def test_a_mistake_that_does_not_apply_changes_nothing(oracle):
    for m in [m for m in M.MISCONCEPTIONS if m.compute is not None]:
        for case in [c for c in cases_of(m.function) if not m.applies(c)][:60]:
            if m.code == "CONV_FORWARD_SIZE_WITHOUT_PAD" and min(case.A_prev.shape[1:3]) < case.f:
                continue  # not applicable there because the mistaken size is not even defined (f > n_H_prev)
            if m.code.endswith("_F_AS_STRIDE") and not M._fits_f_steps(case):
                continue  # nor here: corners h * f run past A_prev, and the loop reads cut-off slices
            predicted, right = m.compute(case), answer(oracle, m.function, case)
            for name, value in predicted.items():
                assert mismatch(value, right[name]) is None, (m.code, case.label, name)


def test_only_the_oracle_imports_torch():
    """Cases, interface and misconceptions run where torch is absent (a sandbox, a student's machine)."""
    code = ("import sys; import grader.packs.conv_step_by_step.misconceptions, grader.packs.conv_step_by_step.interface; "
            "import grader.packs.conv_step_by_step as P, grader.packs.conv_step_by_step.checks, grader.packs.conv_step_by_step.chain; "
            "import grader.packs.conv_step_by_step.case_inputs, grader.packs.conv_step_by_step.diagnosis, grader.packs.conv_step_by_step.end_to_end; "
            "P.PACK.checks(); P.PACK.job_extras(); "
            "assert 'torch' not in sys.modules; import grader.packs.conv_step_by_step.oracle; assert 'torch' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --- the case generator -------------------------------------------------------------------------------
_GENERATORS = {
    "zero_pad": lambda s: C.zero_pad_cases(s, 40), "conv_single_step": lambda s: C.conv_single_step_cases(s, 40),
    "conv": lambda s: C.conv_cases(s, 40), "conv_backward": lambda s: C.conv_cases(s, 40, backward=True),
    "pool max": lambda s: C.pool_cases(s, 40, "max"), "pool average": lambda s: C.pool_cases(s, 40, "average"),
    "pool ties": lambda s: C.pool_tie_cases(s, 40), "windows": lambda s: C.window_cases(s, 40),
    "windows with ties": lambda s: C.window_cases(s, 40, ties=True), "distribute": lambda s: C.distribute_cases(s, 40),
}


@pytest.mark.parametrize("kind", list(_GENERATORS))
def test_cases_are_deterministic_and_seeded(kind):
    make = _GENERATORS[kind]
    assert C.digest(make(7)) == C.digest(make(7))
    assert C.digest(make(7)) != C.digest(make(8))


def _on_grid(x: np.ndarray, step: float) -> bool:
    return bool(np.all(np.asarray(x) / step == np.round(np.asarray(x) / step)))


def test_values_lie_on_a_dyadic_grid():
    for case in cases_of("conv_forward") + cases_of("conv_backward"):
        assert all(_on_grid(x, C.GRID) for x in (case.A_prev, case.W, case.b, case.dZ)), case.label
    for case in cases_of("pool_forward"):
        assert _on_grid(case.A_prev, C.POOL_STEP if case.mode == "max" else C.GRID) and _on_grid(case.dA, C.GRID)
    assert all(_on_grid(c.X, C.GRID) for c in cases_of("zero_pad"))
    assert all(_on_grid(c.dz, C.GRID) for c in cases_of("distribute_value"))


def test_max_pool_windows_have_no_ties_unless_on_purpose():
    for case in [c for c in cases_of("pool_backward") if c.mode == "max"]:
        win = M._pool_windows(case, case.stride)
        counts = (win == win.max(axis=(4, 5), keepdims=True)).sum(axis=(4, 5))
        assert np.all(counts == 1), case.label
        gaps = np.diff(np.sort(case.A_prev.transpose(0, 3, 1, 2).reshape(case.A_prev.shape[0] * case.A_prev.shape[3], -1)))
        assert np.all(gaps >= C.POOL_STEP), case.label
    assert all(np.sum(c.x == c.x.max()) == 1 for c in cases_of("create_mask_from_window"))
    with_a_tie = 0
    for case in C.pool_tie_cases(SEED, 40):
        win = M._pool_windows(case, case.stride)
        with_a_tie += bool(np.any((win == win.max(axis=(4, 5), keepdims=True)).sum(axis=(4, 5)) > 1))
    assert with_a_tie >= 30, f"only {with_a_tie} of 40 tie cases hold a tied window"


def test_conv_backward_is_never_scored_with_pad_0():
    assert all(c.pad >= 1 for c in C.conv_cases(SEED, 2000, backward=True))
    assert any(c.pad == 0 for c in cases_of("conv_forward"))


def test_output_sizes_follow_the_course_formula():
    for case in cases_of("conv_forward"):
        _, n_H_prev, n_W_prev, _ = case.A_prev.shape
        n_H = int((n_H_prev - case.f + 2 * case.pad) / case.stride) + 1
        n_W = int((n_W_prev - case.f + 2 * case.pad) / case.stride) + 1
        assert case.dZ.shape == (case.m, n_H, n_W, case.W.shape[3]) and n_H >= 1 and n_W >= 1
    for case in cases_of("pool_forward"):
        _, n_H_prev, n_W_prev, n_C = case.A_prev.shape
        assert case.dA.shape == (case.A_prev.shape[0], int(1 + (n_H_prev - case.f) / case.stride),
                                 int(1 + (n_W_prev - case.f) / case.stride), n_C)


def test_edge_cases_come_first():
    """Within a default rubric's 20 cases, every shape class is posed."""
    conv = cases_of("conv_forward")[:20]
    classes = {
        "m = 1": lambda c: c.m == 1, "one channel in and out": lambda c: c.A_prev.shape[3] == 1 and c.W.shape[3] == 1,
        "f = 1": lambda c: c.f == 1, "stride > 1, not tiling": lambda c: c.stride > 1 and not c.tiles(),
        "pad 0": lambda c: c.pad == 0, "pad > 0": lambda c: c.pad > 0, "pad > f": lambda c: c.pad > c.f,
        "one output position": lambda c: c.dZ.shape[1:3] == (1, 1),
    }
    for name, has in classes.items():
        assert any(has(c) for c in conv), f"conv_forward: no {name} case among the first 20"
        if name != "pad 0":
            assert any(has(c) for c in cases_of("conv_backward")[:20]), f"conv_backward: no {name} case among the first 20"
    for mode in ("max", "average"):
        pool = [c for c in cases_of("pool_forward") if c.mode == mode][:10]
        pool_classes = {
            "m = 1": lambda c: c.A_prev.shape[0] == 1, "one channel": lambda c: c.A_prev.shape[3] == 1,
            "f = 1": lambda c: c.f == 1, "stride > f": lambda c: c.stride > c.f, "overlap": lambda c: c.stride < c.f,
            "not tiling": lambda c: not c.tiles(), "one output row": lambda c: c.dA.shape[1] == 1,
        }
        for name, has in pool_classes.items():
            assert any(has(c) for c in pool), f"pool {mode}: no {name} case among the first 10"


# --- the end-to-end chain -------------------------------------------------------------------------------
def test_chain_reference_equals_oracle(oracle):
    """The answer key run through the pack's own end_to_end.py equals autograd's chain, stage by stage."""
    namespace: dict = {}
    with open(Path(CH.__file__).with_name("end_to_end.py")) as source:
        exec(source.read(), namespace)
    functions = {name: getattr(R, name) for name in ORDER}
    for case in CH.chain_cases(SEED, 300):
        out = namespace["end_to_end"](functions, copy.deepcopy(case.args), {}, copy.deepcopy)
        assert out["stage"] == "done"
        expected = oracle.end_to_end(case)
        for name, want in expected.items():
            assert mismatch(out[name], want) is None, (case.label, name)


def test_chain_cases_pad_and_have_no_tied_maximum():
    cases = CH.chain_cases(SEED, 300)
    assert C.digest(cases) == C.digest(CH.chain_cases(SEED, 300)) != C.digest(CH.chain_cases(SEED + 1, 300))
    assert all(c.hparameters["pad"] >= 1 for c in cases)
    assert {c.mode for c in cases} == {"max", "average"} and {c.hparameters["stride"] for c in cases} == {1, 2}
    assert {c.hparameters_pool["stride"] for c in cases} == {1, 2}
    for c in cases:
        if c.mode == "max":
            Z = CH.conv_z(c.A_prev, c.W, c.b, c.hparameters["stride"], c.hparameters["pad"])
            assert not CH.has_tied_maximum(Z, c.hparameters_pool["f"], c.hparameters_pool["stride"]), c.label
    tied = np.zeros((1, 2, 2, 1))
    assert CH.has_tied_maximum(tied, 2, 1) and not CH.has_tied_maximum(np.arange(4.0).reshape(1, 2, 2, 1), 2, 1)
