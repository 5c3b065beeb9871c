"""Shared fixtures: one Grader (autograd's answers computed once) for the whole test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The answer key (`reference`) is in no install, editable or not: the tests import it from this checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SUBMISSIONS = ROOT / "submissions"
REFERENCE = ROOT / "reference" / "deep_nn.py"


def pytest_configure(config):
    """Refuse to run without pytest-timeout: every `timeout` mark here would silently guard nothing."""
    if not config.pluginmanager.has_plugin("timeout"):
        raise pytest.UsageError("the test suite needs pytest-timeout, or its hang guards (@pytest.mark.timeout) are "
                                "ignored: pip install -e '.[test]'")


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
