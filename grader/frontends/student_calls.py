"""Call one of a submission's functions on arguments of your choosing, in the sandbox.

Instructors' own checks (the pytest plugin's `submission` fixture) need "run the student's F on these
arguments"; the graded checks need more (stand-ins, oracle answers) and stay in `grade.py`. Every call
is one sandbox job: a fresh child loads the submission and runs the calls, so nothing a student's code
does survives from one call to the next, and values come back through `wire` (never pickle).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.judge.rubric import Rubric
from grader.load.loader import Submission
from grader.sandbox import wire
from grader.sandbox.client import JobResult, Sandbox


class StudentCodeError(AssertionError):
    """The student's function raised, hung or crashed: an instructor check that meets it fails.

    An AssertionError, so that pytest reports the check as failed (the student's fault), not as an
    error in the check itself.
    """

    def __init__(self, function: str, message: str, error: dict | None = None):
        super().__init__(f"{function}: {message}")
        self.function, self.error = function, error or {}


@dataclass
class Call:
    """One call's outcome: `value` when `status` is "ok", else what went wrong."""

    status: str  # "ok", "error", "timeout", "crash"
    value: object = None
    error: dict = field(default_factory=dict)  # {"type", "message", "traceback"} for "error"
    note: str = ""
    output: str = ""  # what the student's code printed (capped)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        if self.status == "error":
            frames = self.error.get("traceback") or []
            at = f" at {frames[-1][0]}, line {frames[-1][1]}" if frames else ""
            return f"raised {self.error.get('type')}: {self.error.get('message')}{at}"
        return self.note or self.status


def call_many(
    sandbox: Sandbox, sub: Submission, rubric: Rubric, function: str, calls: list[tuple], standins: dict | None = None
) -> list[Call]:
    """Run `function(*args)` for each args tuple in one sandbox job (one load of the submission).

    `standins` ({helper: [(args, answer, label)]}, as in `CaseInput.standins`) replaces graded helpers
    by correct answers for those calls, to check a function in isolation.
    """
    from grader import packs
    from grader.judge.standins import StandInAnswers

    pack = packs.get(sub.pack or packs.DEFAULT)
    checks = pack.checks()
    cases = [{"args": list(args)} for args in calls]
    helpers = {h: checks[h].arg_names for h in sorted(standins or {})}
    job = {
        "kind": "function",
        "function": function,
        "program": sub.program,
        "cases": wire.encode(cases),
        "standins": helpers,
        "limits": rubric.limits.as_job(sandbox.uid),
        "denied": list(rubric.denied),
        **pack.job_extras(),
    }
    answers = StandInAnswers([standins or {}] * len(cases))
    return [_outcome(result_case, rubric) for result_case in _cases(sandbox.run(job, answers), len(cases))]


def _cases(result: JobResult, count: int) -> list[dict | None | JobResult]:
    return [result.cases.get(index, result) for index in range(count)]


def _outcome(got, rubric: Rubric) -> Call:
    if isinstance(got, JobResult):  # the case never reported: the child hung, crashed or overflowed
        reason = got.reason or "crash"
        if reason == "timeout":
            return Call("timeout", note=f"ran out of the {rubric.limits.total_seconds:g} s the whole job may take")
        detail = f" by {got.done['signal']}" if got.done.get("signal") else ""
        return Call("crash", note=f"the process running the student's code ended{detail} before this call finished")
    output = str(got.get("output", ""))
    if got.get("status") == "timeout":
        return Call("timeout", note=f"no answer within {rubric.limits.case_seconds:g} s", output=output)
    if got.get("status") == "error":
        error = got.get("error") if isinstance(got.get("error"), dict) else {"type": "Error", "message": ""}
        return Call("error", error=error, output=output)
    return Call("ok", value=got.get("value"), output=output)


class StudentFunction:
    """`submission.linear_backward(dZ, cache)` runs the student's function and returns its value."""

    def __init__(self, proxy: SubmissionProxy, name: str):
        self._proxy, self.__name__ = proxy, name

    def __call__(self, *args):
        outcome = self._proxy.call_many(self.__name__, [args])[0]
        if not outcome.ok:
            raise StudentCodeError(self.__name__, outcome.describe(), outcome.error)
        return outcome.value

    def __repr__(self) -> str:
        return f"<student function {self.__name__} (runs in the sandbox)>"


class SubmissionProxy:
    """The submission's functions, callable from trusted code; each call runs in the sandbox."""

    def __init__(self, sandbox: Sandbox, sub: Submission, rubric: Rubric):
        self._sandbox, self._sub, self._rubric = sandbox, sub, rubric

    @property
    def defined(self) -> dict[str, str]:
        """The graded functions the submission defines, and where."""
        return dict(self._sub.defined)

    def __getattr__(self, name: str) -> StudentFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return StudentFunction(self, name)

    def __getitem__(self, name: str) -> StudentFunction:
        return StudentFunction(self, name)

    def call_many(self, function: str, calls: list[tuple], standins: dict | None = None) -> list[Call]:
        """Many calls in one job; never raises for the student's faults (see `Call.status`)."""
        return call_many(self._sandbox, self._sub, self._rubric, function, list(calls), standins)
