"""The feedback text a student reads: the numbers of a wrong array, their own traceback, the time limit
and case size of a timeout, the diagnosis with its formula, and the layer map with its one line."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grader.packs.step_by_step.cases import layer_cases
from grader.report.feedback import count_line, summarize
from grader.judge.grade import Grader
from grader.judge import results
from grader.judge.results import CaseResult
from grader.judge.rubric import load_rubric
from tests.conftest import ROOT, SUBMISSIONS

NUMBER = r"(-?\d+(?:\.\d*)?(?:e[+-]?\d+)?)"  # a number as the feedback prints it


def feedback_of(graded, name: str, unit: str) -> str:
    return graded(SUBMISSIONS / name).test(unit).feedback


def public_layer_cases() -> list:
    """The single-layer cases the `grader` fixture grades on (seed 0), rebuilt from the generator."""
    return layer_cases(0, 20)


def test_wrong_values_show_shape_errors_index_and_an_excerpt(graded):
    """Every number in the text is recomputed here from the failing case's own arrays, in NumPy."""
    text = feedback_of(graded, "bug_dW_missing_1_over_m.py", "linear_backward")
    cases = public_layer_cases()
    case = next(c for c in cases if c.m > 1)  # with m = 1 the missing 1/m changes nothing
    right = np.dot(case.dZ, case.A_prev.T) / case.m
    returned = np.dot(case.dZ, case.A_prev.T)  # what the submission computes
    error = np.abs(returned - right)
    index = np.unravel_index(int(np.argmax(error)), error.shape)
    assert f"Failing case {case.index} ({case.label}; {case.describe()}):" in text
    found = re.search(rf"expected and returned shape \((\d+), (\d+)\); largest absolute error {NUMBER} "
                      rf"at index \((\d+), (\d+)\); largest relative error {NUMBER}", text)
    assert found, text
    assert (int(found[1]), int(found[2])) == right.shape
    assert float(found[3]) == pytest.approx(float(error.max()), rel=1e-3)
    assert (int(found[4]), int(found[5])) == tuple(int(i) for i in index)
    assert float(found[6]) == pytest.approx(case.m - 1, rel=1e-3)  # m * dW is off by (m - 1) times each entry
    lo = max(0, int(np.ravel_multi_index(index, right.shape)) - 3)  # a few entries either side, row-major
    for name, array in (("expected", right), ("returned", returned)):
        shown = re.search(rf"\n\s+{name} \[([^\]]*)\]", text)
        assert shown, f"no {name} excerpt in:\n{text}"
        np.testing.assert_allclose([float(x) for x in shown[1].split(", ")], array.ravel()[lo:lo + 7], rtol=1e-3)
    passed = [c for c in cases if c.m == 1]
    assert passed and f"Passed only: {'; '.join(f'case {c.index} ({c.label}; {c.describe()})' for c in passed)}." in text


def test_wrong_shape_shows_both_shapes(graded):
    text = feedback_of(graded, "bug_db_no_keepdims.py", "linear_backward")
    case = public_layer_cases()[0]  # a shape is wrong in every case, so the first one is shown
    n = case.W.shape[0]
    assert f"Failing case 0 ({case.label}; {case.describe()}):" in text
    assert f"expected shape ({n}, 1), returned shape ({n},)" in text


def test_diagnosis_gives_its_explanation_evidence_and_formula(graded):
    text = feedback_of(graded, "bug_dW_missing_1_over_m.py", "linear_backward")
    assert "Likely cause [DW_MISSING_1_OVER_M]: dW is missing the factor 1/m." in text
    assert "Evidence: it fits 19 of the 19 failing cases" in text
    assert "Expected: dW = (1/m) * np.dot(dZ, A_prev.T)" in text


def test_a_crash_shows_the_students_own_traceback_without_grader_paths(graded):
    text = feedback_of(graded, "bug_last_layer_loop_index.py", "end_to_end")
    assert "raised ValueError: shapes" in text
    assert 'File "bug_last_layer_loop_index.py", line 61, in L_model_forward' in text
    assert "parameters['W' + str(l)]" in text  # the offending line itself
    chain = feedback_of(graded, "bug_dAL_every_layer.py", "end_to_end")
    assert 'File "dnn_utils.py"' in chain and "in relu_backward" in chain  # the course helper, named as imported
    assert "/grader/" not in chain and "sandbox" not in chain


def test_the_layer_map_and_its_sentence_are_in_the_text(graded):
    text = feedback_of(graded, "bug_relu_mask_from_dA.py", "end_to_end")
    assert "Where the error enters (case" in text
    assert "layer  dA     dZ     dW     db     own step" in text
    assert "The error enters at layer" in text and "Look at how dZ" in text


def test_passing_and_missing_functions(graded):
    report = graded(SUBMISSIONS / "correct_student.py")
    assert report.test("linear_backward").feedback == "All 20 cases passed."
    partial = results.TestResult("linear_backward", "linear_backward", 12.0, problem="linear_backward is not defined in the submission.")
    assert summarize(partial) == "linear_backward is not defined in the submission."


def test_count_line_says_how_the_other_cases_ended():
    test = results.TestResult("f", "f", 1.0, cases=[CaseResult(0, "a", "x", "passed"), CaseResult(1, "b", "y", "error"),
                                              CaseResult(2, "c", "z", "timeout"), CaseResult(3, "d", "w", "not_run")])
    assert count_line(test) == ("1 of 4 cases passed (1 raised an error; 1 ran out of time; 1 were not run after that). "
                                "Passed only: case 0 (a; x).")


@pytest.fixture(scope="module")
def quick_grader(tmp_path_factory):
    rubric = tmp_path_factory.mktemp("rubric") / "rubric.toml"
    rubric.write_text("[grading]\ncases = 5\n\n[limits]\ncase_seconds = 0.5\nfunction_seconds = 10\n")
    with Grader(load_rubric(rubric), seed=0, device="cpu") as grader:
        yield grader


def test_a_timeout_gives_the_limit_and_the_case_size(quick_grader):
    report = quick_grader.grade(ROOT / "tests/data/timeout/linear_backward_hangs.py", only=("linear_backward",))
    test = report.test("linear_backward")
    assert test.status == "timeout"
    case = test.first_failure()
    text = test.feedback
    assert "0 of 5 cases passed (1 ran out of time; 4 were not run after that)." in text
    assert f"Timed out case {case.index}" in text
    assert "no answer within 0.5 s" in text and case.description in text and "m=" in case.description


def test_a_refused_call_shows_which_argument_was_wrong(graded):
    test = graded(SUBMISSIONS / "bug_relu_mask_from_dA.py").test("linear_activation_backward")
    case = test.first_failure()
    kinds = [m.kind for m in case.mismatches]
    assert kinds[0] == "call" and "value" in kinds
    dZ = next(m for m in case.mismatches if m.kind == "value")
    assert dZ.path == "dZ" and dZ.message.startswith("in the call to linear_backward, the argument dZ has wrong values")
    assert dZ.expected_excerpt and dZ.got_excerpt and "in the call to linear_backward" in test.feedback
    forward = graded(SUBMISSIONS / "bug_last_layer_loop_index.py").test("L_model_forward").first_failure()
    assert any(m.path == "W" and m.kind == "shape" and "for layer 3" in m.message for m in forward.mismatches)
