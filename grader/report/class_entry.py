"""One submission's entry in the class report: the slim part of its JSON report that summary.csv and the
class pages read (a batch keeps one per submission in memory), and the few words saying why it lost
points or could not be graded (the class table's cause column).
"""

from __future__ import annotations

import re


def slim(report: dict) -> dict:
    """The part of a JSON report that summary.csv and the class report read (small enough to keep 10,000).

    `cause` is the short phrase the class table shows for it, `cause_detail` the one line shown on hover."""
    tests = []
    for test in report.get("tests", []):
        codes: dict[str, str] = {d["code"]: d.get("title", "") for d in test.get("diagnoses", []) if "code" in d}
        for case in test.get("failed_cases", []):
            for d in case.get("diagnoses", []):
                if "code" in d:
                    codes.setdefault(d["code"], d.get("title", ""))
        tests.append(
            {
                "function": test["function"],
                "score": test["score"],
                "max_score": test["max_score"],
                "status": test["status"],
                "passed_cases": test.get("passed_cases", 0),
                "total_cases": test.get("total_cases", 0),
                "diagnoses": codes,
            }
        )
    short, detail = cause(report)
    return {
        "submission": report.get("submission", ""),
        "assignment": report.get("assignment", ""),
        "status": report["status"],
        "score": report["score"],
        "max_score": report["max_score"],
        "seed": report.get("seed"),
        "feedback": report.get("feedback", ""),
        "rubric": report.get("rubric", {}),
        "seconds": report.get("seconds", 0.0),
        "tests": tests,
        "cause": short,
        "cause_detail": detail,
    }


# --- the cause column: a few words for every row ---------------------------------------------------
DETAIL_CHARS = 300  # the hover text; the submission's own page has everything
FATAL_CAUSES = (  # (what the grader's fatal feedback says, the phrase the class table shows)
    ("The grader failed", "the grader failed (rerun to retry)"),
    ("ran past its deadline", "timed out (batch deadline)"),
    ("holds no .py or .ipynb file", "no .py or .ipynb file"),
    ("is a symbolic link", "a symbolic link, not a file"),
    ("is neither a .py file nor a .ipynb notebook", "not a .py or .ipynb file"),
)
_RAISED = re.compile(r"(?m)^\s+raised ([A-Za-z_]\w{0,39})\b")  # a failing case's "  raised ValueError: ..." line
_OTHER_PACK = re.compile(r"defines the functions of .* \(assignment ([\w.-]+)\)")


def flat(text: object) -> str:
    return " ".join(str(text).split())


def fatal_cause(feedback: str, problems: list[dict]) -> str:
    for said, phrase in FATAL_CAUSES:
        if said in feedback:
            return phrase
    if "none of the graded functions" in feedback:
        other = next((m.group(1) for p in problems if (m := _OTHER_PACK.search(flat(p.get("message", ""))))), None)
        return f"wrong assignment ({other})" if other else "defines no graded function"
    return "unreadable file"


def cause(report: dict) -> tuple[str, str]:
    """(a few words, one longer line) saying why a submission lost points or could not be graded.

    The few words are the misconceptions' codes, then what went wrong around them: a syntax error,
    a crash or a timeout while loading, missing functions, a timeout, the template's `None` returned.
    The longer line is the misconceptions' titles and the problems' own messages, cut to DETAIL_CHARS.
    """
    feedback = flat(report.get("feedback", ""))
    problems = [p for p in report.get("load_problems", []) if isinstance(p, dict)]
    if report["status"] == "error":
        return fatal_cause(feedback, problems), feedback[:DETAIL_CHARS]
    codes: dict[str, str] = {}
    for test in report.get("tests", []):
        for d in test.get("diagnoses", []):
            codes.setdefault(str(d.get("code", "")), flat(d.get("title", "")))
    phrases: list[str] = []
    syntax = [p for p in problems if p.get("kind") == "syntax"]
    if syntax:
        phrases.append("syntax error" if len(syntax) == 1 else f"{len(syntax)} syntax errors")
    loads = [flat(p.get("message", "")) for p in problems if p.get("kind") == "load"]
    if any(m.startswith("Timeout") for m in loads):
        phrases.append("timed out while loading")
    elif loads:
        kind = loads[0].split(":")[0]
        phrases.append(f"crashed at load ({kind})" if kind.isidentifier() else "crashed at load")
    lost = [t for t in report.get("tests", []) if t.get("status") != "passed"]
    missing = [t["function"] for t in lost if str(t.get("feedback", "")).startswith(f"{t['function']} is not defined")]
    if missing:
        phrases.append(f"{missing[0]} missing" if len(missing) == 1 else f"{len(missing)} functions missing")
    timeouts = [t["function"] for t in lost if t.get("status") == "timeout"]
    if timeouts:
        phrases.append(f"timed out in {timeouts[0]}" + (f" and {len(timeouts) - 1} more" if len(timeouts) > 1 else ""))
    raised = [
        (t["function"], m.group(1))
        for t in lost
        if t.get("status") == "error"
        and t["function"] not in missing
        and (m := _RAISED.search(str(t.get("feedback", ""))))
    ]
    if raised:
        phrases.append(
            f"{raised[0][0]} raises {raised[0][1]}" + (f" and {len(raised) - 1} more" if len(raised) > 1 else "")
        )
    if any(re.search(r"\b(got|returned) None\b", str(t.get("feedback", ""))) for t in lost):
        phrases.append("returns None (template not filled in?)")
    words = [c for c in codes if c] + phrases
    if not words and lost:
        words = [f"{len(lost)} unit{'s' if len(lost) > 1 else ''} wrong, no known cause"]
    details = [f"{code}: {title}" for code, title in codes.items() if code and title]
    details += [
        flat(f"{p.get('where', '')}: {p.get('message', '')}") for p in problems if p.get("kind") in ("syntax", "load")
    ]
    return ", ".join(words), "; ".join(details)[:DETAIL_CHARS]
