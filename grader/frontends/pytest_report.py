"""What the pytest plugin stores in a pytest-json-report file, and the way back to the grader's JSON.

The plugin writes, per test, `metadata["backprop_grader"]` (`make_graded_metadata` for a graded
function, `make_instructor_metadata` for an instructor's own check) and, at the top level of the file,
`backprop_grader` (`make_session_header`: the graded report without its tests). `make_scored_report`
puts the two back together; the plugin's terminal summary and `backprop-grader from-pytest-report`
both use it, so the score pytest shows, the converted JSON and `grade`'s JSON cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader import packs, safe_text
from grader.errors import GraderError
from grader.judge.results import Report, TestResult, make_report_dict, make_test_dict

KEY = "backprop_grader"  # the metadata key of each test, and the top-level key of the file
GRADED, INSTRUCTOR = "graded", "instructor"
INSTRUCTOR_STATUSES = ("passed", "failed", "error", "skipped")
FEEDBACK_CHARS = 2000  # an instructor check's failure message is cut here


# --- written by the plugin ----------------------------------------------------------------------
def make_graded_metadata(test: TestResult) -> dict:
    """One graded function's test, exactly as `grade` serialises it, tagged as graded."""
    return {"kind": GRADED, **make_test_dict(test)}


def make_instructor_metadata(nodeid: str, points: float, status: str, feedback: str = "") -> dict:
    """An instructor's check: all its points when it passed, none otherwise."""
    if status not in INSTRUCTOR_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    points = float(points)
    return {
        "kind": INSTRUCTOR,
        "name": nodeid,
        "score": points if status == "passed" else 0.0,
        "max_score": points,
        "status": status,
        "feedback": safe_text.cap(feedback, FEEDBACK_CHARS),
    }  # says what it cut


def make_session_header(report: Report) -> dict:
    """The report of the whole run with its tests left empty: they travel in each test's metadata."""
    return {**make_report_dict(report), "tests": []}


def make_scored_report(header: dict, graded: list[dict], instructor: list[dict]) -> dict:
    """The grader's JSON for one run: graded tests in rubric order, instructor checks added to the score.

    With no instructor checks the result is what `make_report_dict` gives for the same report; with
    some, `score` and `max_score` include their points and they are listed under `instructor_checks`.
    """
    UNITS = packs.of_report(header).units
    tests = sorted((_strip_kind(t) for t in graded), key=lambda t: UNITS.index(t["function"]))
    checks = [_strip_kind(c) for c in instructor]
    fatal = header.get("status") == "error"
    graded_score = 0.0 if fatal else sum(t["score"] for t in tests)
    out = dict(header)
    out["score"] = round(graded_score + sum(c["score"] for c in checks), 4)
    out["max_score"] = float(header["max_score"]) + sum(float(c["max_score"]) for c in checks)
    out["tests"] = tests
    if checks:
        out["instructor_checks"] = checks
    return out


def _strip_kind(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "kind"}


# --- read back ----------------------------------------------------------------------------------
def report_from_pytest_data(data: dict) -> dict:
    """Turn a loaded pytest-json-report document into the grader's JSON (see `make_scored_report`)."""
    if not isinstance(data, dict):
        raise GraderError("not a pytest-json-report file: the top level is not an object")
    header = data.get(KEY)
    if not isinstance(header, dict):
        raise GraderError(
            "this pytest-json-report file holds no grading: it was not written by "
            "`pytest --submission PATH --json-report`, or grading failed (see its tests)"
        )
    if "tests" not in data:
        raise GraderError("this pytest-json-report file has no tests: write it without --json-report-summary")
    graded, instructor = [], []
    for test in data["tests"]:
        entry = (test.get("metadata") or {}).get(KEY) if isinstance(test, dict) else None
        if not isinstance(entry, dict):
            continue  # a test that is not scored (no points marker), or not the plugin's
        kind = entry.get("kind")
        if kind == GRADED and entry.get("function") in packs.all_units():
            graded.append(entry)
        elif kind == INSTRUCTOR:
            instructor.append(entry)
        else:
            raise GraderError(f"test {test.get('nodeid')!r} has grading metadata of unknown kind {kind!r}")
    return make_scored_report(header, graded, instructor)


def report_from_pytest_json(path: str | Path) -> dict:
    """Read the file written by `pytest --submission PATH --json-report --json-report-file F`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GraderError(f"no such pytest-json-report file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GraderError(f"cannot read {path} as JSON: {error}") from None
    return report_from_pytest_data(data)
