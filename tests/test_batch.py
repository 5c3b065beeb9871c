"""Batch grading: unique report names, a report and a row for everything, resume after any interruption."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.frontends.batch import GRADER_FAULT, expand, report_names, summary_csv
from grader.exits import Exit

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
FAST = ("correct_student.py", "correct_notebook.ipynb", "bug_cost_sign.py", "bug_dW_transposed.py",
        "broken_syntax_error.py", "partial_missing_functions.py", "hostile_exit.py", "correct_update_shallow_copy.py")


@pytest.fixture(scope="module")
def rubric(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rubric") / "rubric.toml"
    path.write_text("[grading]\ncases = 3\n", encoding="utf-8")
    return path


def make_corpus(folder: Path, copies: int = 1) -> Path:
    """The fast example submissions, `copies` times over, plus two that cannot be graded at all."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        for name in FAST:
            source = SUBMISSIONS / name
            shutil.copy(source, folder / f"{source.stem}_{k}{source.suffix}")
    (folder / "empty_folder").mkdir(exist_ok=True)  # a folder holding no .py or .ipynb
    (folder / "not_json.ipynb").write_text("{ this is not a notebook", encoding="utf-8")
    return folder


def run_cli(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, **kwargs)


def reports(out: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.json"))}


def without_timing(value):
    """A report with every `seconds` field removed: the only thing two gradings may differ in."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


# --- names and paths --------------------------------------------------------------------------------
def test_report_names_are_unique_and_stable(tmp_path):
    for name in ("a.py", "a.ipynb", "b.py", "B.ipynb", "c d.py", "c_d.py"):
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "b.py").write_text("", encoding="utf-8")
    paths = expand([str(tmp_path), str(tmp_path / "other" / "b.py"), str(tmp_path / "a.py")])
    assert len(paths) == 9  # a.py given twice counts once; folder "a" is a submission
    names = report_names(paths)
    assert len({n.lower() for n in names}) == len(names)
    assert "b" not in names and all(n == n.strip(".") for n in names)
    assert report_names(paths) == names  # the same set always gets the same names
    assert report_names([tmp_path / "b.py"]) == ["b"]  # a stem alone when nothing collides


def test_expand_rejects_a_missing_path(tmp_path):
    from grader.errors import GraderError

    with pytest.raises(GraderError):
        expand([str(tmp_path / "nothing")])


# --- a batch, in process ----------------------------------------------------------------------------
def grade(argv: list[str]) -> int:
    from grader.frontends.batch import grade_paths
    from grader.frontends.cli import build_parser

    return grade_paths(build_parser().parse_args(["grade", *argv]))


def test_every_submission_gets_a_valid_report_and_a_row(tmp_path, rubric, capsys):
    from grader.report.schema import validate_report

    corpus = make_corpus(tmp_path / "in")
    out = corpus / "results"  # inside the folder graded: not a submission itself
    assert grade([str(corpus), "--out", str(out), "-j", "2", "--rubric", str(rubric)]) == Exit.NOT_GRADED  # the worst: 2 cannot be
    found = reports(out)
    assert len(found) == len(FAST) + 2
    for data in found.values():
        validate_report(data)
    rows = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8")))
    assert [r["submission"] for r in rows] == [Path(n).stem for n in found]  # sorted like the folder
    status = {r["submission"]: r["status"] for r in rows}
    assert status["empty_folder"] == "error" and status["not_json"] == "error"
    assert status["correct_student_0"] == "graded" and float(next(r for r in rows if r["submission"] == "correct_student_0")["score"]) == 100
    assert next(r for r in rows if r["submission"] == "empty_folder")["problem"]
    assert (out / "class_report.md").read_text(encoding="utf-8").startswith("# Class report")
    assert (out / "score_distribution.png").read_bytes().startswith(b"\x89PNG")
    assert not list(out.glob(".*")), "temporary files were left behind"
    printed = capsys.readouterr()
    full = sum(float(r["score"]) == 100 for r in rows)
    assert f"10 submissions: 8 graded ({full} with full marks), 2 could not be graded. This run took" in printed.out
    assert "for 10 submissions (2 workers" in printed.out and "\r" not in printed.err  # no bar without a terminal

    # Run again: nothing is regraded, and everything written is the same.
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}  # pages and plots too
    assert grade([str(corpus), "--out", str(out), "-j", "2", "--rubric", str(rubric)]) == Exit.NOT_GRADED
    assert "All 10 were kept from an earlier run." in capsys.readouterr().out
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before

    # A changed rubric, or a changed submission, is graded again.
    other = tmp_path / "other.toml"
    other.write_text("[grading]\ncases = 3\n[functions.compute_cost]\npoints = 9\n", encoding="utf-8")
    assert grade([str(corpus / "correct_student_0.py"), "--out", str(out), "--rubric", str(other)]) == 0
    assert "1 submission: 1 graded (1 with full marks). This run took" in capsys.readouterr().out
    time.sleep(0.01)
    (corpus / "bug_cost_sign_0.py").write_text((SUBMISSIONS / "correct_student.py").read_text(encoding="utf-8"), encoding="utf-8")
    assert grade([str(corpus), "--out", str(out), "-j", "2", "--rubric", str(rubric)]) == Exit.NOT_GRADED
    assert "for 2 submissions (2 workers" in capsys.readouterr().out  # the edited one and the one graded under `other`
    assert json.loads((out / "bug_cost_sign_0.json").read_text(encoding="utf-8"))["score"] == 100


def test_a_fault_in_the_grader_or_a_dead_worker_costs_one_report_and_is_retried(tmp_path, rubric, monkeypatch, capsys):
    """A sandbox that fails on one submission, a worker killed on another: each gets an error report and a
    row, the others are graded, and the next run grades those two again."""
    from grader.errors import GraderError
    from grader.sandbox.client import Sandbox

    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in ("correct_student.py", "bug_cost_sign.py", "correct_notebook.ipynb"):
        shutil.copy(SUBMISSIONS / name, corpus / name)
    correct = (SUBMISSIONS / "correct_student.py").read_text(encoding="utf-8")
    (corpus / "breaks_the_sandbox.py").write_text("BREAK_THE_SANDBOX = True\n" + correct, encoding="utf-8")
    (corpus / "kills_its_worker.py").write_text("KILL_THE_WORKER = True\n" + correct, encoding="utf-8")
    real_submit, calls = Sandbox.submit, tmp_path / "calls"

    def failing_submit(self, job, *args, **kwargs):  # runs in the forked workers; the grader starts every job with it
        program = json.dumps(job.get("program"), default=str)
        if "BREAK_THE_SANDBOX" in program:
            with calls.open("a") as log:
                log.write("call\n")
            self.close()
            raise GraderError("the sandbox's fork server stopped unexpectedly")
        if "KILL_THE_WORKER" in program:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_submit(self, job, *args, **kwargs)

    monkeypatch.setattr(Sandbox, "submit", failing_submit)
    out = tmp_path / "out"
    assert grade([str(corpus), "--out", str(out), "-j", "2", "--rubric", str(rubric)]) == Exit.GRADER_FAULT
    assert "2 not graded because the grader failed (run the same command again to retry them)" in capsys.readouterr().out
    assert calls.read_text().count("call") == 2  # tried once more with a fresh grader before giving up
    rows = {r["submission"]: r for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}
    for name, why in (("breaks_the_sandbox", "GraderError"), ("kills_its_worker", "SIGKILL")):
        assert rows[name]["status"] == "error" and float(rows[name]["score"]) == 0
        assert rows[name]["problem"].startswith(GRADER_FAULT) and why in rows[name]["problem"]
    assert float(rows["correct_student"]["score"]) == 100 and float(rows["correct_notebook"]["score"]) == 100
    assert rows["bug_cost_sign"]["status"] == "graded"
    capsys.readouterr()

    monkeypatch.setattr(Sandbox, "submit", real_submit)  # fixed: the next run retries only the two faults
    assert grade([str(corpus), "--out", str(out), "-j", "2", "--rubric", str(rubric)]) == Exit.LOST_POINTS  # bug_cost_sign
    assert "for 2 submissions (2 workers" in capsys.readouterr().out
    rows = {r["submission"]: r for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}
    assert {r["status"] for r in rows.values()} == {"graded"}
    assert float(rows["kills_its_worker"]["score"]) == 100 and float(rows["breaks_the_sandbox"]["score"]) == 100


def test_summary_csv_has_a_row_per_report():
    from grader.frontends.batch import Item

    report = {"submission": "s/a.py", "status": "error", "score": 0.0, "max_score": 100.0, "tests": [],
              "feedback": "This submission could not be graded:\n no file."}
    rows = list(csv.reader(io.StringIO(summary_csv([(Item(0, Path("s/a.py"), "a"), report)]))))
    assert rows[0][:4] == ["submission", "status", "score", "max_score"] and len(rows) == 2
    assert rows[1][:3] == ["a", "error", "0.0"] and rows[1][-1] == "This submission could not be graded: no file."


# --- interrupted batches, in a subprocess -------------------------------------------------------------
KILL_AFTER = 3  # reports written before the interruption


def stop_after_reports(process: subprocess.Popen, out: Path, count: int) -> int:
    """Wait for the batch's `count`-th report, then freeze its whole process group where it stands.

    The interruption is triggered by that event, not by a clock: with SIGSTOP sent within a few
    milliseconds of the report appearing, the rest of the corpus cannot have been graded yet. Returns
    the number of reports at the moment of the freeze."""
    while len(list(out.glob("*.json"))) < count:
        if process.poll() is not None:
            pytest.fail(f"the batch ended (exit {process.returncode}) before writing {count} reports")
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGSTOP)
    return len(list(out.glob("*.json")))


@pytest.mark.timeout(600)  # three batches of the corpus; a hang guard only
@pytest.mark.parametrize("how,whole_group", [(signal.SIGKILL, True), (signal.SIGINT, True), (signal.SIGKILL, False)],
                         ids=["power-cut", "ctrl-c", "kill-9-the-batch-alone"])
def test_an_interrupted_batch_resumes_to_the_uninterrupted_result(tmp_path, rubric, how, whole_group):
    corpus = make_corpus(tmp_path / "in", copies=4)
    total = len(FAST) * 4 + 2
    jobs = 2
    argv = ["grade", str(corpus), "-j", str(jobs), "--rubric", str(rubric)]
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert run_cli(*argv, "--out", str(whole)).returncode == Exit.NOT_GRADED

    # The whole process group, as a power cut (SIGKILL) or a Ctrl-C at the terminal (SIGINT) would; or the
    # batch process alone, after which its workers and sandboxes must end by themselves. The signal is sent
    # while the group is stopped right after the KILL_AFTER-th report (SIGKILL acts at once, SIGINT on SIGCONT).
    process = subprocess.Popen([sys.executable, "-m", "grader", *argv, "--out", str(cut)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        graded_at_stop = stop_after_reports(process, cut, KILL_AFTER)
        (os.killpg if whole_group else os.kill)(process.pid, how)
        try:
            os.killpg(process.pid, signal.SIGCONT)
        except ProcessLookupError:  # the whole group is gone already
            pass
        _, err = process.communicate(timeout=60)
    except BaseException:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise
    assert KILL_AFTER <= graded_at_stop < total, "the batch was not stopped partway"
    if not whole_group:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)  # is any worker or zygote of the batch left?
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("the workers outlived the batch by 30 s")
    graded_before = len(list(cut.glob("*.json")))
    if how == signal.SIGKILL and whole_group:  # nothing is written after a power cut
        assert graded_before == graded_at_stop
    elif how == signal.SIGKILL:  # each orphaned worker may finish the one submission it holds, and takes no other
        assert graded_at_stop <= graded_before <= graded_at_stop + jobs
    assert graded_at_stop <= graded_before < total
    assert not (cut / "summary.csv").exists()
    if how == signal.SIGINT:
        assert process.returncode == 130 and "Run the same command again" in err

    resumed = run_cli(*argv, "--out", str(cut))
    assert resumed.returncode == Exit.NOT_GRADED, resumed.stderr
    assert f"{graded_before} kept from an earlier run" in resumed.stdout or how == signal.SIGINT  # SIGINT may drop a fault
    assert (cut / "summary.csv").read_bytes() == (whole / "summary.csv").read_bytes()
    assert (cut / "class_report.md").read_bytes() == (whole / "class_report.md").read_bytes()
    assert (cut / "score_distribution.png").read_bytes() == (whole / "score_distribution.png").read_bytes()
    got, want = reports(cut), reports(whole)
    assert got.keys() == want.keys() and len(got) == total
    for name in want:
        assert without_timing(got[name]) == without_timing(want[name]), name
    assert not [p for p in cut.iterdir() if p.name.startswith(".")], "a temporary file survived the resume"
