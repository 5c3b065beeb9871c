"""The one sentence a report leads with when its many lines share one cause.

Three common cases bury the point under a full table: a file of another assignment (every unit "is not
defined"), a notebook still the course's template (every unit "got None"), and a function that never
returns (a timeout that, alone, says nothing about where). `headline(report)` names the cause once; every
renderer (terminal, Markdown, HTML, the platforms) prints it above the details, so they all say the same.

`headline` is a pure function of a `Report` (or its JSON dict, for pages drawn from files): it reads only
what grading recorded. The one fact a report cannot recover later, which other assignment the file
matches, is recorded while grading by `other_assignment_notice` as a load-problem notice.
"""

from __future__ import annotations

from grader import END_TO_END

OTHER_ASSIGNMENT = "This looks like another assignment"
NOTICE_WHERE = "assignment"  # the `where` of the notice, so that renderers can tell it from a file's problem
TEMPLATE_SHARE = 0.5  # "still the template" when at least this share of the units came back as None


# --- recorded while grading ------------------------------------------------------------------------
def other_assignment_notice(graded_as, texts: list[str]) -> dict | None:
    """A load problem (kind "notice") when the texts define more of another pack's graded functions than of
    `graded_as`'s: what the file looks like, and how to grade it as that. None when it matches best."""
    from grader import packs

    ours = graded_as.recognise(texts)
    scored = [(pack.recognise(texts), pack) for pack in packs.all_packs() if pack.name != graded_as.name]
    best, other = max(scored, key=lambda s: s[0], default=(0, None))
    if other is None or best <= ours:
        return None
    defined = [name for name in other.functions if any(f"def {name}(" in t or f"def {name} (" in t for t in texts)]
    shown = ", ".join(defined[:4]) + (f" and {len(defined) - 4} more" if len(defined) > 4 else "")
    message = (
        f"{OTHER_ASSIGNMENT}: it defines {best} of the {len(other.functions)} graded functions of "
        f"'{other.title}' ({shown}) and {ours} of the {len(graded_as.functions)} of '{graded_as.title}', "
        f"which it was graded as. Submit it to that assignment (or grade it with --assignment {other.name})."
    )
    return {"where": NOTICE_WHERE, "kind": "notice", "message": message}


# --- read from a report ----------------------------------------------------------------------------
def _get(obj, name: str, default=None):
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def is_headline_notice(problem: dict) -> bool:
    """The other-assignment notice: a renderer that shows the headline leaves it out of the problem list."""
    return problem.get("where") == NOTICE_WHERE and str(problem.get("message", "")).startswith(OTHER_ASSIGNMENT)


def headline(report) -> str | None:
    """The report's one-line cause, or None when the details speak for themselves (full marks, one bug)."""
    for problem in _get(report, "load_problems") or []:
        if is_headline_notice(problem):
            return str(problem["message"])
    if _get(report, "fatal") or _get(report, "status") == "error":
        return None
    tests = list(_get(report, "tests") or [])
    return _template(tests) or _timeout(tests)


def _cases(test) -> list:
    cases = _get(test, "cases")
    if cases is None:  # a JSON report keeps only the failing cases
        cases = _get(test, "failed_cases") or []
    return list(cases)


def _first_failure(test):
    return next((c for c in _cases(test) if _get(c, "status") != "passed"), None)


def _mismatch_messages(case) -> list[str]:
    return [str(_get(m, "message", "")) for m in _get(case, "mismatches") or []]


def returned_none(test) -> bool:
    """The unit's first failing case came back as the template leaves it: None where a value belongs (a
    None itself, a None inside a dict or tuple, `np.squeeze(None)`), or a crash on unpacking a None."""
    case = _first_failure(test)
    if case is None or _get(test, "status") == "passed":
        return False
    messages = _mismatch_messages(case)
    error = _get(case, "error") or {}
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    return (
        any(m.endswith("got None") or "np.squeeze(None)" in m for m in messages)
        or "NoneType" in message
        or "returned None" in message
    )


def _template(tests: list) -> str | None:
    graded = [t for t in tests if _get(t, "function") != END_TO_END]
    empty = [_get(t, "function") for t in graded if returned_none(t)]
    if len(empty) < 2:  # one None is one function's bug, not the template
        return None
    names = ", ".join(empty[:6]) + (f" and {len(empty) - 6} more" if len(empty) > 6 else "")
    if len(empty) == len(graded):
        return (
            f"This is still the template: all {len(graded)} functions return None where your code should go. "
            "Fill in the lines between ### START CODE HERE ### and ### END CODE HERE ###, "
            "run each cell, and submit again."
        )
    if len(empty) >= TEMPLATE_SHARE * len(graded):
        return (
            f"This is still mostly the template: {len(empty)} of {len(graded)} functions ({names}) return None where "
            "your code should go (between ### START CODE HERE ### and ### END CODE HERE ###)."
        )
    return (
        f"Parts of this are still the template: {names} return None where your code should go "
        "(between ### START CODE HERE ### and ### END CODE HERE ###)."
    )


def _timeout(tests: list) -> str | None:
    for test in tests:
        if _get(test, "status") != "timeout":
            continue
        case = next((c for c in _cases(test) if _get(c, "status") == "timeout"), None)
        if case is None:
            continue
        frames = (_get(case, "error") or {}).get("traceback") or []
        where = f"case {_get(case, 'index')} ({_get(case, 'description')})"
        if frames and len(frames[-1]) >= 3:
            file, line, function = frames[-1][:3]
            shown = str(file).replace("\\", "/").rsplit("/", 1)[-1]
            return (
                f"Time ran out in {function} at line {line} of {shown}, on {where} of {_get(test, 'function')}: "
                "look for a loop that never ends there."
            )
        return f"Time ran out in {_get(test, 'function')} on {where}: it gave no answer within the time limit."
    return None
