"""A resumed batch is keyed by content (the submission's bytes, rubric, seed, grader build), never by mtime;
and a submission that hangs its worker gets a deadline report instead of hanging the batch."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from grader.frontends.batch import submission_digest
from grader.exits import Exit

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
LONG_AGO = 1_000_000_000  # 2001: older than any report this test writes


@pytest.fixture(scope="module")
def rubric(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rubric") / "rubric.toml"
    path.write_text("[grading]\ncases = 3\n", encoding="utf-8")
    return path


def grade(argv: list[str]) -> int:
    from grader.frontends.batch import grade_paths
    from grader.frontends.cli import build_parser

    return grade_paths(build_parser().parse_args(["grade", *argv]))


def rows(out: Path) -> dict[str, dict]:
    return {r["submission"]: r for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}


def report_ids(out: Path) -> dict[str, int]:
    """Each submission's report's inode: a report written again (atomically, by rename) gets a new one."""
    names = {r["submission"] for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}
    return {p.stem: p.stat().st_ino for p in out.glob("*.json") if p.stem in names}


def regraded(before: dict[str, int], out: Path) -> set[str]:
    return {name for name, inode in report_ids(out).items() if before.get(name) != inode}


def copy_back_in_time(source: Path, target: Path) -> None:
    """Replace `target` by `source`'s bytes with a modification time older than any report (`cp -p`, unzip)."""
    target.write_bytes(source.read_bytes())
    os.utime(target, (LONG_AGO, LONG_AGO))


# --- the digest ---------------------------------------------------------------------------------------
def test_the_digest_follows_bytes_and_names_not_times(tmp_path):
    file = tmp_path / "a.py"
    file.write_text("x = 1\n", encoding="utf-8")
    first = submission_digest(file)
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 64
    os.utime(file, (LONG_AGO, LONG_AGO))
    assert submission_digest(file) == first
    file.write_text("x = 2\n", encoding="utf-8")
    os.utime(file, (LONG_AGO, LONG_AGO))
    assert submission_digest(file) != first

    folder = tmp_path / "alice"
    (folder / "sub").mkdir(parents=True)
    (folder / "main.py").write_text("x = 1\n", encoding="utf-8")
    (folder / "sub" / "helper.py").write_text("y = 1\n", encoding="utf-8")
    whole = submission_digest(folder)
    assert whole != submission_digest(folder / "main.py")  # a folder is not its one file
    (folder / "sub" / "helper.py").write_text("y = 2\n", encoding="utf-8")
    changed = submission_digest(folder)
    assert changed != whole  # any file of the folder counts, not only the graded one
    (folder / "sub" / "helper.py").rename(folder / "sub" / "other.py")
    assert submission_digest(folder) != changed  # names count too
    (folder / "results").mkdir()
    (folder / "results" / "alice.json").write_text("{}", encoding="utf-8")
    without_out = submission_digest(folder, skip=folder / "results")
    (folder / "results" / "alice.json").write_text('{"a": 1}', encoding="utf-8")
    assert submission_digest(folder, skip=folder / "results") == without_out  # the output folder is not the submission
    assert submission_digest(tmp_path / "missing.py") == ""


# --- resume ----------------------------------------------------------------------------------------------
def test_a_corrected_copy_with_an_older_mtime_is_graded_again(tmp_path, rubric):
    from grader.report.schema import validate_report

    corpus = tmp_path / "in"
    (corpus / "bob").mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "bug_cost_sign.py", corpus / "alice.py")
    shutil.copy(SUBMISSIONS / "bug_dW_transposed.py", corpus / "bob" / "solution.py")
    (corpus / "bob" / "notes.txt").write_text("my notes\n", encoding="utf-8")
    shutil.copy(SUBMISSIONS / "correct_student.py", corpus / "carol.py")
    out = tmp_path / "out"
    argv = [str(corpus), "--out", str(out), "-j", "2", "--rubric", str(rubric)]
    assert grade(argv) == Exit.LOST_POINTS
    before = rows(out)
    assert float(before["alice"]["score"]) < 100 and float(before["bob"]["score"]) < 100
    assert float(before["carol"]["score"]) == 100
    for name, path in (("alice", corpus / "alice.py"), ("bob", corpus / "bob"), ("carol", corpus / "carol.py")):
        report = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        validate_report(report)
        assert report["submission_digest"] == submission_digest(path, skip=out)
    first = report_ids(out)

    # Corrected copies whose files (and folder) are older than the reports; carol is touched, not changed.
    copy_back_in_time(SUBMISSIONS / "correct_student.py", corpus / "alice.py")
    copy_back_in_time(SUBMISSIONS / "correct_student.py", corpus / "bob" / "solution.py")
    os.utime(corpus / "bob", (LONG_AGO, LONG_AGO))
    os.utime(corpus / "carol.py")  # newer than its report, same bytes
    assert all((out / f"{n}.json").stat().st_mtime > LONG_AGO for n in ("alice", "bob"))
    assert grade(argv) == Exit.FULL_MARKS
    assert regraded(first, out) == {"alice", "bob"}
    after = rows(out)
    assert float(after["alice"]["score"]) == 100 and float(after["bob"]["score"]) == 100
    assert json.loads((out / "alice.json").read_text(encoding="utf-8"))["submission_digest"] == submission_digest(corpus / "alice.py")

    # Same bytes again: nothing is regraded.
    second = report_ids(out)
    assert grade(argv) == Exit.FULL_MARKS
    assert regraded(second, out) == set()


def test_a_report_without_a_digest_is_not_trusted(tmp_path, rubric):
    """Reports written before digests existed (or edited by hand) are graded again, not kept."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(SUBMISSIONS / "correct_student.py", corpus / "carol.py")
    out = tmp_path / "out"
    argv = [str(corpus), "--out", str(out), "-j", "1", "--rubric", str(rubric)]
    assert grade(argv) == Exit.FULL_MARKS
    report = json.loads((out / "carol.json").read_text(encoding="utf-8"))
    del report["submission_digest"]
    (out / "carol.json").write_text(json.dumps(report), encoding="utf-8")
    before = report_ids(out)
    assert grade(argv) == Exit.FULL_MARKS
    assert regraded(before, out) == {"carol"}
    assert "submission_digest" in json.loads((out / "carol.json").read_text(encoding="utf-8"))
