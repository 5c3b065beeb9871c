"""The terminal report of `check` (plain text; colour comes with the teaching-feedback work)."""

from __future__ import annotations

from grader.results import Report


def render_text(report: Report) -> str:
    lines = [f"Submission: {report.submission}", f"Score: {report.score:g} / {report.max_score:g}  (seed {report.seed}, device {report.device})"]
    if report.fatal:
        return "\n".join(lines + ["", report.fatal])
    for problem in report.load_problems:
        lines.append(f"  ! {problem['where']}: {problem['message']}")
    lines.append("")
    for test in report.tests:
        lines.append(f"{test.status.upper():8s} {test.name:28s} {test.score:6.2f} / {test.max_score:g}")
        if test.status != "passed":
            lines += ["         " + line for line in test.feedback.splitlines()]
    return "\n".join(lines)


def print_report(report: Report) -> None:
    print(render_text(report))
