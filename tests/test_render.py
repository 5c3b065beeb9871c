"""Where the feedback shows: the terminal (colour, and plain with NO_COLOR or a pipe), the JSON (structured
diagnoses and details, valid against the schema) and the Markdown report."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from rich.console import Console

from grader import safe_text
from grader.frontends.cli import main
from grader.report.render_markdown import render_markdown
from grader.report.render_terminal import print_report, render_text
from grader.judge.results import make_report_dict
from grader.report.schema import validate_report
from tests.conftest import ROOT, SUBMISSIONS

ANSI = re.compile(r"\x1b\[")
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|38;|9[0-7])")  # a foreground colour, not just bold
EXAMPLES = ("bug_relu_mask_from_dA.py", "bug_dAL_sign.py", "bug_last_layer_loop_index.py", "bug_db_no_keepdims.py", "correct_student.py")


# --- terminal -------------------------------------------------------------------------------------
def test_plain_text_has_tables_layer_map_and_no_escape_codes(graded):
    text = render_text(graded(SUBMISSIONS / "bug_relu_mask_from_dA.py"))
    assert not ANSI.search(text)
    assert "likely cause" in text and "RELU_MASK_FROM_DA" in text
    assert "own step" in text and "3 (L)" in text and "WRONG" in text  # the layer map, in words
    assert "max abs" in text and "grads['dA0']" in text  # the table of wrong arrays
    assert "Expected: dZ = np.array(dA, copy=True); dZ[Z <= 0] = 0" in text


def test_colour_on_a_terminal_and_none_with_no_color(graded, monkeypatch):
    report = graded(SUBMISSIONS / "bug_relu_mask_from_dA.py")
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = io.StringIO()
    print_report(report, Console(file=coloured, force_terminal=True, color_system="standard", width=120))
    assert COLOUR.search(coloured.getvalue()) and "✗ WRONG" in coloured.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = io.StringIO()
    print_report(report, Console(file=plain, force_terminal=True, width=120))
    assert not COLOUR.search(plain.getvalue())
    assert "WRONG" in plain.getvalue() and "✗" not in plain.getvalue()  # marks are words without colour


def test_check_piped_prints_plain_text_and_exits_1():
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    run = subprocess.run([sys.executable, "-m", "grader", "check", str(SUBMISSIONS / "bug_dAL_sign.py")],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 1, run.stderr
    assert not ANSI.search(run.stdout)
    assert "DAL_SIGN" in run.stdout and "The error enters at the top" in run.stdout
    assert max(len(line) for line in run.stdout.splitlines()) <= 110


def test_fatal_report_renders_everywhere(grader, tmp_path):
    empty = tmp_path / "nothing.py"
    empty.write_text("import numpy as np\nx = 1\n")
    report = grader.grade(empty)
    assert report.fatal
    assert report.fatal in " ".join(render_text(report).split()) and safe_text.markdown(report.fatal) in render_markdown(report)
    validate_report(make_report_dict(report))


# --- JSON -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXAMPLES)
def test_json_is_valid_against_the_schema(graded, name):
    validate_report(make_report_dict(graded(SUBMISSIONS / name)))


def test_json_carries_diagnoses_layer_map_and_details(graded):
    data = make_report_dict(graded(SUBMISSIONS / "bug_relu_mask_from_dA.py"))
    test = next(t for t in data["tests"] if t["function"] == "end_to_end")
    (diagnosis,) = test["diagnoses"]
    assert diagnosis["code"] == "RELU_MASK_FROM_DA" and diagnosis["expected"] and "Evidence:" in diagnosis["message"]
    assert test["layer_map"][0]["layer"] > test["layer_map"][-1]["layer"] == 1
    assert set(test["layer_map"][0]) == {"layer", "dA", "dZ", "dW", "db", "step", "codes", "case"}
    failed = test["failed_cases"][0]
    assert failed["diagnoses"][0]["code"] == "RELU_MASK_FROM_DA"
    m = failed["mismatches"][0]
    assert {"expected_shape", "got_shape", "max_abs_error", "max_rel_error", "index", "expected_excerpt", "got_excerpt"} <= set(m)
    crash = make_report_dict(graded(SUBMISSIONS / "bug_last_layer_loop_index.py"))
    error = next(t for t in crash["tests"] if t["function"] == "end_to_end")["failed_cases"][0]["error"]
    assert error["type"] == "ValueError" and error["traceback"][0][0] == "bug_last_layer_loop_index.py"


# --- Markdown -------------------------------------------------------------------------------------
def _tables_are_well_formed(text: str) -> None:
    columns = None
    for line in text.splitlines():
        if line.startswith("|"):
            n = len(re.findall(r"(?<!\\)\|", line))
            columns = columns or n
            assert n == columns, line
        else:
            columns = None


@pytest.mark.parametrize("name", EXAMPLES)
def test_markdown_is_well_formed(graded, name):
    text = render_markdown(graded(SUBMISSIONS / name))
    assert text.startswith("# Grading report")
    assert text.count("```") % 2 == 0
    _tables_are_well_formed(text)


def test_markdown_shows_diagnosis_layer_map_and_traceback(graded):
    text = render_markdown(graded(SUBMISSIONS / "bug_relu_mask_from_dA.py"))
    assert "| function | status | score | cases | likely cause |" in text
    assert "### `end_to_end`" in text and "**Likely cause `RELU_MASK_FROM_DA`" in text
    assert "| layer | dA | dZ | dW | db | own step |" in text and "❌ **WRONG**" in text
    crash = render_markdown(graded(SUBMISSIONS / "bug_last_layer_loop_index.py"))
    assert '```text\nraised ValueError' in crash and 'File "bug_last_layer_loop_index.py", line 61' in crash
    assert "Every check passed." in render_markdown(graded(SUBMISSIONS / "correct_student.py"))


def test_cli_markdown(capsys):
    code = main(["check", "--markdown", "--device", "cpu", str(SUBMISSIONS / "bug_cost_sign.py")])
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("# Grading report") and "`COST_SIGN`" in out
