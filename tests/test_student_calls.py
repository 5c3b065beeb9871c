"""Instructors' calls into a submission: isolation by stand-ins works the same as in graded checks."""

from __future__ import annotations

import numpy as np

from grader.load.loader import load_submission
from grader.judge.rubric import Rubric
from grader.sandbox.client import Sandbox
from grader.frontends.student_calls import call_many
from tests.conftest import SUBMISSIONS


def test_standins_replace_a_buggy_helper_only_when_asked(grader):
    # bug_forward_missing_bias.py: linear_forward leaves out b; its L_model_forward is correct.
    sub = load_submission(SUBMISSIONS / "bug_forward_missing_bias.py")
    cases = grader.case_set.inputs["L_model_forward"][:3]
    with Sandbox() as sandbox:
        isolated = [call_many(sandbox, sub, Rubric(), "L_model_forward", [case.args], case.standins)[0] for case in cases]
        chained = call_many(sandbox, sub, Rubric(), "L_model_forward", [case.args for case in cases])
    for case, alone, own in zip(cases, isolated, chained):
        AL = case.expected[0]
        assert alone.ok and np.allclose(alone.value[0], AL, rtol=1e-10, atol=1e-12)
        assert own.ok and not np.allclose(own.value[0], AL, rtol=1e-4, atol=1e-6)  # its own linear_forward
