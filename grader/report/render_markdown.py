"""The whole report as Markdown, for platforms that show it (Gradescope, Coursera, a course forum).

GitHub-flavoured Markdown only: headings, tables, lists, code spans and fenced blocks, no HTML. Student
text is never markup: a line of it (a message, a dict key, a file name) goes through `safe_text.markdown`
(every markup character escaped, `<` as `&lt;`, controls shown), and a traceback into a fence longer
than any backtick run in it (`safe_text.markdown_code`); code spans hold only the grader's own names.
"""

from __future__ import annotations

from grader import packs, safe_text
from grader.judge.results import CaseResult, Report, TestResult
from grader.pack import Pack
from grader.report import feedback, headline

MARK = {True: "✅ ok", False: "❌ **WRONG**", None: "❔"}
STATUS = {"passed": "✅ passed", "failed": "❌ failed", "error": "❌ error", "timeout": "⏱ timeout"}


def cell(text) -> str:
    """Any text that may come from a student, as literal Markdown: safe in a table cell and in prose."""
    return safe_text.markdown(text)


def code(text) -> str:
    """An inline code span for the grader's own names (units, misconception codes, formulas); it survives
    backticks and shows control characters, but a student's text goes through `cell` instead."""
    text = safe_text.terminal(text, keep_newlines=False)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def block(lines: list[str], info: str = "text") -> list[str]:
    fence = "````" if any("```" in line for line in lines) else "```"
    return [f"{fence}{info}", *lines, fence]


def score_table(report: Report) -> list[str]:
    lines = ["| function | status | score | cases | likely cause |", "|---|---|--:|--:|---|"]
    for test in report.tests:
        cases = f"{test.passed_cases}/{len(test.cases)}" if test.cases else "-"
        causes = ", ".join(code(d.code) for d in test.diagnoses)
        lines.append(
            f"| {code(test.name)} | {STATUS.get(test.status, test.status)} | {feedback.points(test.score)} / "
            f"{feedback.points(test.max_score)} | {cases} | {causes} |"
        )
    return lines


def layer_map(test: TestResult, pack: Pack) -> list[str]:
    CELLS = pack.layer_cells
    rows = test.layer_map or []  # called only for a test that has one
    L = rows[0]["layer"]
    lines = [
        f"**{feedback.layer_map_title(test)}**",
        "",
        "| layer | " + " | ".join(CELLS) + " | own step |",
        "|---|" + "---|" * len(CELLS) + "---|",
    ]
    for row in rows:
        step = {True: "right", False: "**wrong**", None: "❔"}[row.get("step")]
        label = f"{row['layer']}{' (L)' if row['layer'] == L else ''}"
        lines.append(f"| {label} | " + " | ".join(MARK[row.get(c)] for c in CELLS) + f" | {step} |")
    sentence = pack.explain_layer_map(test.layer_map, [d.code for d in test.diagnoses])
    return lines + (["", cell(sentence)] if sentence else [])


def failing_case(case: CaseResult) -> list[str]:
    head = f"**{'Timed out' if case.status == 'timeout' else 'Failing'} {cell(feedback.where(case))}**"
    if case.status == "failed" and case.mismatches:
        shown = case.mismatches[: feedback.MAX_MISMATCHES]
        numeric = [m for m in shown if m.kind in ("value", "shape", "dtype", "nonfinite")]
        lines = [head, ""] + [f"- {cell(m.message)}" for m in shown if m not in numeric]
        if numeric:
            lines += [
                "",
                "| quantity | what is wrong | expected shape | returned shape | max abs error | max rel error "
                "| at index |",
                "|---|---|--:|--:|--:|--:|--:|",
            ]
            lines += [
                f"| {cell(m.path)} | {cell(m.message)} | {feedback.shape(m.expected_shape)} | "
                f"{feedback.shape(m.got_shape)} | {feedback.number(m.max_abs_error)} | "
                f"{feedback.number(m.max_rel_error)} | {tuple(m.index) if m.index else '-'} |"
                for m in numeric
            ]
            excerpts = [m for m in numeric if m.kind == "value" and m.expected_excerpt is not None]
            for m in excerpts:
                lines += [
                    "",
                    f"{cell(m.path)}, {cell(feedback.excerpt_note(m))}:",
                    *block(
                        [
                            f"expected {feedback.numbers(m.expected_excerpt)}",
                            f"returned {feedback.numbers(m.got_excerpt)}",
                        ]
                    ),
                ]
        if len(case.mismatches) > feedback.MAX_MISMATCHES:
            lines += ["", f"... and {len(case.mismatches) - feedback.MAX_MISMATCHES} more wrong quantities."]
        return lines
    if case.status == "timeout":
        return [
            head,
            "",
            cell(case.note or "no result"),
            *(
                ["", safe_text.markdown_code("\n".join(feedback.timeout_lines(case)))]
                if feedback.timeout_lines(case)
                else []
            ),
        ]
    if case.error:
        return [head, "", safe_text.markdown_code("\n".join(feedback.error_lines(case)))]
    return [head, "", cell(case.note or "no result")]


def test_section(test: TestResult, pack: Pack | None = None) -> list[str]:
    pack = pack or packs.get(packs.DEFAULT)
    lines = [
        f"### {code(test.name)}: {STATUS.get(test.status, test.status)} ({feedback.points(test.score)} / "
        f"{feedback.points(test.max_score)})",
        "",
    ]
    if test.problem:
        return lines + [cell(test.problem), ""]
    lines.append(cell(feedback.count_line(test)))
    for d in test.diagnoses:
        lines += [
            "",
            f"> **Likely cause {code(d.code)}: {cell(d.title)}.** {cell(d.message)}",
            ">",
            f"> Expected: {code(d.expected)}",
        ]
    if test.layer_map:
        lines += [""] + layer_map(test, pack)
    first = test.first_failure()
    if first is not None:
        lines += [""] + failing_case(first)
    for notice in test.notices:
        lines += ["", f"*{cell(notice)}*"]
    return lines + [""]


def render_markdown(report: Report) -> str:
    lines = [
        f"# Grading report: {cell(report.submission)}",
        "",
        f"**Score: {feedback.points(report.score)} / {feedback.points(report.max_score)}** "
        f"({cell(packs.of_report(report).title)}; "
        f"seed {report.seed}, device {cell(report.device)})",
        "",
    ]
    line = headline.headline(report)
    if line:
        lines += [f"> **{cell(line)}**", ""]
    if report.notebook_version:
        lines += [cell(packs.of_report(report).version_line(report.notebook_version)), ""]
    if report.sandbox:
        from grader.report.render_terminal import sandbox_line

        lines += [f"*Sandbox {cell(sandbox_line(report.sandbox))}*", ""]
    if report.fatal:
        return "\n".join(lines + [cell(report.fatal), ""])
    if any(not headline.is_headline_notice(p) for p in report.load_problems):
        lines += ["**While loading your code:**", ""]
        lines += [
            f"- {cell(p['where'])}: {cell(p['message'])}"
            for p in report.load_problems
            if not headline.is_headline_notice(p)
        ] + [""]
    lines += score_table(report) + [""]
    failing = [t for t in report.tests if t.status != "passed" or t.notices]
    if failing:
        lines += ["## What to fix", ""]
        for test in failing:
            lines += test_section(test, packs.of_report(report))
    else:
        lines += ["Every check passed.", ""]
    return "\n".join(lines)
