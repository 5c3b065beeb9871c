"""In-place changes: which cost points (a backward step writing into its dA or cache) and which earn only a
note (update_parameters updating the parameters it was given, as every notebook before 2021 did), and
whether the note says what the code did."""

from __future__ import annotations

import numpy as np
import pytest

from grader.packs.step_by_step.inplace import judge_changes, update_note, update_style
from tests.conftest import SUBMISSIONS
from tests.expected_outcomes import EXPECTED


@pytest.mark.parametrize("name", sorted(n for n, o in EXPECTED.items() if o.lost))
def test_pinned_losses_are_exact(graded, name):
    report = graded(SUBMISSIONS / name)
    lost = {t.function: round(t.max_score - t.score, 4) for t in report.tests if t.score < t.max_score}
    assert lost == pytest.approx(EXPECTED[name].lost), name


OLD_TEMPLATE = '''
def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l+1)] = parameters["W" + str(l+1)] - learning_rate * grads["dW" + str(l+1)]
    return parameters
'''
SHALLOW_MINUS_EQUALS = '''
def update_parameters(params, grads, learning_rate):
    parameters = params.copy()
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
    return parameters
'''
DEEP_COPY = '''
import copy
def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
    return parameters
'''
SLICE_WRITE = '''
def update_parameters(parameters, grads, learning_rate):
    for key in parameters:
        parameters[key][:] = parameters[key] - learning_rate * grads["d" + key]
    return parameters
'''


def test_the_source_tells_rebinding_from_writing_into_arrays():
    old = update_style(OLD_TEMPLATE)
    assert old.rebinds and not old.writes and old.param == "parameters"
    shallow = update_style(SHALLOW_MINUS_EQUALS)
    assert shallow.writes and not shallow.rebinds and shallow.shallow_copy == "params.copy()"
    assert "-=" in shallow.example
    deep = update_style(DEEP_COPY)
    assert not deep.writes and not deep.rebinds  # a deep copy is written into, never the caller's arrays
    assert update_style(SLICE_WRITE).writes
    assert update_style("def update_parameters(:") is None


def test_the_note_says_what_the_code_did():
    assert "rebinds the entries" in update_note(OLD_TEMPLATE) and "not written into" in update_note(OLD_TEMPLATE)
    shallow = update_note(SHALLOW_MINUS_EQUALS)
    assert "writes the new values into the arrays" in shallow and "params.copy()" in shallow
    assert "costs no points" in shallow
    assert "rebinds the dict's entries or writes into its arrays" in update_note(None)  # unreadable: both, no guess


def test_only_update_parameters_may_change_its_parameters():
    params = {"W1": np.ones((2, 2))}
    after = ({"W1": np.zeros((2, 2))}, {"dW1": np.ones((2, 2))}, 0.1)
    before = (params, {"dW1": np.ones((2, 2))}, 0.1)
    bugs, allowed = judge_changes("update_parameters", ("parameters", "grads", "learning_rate"), before, after)
    assert bugs == [] and allowed == ["parameters"]
    grads_changed = (params, {"dW1": np.zeros((2, 2))}, 0.1)
    bugs, allowed = judge_changes("update_parameters", ("parameters", "grads", "learning_rate"), before, grads_changed)
    assert [m.path for m in bugs] == ["grads"] and allowed == []
    dA = np.ones((2, 3))
    bugs, _ = judge_changes("linear_activation_backward", ("dA", "cache", "activation"), (dA, (), "relu"), (dA * 0, (), "relu"))
    assert [m.path for m in bugs] == ["dA"] and "6 of the 6 entries of dA were overwritten" in bugs[0].message


def test_given_dict_updates_cost_nothing_and_are_noted(graded):
    for name in ("correct_update_shallow_copy.py", "correct_update_given_dict.py"):
        report = graded(SUBMISSIONS / name)
        update = report.test("update_parameters")
        assert update.score == update.max_score and report.test("end_to_end").score == 10
        (note,) = update.notices
        assert "writes the new values into the arrays" in note, name
    assert "params.copy()" in graded(SUBMISSIONS / "correct_update_shallow_copy.py").test("update_parameters").notices[0]


def test_a_missing_return_is_said_as_none(graded):
    update = graded(SUBMISSIONS / "bug_update_returns_none.py").test("update_parameters")
    assert "got None" in update.feedback
    assert any("returned None, yet the dict it was given held the right updated values" in n for n in update.notices)
    assert any("rebinds the entries" in n for n in update.notices)


def test_a_backward_step_writing_into_dA_costs_its_cases(graded):
    test = graded(SUBMISSIONS / "bug_backward_writes_into_dA.py").test("linear_activation_backward")
    failing = [c for c in test.cases if not c.passed]
    assert failing and all("activation='sigmoid'" in c.description for c in failing)
    assert all(m.kind == "mutated" and m.path == "dA" for c in failing for m in c.mismatches)
    assert [d.code for d in test.diagnoses] == ["INPUT_MODIFIED_IN_PLACE"]
