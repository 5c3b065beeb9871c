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

from grader import __version__
from grader.errors import GraderError, GraderFault
from grader.exits import Exit, for_report

PUBLIC_SEED = 0  # the default: the seed students check their work with


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits with the grader's usage status (4) instead of argparse's 2,
    which here means 'could not be graded'. Subcommand parsers are made of the same class."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(Exit.USAGE, f"{self.prog}: error: {message}\n")


def jobs(text: str) -> int:
    """-j N: a whole number of workers, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of workers, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (leave -j out to use every core), not {value}")
    return value


def warn_public_seed(seed: int, command: str) -> None:
    """One line on standard error when an instructor's command grades on the seed students check with."""
    if seed == PUBLIC_SEED:
        print(f"grader: warning: {command} is using seed {PUBLIC_SEED}, the public seed students check with; "
              "pass --seed N of your own for real grading", file=sys.stderr)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=PUBLIC_SEED, help=f"the seed of the random cases (default {PUBLIC_SEED}, the public one); the same seed gives the same cases and scores")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="where autograd runs (default auto: CUDA if available)")
    parser.add_argument("--rubric", metavar="FILE", help="a TOML rubric overriding points, case counts, limits and rules")
    parser.add_argument("--assignment", metavar="NAME", default=None,
                        help="the assignment pack to grade by (default: the rubric's, else recognised from each submission)")
    parser.add_argument("--allow-weak-sandbox", action="store_true",
                        help="grade even where the kernel offers no wall for student code (no user namespaces, no "
                             "Landlock, not root): the code then runs with your user's rights")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m grader", description="Grade backpropagation assignments ('Building your Deep Neural Network: Step by Step', "
                    "'Convolution model: Step by Step') against PyTorch autograd.",
                    epilog="exit status: 0 full marks, 1 points lost, 2 could not be graded, 3 the grader failed, 4 usage error "
                           "(grade: the worst of its submissions)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="check one submission and print a readable report (exit 0 only with full marks)")
    check.add_argument("path", help="a .py file, a .ipynb notebook, or a folder holding one")
    _common(check)
    form = check.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    form.add_argument("--json", action="store_true", help="print the JSON report instead")

    grade = sub.add_parser("grade", help="grade submissions; write one JSON each and summary.csv")
    grade.add_argument("paths", nargs="+", help="submissions, or folders of submissions")
    grade.add_argument("--out", default="results", help="the folder for the JSON reports and summary.csv (default ./results)")
    grade.add_argument("-j", "--jobs", type=jobs, default=None, metavar="N", help="parallel workers, at least 1 (default: the number of cores)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar (it is drawn only when standard error is a terminal anyway)")
    _common(grade)

    report = sub.add_parser("from-pytest-report", help="turn a pytest-json-report file into the grader's JSON")
    report.add_argument("file", help="the file written by pytest --json-report")
    report.add_argument("--out", help="write the JSON here instead of standard output")

    from grader.answer_cache import add_parser as add_prepare
    from grader.platforms import add_commands

    add_prepare(sub, COMMANDS)
    add_commands(sub, COMMANDS)
    return parser


def cmd_check(args) -> int:
    import json
    import os

    from grader.grade import grade_file
    from grader.results import make_report_dict
    from grader.rubric import load_rubric

    path = Path(args.path)
    if not os.path.lexists(path):  # a link loop exists (as a link): the loader says what it is, exit 2
        raise GraderError(f"no such submission: {args.path}")
    # a student checking their own code is warned once; an instructor's grading refuses (see Grader.walls)
    weak = "allow" if args.allow_weak_sandbox else "warn"
    report = grade_file(path, load_rubric(args.rubric, args.assignment), args.seed, args.device, weak)
    if args.json:
        print(json.dumps(make_report_dict(report), indent=2))
    elif args.markdown:
        from grader.render_markdown import render_markdown

        print(render_markdown(report))
    else:
        from grader.render_terminal import print_report

        print_report(report)
    return for_report(report.status, report.score, report.max_score, report.fatal or "")


def cmd_grade(args) -> int:
    from grader.batch import grade_paths

    return grade_paths(args)


def cmd_from_pytest_report(args) -> int:
    import json

    from grader.pytest_report import report_from_pytest_json

    data = report_from_pytest_json(args.file)
    text = json.dumps(data, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return Exit.FULL_MARKS


COMMANDS = {"check": cmd_check, "grade": cmd_grade, "from-pytest-report": cmd_from_pytest_report}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
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
