"""Initialisation: exactly the course's values where seeded as the template does, a normal sample scaled by
0.01 otherwise; np.random.rand(...) * 0.01 fails with a diagnosis that names it."""

from __future__ import annotations

import numpy as np
import pytest

from grader.packs.step_by_step.checks import CHECKS, CaseInput
from grader.judge.compare import Tolerance
from grader.packs.step_by_step.init_check import sample_problem, seeded_match, weight_shapes
from grader.judge.results import CaseResult
from tests.conftest import REFERENCE, SUBMISSIONS


def deep(dims, seed=None, draw="randn", scale=0.01):
    state = np.random.RandomState(seed) if seed is not None else np.random.RandomState()
    out = {}
    for l in range(1, len(dims)):
        out[f"W{l}"] = getattr(state, draw)(dims[l], dims[l - 1]) * scale
        out[f"b{l}"] = np.zeros((dims[l], 1))
    return out


def test_the_templates_draws_under_its_seed_are_recognised_exactly():
    dims = [5, 4, 3]
    assert weight_shapes("initialize_parameters_deep", (dims,)) == [("W1", (4, 5)), ("W2", (3, 4))]
    assert seeded_match("initialize_parameters_deep", (dims,), deep(dims, 3)) == ("randn", 3)
    assert float(deep(dims, 3)["W1"][0, 0]) == pytest.approx(0.01788628)  # the course's expected output
    assert seeded_match("initialize_parameters_deep", (dims,), deep(dims, 1, "rand")) == ("rand", 1)
    assert seeded_match("initialize_parameters_deep", (dims,), deep(dims, 7)) is None
    assert seeded_match("initialize_parameters_deep", (dims,), deep(dims, 3, scale=0.02)) is None


def test_a_seeded_uniform_draw_fails_on_its_own_case():
    check = CHECKS["initialize_parameters_deep"]
    dims = [3, 2, 1]
    shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (1, 2), "b2": (1, 1)}
    case = CaseInput(0, "random", "", (dims,), shapes)
    assert check.judge(case, deep(dims, 3), Tolerance()) == []
    (found,) = check.judge(case, deep(dims, 3, "rand"), Tolerance())
    assert found.kind == "distribution" and "np.random.rand(...) * 0.01 under np.random.seed(3)" in found.message


def test_no_false_alarm_on_normal_draws_and_a_reason_for_each_wrong_one():
    rng = np.random.default_rng(5)
    assert all(sample_problem([rng.standard_normal(int(n)) * 0.01]) is None for n in rng.integers(30, 5000, 500))
    assert sample_problem([rng.random(20) * 0.01]) is None  # too few entries to say anything
    assert "are all positive" in sample_problem([rng.random(60) * 0.01])
    assert "clearly larger than 0.01" in sample_problem([rng.standard_normal(2000) * 0.05])
    assert "mean well above 0" in sample_problem([rng.standard_normal(2000) * 0.01 + 0.003])
    assert "spread flat" in sample_problem([(rng.random(4000) - 0.5) * 0.01 * np.sqrt(12)])
    # the words do not depend on the draws, so one seed gives one feedback
    assert sample_problem([rng.random(3000) * 0.01]) == sample_problem([rng.random(3000) * 0.01])


def test_review_fails_every_unseeded_case_of_a_wrong_distribution():
    check = CHECKS["initialize_parameters_deep"]
    rng = np.random.default_rng(1)
    inputs, cases = [], []
    for i in range(5):
        dims = [int(d) for d in rng.integers(2, 20, 3)]
        shapes = {k: v.shape for k, v in deep(dims, 0).items()}
        inputs.append(CaseInput(i, "random", "", (dims,), shapes))
        value = deep(dims, 3) if i == 0 else {k: (rng.random(v.shape) * 0.01 if k[0] == "W" else v) for k, v in deep(dims, 0).items()}
        cases.append(CaseResult(i, "random", "", "passed", value=value))
    check.review(cases, inputs)
    assert [c.status for c in cases] == ["passed"] + ["failed"] * 4  # case 0 is the course's exact draw
    assert all(c.mismatches[0].kind == "distribution" for c in cases[1:])


def test_uniform_weights_fail_with_their_diagnosis(graded):
    report = graded(SUBMISSIONS / "bug_init_uniform.py")
    for name in ("initialize_parameters", "initialize_parameters_deep"):
        test = report.test(name)
        assert test.score == 0 and [d.code for d in test.diagnoses] == ["INIT_UNIFORM"]
    assert "under np.random.seed(1)" in report.test("initialize_parameters").feedback
    assert "are all positive" in report.test("initialize_parameters_deep").feedback


@pytest.mark.parametrize("path", [REFERENCE, SUBMISSIONS / "correct_student.py", SUBMISSIONS / "correct_keyword_calls.py"])
def test_seeded_and_unseeded_correct_initialisations_pass(graded, path):
    report = graded(path)
    assert report.test("initialize_parameters").score == 5 and report.test("initialize_parameters_deep").score == 5
