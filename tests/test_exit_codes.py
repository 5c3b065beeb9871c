"""Exit statuses and messages a script can trust, the same for `check`, `grade`, the platform commands and
pytest: 0 full marks, 1 points lost, 2 could not be graded, 3 the grader failed, 4 usage error.

The commands run in this process through `grader.frontends.cli.main` (one interpreter, torch imported once), with
a small rubric; the usage errors that argparse itself reports run in a subprocess, as a script sees them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader import END_TO_END
from grader.packs.step_by_step import GRADED_FUNCTIONS
from grader.frontends.batch import outcome_line
from grader.frontends.cli import main
from grader.errors import GraderError, GraderFault
from grader.exits import Exit, for_report, plural, worst

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
CORRECT, BUGGY = SUBMISSIONS / "correct_student.py", SUBMISSIONS / "bug_cost_sign.py"

pytestmark = pytest.mark.timeout(300)  # a hang guard only


@pytest.fixture(scope="module")
def rubric(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rubric") / "small.toml"
    path.write_text("[grading]\ncases = 2\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def empty(tmp_path_factory) -> Path:
    """A notebook-like submission that defines none of the graded functions."""
    path = tmp_path_factory.mktemp("empty") / "empty.py"
    path.write_text("import numpy as np\nLEARNING_RATE = 0.01\n", encoding="utf-8")
    return path


def common(rubric: Path, *more: str) -> list[str]:
    return ["--rubric", str(rubric), "--device", "cpu", *more]


# --- the mapping -----------------------------------------------------------------------------------
def test_the_statuses_are_distinct_and_ordered():
    assert [int(code) for code in Exit] == [0, 1, 2, 3, 4]
    assert (int(Exit.GRADER_FAULT), int(Exit.USAGE)) == (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR)
    assert for_report("graded", 100, 100) is Exit.FULL_MARKS
    assert for_report("graded", 99.5, 100) is Exit.LOST_POINTS
    assert for_report("error", 0, 100, "This submission could not be graded: no file.") is Exit.NOT_GRADED
    assert for_report("error", 0, 100, "The grader failed on this submission (x)") is Exit.GRADER_FAULT
    assert worst([Exit.FULL_MARKS, Exit.NOT_GRADED, Exit.LOST_POINTS]) is Exit.NOT_GRADED
    assert worst([]) is Exit.FULL_MARKS


def test_counts_are_singular_and_plural_and_never_call_the_ungradable_graded():
    assert plural(1, "submission") == "1 submission" and plural(0, "submission") == "0 submissions"
    line = outcome_line([Exit.NOT_GRADED], fresh=1, seconds=2.0, jobs=1)
    assert line.startswith("1 submission: 0 graded (0 with full marks), 1 could not be graded.")
    assert "for 1 submission (1 worker, 0.5/s)." in line and "1 graded" not in line
    line = outcome_line([Exit.FULL_MARKS, Exit.LOST_POINTS, Exit.NOT_GRADED, Exit.GRADER_FAULT], fresh=1, seconds=1.0, jobs=2)
    assert line.startswith("4 submissions: 2 graded (1 with full marks), 1 could not be graded, 1 not graded because "
                           "the grader failed (run the same command again to retry it).")
    assert "for 1 submission (2 workers, 1.0/s); 3 kept from an earlier run." in line
    assert outcome_line([Exit.FULL_MARKS] * 2, fresh=0, seconds=0.1, jobs=2).endswith("All 2 were kept from an earlier run.")


# --- check -----------------------------------------------------------------------------------------
def test_check_exits_0_1_2_by_the_result(rubric, empty, capsys):
    assert main(["check", str(CORRECT), *common(rubric)]) == Exit.FULL_MARKS
    assert main(["check", str(BUGGY), *common(rubric)]) == Exit.LOST_POINTS
    capsys.readouterr()
    assert main(["check", str(empty), *common(rubric, "--json")]) == Exit.NOT_GRADED
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "error"


def test_an_empty_submission_is_told_only_what_it_can_define(rubric, empty, capsys):
    main(["check", str(empty), *common(rubric)])
    said = " ".join(capsys.readouterr().out.split())
    assert "none of the graded functions" in said
    assert all(name in said for name in GRADED_FUNCTIONS)
    assert END_TO_END not in said  # a check, not a function anyone defines


def test_a_grader_fault_exits_3_and_a_usage_error_4(rubric, monkeypatch, capsys):
    from grader.judge.grade import Grader

    def broken(self, *args, **kwargs):
        raise GraderFault("the sandbox's fork server stopped unexpectedly")

    monkeypatch.setattr(Grader, "grade_submission", broken)
    assert main(["check", str(CORRECT), *common(rubric)]) == Exit.GRADER_FAULT
    assert capsys.readouterr().err.strip() == "grader: error: the sandbox's fork server stopped unexpectedly"

    def refused(self, *args, **kwargs):
        raise GraderError("a problem the user can fix")

    monkeypatch.setattr(Grader, "grade_submission", refused)
    assert main(["check", str(CORRECT), *common(rubric)]) == Exit.USAGE


def test_a_bug_in_the_grader_exits_3_with_its_traceback_never_1(rubric, monkeypatch, capsys):
    from grader.judge.grade import Grader

    def buggy(self, *args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(Grader, "grade_submission", buggy)
    assert main(["check", str(CORRECT), *common(rubric)]) == Exit.GRADER_FAULT
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError" in err and "a bug in the grader, not in the submission" in err


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, said", [
    (("check", "x.py", "--json", "--markdown"), "argument --markdown: not allowed with argument --json"),
    (("grade", "submissions", "-j", "0"), "-j/--jobs: must be at least 1 (leave -j out to use every core), not 0"),
    (("grade", "submissions", "-j", "-5"), "-j/--jobs: must be at least 1 (leave -j out to use every core), not -5"),
    (("grade", "submissions", "-j", "two"), "-j/--jobs: must be a whole number of workers, not 'two'"),
    (("grade",), "the following arguments are required: paths"),
    (("check", "x.py", "--seed", "one"), "argument --seed: invalid int value: 'one'"),
    (("bogus",), "invalid choice: 'bogus'"),
])
def test_usage_errors_exit_4_with_a_message_argparse_ones_included(args, said):
    run = run_cli(*args)
    assert run.returncode == Exit.USAGE, (run.stdout, run.stderr)
    assert said in run.stderr and run.stderr.startswith("usage: ") and "Traceback" not in run.stderr
    assert run.stdout == ""


def test_help_and_version_exit_0_and_document_the_statuses():
    run = run_cli("--help")
    assert run.returncode == 0
    said = " ".join(run.stdout.split())
    assert "exit status: 0 full marks, 1 points lost, 2 could not be graded, 3 the grader failed, 4 usage error" in said
    assert run_cli("--version").returncode == 0


# --- grade -----------------------------------------------------------------------------------------
def test_grade_warns_once_on_the_public_seed_only(rubric, tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_bytes(CORRECT.read_bytes())
    assert main(["grade", str(folder), "--out", str(tmp_path / "a"), *common(rubric)]) == Exit.FULL_MARKS
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == ["grader: warning: grade is using seed 0, the public seed students check with; "
                        "pass --seed N of your own for real grading"]
    assert main(["grade", str(folder), "--out", str(tmp_path / "b"), "--seed", "1234", *common(rubric)]) == Exit.FULL_MARKS
    assert "warning" not in capsys.readouterr().err


def test_grade_exits_with_its_worst_submission(rubric, empty, tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_bytes(CORRECT.read_bytes())
    assert main(["grade", str(folder), "--out", str(tmp_path / "1"), "--seed", "5", *common(rubric)]) == Exit.FULL_MARKS
    (folder / "bob.py").write_bytes(BUGGY.read_bytes())
    assert main(["grade", str(folder), "--out", str(tmp_path / "2"), "--seed", "5", *common(rubric)]) == Exit.LOST_POINTS
    (folder / "carol.py").write_bytes(empty.read_bytes())
    assert main(["grade", str(folder), "--out", str(tmp_path / "3"), "--seed", "5", *common(rubric)]) == Exit.NOT_GRADED
    out = capsys.readouterr().out
    assert "3 submissions: 2 graded (1 with full marks), 1 could not be graded." in out
    assert main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "4"), *common(rubric)]) == Exit.USAGE


# --- the platform commands -------------------------------------------------------------------------
def platform_args(kind: str, submission: Path, where: Path) -> list[str]:
    if kind == "autolab":
        return ["autolab", "run", str(submission)]
    if kind == "coursera":
        (where / "submission").mkdir(parents=True)
        (where / "submission" / submission.name).write_bytes(submission.read_bytes())
        return ["coursera", "run", "--shared", str(where)]
    (where / "submission").mkdir(parents=True)
    (where / "submission" / submission.name).write_bytes(submission.read_bytes())
    return ["gradescope", "run", "--root", str(where)]


@pytest.mark.parametrize("kind", ["gradescope", "coursera", "autolab"])
def test_platform_commands_use_the_same_statuses(kind, rubric, empty, tmp_path, capsys):
    for name, submission, code in (("full", CORRECT, Exit.FULL_MARKS), ("lost", BUGGY, Exit.LOST_POINTS),
                                   ("none", empty, Exit.NOT_GRADED)):
        assert main(platform_args(kind, submission, tmp_path / name) + common(rubric, "--seed", "9")) == code, name
    capsys.readouterr()
    missing = {"autolab": ["autolab", "run", str(tmp_path / "nothing.py")],
               "coursera": ["coursera", "run", "--shared", str(tmp_path / "nowhere")],
               "gradescope": ["gradescope", "run", "--root", str(tmp_path / "nowhere")]}[kind]
    assert main(missing + common(rubric, "--seed", "9")) == Exit.USAGE
    assert main(platform_args(kind, CORRECT, tmp_path / "public") + common(rubric)) == Exit.FULL_MARKS
    assert f"grader: warning: {kind} run is using seed 0" in capsys.readouterr().err


def test_gradescope_run_autograder_passes_only_the_courses_failures_on(tmp_path):
    """Gradescope reads results.json; the script it runs exits 0 for any student result, 3 or 4 otherwise."""
    from grader.platforms.gradescope_zip import render_template

    script = tmp_path / "run_autograder"
    script.write_text(render_template("run_autograder", {"SEED": "1", "EXTRA_ARGS": ""}), encoding="utf-8")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "results.json").write_text("{}", encoding="utf-8")
    for status, expected in ((0, 0), (1, 0), (2, 0), (3, 3), (4, 4)):
        fake = tmp_path / f"python{status}"
        fake.write_text(f"#!/bin/sh\nexit {status}\n", encoding="utf-8")
        fake.chmod(0o755)
        done = subprocess.run(["bash", str(script)], env={"AUTOGRADER_ROOT": str(tmp_path), "GRADER_PYTHON": str(fake),
                                                           "PATH": "/usr/bin:/bin"}, capture_output=True, timeout=30)
        assert done.returncode == expected, status


# --- pytest --submission ---------------------------------------------------------------------------
def test_pytest_says_3_for_a_grader_fault_and_4_for_a_usage_error(pytester, rubric, monkeypatch):
    from grader.judge.grade import Grader

    def broken(self, *args, **kwargs):
        raise GraderFault("the sandbox could not start")

    monkeypatch.setattr(Grader, "grade_submission", broken)
    result = pytester.runpytest_inprocess(f"--submission={CORRECT}", f"--grader-rubric={rubric}", "--grader-device=cpu",
                                          "-p", "no:cacheprovider")
    assert result.ret == Exit.GRADER_FAULT
    assert "grader: error: the sandbox could not start" in result.stderr.str() + result.stdout.str()
    monkeypatch.undo()
    missing = pytester.runpytest_inprocess(f"--submission={pytester.path / 'nothing.py'}", "-p", "no:cacheprovider")
    assert missing.ret == Exit.USAGE


# --- the progress bar (rich's) ---------------------------------------------------------------------
def test_the_progress_bar_shows_done_total_rate_and_time_left_on_a_terminal_only():
    import io

    from rich.console import Console

    from grader.frontends.batch import ProgressBar

    quiet = io.StringIO()
    with ProgressBar(10, 0, console=Console(file=quiet)) as bar:  # not a terminal: a log, a pipe, CI
        bar.advance()
    assert bar.enabled is False and quiet.getvalue() == ""

    now = [0.0]
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=150, color_system=None)
    bar = ProgressBar(10, 2, console=terminal, clock=lambda: now[0])
    with bar:
        now[0] = 2.0
        bar.advance()
        now[0] = 4.0
        bar.advance(error=True)
        shown = screen.getvalue()
    assert bar.enabled is True
    assert "4/10" in shown and "0.5/s" in shown and "0:00:12" in shown  # (10 - 4) left at 0.5 per second
    assert "(2 kept from an earlier run)" in shown and "1 could not be graded" in shown
    assert ProgressBar(10, 0, enabled=False, console=terminal).enabled is False  # --no-progress
