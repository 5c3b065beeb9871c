"""Autolab: a short human summary on stdout, then the autoresult as the last line.

Format (https://docs.autolabproject.com/lab/, "Writing Autograders"): the last text line on stdout is a
JSON object, `{"scores": {"Prob1": 10, ...}, "scoreboard": [...]}` (scoreboard optional), with problem
names exactly as configured on the lab; everything above it is shown to the student as feedback.
Checked by schemas/autolab.schema.json. Our problems are the rubric's units, one per graded function
plus end_to_end, scored in the rubric's points; the scoreboard is `[total]`.

The student's own prints never reach this stdout: the sandbox sends them to /dev/null at the file
descriptor level and keeps only a capped copy that we do not print. The autoresult is printed after
the sandbox has shut down, so nothing can follow it.
"""

from __future__ import annotations

import json
import sys

from grader import packs
from grader.judge.results import Report
from grader.platforms.common import load_problem_lines, one_line, summary

FEEDBACK_LINES = 4  # per unit that lost points: enough to act on, short enough to read


def make_autoresult(report: Report, units: tuple[str, ...] | None = None, scoreboard: bool = True) -> dict:
    """{"scores": {unit: points}} for every unit of the report's assignment (0 where the unit was not
    graded), plus [total]."""
    if units is None:
        units = packs.get(report.assignment or packs.DEFAULT).units
    scores = {unit: 0.0 for unit in units}
    if not report.fatal:
        scores.update({test.function: round(test.score, 2) for test in report.tests})  # as the summary shows it
    data: dict = {"scores": scores}
    if scoreboard:
        data["scoreboard"] = [round(report.score, 2)]
    return data


def autoresult_line(report: Report, scoreboard: bool = True) -> str:
    """The autoresult as exactly one line (json.dumps escapes any newline inside a string)."""
    return json.dumps(make_autoresult(report, scoreboard=scoreboard), separators=(", ", ": "))


def make_summary(report: Report) -> str:
    """A few lines for the student: overall score, then one line per unit with its first feedback line."""
    from grader.report.feedback import points
    from grader.report.headline import NOTICE_WHERE

    lines = [one_line(summary(report), 600)]  # with the headline, when there is one
    lines += [f"  ! {p}" for p in load_problem_lines(report) if not p.startswith(f"{NOTICE_WHERE}: ")]
    for test in report.tests:
        lines.append(f"{test.status.upper():8s} {test.name:28s} {points(test.score):>6s} / {points(test.max_score)}")
        if test.status != "passed":
            feedback = [one_line(line, 240) for line in test.feedback.splitlines() if line.strip()]
            lines += ["         - " + line for line in feedback[:FEEDBACK_LINES]]  # no line of ours parses as JSON
    return "\n".join(lines)


def parse_autoresult(stdout: str) -> dict:
    """What Autolab reads: the JSON on the last text line of the output (for tests and for checking a run)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("no output")
    return json.loads(lines[-1])


def cmd_run(args) -> int:
    """Exit status as grader/exits.py: 0, 1 or 2 once the autoresult is printed, 3 or 4 with none. In the
    autograde Makefile, end the command with `|| [ $$? -le 2 ]`: make prints an error line after a command
    that exits non-zero, and Autolab reads the last line."""
    from grader.exits import for_report
    from grader.frontends.cli_options import warn_public_seed
    from grader.platforms.common import grade_path

    warn_public_seed(args.seed, "autolab run")
    report = grade_path(
        args.path, args.rubric, args.seed, args.device, args.allow_weak_sandbox, getattr(args, "assignment", None)
    )  # the sandbox is closed when this returns
    sys.stderr.flush()
    out = sys.stdout
    out.write(make_summary(report) + "\n")
    out.write(autoresult_line(report, scoreboard=not args.no_scoreboard) + "\n")
    out.flush()
    return for_report(report.status, report.score, report.max_score, report.fatal or "")


def add_parser(sub, common) -> None:
    parser = sub.add_parser("autolab", help="grade as an Autolab autograder (autoresult on the last line)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser("run", help='grade PATH; print a summary, then {"scores": ...} as the last line')
    run.add_argument("path", help="the handin: a .py file, a .ipynb notebook, or a folder holding one")
    common(run)
    run.add_argument("--no-scoreboard", action="store_true", help='leave out the "scoreboard": [total] entry')
    run.set_defaults(action_handler=cmd_run)
