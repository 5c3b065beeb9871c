"""Nothing a student wrote reaches a terminal, a spreadsheet or a Markdown viewer as control (issue 20.4).

A real hostile submission, graded through the command line: its functions raise exceptions whose
messages (and, in one, whose class name) carry terminal escapes (a clear-screen and a forged score,
an OSC 52 clipboard write, an OSC 8 link, a window title), rich markup and raw HTML; they print the same
things; L_model_backward returns grads whose extra keys are `<script>`, a `javascript:` Markdown link and
a `|`. Files in a graded folder are named with an ESC sequence and as spreadsheet formulas. Each test
proves the containment happened: the attack's text is there, shown visibly, and nothing runs.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.conftest import ROOT, SUBMISSIONS

pytestmark = pytest.mark.timeout(600)  # a hang guard only

ESC_ATTACKS = {  # what a student's string can carry, as Python source escapes
    "clear": r"\x1b[2J\x1b[HScore 100 / 100",
    "clipboard": r"\x1b]52;c;cm0gLXJmIH4=\x07",
    "link": r"\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "title": r"\x1b]0;pwned\x07",
    "c1": r"\x9b2J",
    "return": r"abc\rScore 100",
}
MARKUP = "[link=http://evil.example/]rich link[/link] [bold]bold[/bold] <b>html</b> <img src=x onerror=alert(1)>"
BAD_KEYS = ["<script>alert(1)</script>", "[x](javascript:alert(1))", "a|b", "**bold**"]
FORMULA_NAMES = ['=HYPERLINK("evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]  # a file name holds no "/"
# anything that controls a terminal: C0 but TAB and LF, DEL, C1, and the bidi overrides
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile("\x1b\\[[0-9;]*m")  # colour and bold: what rich itself writes on a terminal, harmless


def hostile_source() -> str:
    """correct_student.py with three functions turned hostile (and a raw ESC byte in a source line, which a
    traceback quotes)."""
    attacks = " ".join(ESC_ATTACKS.values())
    source = (SUBMISSIONS / "correct_student.py").read_text(encoding="utf-8")
    source = source.replace("def linear_forward(A, W, b):\n", "def linear_forward(A, W, b):\n"
                            f"    print(\"{attacks} {MARKUP}\")\n"
                            f"    raise ValueError(\"{attacks} {MARKUP}\")  # raw: \x1b[2J\n", 1)
    source = source.replace("def compute_cost(AL, Y):\n", "def compute_cost(AL, Y):\n"
                            "    raise type(\"Evil\\x1b]0;owned\\x07\\x1b[2JError\", (Exception,), {})"
                            f"(\"{ESC_ATTACKS['clipboard']} {MARKUP}\")\n", 1)
    keys = "".join(f"    grads[{key!r}] = 0\n" for key in BAD_KEYS)
    head, tail = source.split("def L_model_backward(", 1)
    body, rest = tail.split("    return grads\n", 1)
    source = head + "def L_model_backward(" + body + keys + "    return grads\n" + rest
    assert source.count("raise ValueError") == 1 and source.count("grads['a|b']") == 1
    return source


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> dict:
    """The hostile file; a folder of files named as attacks; a 2-case rubric; a clean cwd for pytest."""
    root = tmp_path_factory.mktemp("injection")
    hostile = root / "student" / "hostile.py"
    hostile.parent.mkdir()
    hostile.write_text(hostile_source(), encoding="utf-8")
    folder = root / "class"
    folder.mkdir()
    (folder / "clear\x1b[2J\x1b]0;t\x07.py").write_text(hostile_source(), encoding="utf-8")
    for name in FORMULA_NAMES:
        (folder / f"{name}.py").write_text("import numpy as np\nx = 1\n", encoding="utf-8")
    rubric = root / "rubric.toml"
    rubric.write_text("[grading]\ncases = 2\n", encoding="utf-8")
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return {"root": root, "hostile": hostile, "folder": folder, "rubric": rubric, "elsewhere": elsewhere}


def run(args: list[str], cwd: Path, colour: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "160", "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    if colour:
        env.update(FORCE_COLOR="1", TERM="xterm-256color")
    else:
        env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def assert_inert(text: str, where: str) -> None:
    """No control character survives (rich's own colour codes aside)."""
    found = CONTROL.findall(SGR.sub("", text))
    assert not found, f"{where}: control characters {sorted(set(map(ascii, found)))}"


@pytest.fixture(scope="module")
def check_output(work) -> dict:
    args = ["-m", "grader", "check", "--device", "cpu", "--rubric", str(work["rubric"]), str(work["hostile"])]
    return {"plain": run(args, work["elsewhere"]), "colour": run(args, work["elsewhere"], colour=True),
            "markdown": run(args[:3] + ["--markdown"] + args[3:], work["elsewhere"])}


# --- the terminal ------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["plain", "colour"])
def test_check_shows_escape_sequences_from_messages_and_type_names_visibly(check_output, form):
    result = check_output[form]
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert_inert(out, f"check ({form})")
    flat = SGR.sub("", out)
    for shown in ("\\x1b[2J", "\\x1b]52;c;", "\\x1b]8;;http://evil.example/", "\\x1b]0;pwned\\x07", "\\x9b2J", "\\r"):
        assert shown in flat, shown  # the message's escapes, shown as text
    assert "Evil\\x1b]0;owned\\x07\\x1b[2JError" in flat  # the exception's class name, shown as text
    assert "raw: \\x1b[2J" in flat  # a raw ESC byte in a source line a traceback quotes


def test_check_does_not_parse_student_text_as_rich_markup(check_output):
    out = SGR.sub("", check_output["colour"].stdout)
    assert "[link=http://evil.example/]rich link[/link]" in out and "[bold]bold[/bold]" in out  # literally
    assert "\x1b]8;" not in check_output["colour"].stdout  # no hyperlink drawn by rich either


def test_check_shows_dict_keys_visibly(check_output):
    out = check_output["plain"].stdout
    assert all(key in out for key in ("<script>alert(1)</script>", "[x](javascript:alert(1))", "a|b"))


def test_pytest_output_carries_no_control(work):
    result = run(["-m", "pytest", f"--submission={work['hostile']}", f"--grader-rubric={work['rubric']}",
                  "--grader-device=cpu", "-p", "no:cacheprovider", "-rA"], work["elsewhere"])
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "linear_forward" in result.stdout and "\\x1b[2J" in result.stdout  # the failure was shown
    assert "Evil\\x1b]0;owned" in result.stdout
    assert_inert(result.stdout + result.stderr, "pytest")


# --- a batch: the printed table and summary.csv ------------------------------------------------------
@pytest.fixture(scope="module")
def batch(work) -> dict:
    out = work["root"] / "results"
    names = sorted(path.name for path in work["folder"].iterdir())  # relative: the path column starts with them
    result = run(["-m", "grader", "grade", "--device", "cpu", "--rubric", str(work["rubric"]), "-j", "1",
                  "--out", str(out), "--", *names], work["folder"])
    return {"result": result, "out": out}


def test_grade_prints_names_visibly(batch):
    result = batch["result"]
    assert result.returncode == 2, result.stdout + result.stderr  # the formula-named files define nothing
    assert sum("clear" in line for line in result.stdout.splitlines()) == 1  # the ESC-named entry's row
    assert_inert(result.stdout + result.stderr, "grade")


def test_summary_csv_has_no_formula_cells(batch):
    with (batch["out"] / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 1 + 1 + len(FORMULA_NAMES)
    paths = [row[rows[0].index("path")] for row in rows[1:]]
    for attack in FORMULA_NAMES:
        assert f"'{attack}.py" in paths, attack  # there, neutralised
    assert "clear\\x1b[2J\\x1b]0;t\\x07.py" in paths  # the ESC shown, not written
    for row in rows:
        for cell in row:
            assert not CONTROL.search(cell), cell
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                float(cell)  # only a number may start so


# --- Markdown ----------------------------------------------------------------------------------------
def rendered(markdown: str) -> str:
    """What a Markdown viewer makes of it: CommonMark with raw HTML allowed, plus GFM tables."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def outside_code(markdown: str) -> str:
    return re.sub(r"(?ms)^(`{3,})text\n.*?^\1$", "", markdown)


def assert_markdown_inert(markdown: str, where: str) -> None:
    assert not CONTROL.search(markdown), where
    html = rendered(markdown)
    assert "<script" not in html and "<img" not in html.replace('<img src="', "") and "<b>html" not in html, where
    links = re.findall(r'<a href="([^"]*)"', html)
    assert not links, f"{where}: live links {links}"
    assert "<" not in outside_code(markdown), where  # no raw HTML outside code blocks


def test_markdown_report_has_no_raw_html_and_no_live_link(check_output):
    result = check_output["markdown"]
    assert result.returncode == 1, result.stderr
    markdown = result.stdout
    assert_markdown_inert(markdown, "check --markdown")
    text = rendered(markdown)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "[x](javascript:alert(1))" in text  # shown, not run
    assert "a|b" in text and "**bold**" in text


def test_class_report_markdown_has_no_raw_html_and_no_live_link(batch):
    pages = list(batch["out"].glob("*.md"))
    assert pages, list(batch["out"].iterdir())
    for page in pages:
        markdown = page.read_text(encoding="utf-8")
        assert not CONTROL.search(markdown), page.name
        html = rendered(markdown)
        targets = re.findall(r'(?:href|src)="([^"]*)"', html)  # the report's own pictures only
        assert all(target.endswith(".png") and "evil" not in target for target in targets), (page.name, targets)
        assert "<script" not in html and "<" not in outside_code(markdown).replace("<", "", 0), page.name
        assert "HYPERLINK" in html and "<li>-2_3: " in html, page.name  # the names shown as text (no list inside a list)
