"""Code written for Python 2, as the notebooks' first kernels ran it: say so, and say what to change.

A print statement is a syntax error in Python 3, `len(parameters) / 2` is a float, and `xrange` does
not exist. The grader runs Python 3, so such code fails; what it can do is name the cause in the
words of the code the student wrote, once in the load notes and again in the failing function's
feedback, instead of leaving them with "invalid syntax" or "'float' object cannot be interpreted as an
integer".
"""

from __future__ import annotations

import re

_SIGNS = (  # (pattern, what it is, what to write in Python 3)
    (
        re.compile(r"^[ \t]*print[ \t]+(?![(=.,\[])(?:>>|[\"'\w])", re.M),
        "a print statement",
        "print(...) is a function in Python 3",
    ),
    (re.compile(r"\bxrange\s*\("), "xrange", "use range"),
    (
        re.compile(r"\blen\([^()]*\)\s*/(?!/)\s*2\b"),
        "len(...) / 2",
        "/ always gives a float in Python 3: use // (L = len(parameters) // 2)",
    ),
    (re.compile(r"^[ \t]*except\s+[\w.]+\s*,\s*\w+\s*:", re.M), "except E, e:", "write except E as e:"),
    (re.compile(r"\.(?:iteritems|itervalues|iterkeys)\s*\("), "dict.iteritems()", "use .items(), .values(), .keys()"),
    (re.compile(r"\.has_key\s*\("), "dict.has_key()", "use key in dict"),
    (re.compile(r"\braw_input\s*\("), "raw_input", "use input"),
)


# Text every match of the pattern of the same place in _SIGNS holds: where it is absent (nearly always),
# the pattern is not run over the whole submission (a tenth of loading's time was these searches).
_NEEDS = ("print", "xrange", "len(", "except", ".iter", ".has_key", "raw_input")


def signs(text: str) -> list[tuple[int, str, str]]:
    """(line, what, advice) for each kind of Python 2 construct in `text`, at its first place."""
    found = []
    for (pattern, what, advice), needed in zip(_SIGNS, _NEEDS):
        match = pattern.search(text) if needed in text else None
        if match:
            found.append((text.count("\n", 0, match.start()) + 1, what, advice))
    return sorted(found)


def load_note(found: list[tuple[str, int, str, str]]) -> str:
    """One load note for the whole submission: [(where, line, what, advice)]."""
    kinds: dict[str, tuple[str, int, str]] = {}
    for where, line, what, advice in found:
        kinds.setdefault(what, (where, line, advice))
    parts = [f"{what} ({where}, line {line}): {advice}" for what, (where, line, advice) in kinds.items()]
    return "This code looks like Python 2, but it is graded with Python 3: " + "; ".join(parts) + "."


def syntax_message(message: str, line: str) -> str:
    """A syntax error's message, with the Python 2 reading when the line is Python 2."""
    for pattern, what, advice in _SIGNS:
        if pattern.search(line):
            return (
                f"{message.rstrip('.')}{'' if message.endswith('?') else '.'} This line is Python 2 ({what}): {advice}"
            )
    return message


def runtime_advice(error: dict | None, sources: dict[str, str]) -> str | None:
    """For an error raised in a graded function: the Python 2 construct of that function behind it."""
    if not error:
        return None
    frames = error.get("traceback") or []
    function = frames[-1][2] if frames and len(frames[-1]) > 2 else None
    source = sources.get(function or "", "")
    kind, message = error.get("type", ""), str(error.get("message", ""))
    if kind == "NameError" and "'xrange'" in message:
        return f"{function} uses xrange, which is Python 2's range: in Python 3 write range."
    floaty = (kind == "TypeError" and "'float' object cannot be interpreted as an integer" in message) or (
        kind == "KeyError" and re.search(r"\d\.0'?$", message)
    )
    if floaty and re.search(r"(?<!/)/(?!/)\s*2\b", source):
        return (
            f"{function} divides with / (as in L = len(parameters) / 2), which gave an int in Python 2 but gives "
            "a float in Python 3: write // for a whole number of layers."
        )
    return None
