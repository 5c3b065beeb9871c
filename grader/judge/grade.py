"""Grade one submission: load it, run each check in the sandbox, compare with autograd, score.

The flow is one way: submission -> sandbox -> returned arrays -> comparison with the oracle ->
diagnosis -> score. A `Grader` holds the case set (autograd's answers, computed once) and one sandbox,
so grading many submissions with one Grader pays for the oracle once.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from grader import END_TO_END, build_version, packs
from grader.errors import GraderError, GraderFault
from grader.judge.budget import Budget
from grader.judge.case_verdict import judge_case, release
from grader.judge.compare import Tolerance
from grader.judge.results import CaseResult, Report, TestResult
from grader.judge.rubric import Rubric
from grader.judge.standins import StandInAnswers
from grader.load import py2
from grader.load.loader import Submission, load_submission
from grader.pack import CaseInput, CaseSet, Check, Pack, Version
from grader.report import headline
from grader.safe_text import cap
from grader.sandbox.backends import is_weak, make_sandbox, weak_message
from grader.sandbox.client import JobResult, Walls
from grader.sandbox.frames import MESSAGE_CHARS

_warned = False  # the weak-sandbox warning is printed once per process


def versions() -> dict:
    import numpy

    from grader.judge.answer_cache import torch_version  # from its metadata: answers read from the cache need no torch

    return {
        "grader": build_version(),
        "torch": torch_version(),
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


class Grader:
    def __init__(
        self,
        rubric: Rubric | None = None,
        seed: int = 0,
        device: str = "cpu",
        worker: int = 0,
        case_set: CaseSet | None = None,
        weak_sandbox: str = "refuse",
        pack: Pack | None = None,
        sandbox=None,
    ):
        """`weak_sandbox`: what to do where the walls are weak (no kernel wall, or the portable backend):
        "refuse" (instructor grading), "warn" once (a student checking their own code) or "allow".
        `pack`: the assignment to grade by (default: the rubric's; with "auto", the default pack).
        `sandbox`: another Grader's, to share (the Graders of one batch worker, one per assignment)."""
        rubric = rubric or Rubric()
        self.pack = pack or packs.resolve(rubric.assignment)
        self.rubric = rubric.for_pack(self.pack)
        self.checks = self.pack.checks()
        self._extras = self.pack.job_extras()
        self.weak_sandbox = weak_sandbox
        self.seed = seed
        self.answers = "given"  # where autograd's answers came from: given, cached, computed (answer_cache.py)
        self.sandbox = sandbox or make_sandbox(worker)  # Linux's kernel walls, or the portable backend elsewhere
        if case_set is None:
            self.sandbox.launch()  # the zygote starts while autograd's answers are read from the cache, or computed
            try:
                case_set, self.answers = self.pack.case_set(
                    seed, {name: unit.cases for name, unit in self.rubric.units.items()}, device
                )
            except BaseException:
                self.sandbox.close()
                raise
        self.case_set = case_set
        self.device = case_set.device
        self.tolerance = Tolerance()
        self._versions = versions()
        self.shared_order = shared_order(self.pack)
        self._last_shared: int | None = None  # SHARED_ORDER's position of the last check sent to a shared process

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def walls(self) -> Walls:
        """Start the sandbox and hold it to the weak-sandbox policy (see __init__)."""
        walls = self.sandbox.start()
        if is_weak(walls) and self.weak_sandbox != "allow":
            if self.weak_sandbox == "refuse":
                raise GraderError(weak_message(walls))
            global _warned
            if not _warned:
                _warned = True
                print(f"warning: {weak_message(walls)}", file=sys.stderr)
        return walls

    def new_report(self, submission: str) -> Report:
        report = Report(
            submission,
            self.seed,
            self.device,
            self._versions,
            self.rubric.max_score,
            rubric=self.rubric.source,
            rubric_fingerprint=self.rubric.fingerprint(),
            assignment=self.pack.name,
        )
        if self.sandbox.walls is not None:
            report.sandbox = self.sandbox.walls.as_dict()
        return report

    def grade(self, path: str | Path, only: tuple[str, ...] | None = None) -> Report:
        return self.grade_submission(load_submission(path, self.pack), only)

    def grade_submission(self, sub: Submission, only: tuple[str, ...] | None = None) -> Report:
        started = time.perf_counter()
        self.walls()
        report = self.new_report(sub.path)
        report.load_problems = [
            {"where": p.where, "kind": p.kind, "message": cap(p.message, MESSAGE_CHARS)} for p in sub.problems
        ]
        version = self.pack.version_for(
            sub.texts,
            sub.source_file.name if sub.source_file else sub.path,
            self.rubric.version,
            self.rubric.legacy_grads_keys,
        )
        report.notebook_version = version.to_dict()
        notice = headline.other_assignment_notice(self.pack, [text for _, text in sub.texts])  # kept for the headline
        if notice:
            report.load_problems.append(notice)
        if sub.fatal:
            report.fatal = f"This submission could not be graded: {sub.fatal}."
            report.seconds = time.perf_counter() - started
            return report
        if not sub.defined:
            report.fatal = (
                "This submission could not be graded: none of the graded functions "
                f"({', '.join(self.pack.functions)}) is defined in it."
            )
            report.seconds = time.perf_counter() - started
            return report
        loaded: dict = {}
        budget = self.sandbox.budget = Budget()  # what this submission's jobs may still send (budget.py)
        self._last_shared = None
        try:
            self._grade_checks(sub, only, version, loaded, report, budget)
        finally:
            self.sandbox.budget = None
            self._last_shared = None
            if getattr(self.sandbox, "shares", False):
                self.sandbox.end_session()  # never a process shared by two submissions
        report.budget = budget.spent or next((c.note for t in report.tests for c in t.cases if c.budget), None)
        report.seconds = time.perf_counter() - started
        return report

    def _grade_checks(
        self,
        sub: Submission,
        only: tuple[str, ...] | None,
        version: Version,
        loaded: dict,
        report: Report,
        budget: Budget,
    ) -> None:
        """Each check in turn: its job, its judging and diagnosis; then its returned values are let go."""
        units = [(name, unit) for name, unit in self.rubric.units.items() if not only or name in only]
        ran: dict[str, tuple] = {}
        early = self.case_set.early()  # while autograd's answers are still being computed (PendingCaseSet)
        for name, _unit in units:
            if name in early and not self._unavailable(self.checks[name], sub, loaded):
                ran[name] = self._job(self.checks[name], sub, early[name], {}, loaded, report)
        # Each check's job runs while the one before it is judged: collect k, start k + 1, judge k.
        pending = self._start(self.checks[units[0][0]], sub, loaded, report, ran) if units else None
        try:
            for k, (name, unit) in enumerate(units):
                check = self.checks[name]
                current, pending = pending, None  # a job whose collect fails is over: nothing left to cancel
                done = self._finish(current, sub, loaded, report)
                if k + 1 < len(units):
                    pending = self._start(self.checks[units[k + 1][0]], sub, loaded, report, ran)
                test = self._judge(check, sub, unit.points, loaded, version, done)
                del done, current  # the job's results: what the report needs is in `test` now
                self.pack.diagnose(test, check, self.case_set.inputs[name], version)
                test.feedback = self.pack.summarize(test, check)
                release(test)
                report.tests.append(test)
        finally:
            if isinstance(pending, tuple) and not isinstance(pending[0], JobResult):
                try:
                    pending[0].cancel()  # judging failed: never leave a job running behind us
                except (GraderFault, OSError):
                    pass  # the sandbox is broken too; the judging's own error is the one to report

    # --- one check ------------------------------------------------------------------------------
    def _submit(self, check: Check, sub: Submission, count: int, standins: list[dict] | dict) -> tuple:
        """Start one check's cases in the sandbox; `standins`: each case's stand-in table."""
        tables = standins if isinstance(standins, list) else [standins] * count
        job = {
            "kind": "end_to_end" if check.unit == END_TO_END else "function",
            "function": check.function,
            "program": sub.program,
            "cases": self.case_set.job_cases(check.unit),
            "case_count": count,
            "standins": {h: self.checks[h].arg_names for h in sorted({h for table in tables for h in table})},
            "limits": self.rubric.limits.as_job(self.sandbox.uid),
            "denied": list(self.rubric.denied),
            **self._extras,
        }
        answers = StandInAnswers(tables)
        share = self._share(check.unit)
        return (self.sandbox.submit(job, answers, share=share) if share else self.sandbox.submit(job, answers)), answers

    def _share(self, unit: str) -> int:
        """May this check run in the process of the checks before it (issue 24)? Only when it comes after
        each of them in the pack's SHARED_ORDER, an order in which no check's data reveals an answer of
        a later one: then the process holds nothing it is still to be graded on. Otherwise the shared
        process, if any, ends first. Returns how many checks a process started here may serve (0: a
        process of its own, as every check had before)."""
        if not getattr(self.sandbox, "shares", False) or unit not in self.shared_order:
            return 0
        position = self.shared_order.index(unit)
        if self._last_shared is not None and position <= self._last_shared:
            self.sandbox.end_session()
        self._last_shared = position
        return len(self.shared_order) - position

    def _job(
        self, check: Check, sub: Submission, count: int, standins: list[dict] | dict, loaded: dict, report: Report
    ) -> tuple[JobResult, StandInAnswers]:
        """Run one check's cases in the sandbox to their end."""
        return self._finish(self._submit(check, sub, count, standins), sub, loaded, report)

    def _start(self, check: Check, sub: Submission, loaded: dict, report: Report, ran: dict):
        """What judging `check` will need: its early job's result, why it cannot run, or its job, started."""
        if check.unit in ran:
            return ran.pop(check.unit)  # held no longer than its judging
        if self.sandbox.budget is not None and self.sandbox.budget.spent:
            return f"Not run: {self.sandbox.budget.spent}."
        problem = self._unavailable(check, sub, loaded)
        if problem:
            return problem
        inputs = self.case_set.inputs[check.unit]
        return self._submit(check, sub, len(inputs), [case.standins for case in inputs])

    def _finish(self, started, sub: Submission, loaded: dict, report: Report):
        """A started job collected (and its load report noted); anything else as it is."""
        if not isinstance(started, tuple) or isinstance(started[0], JobResult):
            return started
        job, answers = started
        result = job.collect()
        self._note_load(result, sub, loaded, report)
        return result, answers

    def _judge(
        self, check: Check, sub: Submission, points: float, loaded: dict, version: Version, ran: tuple | str
    ) -> TestResult:
        """Judge one check from its job's result, or say why it could not run."""
        test = TestResult(check.unit, check.unit, float(points))
        inputs = self.case_set.inputs[check.unit]
        if isinstance(ran, str):
            test.problem = ran
            return test
        result, answers = ran
        problem = self._unavailable(check, sub, loaded)
        if problem:
            test.problem = problem
            return test
        stopped = False
        for case in inputs:
            outcome = self._case(check, case, result, stopped, answers.calls.get(case.index, []), version.grads_keys)
            stopped = stopped or outcome.status == "timeout"
            test.cases.append(outcome)
        check.review(test.cases, inputs)
        test.notices += self.pack.notices(check, inputs, test, result, sub, version)
        test.notices += list(
            dict.fromkeys(filter(None, (py2.runtime_advice(c.error, sub.sources) for c in test.cases)))
        )
        return test

    def _case(
        self, check: Check, case: CaseInput, result: JobResult, stopped: bool, calls: list, keys: str = "current"
    ) -> CaseResult:
        return judge_case(self.pack, self.rubric.limits, self.tolerance, check, case, result, stopped, calls, keys)

    def _unavailable(self, check: Check, sub: Submission, loaded: dict) -> str | None:
        """Why a check cannot run at all: a function it needs is missing, or did not load."""
        reasons = []
        for name in check.requires:
            syntax = [p for p in sub.problems if p.function == name]
            if syntax:
                reasons.append(f"{name} has a syntax error at {syntax[0].where}: {syntax[0].message}")
            elif name not in sub.defined:
                reasons.append(f"{name} is not defined in the submission")
            elif "functions" in loaded and name not in loaded["functions"]:
                reasons.append(f"{name} is defined at {sub.defined[name]} but did not load (see the load errors)")
        if not reasons:
            return None
        if check.unit == END_TO_END:
            return "The end-to-end check needs your whole chain: " + "; ".join(reasons) + "."
        return reasons[0] + "."

    def _note_load(self, result: JobResult, sub: Submission, loaded: dict, report: Report) -> None:
        """Record what went wrong while loading, once; skip statements that hung from then on."""
        if "functions" in loaded or result.load is None:
            return
        loaded["functions"] = set(result.load.get("functions", ()))
        for error in result.load.get("errors", ()):
            where = f"{error['filename']}, line {error['lineno']}"
            report.load_problems.append(
                {"where": where, "kind": "load", "message": f"{error['type']}: {error['message']}"}
            )
            if error["type"] == "Timeout":
                sub.statements = [
                    s for s in sub.statements if (s.filename, s.lineno) != (error["filename"], error["lineno"])
                ]


class Graders:
    """One Grader per assignment, sharing one sandbox: a batch worker that meets several assignments.

    Each submission is read first and graded by its own assignment's Grader (the rubric's, or the one
    recognised from it); the case sets were computed once, before the workers were forked."""

    def __init__(
        self, rubric: Rubric, case_sets: dict[str, CaseSet], seed: int, device: str, worker: int, weak_sandbox: str
    ):
        self.rubric, self.graders, sandbox = rubric, {}, None
        for name, case_set in case_sets.items():
            grader = Grader(rubric, seed, device, worker, case_set, weak_sandbox, packs.get(name), sandbox)
            self.graders[name], sandbox = grader, grader.sandbox
        self.sandbox = sandbox

    def grade(self, path: str | Path) -> Report:
        sub = load_submission(path, self.rubric.assignment)
        return self.graders[sub.pack].grade_submission(sub)

    def close(self) -> None:
        if self.sandbox is not None:  # None only where no assignment was given
            self.sandbox.close()


def grade_file(
    path: str | Path, rubric: Rubric, seed: int = 0, device: str = "cpu", weak_sandbox: str = "refuse"
) -> Report:
    """Grade one submission with a Grader of its own assignment (the rubric's, or recognised from the
    file), and close that Grader's sandbox before returning."""
    sub = load_submission(path, rubric.assignment)
    with Grader(rubric, seed=seed, device=device, weak_sandbox=weak_sandbox, pack=packs.get(sub.pack)) as grader:
        return grader.grade_submission(sub)


def shared_order(pack: Pack) -> tuple[str, ...]:
    """The order in which a pack's checks may share one walled process: its checks module's
    SHARED_ORDER (see grader/sandbox/shared.py); none declared, every check gets a process of its own."""
    order: Iterable[str] | None = getattr(pack, "shared_order", None)
    if order is None:
        order = getattr(sys.modules.get(f"{type(pack).__module__}.checks"), "SHARED_ORDER", ())
    return tuple(order or ())
