"""The typed results model: cases make tests, tests make a report, totals are computed, not stored.

`make_report_dict` is the one serialiser of the JSON format (schema: grader/report/report.schema.json);
every adapter (terminal, Markdown, pytest, platforms) reads a `Report` or that dict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from grader.judge.budget import REPORT_BYTES, mib
from grader.judge.compare import Mismatch
from grader.safe_text import cap

SCHEMA_VERSION = 1
CASE_STATUSES = ("passed", "failed", "error", "timeout", "not_run")


@dataclass(frozen=True)
class Diagnosis:
    """A misconception recognised from the case's own numbers."""

    code: str
    title: str
    message: str
    expected: str = ""  # the formula the course expects

    def to_dict(self) -> dict:
        return {"code": self.code, "title": self.title, "message": self.message, "expected": self.expected}


@dataclass
class CaseResult:
    index: int
    label: str
    description: str
    status: str  # one of CASE_STATUSES
    mismatches: list[Mismatch] = field(default_factory=list)
    error: dict | None = None  # {"type", "message", "traceback": [[file, line, function, text], ...]}
    output: str = ""  # what the submission printed (capped)
    output_chars: int = 0
    seconds: float = 0.0
    diagnoses: list[Diagnosis] = field(default_factory=list)
    calls: list = field(default_factory=list)  # stand-in calls: which helper, which layer matched
    note: str = ""  # a line of context (a timeout's limit, a crash's signal)
    budget: bool = False  # not judged: the check's or the submission's results were over the grader's budget
    value: object = field(default=None, repr=False)  # what the function returned (trusted side only, not serialised)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class TestResult:
    name: str
    function: str
    max_score: float
    cases: list[CaseResult] = field(default_factory=list)
    problem: str | None = None  # why it could not run at all (missing, syntax error)
    feedback: str = ""
    diagnoses: list[Diagnosis] = field(default_factory=list)
    layer_map: list[dict] | None = None  # per layer, L down to 1: which of dA, dZ, dW, db are right
    notices: list[str] = field(default_factory=list)

    @property
    def passed_cases(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def score(self) -> float:
        if self.problem or not self.cases:
            return 0.0
        return round(self.max_score * self.passed_cases / len(self.cases), 4)

    @property
    def status(self) -> str:
        if self.problem:
            return "error"
        if self.cases and all(c.passed for c in self.cases):
            return "passed"
        if any(c.status == "timeout" for c in self.cases):
            return "timeout"
        if any(c.status == "failed" for c in self.cases) or any(c.passed for c in self.cases):
            return "failed"
        return "error"

    def first_failure(self) -> CaseResult | None:
        return next((c for c in self.cases if not c.passed), None)

    def __repr__(self) -> str:
        """One line (a notebook shows it as the value of each `check` cell; the fields' repr ran to 46,000
        characters)."""
        cases = f", {self.passed_cases} of {len(self.cases)} cases passed" if self.cases else ""
        return f"<TestResult {self.name}: {self.status}, {self.score:g} / {self.max_score:g} points{cases}>"


@dataclass
class Report:
    submission: str
    seed: int
    device: str
    versions: dict
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    fatal: str | None = None  # set when the submission could not be graded at all
    load_problems: list[dict] = field(default_factory=list)
    rubric: str = "default"
    rubric_fingerprint: str = ""
    seconds: float = 0.0
    notebook_version: dict = field(default_factory=dict)  # which notebook version it was graded as, and why
    submission_digest: str = ""  # 'sha256:...' of the bytes graded (set by a batch: it keys the resume)
    sandbox: dict = field(default_factory=dict)  # {mode, walls, refused}: the walls student code ran behind
    assignment: str = ""  # the assignment pack it was graded by (grader/packs/)
    budget: str | None = None  # which of the trusted side's budgets (grader/judge/budget.py) its results ran past

    @property
    def status(self) -> str:
        return "error" if self.fatal else "graded"

    @property
    def score(self) -> float:
        return 0.0 if self.fatal else round(sum(t.score for t in self.tests), 4)

    def test(self, function: str) -> TestResult | None:
        return next((t for t in self.tests if t.function == function), None)

    def __repr__(self) -> str:
        """One line, like TestResult's."""
        points = f"{self.score:g} / {self.max_score:g} points"
        return f"<Report {self.submission}: {self.status}, {points}, {len(self.tests)} tests>"


# --- serialisation ------------------------------------------------------------------------------
def make_case_dict(case: CaseResult) -> dict:
    out = {"index": case.index, "label": case.label, "description": case.description, "status": case.status}
    if case.mismatches:
        out["mismatches"] = [m.to_dict() for m in case.mismatches]
    if case.error:
        out["error"] = case.error
    if case.diagnoses:
        out["diagnoses"] = [d.to_dict() for d in case.diagnoses]
    if case.output_chars:
        out["output"] = case.output
        out["output_chars"] = case.output_chars
    if case.note:
        out["note"] = case.note
    out["seconds"] = round(case.seconds, 4)
    return out


def make_test_dict(test: TestResult, with_cases: bool = True) -> dict:
    out = {
        "name": test.name,
        "function": test.function,
        "score": test.score,
        "max_score": test.max_score,
        "status": test.status,
        "feedback": test.feedback,
        "passed_cases": test.passed_cases,
        "total_cases": len(test.cases),
        "diagnoses": [d.to_dict() for d in test.diagnoses],
    }
    if test.layer_map is not None:
        out["layer_map"] = test.layer_map
    if test.notices:
        out["notices"] = test.notices
    if with_cases:
        failing = [c for c in test.cases if not c.passed]
        out["failed_cases"] = [make_case_dict(c) for c in failing[:5]]
    return out


def make_report_dict(report: Report) -> dict:
    out = {
        "schema_version": SCHEMA_VERSION,
        "submission": report.submission,
        "assignment": report.assignment,
        "status": report.status,
        "score": report.score,
        "max_score": report.max_score,
        "seed": report.seed,
        "device": report.device,
        "versions": report.versions,
        "rubric": {"source": report.rubric, "fingerprint": report.rubric_fingerprint},
        "seconds": round(report.seconds, 3),
        "load_problems": report.load_problems,
        "tests": [make_test_dict(t) for t in report.tests],
    }
    if report.fatal:
        out["feedback"] = report.fatal
    if report.notebook_version:
        out["notebook_version"] = report.notebook_version
    if report.submission_digest:
        out["submission_digest"] = report.submission_digest
    if report.sandbox:
        out["sandbox"] = report.sandbox
    if report.budget:
        out["budget"] = report.budget
    return _fit(out)


DETAIL_CHARS = 2000  # a string of a failed case's details, once a report is over its budget


def _size(out: dict) -> int:
    """The report's size as the batch writes it (indented). Indenting makes json use its pure-Python
    encoder, 10 times slower (4 ms for a 45 KB report), so a compact dump far under the budget, as every
    honest report is, answers first."""
    compact = len(json.dumps(out, separators=(",", ":")))
    return compact if compact * 4 <= REPORT_BYTES else len(json.dumps(out, indent=2))


def _capped(value):
    if isinstance(value, str):
        return cap(value, DETAIL_CHARS)
    if isinstance(value, list):
        return [_capped(v) for v in value]
    if isinstance(value, dict):
        return {k: _capped(v) for k, v in value.items()}
    return value


def _fit(out: dict) -> dict:
    """The report within REPORT_BYTES (budget.py): every string a submission's results can make long is
    capped where it is made, but a report is the sum of many (2 MB exception names made a 132 MB report,
    read back on every resume). Past the budget, first each failed case's details are cut to
    DETAIL_CHARS a string, then dropped but for their status, then the load problems beyond the first
    20; the report says so in its `budget` field. Scores and statuses are never trimmed."""
    if _size(out) <= REPORT_BYTES:
        return out
    steps = (
        lambda t: {
            **t,
            "failed_cases": _capped(t.get("failed_cases", [])),
            "feedback": cap(t["feedback"], DETAIL_CHARS * 5),
            "notices": _capped(t.get("notices", [])),
            "diagnoses": _capped(t["diagnoses"]),
        },
        lambda t: {
            **t,
            "failed_cases": [
                {k: c[k] for k in ("index", "label", "status", "seconds")} for c in t.get("failed_cases", [])
            ],
            "feedback": cap(t["feedback"], DETAIL_CHARS),
        },
    )
    for step in steps:
        out = {**out, "tests": [step(t) for t in out["tests"]]}
        if _size(out) <= REPORT_BYTES:
            break
    else:
        out["load_problems"] = _capped(out["load_problems"][:20])
    note = (
        f"this report was over the {mib(REPORT_BYTES)} the grader writes for one submission, so the details "
        "of its failed cases were cut; scores and statuses are whole"
    )
    out["budget"] = f"{out['budget']}; {note}" if out.get("budget") else note
    return out
