"""Every bad option value of every command is a usage error: exit 4, one line that says what is wrong
(after argparse's usage line, where argparse found it), and never a traceback or 'the grader failed'.

Run in-process through `grader.frontends.cli.main` (argparse's errors raise SystemExit(4); the grader's own
GraderError returns 4): each case stops before anything is graded, so the whole file takes seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import packs
from grader.frontends.cli import main
from grader.exits import Exit

ROOT = Path(__file__).resolve().parents[1]
SUBMISSION = str(ROOT / "submissions" / "correct_student.py")


def commands(tmp: Path) -> dict[str, list[str]]:
    """Each command that grades, with the arguments it needs to get as far as its options."""
    return {"check": ["check", SUBMISSION], "grade": ["grade", SUBMISSION, "--out", str(tmp / "results")],
            "prepare": ["prepare", "--cache", str(tmp / "cache")],
            "gradescope run": ["gradescope", "run", "--root", str(tmp)],
            "gradescope build-zip": ["gradescope", "build-zip", "--out", str(tmp / "autograder.zip")],
            "coursera run": ["coursera", "run", "--shared", str(tmp)],
            "autolab run": ["autolab", "run", SUBMISSION]}


BAD_VALUES = [  # (option values, what the message must say)
    (["--seed", "-5"], "--seed: must be 0 or more, not -5"),
    (["--seed", "1.5"], "--seed: invalid int value: '1.5'"),
    (["--seed", "seven"], "--seed: invalid int value: 'seven'"),
    (["--assignment", "nope"], f"--assignment: unknown assignment 'nope'; known: {', '.join(packs.names())}, or auto"),
    (["--assignment", ""], "--assignment: unknown assignment ''"),
]
DEVICE = (["--device", "gpu"], "--device: invalid choice: 'gpu'")
BUILD_ZIP = "gradescope build-zip"  # builds for a device chosen where it runs: no --device


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_usage_error(code: int, out: str, err: str, said: str) -> None:
    assert code == Exit.USAGE, (out, err)
    assert "Traceback" not in err + out and "the grader failed" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and err.splitlines()[-1] == errors[0], err  # one message, last, after any usage
    assert said in errors[0], err


CASES = [(command, values, said) for command in commands(Path("/x"))
         for values, said in BAD_VALUES + ([DEVICE] if command != BUILD_ZIP else [])]


@pytest.mark.parametrize("command, values, said", CASES, ids=[f"{c} {' '.join(v)}" for c, v, _ in CASES])
def test_a_bad_option_value_is_a_usage_error(command, values, said, tmp_path, capsys):
    assert_usage_error(*run(commands(tmp_path)[command] + values, capsys), said)
    assert not (tmp_path / "results").exists() and not (tmp_path / "autograder.zip").exists()  # nothing was done


@pytest.mark.parametrize("values, said", [
    (["-j", "0"], "-j/--jobs: must be at least 1"),
    (["-j", "many"], "-j/--jobs: must be a whole number of workers, not 'many'"),
    (["--rubric", "/no/such/rubric.toml"], "no such rubric file: /no/such/rubric.toml"),
    (["--rubric", str(ROOT)], "cannot read rubric"),
])
def test_a_bad_grade_option_is_a_usage_error(values, said, tmp_path, capsys):
    assert_usage_error(*run(["grade", SUBMISSION, "--out", str(tmp_path / "results"), "--seed", "3"] + values, capsys), said)


@pytest.mark.parametrize("command", ["check", "grade", "prepare", "autolab run"])
def test_a_missing_rubric_is_a_usage_error_for_every_command(command, tmp_path, capsys):
    missing = str(tmp_path / "none.toml")
    assert_usage_error(*run(commands(tmp_path)[command] + ["--rubric", missing, "--seed", "3"], capsys),
                       f"no such rubric file: {missing}")


def test_an_output_folder_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("not a folder", encoding="utf-8")
    assert_usage_error(*run(["grade", SUBMISSION, "--out", str(taken), "--seed", "3"], capsys), "cannot use the output folder")
    assert taken.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("argv", [["from-pytest-report", "report.json", "--out"], ["gradescope", "build-zip", "--out"]])
def test_an_output_file_that_is_a_folder_is_a_usage_error(argv, tmp_path, capsys):
    assert_usage_error(*run(argv + [str(tmp_path)], capsys), f"--out: {tmp_path} is a folder; give the name of the file to write")


def test_a_missing_pytest_report_is_a_usage_error(tmp_path, capsys):
    assert_usage_error(*run(["from-pytest-report", str(tmp_path / "none.json")], capsys), "no such pytest-json-report file")


def test_a_large_seed_is_accepted_by_the_parser():
    from grader.frontends.cli import build_parser

    args = build_parser().parse_args(["check", SUBMISSION, "--seed", str(2 ** 70)])
    assert args.seed == 2 ** 70


def help_of(argv: list[str], capsys) -> str:
    code, out, _ = run(argv + ["--help"], capsys)
    assert code == 0
    return " ".join(out.split())


def test_the_assignment_help_says_what_each_command_does(capsys):
    """check recognises each submission's assignment; the instructor's commands grade by the rubric's, else
    the default pack (load_rubric's `default`), unless told auto."""
    assert "default: the rubric's, else recognised from the submission" in help_of(["check"], capsys)
    for argv in (["grade"], ["gradescope", "run"], ["coursera", "run"], ["autolab", "run"]):
        said = help_of(argv, capsys)
        assert "default: the rubric's, else the default pack, step_by_step; auto: recognise each submission's own" in said, argv
        assert "recognised from each submission" not in said
    assert "the rubric's, else the default pack" in help_of(["gradescope", "build-zip"], capsys)
    assert "the rubric's, else the default pack; auto: every pack" in help_of(["prepare"], capsys)


def test_the_instructor_default_is_the_default_pack_as_the_help_says():
    from grader import packs
    from grader.judge.rubric import load_rubric

    assert load_rubric(None, None, default=packs.DEFAULT).pack == packs.DEFAULT  # what grade and the platforms call
    assert load_rubric(None, None).assignment == packs.AUTO  # what check calls


@pytest.mark.parametrize("values, said", [
    (["--grader-seed", "-1"], "--grader-seed: must be 0 or more, not -1"),
    (["--grader-seed", "x"], "--grader-seed: invalid int value: 'x'"),
    (["--grader-assignment", "nope"], "--grader-assignment: unknown assignment 'nope'"),
    (["--grader-device", "gpu"], "--grader-device: invalid choice: 'gpu'"),
])
def test_the_pytest_plugins_bad_values_are_pytests_usage_error(values, said, pytester):
    result = pytester.runpytest("--submission", SUBMISSION, *values)
    assert result.ret == pytest.ExitCode.USAGE_ERROR == Exit.USAGE
    err = result.stderr.str()
    assert said in err and "Traceback" not in err
