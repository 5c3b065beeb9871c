"""One case's verdict: what its job sent back, judged against autograd's answer, or why there is none.

Grader (grade.py) runs the jobs and calls `judge_case` for every case of a check; the notes said for a
case that never finished (a crash, a timeout, a budget) are here too, so each verdict reads in one place.
"""

from __future__ import annotations

from grader.judge.compare import Tolerance
from grader.judge.results import CaseResult, TestResult
from grader.judge.rubric import Limits
from grader.judge.standins import wrong_call
from grader.pack import CaseInput, Check, Pack
from grader.sandbox.client import JobResult


def judge_case(
    pack: Pack,
    limits: Limits,
    tolerance: Tolerance,
    check: Check,
    case: CaseInput,
    result: JobResult,
    stopped: bool,
    calls: list,
    keys: str = "current",
) -> CaseResult:
    """One case's verdict from what its job sent back: passed, failed (and how), or why it has none."""
    out = CaseResult(case.index, case.label, case.description, "error", calls=calls)
    asked_wrong = any(c.get("matched") is None for c in calls)  # the trusted log of questions, not the child's word
    got = result.cases.get(case.index)
    if got is None:
        if stopped:
            out.status, out.note = "not_run", "not run: an earlier case ran out of time"
        elif result.reason in ("budget", "overflow"):  # a cap of the trusted side's (budget.py)
            out.note, out.budget = crash_note(result), True
        elif result.reason == "timeout":
            out.status, out.note = (
                "timeout",
                f"the check ran out of its {limits.total_seconds:g} s before this case finished ({case.description})",
            )
        else:
            out.note = crash_note(result)
        return out
    # Every field was checked for its type and range, and every string capped, as it arrived (frames.py).
    out.seconds = got["seconds"]
    if "calls" in got:  # the child's own account, which includes the calls it answered itself
        out.calls = got["calls"]
    out.output, out.output_chars = got.get("output", ""), got.get("output_chars", 0)
    status = got["status"]
    if status == "timeout":
        out.status, out.note = (
            "timeout",
            f"no answer within {limits.case_seconds:g} s on a case with {case.description}",
        )
        if isinstance(got.get("error"), dict) and got["error"].get("traceback"):  # where the alarm found the code
            out.error = {"type": "Timeout", "message": "", "traceback": got["error"]["traceback"]}
    elif status == "error":
        out.error = got["error"]
        out.value = got.get("value")  # the end-to-end chain's stages that ran before the error, for diagnosis
        if out.error.get("type") == "HelperCallMismatch":  # a wrong call is a wrong answer, not a crash
            out.status, out.mismatches = "failed", [wrong_call(check.function, out.calls)]
    else:
        out.value = got.get("value")
        mismatches = check.judge(case, got.get("value"), tolerance, keys)
        if got.get("args_after") is not None:  # sent back only when the child saw a change
            mismatches += pack.judge_changes(check.unit, check.arg_names, case.args, got["args_after"])
        if asked_wrong:  # a refused call that the code caught and went on from: probing, not an answer
            mismatches.insert(
                0,
                wrong_call(check.function, out.calls if any(c.get("matched") is None for c in out.calls) else calls),
            )
        out.mismatches = mismatches
        out.status = "failed" if mismatches else "passed"
    return out


def release(test: TestResult) -> None:
    """Let go of what the job returned once the check is judged and diagnosed: the report shows none of
    it, and a submission's values, kept for all its checks, were the trusted side's memory to spend."""
    for case in test.cases:
        case.value = None
        case.calls = [{"helper": c.get("helper"), "matched": c.get("matched")} for c in case.calls[:50]]


def crash_note(result: JobResult) -> str:
    done = result.done
    if done.get("reason") == "overflow":  # the grader ended it: its signal says nothing more
        return (
            "not judged: your code sent back more data than the grader accepts "
            f"({done.get('detail') or 'a frame too long'})"
        )
    if done.get("reason") == "budget":
        return f"not judged: {done.get('detail')}, so this check stopped there"
    if done.get("reason") == "corrupt":
        return (
            f"the process running your code sent data that is not a result the grader accepts "
            f"({done.get('detail') or 'malformed'}), so this check stopped there"
        )
    if done.get("signal"):
        return (
            f"the process running your code was killed by {done['signal']} "
            "(a crash, or over the memory limit) before this case finished"
        )
    if done.get("exit_code"):
        return f"the process running your code ended (exit code {done['exit_code']}) before this case finished"
    return "this case did not finish"
