"""Shared fixtures: one Grader (autograd's answers computed once) for the whole test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
REFERENCE = ROOT / "reference" / "deep_nn.py"


@pytest.fixture(scope="session")
def grader():
    from grader.grade import Grader

    with Grader(seed=0, device="cpu") as g:
        yield g


@pytest.fixture(scope="session")
def graded(grader):
    """Grade a submission once per session, by path."""
    cache: dict = {}

    def grade(path):
        key = str(path)
        if key not in cache:
            cache[key] = grader.grade(path)
        return cache[key]

    return grade
