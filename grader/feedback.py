"""The feedback text of one test: what was expected, what came back, in the course's notation."""

from __future__ import annotations

from grader.checks import Check
from grader.results import CaseResult, TestResult


def case_line(case: CaseResult) -> str:
    where = f"case {case.index} ({case.label}; {case.description})"
    if case.status == "failed":
        return f"{where}: " + "; ".join(m.message for m in case.mismatches[:3])
    if case.status == "error":
        if case.error:
            frames = case.error.get("traceback") or []
            at = f" at {frames[-1][0]}, line {frames[-1][1]}" if frames else ""
            return f"{where}: raised {case.error.get('type')}: {case.error.get('message')}{at}"
        return f"{where}: {case.note}"
    return f"{where}: {case.note}"


def summarize(test: TestResult, check: Check) -> str:
    if test.problem:
        return test.problem
    total, passed = len(test.cases), test.passed_cases
    if passed == total:
        return f"All {total} cases passed."
    lines = [f"{passed} of {total} cases passed."]
    for diagnosis in test.diagnoses:
        lines.append(f"Likely cause ({diagnosis.code}): {diagnosis.message}")
    first = test.first_failure()
    if first is not None:
        lines.append("First failing " + case_line(first))
    return "\n".join(lines + test.notices)
