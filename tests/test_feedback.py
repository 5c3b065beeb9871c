"""The feedback text a student reads: the numbers of a wrong array, their own traceback, the time limit
and case size of a timeout, the diagnosis with its formula, and the layer map with its one line."""

from __future__ import annotations

import pytest

from grader.feedback import count_line, number, summarize
from grader.grade import Grader
from grader import results
from grader.results import CaseResult
from grader.rubric import load_rubric
from tests.conftest import ROOT, SUBMISSIONS


def feedback_of(graded, name: str, unit: str) -> str:
    test = graded(SUBMISSIONS / name).test(unit)
    assert test.feedback == summarize(test)  # what the report stores is what summarize writes
    return test.feedback


def test_wrong_values_show_shape_errors_index_and_an_excerpt(graded):
    test = graded(SUBMISSIONS / "bug_dW_missing_1_over_m.py").test("linear_backward")
    text = test.feedback
    first = test.first_failure()
    (m,) = first.mismatches
    assert m.path == "dW" and m.kind == "value"
    assert f"Failing case {first.index} ({first.label}; {first.description})" in text
    assert f"expected and returned shape ({m.expected_shape[0]}, {m.expected_shape[1]})" in text
    assert f"largest absolute error {number(m.max_abs_error)} at index {tuple(m.index)}" in text
    assert f"largest relative error {number(m.max_rel_error)}" in text
    assert "expected [" + number(m.expected_excerpt[0]) in text and "returned [" + number(m.got_excerpt[0]) in text
    assert "Passed only: case 0 (edge: m = 1" in text  # the one case where 1/m makes no difference


def test_wrong_shape_shows_both_shapes(graded):
    text = feedback_of(graded, "bug_db_no_keepdims.py", "linear_backward")
    test = graded(SUBMISSIONS / "bug_db_no_keepdims.py").test("linear_backward")
    n = test.first_failure().mismatches[0].expected_shape[0]
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
