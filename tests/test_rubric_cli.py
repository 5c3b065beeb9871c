"""The rubric (defaults, TOML overrides, one-line errors) and the command line as a user runs it.

The CLI tests run `python -m grader` in a subprocess with a small rubric (4 cases per function) to stay
fast; the heavy runs start together in one fixture so they overlap.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader import END_TO_END
from grader.packs.step_by_step import GRADED_FUNCTIONS
from grader.errors import GraderError
from grader.exits import Exit
from grader.packs.step_by_step import DEFAULT_POINTS
from grader.judge.rubric import Rubric, load_rubric
from grader.sandbox.client import Limits
from grader.sandbox.guard import DEFAULT_DENIED

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "deep_nn.py"
BUGGY = ROOT / "submissions" / "bug_dW_transposed.py"
SMALL = "[grading]\ncases = 4\n"


def rubric_file(tmp_path: Path, text: str, name: str = "rubric.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the default rubric -------------------------------------------------------------------------
def test_default_rubric_sums_to_100_over_every_function():
    rubric = Rubric()
    assert rubric.max_score == 100
    assert sum(DEFAULT_POINTS.values()) == 100
    assert set(rubric.units) == set(GRADED_FUNCTIONS) | {END_TO_END}
    assert all(unit.cases == 20 for unit in rubric.units.values())
    assert rubric.limits == Limits()
    assert rubric.legacy_grads_keys is False
    assert set(DEFAULT_DENIED) <= set(rubric.denied)
    assert {"torch", "grader", "reference", "subprocess"} <= set(rubric.denied)
    assert load_rubric(None).fingerprint() == rubric.fingerprint()


# --- overrides ----------------------------------------------------------------------------------
OVERRIDE = """
[grading]
cases = 7
legacy_grads_keys = true
deny_imports = ["scipy", "torch"]

[limits]
case_seconds = 3
function_seconds = 40
load_seconds = 4.5
memory_mb = 512

[functions.linear_backward]
points = 15
cases = 40

[functions.end_to_end]
points = 0
"""


def test_a_toml_override_changes_points_cases_limits_legacy_and_denied_imports(tmp_path):
    path = rubric_file(tmp_path, OVERRIDE)
    rubric = load_rubric(path)
    assert rubric.units["linear_backward"].points == 15 and rubric.units["linear_backward"].cases == 40
    assert rubric.units[END_TO_END].points == 0 and rubric.units[END_TO_END].cases == 7
    assert rubric.units["compute_cost"].points == DEFAULT_POINTS["compute_cost"] and rubric.units["compute_cost"].cases == 7
    assert rubric.max_score == 100 - 12 + 15 - 10
    assert rubric.case_count() == 40
    assert (rubric.limits.case_seconds, rubric.limits.total_seconds, rubric.limits.load_seconds, rubric.limits.memory_mb) == (3, 40, 4.5, 512)
    assert rubric.legacy_grads_keys is True
    assert "scipy" in rubric.denied and set(DEFAULT_DENIED) <= set(rubric.denied)
    assert len(rubric.denied) == len(set(rubric.denied))  # torch once, not twice
    assert rubric.source == str(path)
    assert rubric.fingerprint() != Rubric().fingerprint()


@pytest.mark.parametrize("text", [
    "[grading]\ncases = 21\n",
    "[grading]\nlegacy_grads_keys = true\n",
    "[grading]\ndeny_imports = ['scipy']\n",
    "[limits]\nmemory_mb = 2048\n",
    "[limits]\ncase_seconds = 2.5\n",
    "[functions.compute_cost]\npoints = 9\n",
    "[functions.compute_cost]\ncases = 21\n",
])
def test_every_override_changes_the_fingerprint(tmp_path, text):
    assert load_rubric(rubric_file(tmp_path, text)).fingerprint() != Rubric().fingerprint()


def test_the_fingerprint_depends_on_content_not_on_the_file(tmp_path):
    restated = rubric_file(tmp_path, "[grading]\ncases = 20\nlegacy_grads_keys = false\n\n[limits]\nmemory_mb = 1024\n")
    assert load_rubric(restated).fingerprint() == Rubric().fingerprint()
    a = load_rubric(rubric_file(tmp_path, "[grading]\ncases = 5\n", "a.toml"))
    b = load_rubric(rubric_file(tmp_path, "[grading]\ncases = 5\n", "b.toml"))
    assert a.fingerprint() == b.fingerprint()


def test_restating_a_default_point_value_keeps_the_fingerprint(tmp_path):
    restated = rubric_file(tmp_path, "[functions.compute_cost]\npoints = 8\n")
    assert load_rubric(restated).fingerprint() == Rubric().fingerprint()


@pytest.mark.parametrize("text, fragment", [
    ("[grading\ncases = 4\n", "cannot read"),
    ("cases = \n", "cannot read"),
    ("[grading]\ncases = 4\n[weights]\nx = 1\n", "unknown section"),
    ("[functions.linear_regression]\npoints = 5\n", "unknown function"),
    ("[functions.linear_backward]\nweight = 5\n", "points and cases"),
    ("[limits]\nwall_seconds = 5\n", "unknown limit"),
    ("[functions.linear_backward]\npoints = -1\n", "points"),
    ("[functions.linear_backward]\ncases = 2.5\n", "cases"),
    ("[functions.linear_backward]\ncases = '3'\n", "cases"),
    ("[grading]\ncases = 0\n", "cases"),
    ("[grading]\ncases = true\n", "cases"),
    ("[limits]\nmemory_mb = 0.5\n", "memory_mb"),
    ("[limits]\ncase_seconds = 0\n", "case_seconds"),
    ("[grading]\nlegacy_grads_keys = 'yes'\n", "legacy_grads_keys"),
    ("[grading]\ndeny_imports = 'scipy'\n", "deny_imports"),
    ("[grading]\ndeny_imports = [1, 2]\n", "deny_imports"),
])
def test_bad_rubrics_raise_a_one_line_grader_error(tmp_path, text, fragment):
    with pytest.raises(GraderError) as info:
        load_rubric(rubric_file(tmp_path, text))
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_a_missing_or_undecodable_rubric_is_a_grader_error(tmp_path):
    with pytest.raises(GraderError, match="no such rubric"):
        load_rubric(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00cases")
    with pytest.raises(GraderError):
        load_rubric(binary)
    with pytest.raises(GraderError):
        load_rubric(tmp_path)  # a folder


@pytest.mark.parametrize("text", ["grading = 5\n", "functions = 3\n"])
def test_a_section_that_is_not_a_table_is_a_grader_error(tmp_path, text):
    with pytest.raises(GraderError):
        load_rubric(rubric_file(tmp_path, text))


def test_an_unknown_grading_key_is_a_grader_error(tmp_path):
    with pytest.raises(GraderError):
        load_rubric(rubric_file(tmp_path, "[grading]\ncase = 30\n"))


# --- the command line ---------------------------------------------------------------------------
def grader_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "grader", *args]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(grader_command(*args), cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """The slow CLI runs, started together: name -> CompletedProcess-like (returncode, stdout, stderr)."""
    small = tmp_path_factory.mktemp("rubric") / "small.toml"
    small.write_text(SMALL, encoding="utf-8")
    commands = {
        "reference": ("check", str(REFERENCE), "--rubric", str(small), "--device", "cpu"),
        "buggy_seed0_a": ("check", str(BUGGY), "--rubric", str(small), "--device", "cpu", "--json", "--seed", "0"),
        "buggy_seed0_b": ("check", str(BUGGY), "--rubric", str(small), "--device", "cpu", "--json", "--seed", "0"),
        "buggy_seed1": ("check", str(BUGGY), "--rubric", str(small), "--device", "cpu", "--json", "--seed", "1"),
    }
    started = {name: subprocess.Popen(grader_command(*args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for name, args in commands.items()}
    runs = {}
    try:
        for name, process in started.items():
            stdout, stderr = process.communicate(timeout=180)
            runs[name] = subprocess.CompletedProcess(commands[name], process.returncode, stdout, stderr)
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return runs


def failed_cases(report: dict) -> dict[str, list[str]]:
    return {t["name"]: [c["description"] for c in t["failed_cases"]] for t in report["tests"]}


def scores(report: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in report["tests"]}


@pytest.mark.timeout(200)
def test_check_on_the_reference_exits_0_and_prints_100(cli_runs):
    run = cli_runs["reference"]
    assert run.returncode == 0, run.stderr
    assert re.search(r"\b100(\.0+)?\s*/\s*100\b", run.stdout), run.stdout
    assert "Traceback" not in run.stderr


@pytest.mark.timeout(200)
def test_check_on_a_buggy_submission_exits_1_and_its_json_validates(cli_runs):
    from grader.report.schema import validate_report

    run = cli_runs["buggy_seed0_a"]
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    validate_report(report)
    assert report["status"] == "graded"
    assert 0 < report["score"] < report["max_score"] == 100
    assert report["seed"] == 0 and report["device"] == "cpu"
    assert all(t["total_cases"] == 4 for t in report["tests"])
    assert scores(report)["linear_backward"] < 12  # the transposed dW is caught
    assert scores(report)["linear_forward"] == 8


@pytest.mark.timeout(200)
def test_the_same_seed_gives_identical_scores_and_another_seed_other_cases(cli_runs):
    a, b, c = (json.loads(cli_runs[name].stdout) for name in ("buggy_seed0_a", "buggy_seed0_b", "buggy_seed1"))
    assert a["score"] == b["score"] and scores(a) == scores(b)
    assert failed_cases(a) == failed_cases(b)
    assert c["seed"] == 1
    assert failed_cases(a)["linear_backward"] and failed_cases(c)["linear_backward"]
    assert failed_cases(a) != failed_cases(c)  # other networks, other descriptions


def assert_usage_error(run: subprocess.CompletedProcess, fragment: str) -> None:
    assert run.returncode == Exit.USAGE, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert fragment in lines[0]


def test_check_of_a_missing_path_exits_4_with_one_line(tmp_path):
    assert_usage_error(run_cli("check", str(tmp_path / "nowhere.py")), "no such submission")


def test_check_with_a_missing_rubric_exits_4_with_one_line(tmp_path):
    assert_usage_error(run_cli("check", str(REFERENCE), "--rubric", str(tmp_path / "none.toml"), "--device", "cpu"),
                       "rubric")


def test_check_with_a_bad_rubric_exits_4_with_one_line(tmp_path):
    bad = rubric_file(tmp_path, "[limits]\nwall_seconds = 5\n")
    assert_usage_error(run_cli("check", str(REFERENCE), "--rubric", str(bad), "--device", "cpu"), "unknown limit")


def test_device_cuda_without_cuda_exits_4_with_one_line():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    assert_usage_error(run_cli("check", str(REFERENCE), "--device", "cuda"), "CUDA")
