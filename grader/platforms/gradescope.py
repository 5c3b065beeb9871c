"""Gradescope: a report as `results.json`, and `gradescope run`, the command an installed autograder runs.

Format: https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format"); checked by
schemas/gradescope.schema.json. Gradescope runs `run_autograder` in /autograder, with the submission in
/autograder/submission, and reads /autograder/results/results.json. Everything our process prints goes to
/autograder/results/stdout, which only instructors see; students see the JSON's "output" fields.
"""

from __future__ import annotations

import math
import sys
import time
import traceback
from pathlib import Path

from grader.errors import GraderError
from grader.judge.results import Report, TestResult
from grader.platforms.common import (
    RUBRIC_NAME,
    VISIBILITIES,
    clip,
    grade_path,
    load_problem_lines,
    rich_markdown,
    summary,
    write_json,
)
from grader.report import headline

TEST_OUTPUT_CHARS = 8000
OUTPUT_CHARS = 60000


def _seconds(value: float) -> int:
    return max(0, math.ceil(value))


def _points(value: float) -> float:
    """A score as people read it (two decimals at most), the same figure the text reports show."""
    return round(float(value), 2)


def make_test(test: TestResult, number: int, visibility: str = "visible") -> dict:
    """One graded unit as a Gradescope test: passed only with every case right, else failed."""
    return {
        "name": test.name,
        "number": str(number),
        "score": _points(test.score),
        "max_score": _points(test.max_score),
        "status": "passed" if test.status == "passed" else "failed",
        "output": clip(test.feedback or test.status, TEST_OUTPUT_CHARS),
        "output_format": "text",
        "visibility": visibility,
    }


def make_html_output(report: Report) -> str:
    """The class report's rendering of one submission (html_report.fragment), for `output_format: html`:
    the first failing case per unit, or only the score table when that would not fit OUTPUT_CHARS."""
    from grader.judge.results import make_report_dict
    from grader.report.html_report import fragment

    data = make_report_dict(report)
    html = fragment(data, cases=1)
    return html if len(html) <= OUTPUT_CHARS else fragment(data, details=False)


def make_output(report: Report, markdown: str | None = None) -> tuple[str, str]:
    """The top-level (output, output_format): a short summary, then the Markdown report where one exists."""
    lines = [summary(report)]
    problems = [line for line in load_problem_lines(report) if not line.startswith(f"{headline.NOTICE_WHERE}: ")]
    if problems:
        lines += ["", "Problems found while reading your submission:"] + [f"- {p}" for p in problems]
    if markdown:
        return clip("\n".join(lines) + "\n\n" + markdown, OUTPUT_CHARS), "md"
    return clip("\n".join(lines), OUTPUT_CHARS), "text"


def unit_points(report: Report) -> dict[str, float]:
    """Each graded unit's points, for a report that has no tests (it could not be graded): the pack's
    defaults. `cmd_run` passes the rubric's own instead."""
    from grader import packs

    pack = packs.of_report(report)
    return {unit: float(pack.default_points[unit]) for unit in pack.units if unit in pack.default_points}


def make_results(
    report: Report,
    markdown: str | None = None,
    visibility: str = "visible",
    html: str | None = None,
    units: dict[str, float] | None = None,
) -> dict:
    """results.json for a report. The tests are always the graded units, in rubric order: a submission
    that could not be graded at all gets each of them at 0 with the reason, so that the gradebook's
    columns are the same for every student. `units`: unit -> points (the rubric's; default the pack's).

    The top-level output is `html` (output_format html) when given, else the summary and `markdown`."""
    output, output_format = (html, "html") if html is not None else make_output(report, markdown)
    if report.fatal:
        reason = clip(report.fatal, TEST_OUTPUT_CHARS)
        line = headline.headline(report)
        if line:
            reason = clip(f"{line}\n{report.fatal}", TEST_OUTPUT_CHARS)
        tests = [
            {
                "name": name,
                "number": str(number),
                "score": 0.0,
                "max_score": _points(points),
                "status": "failed",
                "output": reason,
                "output_format": "text",
                "visibility": visibility,
            }
            for number, (name, points) in enumerate((units or unit_points(report)).items(), start=1)
        ]
    else:
        tests = [make_test(test, number, visibility) for number, test in enumerate(report.tests, start=1)]
    return {
        "score": _points(report.score),
        "execution_time": _seconds(report.seconds),
        "output": output,
        "output_format": output_format,
        "visibility": visibility,
        "tests": tests,
        "extra_data": {
            "max_score": report.max_score,
            "status": report.status,
            "seed": report.seed,
            "device": report.device,
            "rubric": report.rubric_fingerprint,
            "versions": report.versions,
        },
    }


def make_error_results(message: str, seconds: float = 0.0) -> dict:
    """results.json when the autograder itself failed (not the student): Gradescope's best practice is
    to write a results file even then, so the student sees a message rather than a bare failure."""
    text = clip(
        f"The autograder could not grade this submission because of a problem on the course's side, "
        f"not in your code: {message}\nPlease tell the course staff; they can regrade it.",
        TEST_OUTPUT_CHARS,
    )
    return {
        "score": 0.0,
        "execution_time": _seconds(seconds),
        "output": text,
        "output_format": "text",
        "tests": [
            {
                "name": "Autograder error",
                "number": "1",
                "score": 0.0,
                "max_score": 0.0,
                "status": "failed",
                "output": text,
                "output_format": "text",
                "visibility": "visible",
            }
        ],
        "extra_data": {"status": "grader_error"},
    }


# --- the command ---------------------------------------------------------------------------------
def find_rubric(root: Path, given: str | None) -> Path | None:
    """--rubric wins; otherwise the rubric.toml that build-zip shipped in ROOT/source, if any."""
    if given:
        return Path(given)
    shipped = root / "source" / RUBRIC_NAME
    return shipped if shipped.is_file() else None


def cmd_run(args) -> int:
    """Grade ROOT/submission and write ROOT/results/results.json, whatever happens.

    Exit status as grader/exits.py: the student's result (0, 1, 2) once results.json holds it; 4 for the
    course's own mistake (a bad rubric), 3 for a grader fault; a results file is written in every case."""
    from grader.errors import GraderFault
    from grader.exits import Exit, for_report
    from grader.frontends.cli_options import warn_public_seed

    root = Path(args.root)
    out = root / "results" / "results.json"
    started = time.perf_counter()
    warn_public_seed(args.seed, "gradescope run")
    try:
        from grader import packs
        from grader.judge.rubric import load_rubric

        rubric_path = find_rubric(root, args.rubric)
        report = grade_path(
            root / "submission",
            rubric_path,
            args.seed,
            args.device,
            args.allow_weak_sandbox,
            getattr(args, "assignment", None),
        )
        rubric = load_rubric(rubric_path, getattr(args, "assignment", None), default=packs.DEFAULT)
        units = {name: unit.points for name, unit in rubric.units.items()}  # the same tests for every student
        try:
            data = make_results(report, visibility=args.visibility, html=make_html_output(report), units=units)
        except Exception:  # noqa: BLE001 - a renderer bug must not cost a student their result file
            traceback.print_exc()
            data = make_results(report, rich_markdown(report), args.visibility, units=units)
        data["execution_time"] = _seconds(time.perf_counter() - started)
        line, code = summary(report), for_report(report.status, report.score, report.max_score, report.fatal or "")
    except GraderError as error:
        print(f"grader: error: {error}", file=sys.stderr)
        data = make_error_results(str(error), time.perf_counter() - started)
        line, code = data["output"].splitlines()[0], Exit.GRADER_FAULT if isinstance(error, GraderFault) else Exit.USAGE
    except Exception as error:  # noqa: BLE001 - a results file must exist even when the grader has a bug
        traceback.print_exc()
        data = make_error_results(f"{type(error).__name__} in the grader", time.perf_counter() - started)
        line, code = data["output"].splitlines()[0], Exit.GRADER_FAULT
    write_json(out, data)
    print(f"{line}\nwrote {out}")
    return code


def add_parser(sub, common) -> None:
    """`gradescope run` and `gradescope build-zip` (the latter lives in gradescope_zip.py)."""
    from grader.platforms import gradescope_zip

    parser = sub.add_parser("gradescope", help="grade as a Gradescope autograder, or build the zip to upload")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser("run", help="grade ROOT/submission and write ROOT/results/results.json")
    run.add_argument("--root", default="/autograder", help="Gradescope's autograder folder (default /autograder)")
    common(run)
    run.add_argument(
        "--visibility", default="visible", choices=VISIBILITIES, help="when students see the tests (default visible)"
    )
    run.set_defaults(action_handler=cmd_run)
    gradescope_zip.add_parser(actions)
