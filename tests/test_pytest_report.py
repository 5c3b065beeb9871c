"""The pytest-json-report side of the plugin, without running pytest: pure make_* functions and the way back.

A hand-built Report goes out as the plugin writes it (a header plus per-test metadata) and must come back
from `report_from_pytest_data`, `report_from_pytest_json` and `python -m grader from-pytest-report` exactly as
`make_report_dict` writes it; instructor checks add their points; malformed files are one-line GraderErrors.
"""

from __future__ import annotations

import json

import pytest

from grader.frontends.cli import main
from grader.judge.compare import Mismatch
from grader.errors import GraderError
from grader.exits import Exit
from grader.frontends.pytest_report import FEEDBACK_CHARS, KEY, make_graded_metadata, make_instructor_metadata, make_scored_report, make_session_header, report_from_pytest_data, report_from_pytest_json
from grader.judge.results import CaseResult, Report, make_report_dict
from grader.judge.results import TestResult as Result  # not a test class
from grader.report.schema import validate_report

VERSIONS = {"grader": "0.1.0", "torch": "2.13.0", "numpy": "2.0", "python": "3.11"}


def make_report(fatal: str | None = None) -> Report:
    report = Report("subs/alice.py", 7, "cpu", VERSIONS, 100.0, rubric="small.toml", rubric_fingerprint="f00d")
    report.load_problems = [{"where": "alice.py, line 3", "kind": "load", "message": "ImportError: no h5py"}]
    wrong = Mismatch("dW", "shape", "dW should have shape (3, 2), got (2, 3)", [3, 2], [2, 3])
    report.tests = [  # in rubric order, as the grader writes them
        Result("compute_cost", "compute_cost", 8.0, feedback="All 1 cases passed.",
               cases=[CaseResult(0, "edge", "m=1", "passed")]),
        Result("linear_backward", "linear_backward", 12.0, feedback="1 of 3 cases passed.", cases=[
            CaseResult(0, "edge: m = 1", "m=1", "passed", seconds=0.01),
            CaseResult(1, "random", "m=5", "failed", mismatches=[wrong], seconds=0.02),
            CaseResult(2, "random", "m=7", "error", error={"type": "ValueError", "message": "bad", "traceback": []}),
        ]),
        Result("end_to_end", "end_to_end", 10.0, problem="update_parameters is not defined.",
               feedback="update_parameters is not defined."),
    ]
    report.fatal = fatal
    if fatal:
        report.tests = []
    return report


def pytest_json(report: Report, extra_tests: list[dict] = (), order=None) -> dict:
    """A pytest-json-report document as the plugin leaves it (tests in run order, which may differ)."""
    tests = [{"nodeid": f"backprop-grader::{t.name}", "outcome": t.status,
              "metadata": {KEY: make_graded_metadata(t)}} for t in report.tests]
    if order:
        tests = [tests[i] for i in order]
    tests += [{"nodeid": "checks.py::test_unscored", "outcome": "passed"},
              {"nodeid": "checks.py::test_other_plugin", "outcome": "passed", "metadata": {"author": "me"}}]
    return {"created": 0, "exitcode": 1, "summary": {}, "tests": tests + list(extra_tests),
            KEY: make_session_header(report)}


def test_the_way_back_gives_exactly_what_grade_writes(tmp_path, capsys):
    report = make_report()
    expected = make_report_dict(report)
    document = pytest_json(report, order=[2, 1, 0])
    assert "tests" not in json.dumps(document[KEY]["tests"])  # the header carries no test: metadata does
    assert report_from_pytest_data(document) == expected
    assert list(report_from_pytest_data(document)) == list(expected)  # same key order too
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document))
    assert report_from_pytest_json(path) == expected
    out = tmp_path / "grader.json"
    assert main(["from-pytest-report", str(path), "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(json.dumps(expected))
    assert main(["from-pytest-report", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(expected))
    validate_report(report_from_pytest_json(path))


def test_a_report_that_could_not_be_graded_scores_zero():
    report = make_report(fatal="This submission could not be graded: notes.txt is neither a .py file nor a .ipynb notebook.")
    converted = report_from_pytest_data(pytest_json(report))
    assert converted == make_report_dict(report)
    assert (converted["status"], converted["score"], converted["tests"]) == ("error", 0.0, [])
    assert converted["feedback"].startswith("This submission could not be graded")
    validate_report(converted)


def test_instructor_checks_add_their_points_to_score_and_maximum():
    report = make_report()
    passed = make_instructor_metadata("checks.py::test_cost_goes_down", 5, "passed")
    failed = make_instructor_metadata("checks.py::test_shapes", 3, "failed", "AssertionError: " + "x" * 5000)
    skipped = make_instructor_metadata("checks.py::test_skipped", 2, "skipped")
    document = pytest_json(report, [{"nodeid": c["name"], "metadata": {KEY: c}} for c in (passed, failed, skipped)])
    converted = report_from_pytest_data(document)
    graded = make_report_dict(report)
    assert converted["score"] == round(graded["score"] + 5, 4)
    assert converted["max_score"] == graded["max_score"] + 10
    assert converted["tests"] == graded["tests"]
    names = [(c["name"], c["score"], c["max_score"], c["status"]) for c in converted["instructor_checks"]]
    assert names == [("checks.py::test_cost_goes_down", 5.0, 5.0, "passed"), ("checks.py::test_shapes", 0.0, 3.0, "failed"),
                     ("checks.py::test_skipped", 0.0, 2.0, "skipped")]
    assert len(converted["instructor_checks"][1]["feedback"]) == FEEDBACK_CHARS
    assert all("kind" not in entry for entry in converted["tests"] + converted["instructor_checks"])
    validate_report(converted)
    assert make_scored_report(make_session_header(report), [], [passed])["score"] == 5.0  # only the instructor's ran
    with pytest.raises(ValueError):
        make_instructor_metadata("x", 1, "xfailed")


@pytest.mark.parametrize("document, message", [
    ([], "top level is not an object"),
    ({"tests": []}, "not written by `pytest --submission"),
    ({KEY: make_session_header(make_report()), "summary": {}}, "--json-report-summary"),
    ({KEY: make_session_header(make_report()), "tests": [{"nodeid": "x", "metadata": {KEY: {"kind": "mystery"}}}]},
     "unknown kind 'mystery'"),
])
def test_files_the_plugin_did_not_write_are_refused(document, message):
    with pytest.raises(GraderError, match=message):
        report_from_pytest_data(document)


def test_unreadable_files_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(GraderError, match="no such pytest-json-report file"):
        report_from_pytest_json(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(GraderError, match="cannot read"):
        report_from_pytest_json(bad)
    assert main(["from-pytest-report", str(bad)]) == Exit.USAGE
    error = capsys.readouterr().err
    assert error.startswith("grader: error: cannot read") and "Traceback" not in error
