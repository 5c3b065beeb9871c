"""The premise of speed.py's "walls' fixed cost" figure, which README uses to bound the batch rate.

A submission whose every graded function returns None at once must still cost one walled job per check
with every case run (so that nothing cheaper exists among complete submissions), and a submission that
lacks a function must skip that check's job (README says so beside the figure).
"""

import importlib.util
from pathlib import Path

import pytest

from grader import END_TO_END, packs

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("speed_bench", ROOT / "benchmarks" / "speed.py")
speed = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(speed)


@pytest.fixture
def submits(grader, monkeypatch):
    """The jobs the session's grader starts, by function, while a test runs."""
    started: list[str] = []
    real = grader.sandbox.submit

    def counting(job, answer, **shared):  # share=: the job may run in the submission's shared process (issue 24)
        started.append(job["function"])
        return real(job, answer, **shared)

    monkeypatch.setattr(grader.sandbox, "submit", counting)
    return started


def test_a_submission_that_returns_none_runs_every_case_of_every_check(grader, submits, tmp_path):
    (path,) = speed.null_submission(tmp_path / "null", 1)
    report = grader.grade(path)
    pack = packs.get(packs.DEFAULT)
    assert sorted(submits) == sorted(pack.units)  # one job per check, none skipped, none twice
    assert [t.function for t in report.tests] == list(pack.units)
    for test in report.tests:
        assert test.problem is None, test.function
        assert len(test.cases) == len(grader.case_set.inputs[test.function]), test.function
        for case in test.cases:  # each case ran: it returned None ("failed"), or the chain raised on it
            assert (case.status, bool(case.mismatches or case.error)) in (("failed", True), ("error", True)), (test.function, case)
        assert test.score == 0
    assert report.score == 0


def test_a_missing_function_skips_its_checks_job(grader, submits, tmp_path):
    (path,) = speed.null_submission(tmp_path / "null", 1)
    pack = packs.get(packs.DEFAULT)
    chain = pack.checks()[END_TO_END].requires
    dropped = next(name for name in pack.functions if name not in chain)
    text = path.read_text(encoding="utf-8").replace(f"def {dropped}(", f"def not_{dropped}(")
    path.write_text(text, encoding="utf-8")
    report = grader.grade(path)
    assert dropped not in submits and len(submits) == len(pack.units) - 1
    test = next(t for t in report.tests if t.function == dropped)
    assert test.problem and not test.cases
