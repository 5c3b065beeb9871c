"""Autograd's answers computed in a thread while the sandbox runs the jobs that need none of them
(grader.pack.PendingCaseSet): the same report as computing them first, from the same arguments."""

from __future__ import annotations

import threading

import pytest

from grader import END_TO_END
from grader.judge.grade import Grader
from grader.load.loader import load_submission
from grader.pack import CaseSet, PendingCaseSet
from grader.packs.step_by_step import PACK
from grader.packs.step_by_step.answers import case_set_for
from grader.packs.step_by_step.case_inputs import EARLY, early_jobs
from grader.judge.results import make_report_dict
from grader.judge.rubric import Rubric
from grader.sandbox import wire
from tests.conftest import SUBMISSIONS
from tests.test_pytest_plugin import without_seconds

SEED = 11
COUNTS = {unit: 4 for unit in PACK.units}


def test_the_early_jobs_carry_the_very_arguments_of_the_complete_case_set():
    complete, _ = case_set_for(SEED, COUNTS, "cpu", "off")
    early = early_jobs(SEED, COUNTS)
    assert set(early) == set(EARLY) and END_TO_END in early
    for unit, (count, encoded) in early.items():
        got, want = wire.decode(encoded)["cases"], wire.decode(complete.job_cases(unit))["cases"]
        assert count == len(want) == len(got) == 4
        assert [c["sealed"] for c in got] == [{}] * count  # nothing to seal: no stand-in answers early
        assert all(wire.same(g["args"], w["args"]) for g, w in zip(got, want)), unit


def test_a_unit_with_stand_ins_is_never_early():
    complete, _ = case_set_for(SEED, COUNTS, "cpu", "off")
    with_standins = {unit for unit, cases in complete.inputs.items() if any(c.standins for c in cases)}
    assert with_standins and not with_standins & set(EARLY)


@pytest.mark.parametrize("name", ["correct_student.py", "bug_dW_missing_1_over_m.py", "bug_db_squeezed.py"])
def test_grading_while_the_answers_are_computed_gives_the_same_report(name, monkeypatch):
    """A Grader whose answers arrive in a thread grades exactly as one that had them first."""
    rubric = Rubric().for_pack(PACK)
    counts = {unit: 4 for unit in rubric.units}
    rubric = Rubric(units={n: type(u)(u.points, 4) for n, u in rubric.units.items()})
    complete, _ = case_set_for(SEED, counts, "cpu", "off")
    release = threading.Event()

    def slow():  # the answers come only once the early jobs have run
        release.wait(30)
        return complete, "computed"

    pending = PendingCaseSet(SEED, "cpu", slow, early_jobs(SEED, counts))
    assert set(pending.early()) == set(EARLY)
    sub = load_submission(SUBMISSIONS / name)
    with Grader(rubric, seed=SEED, case_set=pending, weak_sandbox="allow") as grader:
        ran = []
        job = grader._job

        def record(check, *args, **kwargs):
            ran.append((check.unit, release.is_set()))
            result = job(check, *args, **kwargs)
            if {unit for unit, _ in ran} >= set(EARLY):
                release.set()  # every early job has run: now the answers may come
            return result

        monkeypatch.setattr(grader, "_job", record)
        first = make_report_dict(grader.grade_submission(sub))
    before = [unit for unit, answered in ran if not answered]
    assert before == [unit for unit in rubric.units if unit in EARLY]  # exactly the early ones, in order
    assert release.is_set()
    with Grader(rubric, seed=SEED, case_set=complete, weak_sandbox="allow") as grader:
        second = make_report_dict(grader.grade_submission(load_submission(SUBMISSIONS / name)))
    assert without_seconds(first) == without_seconds(second)
    assert [t["function"] for t in first["tests"]] == list(rubric.units)  # reported in the rubric's order


def test_a_failure_while_computing_is_raised_where_the_answers_are_needed():
    def broken():
        raise RuntimeError("CUDA went away")

    pending = PendingCaseSet(SEED, "cpu", broken, {})
    with pytest.raises(RuntimeError, match="CUDA went away"):
        pending.complete()
    with pytest.raises(RuntimeError):
        pending.inputs  # noqa: B018


def test_a_complete_case_set_has_no_early_jobs():
    complete, how = case_set_for(SEED, COUNTS, "cpu", "off")
    assert isinstance(complete, CaseSet) and complete.complete() is complete and complete.early() == {}
