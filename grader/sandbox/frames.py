"""The shape of every frame a job may send, field by field: what the trusted side takes, and nothing else.

A frame is decoded with `wire` (plain data only), but plain data of any shape: `seconds: "abc"` or a
traceback that is a number raised deep in the judging, and a 2 MB exception class name went into the
report as it came (132 MB of JSON for one submission). Each check here returns a fresh record holding
only the known fields, each of its type and in its range, every string capped; a frame that fails one
raises `FrameError`, whose message names the field, and that ends only its check (client.py).

What a job may send (child.py writes them):
- L, its load report: errors [{filename, lineno, type, message, traceback}], functions [str], output, output_chars
- C, a case's result: i, status (ok, error, timeout), seconds, value, error (with status error; with timeout,
  where the alarm found the code),
  args_after, calls [{helper, matched, args}], output, output_chars
- Q, a stand-in's question: i, helper, args (a tuple)
- E, in a shared process only (shared.py), the end of a check after its last result: clean (bool, whether
  the process is fit to serve another check)
"""

from __future__ import annotations

import math
from typing import Any

from grader.safe_text import cap

NAME_CHARS = 200  # a function's, a helper's, an exception type's name
FILENAME_CHARS = 300
MESSAGE_CHARS = 2000  # child.py cuts an exception's message here too
LINE_CHARS = 500  # a traceback line's source text
TRACEBACK_FRAMES = 40  # a deep recursion sends a thousand: the first and last are the ones to read
LOAD_ERRORS = 200
FUNCTIONS = 500
CALLS = 500  # stand-in calls one case may report
CALLS_WITH_ARGS = 20  # of them, how many keep their arguments (for the diagnosis)
STATUSES = ("ok", "error", "timeout")
MAX_SECONDS = 1e6


class FrameError(ValueError):
    """A frame with a field of the wrong type or out of its range."""


def _field(record: dict, name: str, kind: str):
    if name not in record:
        raise FrameError(f"its {kind} has no '{name}'")
    return record[name]


def _int(value, what: str, low: int = 0, high: int | None = None) -> int:
    if type(value) is not int or value < low or (high is not None and value > high):
        raise FrameError(f"{what} is not a whole number in range")
    return value


def _text(value, what: str, limit: int) -> str:
    if type(value) is not str:
        raise FrameError(f"{what} is not text")
    return cap(value, limit)


def _list(value, what: str) -> list:
    if type(value) not in (list, tuple):
        raise FrameError(f"{what} is not a list")
    return value


def _seconds(value, what: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise FrameError(f"{what} is not a finite, non-negative number of seconds")
    return float(value)


def _traceback(value) -> list:
    frames = _list(value, "the error's traceback")
    if len(frames) > TRACEBACK_FRAMES:
        half = TRACEBACK_FRAMES // 2
        frames = [*frames[:half], *frames[-half:]]
    out = []
    for frame in frames:
        frame = _list(frame, "a traceback entry")
        if len(frame) != 4:
            raise FrameError("a traceback entry is not [file, line, function, text]")
        out.append(
            [
                _text(frame[0], "a traceback's file", FILENAME_CHARS),
                _int(frame[1], "a traceback's line"),
                _text(frame[2], "a traceback's function", NAME_CHARS),
                _text(frame[3], "a traceback's text", LINE_CHARS),
            ]
        )
    return out


def error(value) -> dict:
    """An exception as the report shows it: {type, message, traceback}."""
    if type(value) is not dict:
        raise FrameError("its error is not a record")
    return {
        "type": _text(_field(value, "type", "error"), "the error's type", NAME_CHARS),
        "message": _text(_field(value, "message", "error"), "the error's message", MESSAGE_CHARS),
        "traceback": _traceback(value.get("traceback", [])),
    }


def _output(message: dict, output_chars: int) -> tuple[str, int]:
    output = _text(message.get("output", ""), "its output", output_chars)
    return output, _int(message.get("output_chars", 0), "its output's length")


def load_report(message: dict, output_chars: int) -> dict:
    errors = _list(_field(message, "errors", "load report"), "the load errors")[:LOAD_ERRORS]
    functions = _list(_field(message, "functions", "load report"), "the loaded functions")[:FUNCTIONS]
    out: dict[str, Any] = {
        "errors": [],
        "functions": [_text(f, "a loaded function's name", NAME_CHARS) for f in functions],
    }
    for item in errors:
        if type(item) is not dict:
            raise FrameError("a load error is not a record")
        out["errors"].append(
            {
                "filename": _text(_field(item, "filename", "load error"), "a load error's file", FILENAME_CHARS),
                "lineno": _int(_field(item, "lineno", "load error"), "a load error's line"),
                **error(item),
            }
        )
    out["output"], out["output_chars"] = _output(message, output_chars)
    return out


def _calls(value) -> list:
    calls, out, kept = _list(value, "its stand-in calls")[:CALLS], [], 0
    for call in calls:
        if type(call) is not dict:
            raise FrameError("a stand-in call is not a record")
        matched = call.get("matched")
        if matched is not None:
            matched = _text(matched, "a stand-in call's match", NAME_CHARS)
        entry = {
            "helper": _text(_field(call, "helper", "stand-in call"), "a stand-in call's helper", NAME_CHARS),
            "matched": matched,
        }
        if "args" in call and kept < CALLS_WITH_ARGS:
            entry["args"], kept = call["args"], kept + 1
        out.append(entry)
    return out


def case_result(message: dict, output_chars: int) -> dict:
    """A case's result; `i` is checked against the running case by the caller."""
    status = _field(message, "status", "result")
    if type(status) is not str or status not in STATUSES:
        raise FrameError(f"its status is not one of {', '.join(STATUSES)}")
    out = {
        "i": _int(_field(message, "i", "result"), "its case number"),
        "status": status,
        "seconds": _seconds(message.get("seconds", 0.0), "its seconds"),
    }
    if "value" in message:
        out["value"] = message["value"]
    if status == "error":
        out["error"] = error(_field(message, "error", "error result"))
    elif status == "timeout" and "error" in message:  # where the alarm found the student's code
        out["error"] = error(message["error"])
    if message.get("args_after") is not None:
        out["args_after"] = message["args_after"]
    if "calls" in message:
        out["calls"] = _calls(message["calls"])
    out["output"], out["output_chars"] = _output(message, output_chars)
    return out


def question(message: dict) -> dict:
    args = _field(message, "args", "question")
    if type(args) is not tuple:
        raise FrameError("its question's arguments are not a tuple")
    return {
        "i": _int(_field(message, "i", "question"), "its question's case number"),
        "helper": _text(_field(message, "helper", "question"), "its question's helper", NAME_CHARS),
        "args": args,
    }


def end_of_check(message: dict) -> dict:
    """A shared process's E frame: its word that it may serve another check (a lie costs only speed)."""
    clean = message.get("clean")
    if type(clean) is not bool:
        raise FrameError("clean should be true or false")
    return {"clean": clean}
