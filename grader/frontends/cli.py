"""The command line: `check` for a student, `grade` for an instructor.

Exit statuses are those of grader/exits.py: 0 full marks, 1 points lost, 2 could not be graded, 3 the
grader failed, 4 usage error. Mistakes in the grader's own use (a bad option, a missing path, an
unreadable rubric, CUDA asked for but absent) end with a one-line message and status 4, never a
traceback; argparse's own errors say the same with the usage line. Heavy imports wait until needed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import __version__, startup
from grader.errors import GraderError, GraderFault
from grader.exits import Exit, for_report
from grader.frontends.cli_options import common_options, jobs, out_file, roster


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits with the grader's usage status (4) instead of argparse's 2,
    which here means 'could not be graded'. Subcommand parsers are made of the same class."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(Exit.USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="backprop-grader",
        description="Grade backpropagation assignments ('Building your Deep Neural Network: Step by Step', "
        "'Convolution model: Step by Step') against PyTorch autograd.",
        epilog="exit status: 0 full marks, 1 points lost, 2 could not be graded, 3 the grader failed, 4 usage error "
        "(grade: the worst of its submissions)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser(
        "check", help="check one submission and print a readable report (exit 0 only with full marks)"
    )
    check.add_argument("path", help="a .py file, a .ipynb notebook, or a folder holding one")
    common_options(check, "student")
    form = check.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    form.add_argument("--json", action="store_true", help="print the JSON report instead")

    grade = sub.add_parser(
        "grade", help="grade submissions; write one JSON each, summary.csv, gradebook.csv and the class report"
    )
    grade.add_argument("paths", nargs="+", help="submissions, or folders of submissions")
    grade.add_argument(
        "--out", default="results", help="the folder for the JSON reports and summary.csv (default ./results)"
    )
    grade.add_argument(
        "-j",
        "--jobs",
        type=jobs,
        default=None,
        metavar="N",
        help="parallel workers, at least 1 (default: the number of cores)",
    )
    grade.add_argument(
        "--roster",
        type=roster,
        metavar="FILE",
        help="a CSV with a 'submission' column (alice for alice.py) and the "
        "LMS's identifier columns, copied into gradebook.csv "
        "(default: the submission's name as Student and SIS Login ID)",
    )
    grade.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is drawn only when standard error is a terminal anyway)",
    )
    common_options(grade)

    report = sub.add_parser("from-pytest-report", help="turn a pytest-json-report file into the grader's JSON")
    report.add_argument("file", help="the file written by pytest --json-report")
    report.add_argument("--out", type=out_file, metavar="FILE", help="write the JSON here instead of standard output")

    # Run by main() before this parser sees its words (pytest's own options are not ours to parse); listed
    # here so that --help shows it and a command line that uses it parses (no option prefix: every word is pytest's).
    tests = sub.add_parser(
        "pytest",
        add_help=False,
        prefix_chars="\0",
        help="run pytest on a submission with a configuration no student file chose "
        "(grader/frontends/pytest_command.py): backprop-grader pytest --submission=PATH [pytest options]",
    )
    tests.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, help="pytest's arguments; --submission=PATH is required"
    )

    from grader.judge.answer_cache import add_parser as add_prepare
    from grader.platforms import add_commands

    add_prepare(sub, COMMANDS)
    add_commands(sub, COMMANDS)
    return parser


def cmd_check(args) -> int:
    import json
    import os

    from grader.judge.grade import grade_file
    from grader.judge.results import make_report_dict
    from grader.judge.rubric import load_rubric

    path = Path(args.path)
    if not os.path.lexists(path):  # a link loop exists (as a link): the loader says what it is, exit 2
        raise GraderError(f"no such submission: {args.path}")
    # a student checking their own code is warned once; an instructor's grading refuses (see Grader.walls)
    weak = "allow" if args.allow_weak_sandbox else "warn"
    report = grade_file(path, load_rubric(args.rubric, args.assignment), args.seed, args.device, weak)
    if args.json:
        print(json.dumps(make_report_dict(report), indent=2))
    elif args.markdown:
        from grader.report.render_markdown import render_markdown

        print(render_markdown(report))
    else:
        from grader.report.render_terminal import print_report

        print_report(report)
    return for_report(report.status, report.score, report.max_score, report.fatal or "")


def cmd_grade(args) -> int:
    from grader.frontends.batch import grade_paths

    return grade_paths(args)


def cmd_from_pytest_report(args) -> int:
    import json

    from grader.frontends.pytest_report import report_from_pytest_json

    data = report_from_pytest_json(args.file)
    text = json.dumps(data, indent=2)
    if args.out:
        try:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise GraderError(f"cannot write {args.out}: {error}") from None
    else:
        print(text)
    return Exit.FULL_MARKS


COMMANDS = {"check": cmd_check, "grade": cmd_grade, "from-pytest-report": cmd_from_pytest_report}


def main(argv: list[str] | None = None) -> int:
    """The grader's command line. Called without `argv` (the console script, `python -m grader`) it is the
    process's entry point: nothing imported from the working folder is accepted (grader/startup.py)."""
    startup.drop_working_folder()
    words = sys.argv[1:] if argv is None else argv
    found = startup.problems(startup.named_paths(words), check_cwd=argv is None)  # before the parser's imports
    if found:
        print(f"grader: error: {startup.refusal(found)}", file=sys.stderr)
        return Exit.USAGE
    if words[:1] == ["pytest"]:
        from grader.frontends.pytest_command import run_pytest

        return run_pytest(words[1:])
    args = build_parser().parse_args(argv)
    try:
        found = startup.problems(startup.graded_paths(args), check_cwd=argv is None)
        if found:
            raise GraderError(startup.refusal(found))
        return int(COMMANDS[args.command](args))
    except GraderFault as error:
        print(f"grader: error: {error}", file=sys.stderr)
        return Exit.GRADER_FAULT
    except GraderError as error:
        print(f"grader: error: {error}", file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug of the grader's: say so with its traceback, and never exit 1 ('points lost')
        import traceback

        traceback.print_exc()
        print("grader: error: the grader failed (a bug in the grader, not in the submission)", file=sys.stderr)
        return Exit.GRADER_FAULT
