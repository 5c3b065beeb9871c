"""One `pytest --submission` run: the submission graded once, the graded items pytest runs, the
instructors' checks scored by their `points` marker, the scores in pytest-json-report and the summary.

The plugin (grader/frontends/pytest_plugin.py, the `pytest11` entry point) registers a GradingSession
only when `--submission` is given; its hooks act only while it is registered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from grader.errors import GraderError, GraderFault
from grader.exits import MEANING, Exit, for_report_dict
from grader.frontends.pytest_report import (
    GRADED,
    INSTRUCTOR,
    KEY,
    make_graded_metadata,
    make_instructor_metadata,
    make_scored_report,
    make_session_header,
)
from grader.frontends.pytest_state import STATE

if TYPE_CHECKING:
    from grader.judge.results import Report

GROUP = "backprop-grader"
COLLECTOR = "backprop-grader"  # node id of the graded items' parent: backprop-grader::linear_backward

RECORD = pytest.StashKey[dict]()


def submission_folder(path: Path) -> Path:
    """The folder nothing may be collected from: the submission's own, or the folder it is."""
    path = path.resolve()
    return path if path.is_dir() else path.parent


def is_inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


# --- the graded items ---------------------------------------------------------------------------
class GradedCheckFailed(Exception):
    """A graded function did not pass every case; its feedback is the failure report."""


class GradedSubmission(pytest.Collector):
    """The parent of the graded items; lives at the session's path, never at the submission's."""

    def collect(self) -> list[pytest.Item]:
        state = self.config.stash[STATE]
        return [
            GradedItem.from_parent(self, name=unit, unit=unit, points=points) for unit, points in state.units.items()
        ]


class GradedItem(pytest.Item):
    """One graded function (or the end-to-end check): passes only with every case right."""

    def __init__(self, *, unit: str, points: float, **kwargs):
        super().__init__(**kwargs)
        self.unit = unit
        self.add_marker(pytest.mark.points(points))

    def runtest(self) -> None:
        state = self.config.stash[STATE]
        test = state.test(self.unit)
        if test is None:  # not gradable at all: `grade` writes no tests then, so no record either
            raise GradedCheckFailed(f"{self.unit}: {state.report.fatal}")
        self.stash[RECORD] = make_graded_metadata(test)
        if test.status != "passed":
            raise GradedCheckFailed(describe_test(test))

    def repr_failure(self, excinfo, style=None):
        """The feedback as text; its student-made parts (messages, type names, keys) reach the terminal
        with every control character shown visibly (`safe_text.terminal`)."""
        from grader import safe_text

        if isinstance(excinfo.value, GradedCheckFailed):
            return safe_text.terminal(str(excinfo.value))
        if isinstance(excinfo.value, GraderError):
            return safe_text.terminal(f"grader: error: {excinfo.value}")
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.config.stash[STATE].path, None, f"{COLLECTOR}::{self.unit}"


def describe_test(test) -> str:
    """The item's failure text: the feedback `check` prints for the test, then its points."""
    return f"{test.feedback}\nPoints: {test.score:g} / {test.max_score:g}"


# --- one session's grading ----------------------------------------------------------------------
class GradingSession:
    """State of one `pytest --submission` run: the loaded submission, one Grader, the Report."""

    def __init__(self, config: pytest.Config, path: Path, given: str, rubric, seed: int, device: str, sub):
        self.config, self.path, self.given = config, path, given
        self.rubric, self.seed, self.device, self.sub = rubric, seed, device, sub
        self.folder = submission_folder(path)
        self.units = {name: unit.points for name, unit in rubric.units.items()}
        self._grader = None
        self.report: Report = None  # type: ignore[assignment]  # grade() sets it before anything reads it
        self.records: list[dict] = []

    @classmethod
    def from_config(cls, config: pytest.Config, path: Path, given: str) -> GradingSession:
        from grader import packs
        from grader.judge.rubric import load_rubric
        from grader.load.loader import load_submission

        try:
            rubric = load_rubric(config.getoption("grader_rubric"), config.getoption("grader_assignment"))
            sub = load_submission(path, rubric.assignment)  # parses only; nothing of the student's runs here
            rubric = rubric.for_pack(packs.get(sub.pack))
        except GraderError as error:
            raise pytest.UsageError(str(error)) from None
        return cls(config, path, given, rubric, config.getoption("grader_seed"), config.getoption("grader_device"), sub)

    @property
    def grader(self):
        if self._grader is None:
            from grader import packs
            from grader.judge.grade import Grader

            self._grader = Grader(
                self.rubric,
                seed=self.seed,
                device=self.device,
                weak_sandbox="warn",  # a student's own check
                pack=packs.get(self.sub.pack),
            )
        return self._grader

    def grade(self, units: list[str]) -> None:
        """Grade the selected units once (a grader fault raises GraderError).

        With no graded unit selected (only instructor checks), the report has no tests: it still
        says what submission, seed, rubric and versions the checks ran with.
        """
        only = None if set(units) >= set(self.units) else tuple(units)
        if only == ():
            self.report = self.grader.new_report(self.given)
        else:
            self.report = self.grader.grade_submission(self.sub, only)
        self.report.submission = self.given  # the path as given, as `grade` writes it

    def test(self, unit: str):
        """The graded result of one unit; None when the submission could not be graded at all."""
        if self.report is None:
            self.grade([unit])
        if self.report.fatal:
            return None
        found = self.report.test(unit)
        if found is None:  # graded with only= other units: grade this one too
            extra = self.grader.grade_submission(self.sub, (unit,))
            self.report.tests.append(found := extra.tests[0])
        return found

    def close(self) -> None:
        if self._grader is not None:
            self._grader.close()
            self._grader = None

    # --- hooks, active only while registered ---
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool | None:
        """Without paths, collect only the graded items: not the current folder, not testpaths."""
        if self.config.args_source == pytest.Config.ArgsSource.ARGS:
            return None
        session.perform_collect([])
        return True

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        return True if is_inside(collection_path.resolve(), self.folder) else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        for item in items:
            _points(item)  # a malformed points marker is a usage error, found before anything runs
        collector = GradedSubmission.from_parent(session, name=COLLECTOR, nodeid=COLLECTOR)
        graded = collector.collect()
        session.ihook.pytest_collectreport(report=pytest.CollectReport(COLLECTOR, "passed", None, list(graded)))
        items[:0] = graded

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session):
        """Grade the selected units once, before the first test, so no test's duration carries it.

        The instructor's mistake (CUDA asked for but absent) ends the run as a usage error (4); the grader
        failing (a sandbox that cannot start) as pytest's internal error (3): both as `backprop-grader`.
        """
        if not session.config.option.collectonly:
            try:
                self.grade([item.unit for item in session.items if isinstance(item, GradedItem)])
            except GraderFault as error:
                pytest.exit(f"grader: error: {error}", returncode=Exit.GRADER_FAULT)
            except GraderError as error:
                raise pytest.UsageError(f"grader: error: {error}") from None
        return (yield)

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        """Record each scored test's outcome, before pytest-json-report asks for its metadata."""
        report = yield
        if isinstance(item, GradedItem):
            return report
        points = _points(item)
        if points is None or RECORD in item.stash:
            return report
        if report.when == "call" or (report.when == "setup" and not report.passed):
            status = "error" if report.when == "setup" and report.failed else report.outcome
            feedback = call.excinfo.exconly() if call.excinfo is not None else ""
            item.stash[RECORD] = make_instructor_metadata(item.nodeid, points, status, feedback)
        return report

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        record = item.stash.get(RECORD, None)
        if record is not None:
            self.records.append(record)

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_runtest_metadata(self, item: pytest.Item, call: pytest.CallInfo) -> dict | None:
        record = item.stash.get(RECORD, None)
        return {KEY: record} if record is not None else None

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_modifyreport(self, json_report: dict) -> None:
        if self.report is not None:
            json_report[KEY] = make_session_header(self.report)

    def scored(self) -> dict | None:
        if self.report is None:
            return None
        graded = [r for r in self.records if r["kind"] == GRADED]
        return make_scored_report(
            make_session_header(self.report), graded, [r for r in self.records if r["kind"] == INSTRUCTOR]
        )

    def outcome(self) -> Exit | None:
        """The exit status the run means for this submission (None before grading)."""
        scored = self.scored()
        return None if scored is None else for_report_dict(scored)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        """A submission that could not be graded fails every item (pytest's 1); say 2, as `check` does."""
        if exitstatus == pytest.ExitCode.TESTS_FAILED and self.outcome() is Exit.NOT_GRADED:
            session.exitstatus = Exit.NOT_GRADED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        scored = self.scored()
        if scored is None:  # collect-only, or stopped before grading
            return
        from grader import safe_text
        from grader.report import headline
        from grader.report.feedback import points

        def write(line: str) -> None:  # paths, messages and names can be the student's: controls shown
            terminalreporter.write_line(safe_text.terminal(line))

        terminalreporter.write_sep("=", GROUP)
        write(f"Submission: {scored['submission']}  (seed {scored['seed']}, device {scored['device']})")
        line = headline.headline(scored)
        if line:
            write(line)
        for problem in scored["load_problems"]:
            if not headline.is_headline_notice(problem):
                write(f"  ! {problem['where']}: {problem['message']}")
        if scored.get("feedback"):
            write(scored["feedback"])
        for test in scored["tests"] + scored.get("instructor_checks", []):
            write(
                f"{test['status'].upper():8s} {test['name']:28s} "
                f"{points(test['score']):>6s} / {points(test['max_score'])}"
            )
        write(f"Score: {points(scored['score'])} / {points(scored['max_score'])}")
        outcome = for_report_dict(scored)
        write(f"Result: {MEANING[outcome]} (exit status {int(outcome)})")


def _points(item: pytest.Item) -> float | None:
    marker = item.get_closest_marker("points")
    if marker is None:
        return None
    if (
        len(marker.args) != 1
        or isinstance(marker.args[0], bool)
        or not isinstance(marker.args[0], (int, float))
        or marker.args[0] < 0
    ):
        raise pytest.UsageError(f"{item.nodeid}: use @pytest.mark.points(n) with one number n >= 0")
    return float(marker.args[0])
