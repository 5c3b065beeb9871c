"""The terminal report of `check`: a score table, then per failing function its diagnoses, layer map
and the details of a failing case, drawn with `rich`.

Colour only helps: every mark is also a word (ok / WRONG / ?), so the report reads the same with
NO_COLOR set, piped into a file, or in a log (plain ASCII tables when the output is not a terminal).

Student text (exception messages and type names, dict keys, file names) reaches the terminal only as a
`rich.text.Text` made by `_t`: never parsed as rich markup, and with every control character shown
visibly (`safe_text.terminal`), so it cannot clear the screen, forge a score, retitle the window, write
the clipboard (OSC 52) or draw a link (OSC 8).
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader import packs, safe_text
from grader.judge.results import CaseResult, Report, TestResult
from grader.pack import Pack
from grader.report import feedback, headline

if TYPE_CHECKING:
    from rich.console import JustifyMethod  # a Literal: rich defines it for type checkers only

PIPE_WIDTH = 110
STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "yellow"}


def _t(text: object, style: str = "", one_line: bool = False) -> Text:
    """Any text that may come from a student, as inert rich Text (no markup, no control characters)."""
    return Text(safe_text.terminal(text, keep_newlines=not one_line), style)


def _plain(console: Console) -> bool:
    return console.no_color or not console.is_terminal or console.color_system is None


def _box(console: Console):
    return box.ROUNDED if console.is_terminal else box.ASCII


def _mark(value, plain: bool) -> Text:
    if plain:
        return Text(feedback.MARKS[value])
    return {True: Text("✓ ok", "green"), False: Text("✗ WRONG", "bold red"), None: Text("?", "dim")}[value]


def score_table(report: Report, console: Console) -> Table:
    """One row per graded unit. The function column never wraps (a name cut in two reads as two names);
    the "likely cause" column is left out when no unit has one, so 80 columns hold the rest."""
    causes = [", ".join(d.code for d in test.diagnoses) for test in report.tests]
    columns: list[tuple[str, JustifyMethod, bool]] = [
        ("status", "left", False),
        ("function", "left", True),
        ("score", "right", True),
        ("cases", "right", True),
    ]
    if any(causes):
        columns.append(("likely cause", "left", False))
    table = Table(
        title=f"Score {feedback.points(report.score)} / {feedback.points(report.max_score)}",
        box=_box(console),
        title_justify="left",
    )
    for column, justify, whole in columns:
        table.add_column(column, justify=justify, overflow="fold", no_wrap=whole)
    for test, cause in zip(report.tests, causes):
        cases = f"{test.passed_cases}/{len(test.cases)}" if test.cases else "-"
        status = Text(test.status.upper(), STATUS_STYLE.get(test.status, ""))
        row = [
            status,
            _t(test.name, one_line=True),
            Text(f"{feedback.points(test.score)} / {feedback.points(test.max_score)}"),
            Text(cases),
        ]
        table.add_row(*row, *([_t(cause, one_line=True)] if any(causes) else []))
    return table


def layer_map_table(test: TestResult, console: Console, CELLS: tuple[str, ...]) -> Table:
    plain = _plain(console)
    table = Table(box=_box(console))
    for column in ("layer",) + CELLS + ("own step",):
        table.add_column(column)
    rows = test.layer_map or []  # called only for a test that has one
    L = rows[0]["layer"]
    for row in rows:
        step = {True: "right", False: "wrong", None: "?"}[row.get("step")]
        table.add_row(
            Text(f"{row['layer']}{' (L)' if row['layer'] == L else ''}"),
            *(_mark(row.get(c), plain) for c in CELLS),
            Text(step),
        )
    return table


NUMERIC_KINDS = ("value", "shape", "dtype", "nonfinite")


def mismatch_table(mismatches: list, console: Console) -> Table:
    table = Table(box=_box(console))
    widths: tuple[tuple[str, JustifyMethod], ...] = (
        ("quantity", "left"),
        ("what is wrong", "left"),
        ("expected shape", "right"),
        ("returned shape", "right"),
        ("max abs error", "right"),
        ("max rel error", "right"),
        ("at index", "right"),
    )
    for column, justify in widths:
        table.add_column(column, justify=justify, overflow="fold")
    for m in mismatches:
        table.add_row(
            _t(m.path, one_line=True),
            _t(m.kind, one_line=True),
            Text(feedback.shape(m.expected_shape)),
            Text(feedback.shape(m.got_shape)),
            Text(feedback.number(m.max_abs_error)),
            Text(feedback.number(m.max_rel_error)),
            Text(str(tuple(m.index)) if m.index else "-"),
        )
    return table


def case_block(case: CaseResult, console: Console) -> list:
    """The details of one failing case: a table of wrong arrays with excerpts, or the crash, or the timeout."""
    head = _t(f"{'Timed out' if case.status == 'timeout' else 'Failing'} {feedback.where(case)}", "bold")
    if case.status == "failed" and case.mismatches:
        shown = case.mismatches[: feedback.MAX_MISMATCHES]
        numeric = [m for m in shown if m.kind in NUMERIC_KINDS]
        parts: list = [head] + [_t(m.message) for m in shown if m.kind not in NUMERIC_KINDS]
        if numeric:
            parts.append(mismatch_table(numeric, console))
        for m in numeric:
            if m.kind == "value" and not m.message.startswith(f"{m.path} has wrong values"):
                parts.append(Text(m.message))  # a pack's own words (the table says only "value")
            if m.kind == "value" and m.expected_excerpt is not None:
                parts.append(_t(f"{m.path}, {feedback.excerpt_note(m)}:"))
                parts.append(Text(f"  expected {feedback.numbers(m.expected_excerpt)}", "green"))
                parts.append(Text(f"  returned {feedback.numbers(m.got_excerpt)}", "red"))
            elif m.kind != "value" and not m.message.startswith(m.path):  # the table has it, unless there is context
                parts.append(_t(m.message))
        if len(case.mismatches) > feedback.MAX_MISMATCHES:
            parts.append(Text(f"... and {len(case.mismatches) - feedback.MAX_MISMATCHES} more wrong quantities", "dim"))
        return parts
    if case.status == "timeout":
        return [head, _t(case.note or "no result", "yellow")] + [_t(line) for line in feedback.timeout_lines(case)]
    if case.error:
        return [head] + [_t(line, "red" if i == 0 else "") for i, line in enumerate(feedback.error_lines(case))]
    return [head, _t(case.note or "no result", "yellow")]


def test_panel(test: TestResult, console: Console, pack: Pack | None = None) -> Panel:
    pack = pack or packs.get(packs.DEFAULT)
    parts: list = []
    if test.problem:
        parts.append(_t(test.problem, "red"))
    else:
        parts.append(_t(feedback.count_line(test)))
        for d in test.diagnoses:
            parts += [
                Text(""),
                _t(f"Likely cause [{d.code}]: {d.title}", "bold yellow"),
                _t(d.message),
                Text.assemble(("Expected: ", "bold"), _t(d.expected, "cyan")),
            ]
        if test.layer_map:
            parts += [
                Text(""),
                _t(feedback.layer_map_title(test), "bold"),
                layer_map_table(test, console, pack.layer_cells),
            ]
            sentence = pack.explain_layer_map(test.layer_map, [d.code for d in test.diagnoses])
            if sentence:
                parts.append(_t(sentence, "italic"))
        first = test.first_failure()
        if first is not None:
            parts += [Text("")] + case_block(first, console)
    for notice in test.notices:
        parts.append(_t(notice, "dim"))
    title = _t(
        f"{test.name}: {test.status.upper()} ({feedback.points(test.score)} / {feedback.points(test.max_score)})",
        one_line=True,
    )
    return Panel(
        Group(*parts),
        title=title,
        title_align="left",
        box=_box(console),
        border_style=STATUS_STYLE.get(test.status, ""),
    )


def sandbox_line(sandbox: dict) -> str:
    """The walls in force, in one line (the report's `sandbox` field)."""
    return f"{sandbox['mode']}: {', '.join(sandbox['walls'])}"


def render(report: Report, console: Console) -> None:
    console.print(_t(f"Submission: {report.submission}", "bold", one_line=True))
    console.print(_t(f"Assignment: {packs.of_report(report).title}; seed {report.seed}, device {report.device}"))
    if report.notebook_version:
        console.print(_t(packs.of_report(report).version_line(report.notebook_version), "dim"))
    if report.sandbox:
        console.print(_t(f"Sandbox {sandbox_line(report.sandbox)}", "dim"))
    line = headline.headline(report)
    if line and line != report.fatal:
        console.print(_t(line, "bold yellow"))
    if report.fatal:
        console.print(_t(report.fatal, "bold red"))
        return
    for problem in report.load_problems:
        if not headline.is_headline_notice(problem):  # shown once, as the headline
            console.print(_t(f"! {problem['where']}: {problem['message']}", "yellow"))
    console.print(score_table(report, console))
    for test in report.tests:
        if test.status != "passed" or test.notices:
            console.print(test_panel(test, console, packs.of_report(report)))


def render_text(report: Report, width: int = PIPE_WIDTH) -> str:
    """The report as plain text (no colour codes), for files, logs and tests."""
    buffer = io.StringIO()
    render(report, Console(file=buffer, width=width, no_color=True, force_terminal=False, highlight=False))
    return buffer.getvalue()


def print_report(report: Report, console: Console | None = None) -> None:
    """What `backprop-grader check` prints: colour on a terminal, plain text elsewhere or with NO_COLOR."""
    if console is None:
        console = Console(highlight=False)
        if not console.is_terminal and "COLUMNS" not in os.environ:
            console = Console(highlight=False, width=PIPE_WIDTH)  # a file or a log: no reason to squeeze to 80
    render(report, console)
