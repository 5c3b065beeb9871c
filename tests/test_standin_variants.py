"""Stand-in tables list, beside autograd's own arguments, what a correct caller computes with the course's
NumPy helpers (dZ, dAL), so the sandbox opens those answers itself instead of asking across the pipe.

That is only a saving if it changes no outcome: every extra entry must be an argument the trusted side
accepts anyway (standins.matches, within float32 slack), with autograd's answer for that layer.
"""

from __future__ import annotations

import pytest

from grader.sandbox import client
from grader.judge.standins import matches
from tests.conftest import SUBMISSIONS

BACKWARD = ("linear_activation_backward", "L_model_backward")


@pytest.mark.parametrize("function", BACKWARD)
def test_every_extra_entry_is_one_the_trusted_side_accepts_with_the_same_answer(grader, function):
    extra = 0
    for case in grader.case_set.complete().inputs[function]:
        for helper, table in case.standins.items():
            first = {}
            for args, answer, label in table:
                if label not in first:
                    first[label] = (args, answer)  # autograd's own arguments come first
                    continue
                extra += 1
                want_args, want_answer = first[label]
                assert matches(args, want_args), (function, helper, label)
                assert answer is want_answer, (function, helper, label)
    assert extra > 0, f"no course variant listed for {function}"


def test_a_correct_submission_with_the_course_helpers_asks_nothing_across_the_pipe(grader, monkeypatch):
    kinds: list[bytes] = []
    real = client._Job._frame

    def frame(self, kind, payload):
        kinds.append(kind)
        return real(self, kind, payload)

    monkeypatch.setattr(client._Job, "_frame", frame)
    report = grader.grade(SUBMISSIONS / "correct_student.py")
    assert report.score == report.max_score
    assert kinds.count(b"C") == sum(len(test.cases) for test in report.tests)
    assert b"Q" not in kinds  # every stand-in call opened its sealed answer in the sandbox


def test_a_refused_call_is_still_compared_with_autograds_arguments_when_a_layer_has_variants(grader):
    """A one-layer network's table now lists several entries for its one layer: the feedback on a refused
    call must still compare each argument with autograd's (the layer's first entry)."""
    from grader.packs.step_by_step.call_details import refused_call_mismatches

    inputs = grader.case_set.complete().inputs["L_model_backward"]
    case = next(c for c in inputs if len(c.args[2]) == 1 and len(c.standins["linear_activation_backward"]) > 1)
    (dA, cache, activation), _, label = case.standins["linear_activation_backward"][0]
    calls = [{"helper": "linear_activation_backward", "matched": None, "args": (dA * 2.0, cache, activation)},
             {"helper": "linear_activation_backward", "matched": label}]
    found = refused_call_mismatches(calls, case)
    assert [m.path for m in found] == ["dA"] and "for layer 1" in found[0].message, found
