"""Coursera custom graders: a report as /shared/feedback.json plus rich HTML feedback.

Format (github.com/coursera/programming-assignments-demo, custom-graders/README.md and v2/README.md):
the grader finds the submission under /shared/submission and writes /shared/feedback.json,
`{"fractionalScore": 0..1, "feedback": "...", "feedbackType": "HTML"}`; with feedbackType HTML the
learner sees /shared/htmlFeedback.html instead of "feedback" (which is still required; we keep a plain
text version there). Coursera trims feedback to 64 KB. Checked by schemas/coursera.schema.json.
Coursera's older graders read the JSON from stdout, so the command prints it as its only stdout line.
"""

from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path

from grader.errors import GraderError
from grader.platforms.common import clip, fraction, grade_path, load_problem_lines, summary, write_atomic, write_json
from grader.results import Report, TestResult

FEEDBACK_BYTES = 64 * 1024
FEEDBACK_FILE = "feedback.json"
HTML_FILE = "htmlFeedback.html"
TEST_CHARS = 4000
_COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#cf222e", "timeout": "#9a6700"}


def _fit(text: str, limit_bytes: int) -> str:
    """Cut to `limit_bytes` of UTF-8 (Coursera's limit is in bytes), keeping whole characters."""
    if len(text.encode("utf-8")) <= limit_bytes:
        return text
    return clip(text.encode("utf-8")[: limit_bytes - 200].decode("utf-8", "ignore"), limit_bytes // 4)


def make_feedback_text(report: Report) -> str:
    """Plain-text feedback: the summary, then one paragraph per unit that lost points."""
    lines = [summary(report)]
    problems = load_problem_lines(report)
    if problems:
        lines += ["", "Problems found while reading your submission:"] + [f"- {p}" for p in problems]
    if report.tests:
        lines.append("")
    for test in report.tests:
        lines.append(f"{test.status.upper()}  {test.name}: {test.score:g} / {test.max_score:g}")
        if test.status != "passed":
            lines += ["    " + line for line in clip(test.feedback, TEST_CHARS).splitlines()]
    return _fit("\n".join(lines), FEEDBACK_BYTES)


def _test_html(test: TestResult) -> str:
    colour = _COLOURS.get(test.status, "#57606a")
    body = "" if test.status == "passed" else f"<pre>{escape(clip(test.feedback, TEST_CHARS))}</pre>"
    return (f'<tr><td><code>{escape(test.name)}</code></td>'
            f'<td style="color:{colour}"><b>{escape(test.status)}</b></td>'
            f"<td>{test.score:g} / {test.max_score:g}</td><td>{body}</td></tr>")


def make_feedback_html(report: Report) -> str:
    """A self-contained HTML fragment; every string from the report is escaped (it may carry student text)."""
    parts = ["<div>", f"<h3>{escape(summary(report))}</h3>"]
    problems = load_problem_lines(report)
    if problems:
        parts.append("<p>Problems found while reading your submission:</p><ul>")
        parts += [f"<li>{escape(p)}</li>" for p in problems]
        parts.append("</ul>")
    if report.tests:
        parts.append('<table border="1" cellpadding="4"><tr><th>unit</th><th>status</th><th>score</th><th>feedback</th></tr>')
        parts += [_test_html(test) for test in report.tests]
        parts.append("</table>")
    parts.append("</div>")
    return _fit("\n".join(parts), 4 * FEEDBACK_BYTES)


def make_feedback(report: Report) -> dict:
    """feedback.json for a report (the HTML goes to htmlFeedback.html beside it)."""
    return {"fractionalScore": fraction(report), "feedback": make_feedback_text(report), "feedbackType": "HTML"}


def write_feedback(shared: Path, report: Report) -> dict:
    """Write htmlFeedback.html first, then feedback.json (the file Coursera waits for) last."""
    write_atomic(shared / HTML_FILE, make_feedback_html(report) + "\n")
    data = make_feedback(report)
    write_json(shared / FEEDBACK_FILE, data)
    return data


def cmd_run(args) -> int:
    """Grade SHARED/submission; write SHARED/feedback.json and SHARED/htmlFeedback.html.

    A fault of the grader's own (a bad rubric, a missing folder) writes no feedback: Coursera then reports
    a failed grading, which is not counted as the learner's attempt, instead of a zero."""
    shared = Path(args.shared)
    submission = shared / "submission"
    if not submission.exists():
        raise GraderError(f"no submission folder: {submission}")
    report = grade_path(submission, args.rubric, args.seed, args.device)
    data = write_feedback(shared, report)
    print(json.dumps(data, ensure_ascii=True))
    print(f"wrote {shared / FEEDBACK_FILE} and {shared / HTML_FILE}: {data['fractionalScore']:.4f}", file=sys.stderr)
    return 0


def add_parser(sub, common) -> None:
    parser = sub.add_parser("coursera", help="grade as a Coursera custom grader")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser("run", help="grade SHARED/submission; write SHARED/feedback.json and htmlFeedback.html")
    run.add_argument("--shared", default="/shared", help="Coursera's shared folder (default /shared)")
    common(run)
    run.set_defaults(action_handler=cmd_run)
