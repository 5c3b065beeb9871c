"""A per-submission deadline in a batch: a submission that hangs its worker gets a report saying so, a row in
summary.csv, and the batch goes on; a resumed batch does not wait on it again.

The hang is made on the trusted side (a wrapped `Sandbox.submit` that never returns for one marked file, as a
worker stuck on a stalled sandbox would be), so the test does not depend on any sandbox bug.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.exits import Exit
from grader.judge.rubric import DEADLINE_MARGIN, Rubric, load_rubric

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
DEADLINE = 20  # seconds: far above the few the other submissions take here with 3 cases, even on a busy machine
MARK = "HANG_THE_WORKER"


# --- the rubric's limit ------------------------------------------------------------------------------------
def test_the_default_deadline_leaves_room_for_every_check(tmp_path):
    rubric = Rubric()
    limits = rubric.limits
    assert rubric.submission_deadline == len(rubric.units) * limits.total_seconds + limits.load_seconds + DEADLINE_MARGIN
    assert rubric.submission_deadline > len(rubric.units) * limits.total_seconds

    path = tmp_path / "rubric.toml"
    path.write_text("[limits]\nfunction_seconds = 10\n", encoding="utf-8")
    derived = load_rubric(path)
    assert derived.submission_deadline == len(derived.units) * 10 + limits.load_seconds + DEADLINE_MARGIN
    assert derived.fingerprint() != rubric.fingerprint()

    path.write_text("[limits]\nsubmission_seconds = 45\n", encoding="utf-8")
    given = load_rubric(path)
    assert given.submission_deadline == 45.0 and given.limits == limits
    assert given.fingerprint() != rubric.fingerprint()  # a deadline can change a score: a new key
    for bad in ("0", "-3", '"soon"', "true"):
        path.write_text(f"[limits]\nsubmission_seconds = {bad}\n", encoding="utf-8")
        with pytest.raises(GraderError, match="submission_seconds"):
            load_rubric(path)


# --- a batch with hanging submissions -----------------------------------------------------------------------
def grade(argv: list[str]) -> int:
    from grader.frontends.batch import grade_paths
    from grader.frontends.cli import build_parser

    return grade_paths(build_parser().parse_args(["grade", *argv]))


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def report_ids(out: Path) -> dict[str, int]:
    """Each submission's report's inode: a report written again (atomically, by rename) gets a new one."""
    names = {r["submission"] for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}
    return {p.stem: p.stat().st_ino for p in out.glob("*.json") if p.stem in names}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent's reaping is left


@pytest.fixture
def hang_marked_files(monkeypatch, tmp_path):
    """Workers (forked from this process) hang for good on a program holding MARK, after its sandbox is up.

    'deaf' in the program also blocks SIGTERM, as a worker stuck outside Python would ignore it. Each hang
    logs the worker's pid and its processes (the sandbox) to the returned file first.
    """
    from grader.sandbox.client import Collected, Sandbox

    real_submit, log = Sandbox.submit, tmp_path / "hangs.jsonl"

    def hanging_submit(self, job, *args, **kwargs):  # the grader starts every job with `submit`
        result = real_submit(self, job, *args, **kwargs).collect()
        program = json.dumps(job.get("program"), default=str)
        if MARK in program:
            with log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"worker": os.getpid(), "below": descendants(os.getpid())}) + "\n")
            if "deaf" in program:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
            while True:
                time.sleep(60)
        return Collected(result)

    monkeypatch.setattr(Sandbox, "submit", hanging_submit)
    yield log
    if log.exists():  # should the batch fail to stop them, do not leave hung workers behind
        for line in log.read_text(encoding="utf-8").splitlines():
            pid = json.loads(line)["worker"]
            if alive(pid) and pid in descendants(os.getpid()):  # still ours, not a reused pid
                os.kill(pid, signal.SIGKILL)


@pytest.mark.timeout(300)  # a hang guard only: without the deadline this batch never ends
def test_a_hanging_submission_gets_a_deadline_report_and_the_batch_goes_on(tmp_path, hang_marked_files, monkeypatch):
    from grader.frontends import batch_pool
    from grader.frontends.batch import submission_digest
    from grader.report.schema import validate_report

    monkeypatch.setattr(batch_pool, "TERM_GRACE", 2.0)  # the deaf one is SIGKILLed this long after SIGTERM
    correct = (SUBMISSIONS / "correct_student.py").read_text(encoding="utf-8")
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a_hangs.py").write_text(f"{MARK} = 'plain'\n" + correct, encoding="utf-8")
    (corpus / "b_hangs_deaf.py").write_text(f"{MARK} = 'deaf'\n" + correct, encoding="utf-8")
    shutil.copy(SUBMISSIONS / "correct_student.py", corpus / "c_correct.py")
    shutil.copy(SUBMISSIONS / "bug_cost_sign.py", corpus / "d_bug.py")
    shutil.copy(SUBMISSIONS / "correct_notebook.ipynb", corpus / "e_notebook.ipynb")
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(f"[grading]\ncases = 3\n[limits]\nsubmission_seconds = {DEADLINE}\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = [str(corpus), "--out", str(out), "-j", "2", "--rubric", str(rubric)]

    assert grade(argv) == Exit.NOT_GRADED  # the worst row: a submission past its deadline could not be graded
    rows = {r["submission"]: r for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}
    assert set(rows) == {"a_hangs", "b_hangs_deaf", "c_correct", "d_bug", "e_notebook"}
    from grader.frontends.batch_pool import PAST_DEADLINE

    for name in ("a_hangs", "b_hangs_deaf"):
        assert rows[name]["status"] == "error" and float(rows[name]["score"]) == 0
        assert rows[name]["problem"].startswith(PAST_DEADLINE) and f"{DEADLINE} s" in rows[name]["problem"]
        report = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        validate_report(report)
        assert report["submission_digest"] == submission_digest(corpus / f"{name}.py")
    assert rows["c_correct"]["status"] == "graded" and float(rows["c_correct"]["score"]) == 100
    assert rows["e_notebook"]["status"] == "graded" and float(rows["e_notebook"]["score"]) == 100
    assert rows["d_bug"]["status"] == "graded" and 0 < float(rows["d_bug"]["score"]) < 100

    # Both hung workers and the sandboxes they held are gone (a sandbox whose worker was SIGKILLed ends
    # by itself on the closed pipe; give it a moment).
    hangs = [json.loads(line) for line in hang_marked_files.read_text(encoding="utf-8").splitlines()]
    assert len(hangs) == 2 and all(h["below"] for h in hangs)  # each hung while holding a sandbox
    pids = [p for h in hangs for p in [h["worker"], *h["below"]]]
    give_up = time.monotonic() + 30
    while any(alive(p) for p in pids) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)]

    # Resumed: the deadline reports count as graded, nothing hangs again (no report is written anew).
    before = report_ids(out)
    assert grade(argv) == Exit.NOT_GRADED
    assert report_ids(out) == before
    assert len(hang_marked_files.read_text(encoding="utf-8").splitlines()) == 2

    # Fixed (new bytes): graded again, normally.
    (corpus / "a_hangs.py").write_text(correct, encoding="utf-8")
    assert grade(argv) == Exit.NOT_GRADED  # b_hangs_deaf still has its deadline report
    assert {n for n, inode in report_ids(out).items() if before[n] != inode} == {"a_hangs"}
    assert json.loads((out / "a_hangs.json").read_text(encoding="utf-8"))["score"] == 100
