"""Fixtures for instructors' own checks, registered by the pytest plugin only under `--submission`.

    @pytest.mark.points(5)
    def test_my_check(submission, grader_cases):
        dA_prev, dW, db = submission.linear_backward(dZ, cache)   # runs in the sandbox

A check that uses them is collected from the instructor's own file and scored with its marker.
"""

from __future__ import annotations

import pytest

from grader.frontends.pytest_state import STATE
from grader.frontends.student_calls import SubmissionProxy


@pytest.fixture(scope="session")
def submission(request: pytest.FixtureRequest) -> SubmissionProxy:
    """The submission's functions: `submission.linear_backward(dZ, cache)` runs in the sandbox."""
    state = request.config.stash[STATE]
    return SubmissionProxy(state.grader.sandbox, state.sub, state.rubric)


@pytest.fixture(scope="session")
def grader_cases(request: pytest.FixtureRequest) -> dict:
    """The oracle's cases for this seed: {function: [CaseInput(args, expected, standins, ...)]}."""
    return request.config.stash[STATE].grader.case_set.inputs
