"""Diagnoses: each known mistake is named on a submission that makes it, and nothing is named otherwise.

The end-to-end tests grade real submissions (bundled bug_* files, our own tests/data/mistakes, mistakes
the catalogue does not know, the correct ones and the answer key); the unit tests feed the evidence
functions numbers built by hand, so each rule is seen to fail when its evidence is missing.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.packs.step_by_step.diagnose import _majority
from grader.packs.step_by_step.evidence import Hypothesis, as_array, close, distinct, explain_output, explain_step, linear_step
from grader.packs.step_by_step.evidence_backward import CaseEvidence
from grader.packs.step_by_step.layer_map import explain
from grader.packs.step_by_step.misconceptions import CATALOGUE
from tests.conftest import ROOT
from tests.expected_diagnoses import EXPECTED_DIAGNOSES, MISTAKES, SUBMISSIONS, UNKNOWN


def codes_of(report) -> set[str]:
    return {d.code for test in report.tests for d in test.diagnoses}


# --- the catalogue --------------------------------------------------------------------------------
def test_catalogue_has_at_least_15_explained_misconceptions():
    assert len(CATALOGUE) >= 15
    for code, entry in CATALOGUE.items():
        assert code == entry.code and code.isupper() and " " not in code
        assert len(entry.explanation) > 80, code  # a paragraph, not a label
        assert entry.title and entry.expected, code


def test_every_misconception_has_an_example_that_shows_it():
    shown = set().union(*EXPECTED_DIAGNOSES.values())
    assert shown == set(CATALOGUE), f"no example for {sorted(set(CATALOGUE) - shown)}; unknown codes {sorted(shown - set(CATALOGUE))}"


# --- real submissions -----------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(EXPECTED_DIAGNOSES))
def test_submission_gets_exactly_its_diagnoses(graded, path):
    report = graded(ROOT / path)
    assert report.fatal is None
    assert codes_of(report) == set(EXPECTED_DIAGNOSES[path])
    if path in MISTAKES or path in UNKNOWN or "/bug_" in path:
        assert report.score < report.max_score  # a real mistake, caught by the checks themselves


@pytest.mark.parametrize("path", sorted(p for p, c in SUBMISSIONS.items() if not c))
def test_correct_code_gets_no_diagnosis_anywhere(graded, path):
    report = graded(ROOT / path)
    assert report.score == report.max_score
    for test in report.tests:
        assert test.diagnoses == [] and test.layer_map is None, test.name
        assert all(case.diagnoses == [] for case in test.cases), test.name


@pytest.mark.parametrize("path", sorted(p for p, c in {**SUBMISSIONS, **MISTAKES}.items() if c))
def test_diagnoses_stand_on_failing_cases(graded, path):
    """A test's diagnosis is backed by the failing cases that show it, and only failing cases carry one."""
    for test in graded(ROOT / path).tests:
        for diagnosis in test.diagnoses:
            backing = [c for c in test.cases if diagnosis.code in {d.code for d in c.diagnoses}]
            assert backing, (test.name, diagnosis.code)
            assert "Evidence:" in diagnosis.message and diagnosis.expected
        for case in test.cases:
            assert not case.diagnoses or not case.passed
            assert {d.code for d in case.diagnoses} <= {d.code for d in test.diagnoses}


def test_the_diagnosis_names_where_in_the_chain(graded):
    report = graded(ROOT / "submissions/bug_wrong_layer_cache.py")
    (diagnosis,) = report.test("L_model_backward").diagnoses
    assert "passed the cache caches[" in diagnosis.message and "which belongs to layer" in diagnosis.message


# --- the layer map --------------------------------------------------------------------------------
def test_layer_map_shows_where_relu_mask_error_enters(graded):
    test = graded(ROOT / "submissions/bug_relu_mask_from_dA.py").test("end_to_end")
    rows = test.layer_map
    assert [r["layer"] for r in rows] == sorted((r["layer"] for r in rows), reverse=True)
    top, first = rows[0], next(r for r in rows if r["dZ"] is False)
    assert top["layer"] > first["layer"] and all(top[c] for c in ("dA", "dZ", "dW", "db"))
    assert first["dA"] is True and first["dW"] is False and first["step"] is False
    assert "RELU_MASK_FROM_DA" in first["codes"]
    assert f"The error enters at layer {first['layer']}" in explain(rows, ["RELU_MASK_FROM_DA"])


def test_layer_map_of_sign_flip_flows_down_from_the_top(graded):
    rows = graded(ROOT / "submissions/bug_dAL_sign.py").test("end_to_end").layer_map
    assert rows[0]["dA"] is False and rows[0]["codes"] == ["DAL_SIGN"]
    assert all(r["step"] is True for r in rows[1:])  # below L, each step is right for what it received
    assert "flows down through dA_prev" in explain(rows, ["DAL_SIGN"])


def test_layer_map_of_dA_prev_mistake_points_between_layers(graded):
    rows = graded(ROOT / "submissions/bug_dA_prev_divided_by_m.py").test("end_to_end").layer_map
    L = rows[0]["layer"]
    assert rows[0] == {**rows[0], "dA": True, "dZ": True, "dW": True, "db": True, "step": False}
    assert rows[1]["dA"] is False
    assert f"between layers {L} and {L - 1}" in explain(rows)


def test_explain_reads_synthetic_maps():
    def row(layer, dA, dZ, dW, db, step=None, codes=()):
        return {"layer": layer, "dA": dA, "dZ": dZ, "dW": dW, "db": db, "step": step, "codes": list(codes)}

    assert "at the top" in explain([row(2, False, False, False, False), row(1, False, False, False, False, True)])
    only_dW = explain([row(2, True, True, False, True, False), row(1, True, True, False, True, False)])
    assert "layer 2: dAL and dZ2 are right but dW2 is wrong" in only_dW and "Layer 1 also goes wrong in its own step" in only_dW
    assert explain([row(1, True, True, True, True, True)]).startswith("Every dA")
    refused = [row(3, True, True, True, True, True), row(2, True, None, None, None, False), row(1, None, None, None, None)]
    assert "the dA passed to it is right, so look at the cache" in explain(refused)
    assert "Nothing below layer 2 was computed" in explain(refused)
    refused[1]["dA"] = False
    assert "is not dA2 (grads['dA2']" in explain(refused)
    assert explain([]) == ""


# --- the tolerance a hypothesis is held to ---------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_close_never_holds_where_either_side_is_not_finite(bad):
    want = np.array([[1.0, -2.0], [3.0, 4.0]])
    got = want.copy()
    got[0, 1] = bad
    assert not close(got, want) and not close(want, got) and not close(got, got)
    assert distinct(got, want) and distinct(want, got)
    assert not close(bad, 1.0) and not close(1.0, bad) and not close([1.0, bad], [1.0, 2.0])
    assert as_array(got) is None and as_array(bad) is None


def test_close_is_the_graders_tolerance_scaled():
    want = np.array([[1.0, -2.0], [300.0, 0.0]])
    assert close(want + 1e-9, want) and close(want.tolist(), want) and close(want.astype(np.float32), want)
    assert not close(want * 1.01, want) and close(want * 1.0005, want, scale=10.0)
    assert not close(want.T, want) and not close(None, want) and not close(True, 1.0) and not close("1", 1.0)
    assert close(np.zeros((0, 3)), np.zeros((0, 3))) and not close(np.zeros((0, 3)), np.zeros((3, 0)))


# --- the evidence rules, by hand --------------------------------------------------------------------
@pytest.fixture
def layer():
    rng = np.random.default_rng(7)
    A_prev, W, b = rng.standard_normal((4, 6)), rng.standard_normal((3, 4)), rng.standard_normal((3, 1))
    Z = W @ A_prev + b
    return rng.standard_normal((3, 6)), ((A_prev, W, b), Z)


def test_output_slips_are_recognised_only_when_they_change_something():
    rng = np.random.default_rng(1)
    dZ, A_prev = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    right = linear_step(dZ, A_prev, rng.standard_normal((3, 2)))
    assert explain_output("dW", right["dW"] * 5, right["dW"], dZ, 5) == ("DW_MISSING_1_OVER_M",)
    assert explain_output("dW", right["dW"].T * 5, right["dW"], dZ, 5) == ("DW_TRANSPOSED", "DW_MISSING_1_OVER_M")
    assert explain_output("db", right["db"].reshape(-1), right["db"], dZ, 5) == ("DB_NO_KEEPDIMS",)
    assert explain_output("db", dZ.sum(axis=0, keepdims=True) / 5, right["db"], dZ, 5) == ("DB_WRONG_AXIS",)
    assert explain_output("dA_prev", right["dA_prev"] / 5, right["dA_prev"], dZ, 5) == ("DA_PREV_DIVIDED_BY_M",)
    assert explain_output("dW", right["dW"], right["dW"], dZ, 5) == ()  # right is right
    assert explain_output("dW", right["dW"] * 2, right["dW"], dZ, 5) is None  # a factor no mistake explains
    assert explain_output("dW", right["dW"] * 1.00001, right["dW"], dZ, 1) == ()  # within tolerance


def test_a_step_is_explained_by_the_one_mistake_that_reproduces_it(layer):
    dA, cache = layer
    (A_prev, W, _), Z = cache
    wrong_dZ = dA * (dA > 0)  # the ReLU mask taken from dA
    got = {k: v for k, v in linear_step(wrong_dZ, A_prev, W).items()}
    fit = explain_step(got, Hypothesis(None, dA, cache, "relu"))
    assert fit.explained and fit.cause == "RELU_MASK_FROM_DA" and fit.codes == {"RELU_MASK_FROM_DA"}
    right = explain_step(linear_step(dA * (Z > 0), A_prev, W), Hypothesis(None, dA, cache, "relu"))
    assert right.explained and right.codes == set()
    noise = explain_step({k: v + 0.3 for k, v in got.items()}, Hypothesis(None, dA, cache, "relu"))
    assert not noise.explained and noise.codes == set()


def test_two_mistakes_with_the_same_numbers_are_not_told_apart(layer):
    dA, cache = layer
    (A_prev, W, _), _ = cache
    dA = np.abs(dA) + 0.1  # every dA > 0: masking by dA's sign is the same as not masking at all
    fit = explain_step(linear_step(dA, A_prev, W), Hypothesis(None, dA, cache, "relu"))
    assert not fit.explained
    assert not {"RELU_MASK_FROM_DA", "ACTIVATION_DERIVATIVE_MISSING"} & fit.tested


def test_a_diagnosis_needs_two_thirds_of_the_cases_where_it_was_testable():
    def ev(found=(), tested=()):
        return CaseEvidence({c: "..." for c in found}, set(tested) | set(found))

    assert _majority({0: ev(["DB_WRONG_AXIS"]), 1: ev([], ["DB_WRONG_AXIS"]), 2: ev([], ["DB_WRONG_AXIS"])}) == []
    assert _majority({0: ev(["DB_WRONG_AXIS"]), 1: ev(["DB_WRONG_AXIS"]), 2: ev([], ["DB_WRONG_AXIS"])}) == ["DB_WRONG_AXIS"]
    assert _majority({0: ev(["DB_WRONG_AXIS"]), 1: ev(), 2: ev()}) == ["DB_WRONG_AXIS"]  # untestable cases do not count against it
    assert _majority({}) == []


# --- another seed ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def other_seed():
    from grader.judge.grade import Grader

    with Grader(seed=1, device="cpu") as grader:
        yield grader


@pytest.mark.parametrize("path", sorted(p for p, c in {**SUBMISSIONS, **MISTAKES}.items() if c))
def test_diagnoses_do_not_depend_on_the_seed(other_seed, path):
    assert codes_of(other_seed.grade(ROOT / path)) == set(EXPECTED_DIAGNOSES[path])


def test_one_layer_map_names_the_output_key_and_never_points_at_nothing(graded):
    """Issue 22, item 6: a one-layer map with every value right says why, and "see above" only when something is above."""
    from grader.packs.step_by_step import layer_map

    report = graded(ROOT / "submissions/bug_output_dA_prev_key.py")
    for test in (t for t in report.tests if t.function in ("L_model_backward", "end_to_end")):
        assert [d.code for d in test.diagnoses] == ["OUTPUT_DA_PREV_KEY"], test.function
        assert "KeyError" in test.diagnoses[0].message and "one-layer" in test.diagnoses[0].message
        assert "grads['dA1'] is read as grads['dA0']" in test.feedback
    rows = [{"layer": 1, "dA": True, "dZ": True, "dW": True, "db": True, "step": True, "codes": [], "case": 0}]
    assert "see above" not in layer_map.explain(rows, [])
    assert "see above" in layer_map.explain(rows, ["WRONG_LAYER_CACHE"])
