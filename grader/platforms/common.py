"""What the platform adapters share: grading one submission, safe text, atomic writes, format checks.

Every adapter is one way: it grades, closes the sandbox, and only then writes what its platform reads,
from the `Report` alone. What the student's code printed (`CaseResult.output`) is never copied into a
platform's result; strings that come from student code by other routes (exception messages in the
feedback) are cut to a bounded length and stripped of control characters here.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

from grader.judge.results import Report

SCHEMAS = Path(__file__).with_name("schemas")
RUBRIC_NAME = "rubric.toml"  # the rubric an installed autograder ships next to its source
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's; both its commands take it
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\x85]")


def grade_path(
    path: str | Path,
    rubric: str | Path | None,
    seed: int,
    device: str,
    allow_weak_sandbox: bool = False,
    assignment: str | None = None,
) -> Report:
    """Grade one submission with a fresh Grader and close its sandbox before returning.

    An instructor's platform refuses a machine whose kernel cannot wall student code in, unless allowed."""
    from grader.judge.grade import grade_file
    from grader.judge.rubric import load_rubric

    weak = "allow" if allow_weak_sandbox else "refuse"
    from grader import packs

    # an instructor's platform grades by the course's assignment: the default pack unless told otherwise
    return grade_file(path, load_rubric(rubric, assignment, default=packs.DEFAULT), seed, device, weak)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, saying how much was cut (feedback can carry student-made strings)."""
    text = _CONTROL.sub(" ", str(text).replace("\r\n", "\n"))
    if len(text) <= limit:
        return text
    note = f"\n... ({len(text) - limit} more characters cut)"
    return text[: max(0, limit - len(note))] + note


def one_line(text: str, limit: int = 200) -> str:
    """A single printable line: no newline a reader (or a platform parsing stdout) could mistake for ours."""
    text = " ".join(_CONTROL.sub(" ", str(text)).split())
    return text if len(text) <= limit else text[: max(0, limit - 4)] + " ..."


def summary(report: Report) -> str:
    """The short overall line: score (two decimals at most), the headline when the report has one, and
    how many functions passed (no seed: students read this)."""
    from grader.report.feedback import points
    from grader.report.headline import headline

    line = headline(report)
    lead = f"Score: {points(report.score) if not report.fatal else 0} / {points(report.max_score)}." + (
        f" {line}" if line else ""
    )
    if report.fatal:
        return f"{lead} {report.fatal}"
    passed = sum(t.status == "passed" for t in report.tests)
    return f"{lead} {passed} of {len(report.tests)} graded units passed every case."


def load_problem_lines(report: Report, limit: int = 10) -> list[str]:
    """Problems found while reading the submission (syntax errors, load errors), one line each."""
    lines = [one_line(f"{p.get('where', '')}: {p.get('message', '')}") for p in report.load_problems[:limit]]
    if len(report.load_problems) > limit:
        lines.append(f"... and {len(report.load_problems) - limit} more")
    return lines


def rich_markdown(report: Report) -> str | None:
    """The Markdown report from grader.report.render_markdown, where that module exists (None otherwise)."""
    try:
        from grader.report.render_markdown import render_markdown
    except ImportError:
        return None
    try:
        return str(render_markdown(report))
    except Exception:  # noqa: BLE001 - a renderer bug must not cost a student their result file
        return None


def fraction(report: Report) -> float:
    """Score over max score, in [0, 1]; 0 for a fatal report or a rubric worth nothing."""
    if report.fatal or report.max_score <= 0:
        return 0.0
    return round(min(1.0, max(0.0, report.score / report.max_score)), 6)


def write_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename over it: a platform never reads half a file, and whatever was
    at `path` before (anything a submission might have put there) is replaced, not appended to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# --- the platforms' documented formats, as JSON Schemas (see schemas/*.json for the sources) ---------
@cache
def platform_schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def validate_platform(name: str, data: dict) -> None:
    """Raise jsonschema.ValidationError if `data` is not in the shape platform `name` documents."""
    import jsonschema

    jsonschema.validate(data, platform_schema(name), format_checker=jsonschema.FormatChecker())
