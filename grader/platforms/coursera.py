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
import os
import sys
from pathlib import Path

from grader.errors import GraderError
from grader.judge.results import Report, make_report_dict
from grader.platforms.common import clip, fraction, grade_path, load_problem_lines, summary, write_atomic, write_json

FEEDBACK_BYTES = 64 * 1024
FEEDBACK_FILE = "feedback.json"
HTML_FILE = "htmlFeedback.html"
TEST_CHARS = 4000
HTML_BYTES = 4 * FEEDBACK_BYTES


def _fit(text: str, limit_bytes: int) -> str:
    """Cut to `limit_bytes` of UTF-8 (Coursera's limit is in bytes), keeping whole characters."""
    if len(text.encode("utf-8")) <= limit_bytes:
        return text
    return clip(text.encode("utf-8")[: limit_bytes - 200].decode("utf-8", "ignore"), limit_bytes // 4)


def make_feedback_text(report: Report) -> str:
    """Plain-text feedback: the summary, then one paragraph per unit that lost points."""
    from grader.report.feedback import points
    from grader.report.headline import NOTICE_WHERE

    lines = [summary(report)]  # with the headline, when there is one
    problems = [line for line in load_problem_lines(report) if not line.startswith(f"{NOTICE_WHERE}: ")]
    if problems:
        lines += ["", "Problems found while reading your submission:"] + [f"- {p}" for p in problems]
    if report.tests:
        lines.append("")
    for test in report.tests:
        lines.append(f"{test.status.upper()}  {test.name}: {points(test.score)} / {points(test.max_score)}")
        if test.status != "passed":
            lines += ["    " + line for line in clip(test.feedback, TEST_CHARS).splitlines()]
    return _fit("\n".join(lines), FEEDBACK_BYTES)


def make_feedback_html(report: Report) -> str:
    """The class report's rendering of one submission (html_report.fragment): one well-formed <div>, every
    string from the report escaped; its first failing case per unit, or only the table if that is too big."""
    from grader.report.html_report import fragment

    data = make_report_dict(report)
    html = fragment(data, cases=1)
    if len(html.encode("utf-8")) > HTML_BYTES:
        html = fragment(data, details=False)
    return html


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
    a failed grading, which is not counted as the learner's attempt, instead of a zero. Exit status as
    grader/exits.py (0, 1, 2 once the feedback is written; 3 or 4 when it is not)."""
    from grader.exits import for_report
    from grader.frontends.cli_options import warn_public_seed

    shared = Path(args.shared)
    submission = shared / "submission"
    if not os.path.lexists(submission):  # a link loop is the student's (the loader says what it is), not a usage error
        raise GraderError(f"no submission folder: {submission}")
    warn_public_seed(args.seed, "coursera run")
    report = grade_path(
        submission, args.rubric, args.seed, args.device, args.allow_weak_sandbox, getattr(args, "assignment", None)
    )
    data = write_feedback(shared, report)
    print(json.dumps(data, ensure_ascii=True))
    print(f"wrote {shared / FEEDBACK_FILE} and {shared / HTML_FILE}: {data['fractionalScore']:.4f}", file=sys.stderr)
    return for_report(report.status, report.score, report.max_score, report.fatal or "")


def add_parser(sub, common) -> None:
    parser = sub.add_parser("coursera", help="grade as a Coursera custom grader")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser("run", help="grade SHARED/submission; write SHARED/feedback.json and htmlFeedback.html")
    run.add_argument("--shared", default="/shared", help="Coursera's shared folder (default /shared)")
    common(run)
    run.set_defaults(action_handler=cmd_run)
