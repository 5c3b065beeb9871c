"""Diagnoses that claim no more than the evidence: a code is named only when no fact of the test denies it,
'only the keys are shifted' only when that is all, a squeezed db is a shape problem and not an axis, a None
is said as None, and a call is blamed on a layer only when it is that layer's call."""

from __future__ import annotations

import numpy as np

from grader.packs.step_by_step.diagnose import _majority
from grader.packs.step_by_step.evidence import explain_output
from grader.packs.step_by_step.evidence_backward import CaseEvidence
from tests.conftest import SUBMISSIONS


def ev(found=(), tested=(), contradicted=()):
    return CaseEvidence({c: "x" for c in found}, set(tested) | set(found), set(contradicted))


def test_a_contradicted_or_partial_sole_claim_is_never_named():
    legacy = "LEGACY_GRADS_KEYS"
    assert _majority({0: ev([legacy]), 1: ev([legacy])}) == [legacy]
    assert _majority({0: ev([legacy]), 1: ev([legacy]), 2: ev([], [legacy], [legacy])}) == []  # shifted, and a value wrong
    assert _majority({0: ev([legacy]), 1: ev([legacy]), 2: ev(["WRONG_ACTIVATION_BACKWARD"])}) == ["WRONG_ACTIVATION_BACKWARD"]
    assert _majority({0: ev([legacy]), 1: ev([legacy])}, unread=18) == []  # 18 crashes: not 'only the keys'


def test_one_reading_beside_crashes_names_nothing():
    assert _majority({0: ev(["DB_NO_KEEPDIMS"])}, unread=19) == []
    assert _majority({0: ev(["DB_NO_KEEPDIMS"]), 1: ev(["DB_NO_KEEPDIMS"])}, unread=17) == ["DB_NO_KEEPDIMS"]
    assert _majority({0: ev(["DB_NO_KEEPDIMS"])}) == ["DB_NO_KEEPDIMS"]  # the only failing case there is


def test_a_db_of_shape_empty_is_never_read_as_a_wrong_axis_from_one_unit():
    dZ = np.array([[0.5, -1.0, 2.0]])
    right = dZ.sum(axis=1, keepdims=True) / 3
    # one unit: squeezed (a lost keepdims) and summed over everything (a wrong axis) give the same number, so
    # its shape () says nothing about which; it is never read as a wrong axis on its own
    assert explain_output("db", np.squeeze(right), right, dZ, 3) is None
    assert explain_output("db", np.sum(dZ) / 3, right, dZ, 3) is None
    wide = np.array([[0.5, -1.0, 2.0], [1.0, 1.5, -0.25]])
    wide_right = wide.sum(axis=1, keepdims=True) / 3
    assert explain_output("db", np.squeeze(wide_right), wide_right, wide, 3) == ("DB_NO_KEEPDIMS",)
    assert explain_output("db", np.sum(wide) / 3, wide_right, wide, 3) == ("DB_WRONG_AXIS",)


def test_old_keys_beside_wrong_values_are_not_called_right(graded):
    report = graded(SUBMISSIONS / "bug_old_keys_and_sigmoid_hidden.py")
    for name in ("L_model_backward", "end_to_end"):
        test = report.test(name)
        assert "LEGACY_GRADS_KEYS" not in {d.code for d in test.diagnoses}
        assert "only the keys are shifted" not in test.feedback


def test_a_squeezed_db_is_never_a_wrong_axis(graded):
    for name in ("bug_db_squeezed.py", "bug_db_squeezed_and_asserted.py"):
        report = graded(SUBMISSIONS / name)
        assert all("DB_WRONG_AXIS" not in {d.code for d in t.diagnoses} for t in report.tests), name
    asserted = graded(SUBMISSIONS / "bug_db_squeezed_and_asserted.py").test("linear_backward")
    assert asserted.diagnoses == [] and asserted.passed_cases == 0  # one readable case among errors


def test_none_is_said_as_none_and_unchanged_as_unchanged(graded):
    report = graded(SUBMISSIONS / "partial_unfilled_template.py")
    assert "should return a tuple (AL, caches), got None" in report.test("L_model_forward").feedback
    assert "entries are not numbers" in report.test("compute_cost").feedback
    assert "your L_model_forward returned None, where the chain expects (AL, caches)" in report.test("end_to_end").feedback
    update = report.test("update_parameters")
    assert update.diagnoses == [] and any("every one unchanged" in n for n in update.notices)


def test_a_call_is_blamed_on_a_layer_only_when_it_is_that_layers(graded):
    test = graded(SUBMISSIONS / "bug_output_layer_inside_loop.py").test("L_model_forward")
    assert test.diagnoses == [] and "for layer 2, a relu layer" not in test.feedback
