"""Shared fixtures: one Grader (autograd's answers computed once) for the whole test session."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The answer key (`reference`) is in no install, editable or not: the tests import it from this checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SUBMISSIONS = ROOT / "submissions"
REFERENCE = ROOT / "reference" / "deep_nn.py"
_ANSWERS = pytest.StashKey[tuple]()  # (GRADER_ANSWERS_CACHE before this run, this run's own folder)


def pytest_configure(config):
    """Refuse to run without pytest-timeout: every `timeout` mark here would silently guard nothing.

    Keep autograd's answers in a folder of this run's own (inherited by every grader the tests start), never in
    the user's ~/.cache: a test that expects answers to be computed must not find them kept by an earlier run,
    by README's main command, or by another checkout, and the suite must not leave files in anyone's home."""
    if not config.pluginmanager.has_plugin("timeout"):
        raise pytest.UsageError("the test suite needs pytest-timeout, or its hang guards (@pytest.mark.timeout) are "
                                "ignored: pip install -e '.[test]'")
    from grader.judge.answer_cache import ENV

    config.stash[_ANSWERS] = (os.environ.get(ENV), tempfile.mkdtemp(prefix="grader-test-answers-"))
    os.environ[ENV] = config.stash[_ANSWERS][1]


def pytest_unconfigure(config):
    before, folder = config.stash.get(_ANSWERS, (None, None))
    if folder is None:
        return
    shutil.rmtree(folder, ignore_errors=True)
    from grader.judge.answer_cache import ENV

    if before is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = before



@pytest.fixture(scope="session")
def grader():
    from grader.judge.grade import Grader

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
