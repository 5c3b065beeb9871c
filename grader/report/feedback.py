"""The feedback text of one test: what was expected, what came back, why, in the course's notation.

`summarize` writes the plain text stored in the JSON report (and shown by every platform). The pieces
(`mismatch_lines`, `error_lines`, `layer_map_table`, ...) are shared with the terminal and Markdown
renderers, so all three say the same thing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader import END_TO_END
from grader.judge.compare import Mismatch
from grader.judge.results import CaseResult, Diagnosis, TestResult

if TYPE_CHECKING:  # an annotation only: the pack API calls summarize() here, so feedback must not import it
    from grader.pack import Check

MAX_MISMATCHES = 4  # per case: the first few wrong quantities, each in full
MARKS = {True: "ok", False: "WRONG", None: "?"}


def number(x: float | None) -> str:
    """A short, exact-enough number for a student to compare by eye."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.4g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.3e}"


def points(x: float) -> str:
    """A score as people read it: at most two decimals, no trailing zeros (79.0417 -> 79.04, 5.0 -> 5).
    Every report writes scores with this, so a terminal, a Markdown page and a platform agree."""
    text = f"{round(float(x), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def numbers(xs: list | None) -> str:
    return "[" + ", ".join(number(x) for x in (xs or [])) + "]"


def shape(s: list | None) -> str:
    return "()" if s == [] else f"({', '.join(map(str, s))}{',' if len(s) == 1 else ''})" if s is not None else "?"


def where(case: CaseResult) -> str:
    return f"case {case.index} ({case.label}; {case.description})"


# --- the pieces -----------------------------------------------------------------------------------
def excerpt_note(m: Mismatch) -> str:
    """Which entries an excerpt shows: a few either side of the largest error, in row-major order."""
    if not m.index or not m.expected_shape:
        return ""
    flat = 0
    for i, n in zip(m.index, m.expected_shape):
        flat = flat * n + i
    lo = max(0, flat - 3)
    return (
        f"flat entries {lo}..{lo + len(m.expected_excerpt or []) - 1} in row-major order, around index {tuple(m.index)}"
    )


def mismatch_lines(m: Mismatch) -> list[str]:
    """One wrong quantity: what is wrong, the shapes, the largest errors and where, and an excerpt."""
    lines = [m.message]
    if m.kind == "value" and m.max_abs_error is not None:
        at = f" at index {tuple(m.index)}" if m.index else ""
        lines.append(
            f"  expected and returned shape {shape(m.expected_shape)}; "
            f"largest absolute error {number(m.max_abs_error)}{at}; "
            f"largest relative error {number(m.max_rel_error)}"
        )
        if m.expected_excerpt is not None:
            note = excerpt_note(m)
            lines.append(f"  expected {numbers(m.expected_excerpt)}")
            lines.append(f"  returned {numbers(m.got_excerpt)}" + (f"  ({note})" if note else ""))
    elif m.kind == "shape" and m.expected_shape is not None:
        lines.append(f"  expected shape {shape(m.expected_shape)}, returned shape {shape(m.got_shape)}")
    return lines


def error_lines(case: CaseResult) -> list[str]:
    """A crash in the student's own words: the exception and their traceback lines (no grader frames)."""
    error = case.error or {}
    lines = [f"raised {error.get('type', 'an error')}: {error.get('message', '')}".rstrip(": ")]
    frames = error.get("traceback") or []
    if frames:
        lines.append("  Traceback (your code, most recent call last):")
        for frame in frames[-6:]:
            file, line, function = _file(frame[0]), frame[1], frame[2]
            text = frame[3] if len(frame) > 3 else ""
            lines.append(f'    File "{file}", line {line}, in {function}')
            if text:
                lines.append(f"      {text.strip()}")
    return lines


def timeout_frame(case: CaseResult) -> list | None:
    """Where a timed-out case's code was when its alarm fired: the innermost of the student's own frames
    ([file, line, function, text]), as the sandbox caught it; None when the whole job was ended instead
    (the alarm could not fire: a long C call) or the frames were not kept."""
    frames = ((case.error or {}).get("traceback") or []) if case.status == "timeout" else []
    return frames[-1] if frames and len(frames[-1]) >= 3 else None


def timeout_lines(case: CaseResult) -> list[str]:
    """A timeout's 'where it was': the line the code was running when time ran out, and its caller chain."""
    frame = timeout_frame(case)
    if frame is None:
        return []
    text = frame[3].strip() if len(frame) > 3 and frame[3] else ""
    lines = [f"  Time ran out in {frame[2]}, at line {frame[1]} of {_file(frame[0])}" + (f": {text}" if text else "")]
    frames = (case.error or {})["traceback"]  # a frame was found, so there is an error
    if len(frames) > 1:
        lines.append("  called from " + " <- ".join(f"{f[2]} (line {f[1]})" for f in reversed(frames[-6:-1])))
    return lines


def _file(path: str) -> str:
    """The course helpers the grader serves are named as the student imports them, not by the grader's path."""
    name = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    return name if "/grader/" in str(path).replace("\\", "/") else str(path)


def returned_none_lines(case: CaseResult, stages: tuple = ()) -> list[str]:
    """In the end-to-end chain, the functions that returned None before the error: what was seen, no more.

    `stages`: the pack's `chain_outputs`, (key in the chain's record, function, what it must return)."""
    value = case.value if isinstance(case.value, dict) else {}
    lines = [
        f"  your {function} returned None, and the chain went on with it"
        for key, function, _ in stages
        if key in value and value[key] is None
    ]
    error = case.error or {}
    for _, function, returns in stages:
        if (
            returns
            and value.get("stage") == function
            and not error.get("traceback")
            and "cannot unpack non-iterable NoneType" in str(error.get("message", ""))
        ):
            lines.append(f"  your {function} returned None, where the chain expects {returns}")
    return lines


def case_lines(case: CaseResult, stages: tuple = ()) -> list[str]:
    """Everything about one failing case."""
    head = f"{'Timed out' if case.status == 'timeout' else 'Failing'} {where(case)}:"
    if case.status == "failed" and case.mismatches:
        body = [line for m in case.mismatches[:MAX_MISMATCHES] for line in mismatch_lines(m)]
        if len(case.mismatches) > MAX_MISMATCHES:
            body.append(f"... and {len(case.mismatches) - MAX_MISMATCHES} more wrong quantities")
    elif case.status in ("error", "failed") and case.error:
        body = error_lines(case) + returned_none_lines(case, stages)
    else:
        body = [case.note or "no result"] + (timeout_lines(case) if case.status == "timeout" else [])
    return [head] + ["  " + line for line in body]


def diagnosis_lines(d: Diagnosis) -> list[str]:
    return [f"Likely cause [{d.code}]: {d.title}.", f"  {d.message}", f"  Expected: {d.expected}"]


def layer_map_table(rows: list[dict], CELLS: tuple[str, ...] = ()) -> list[str]:
    """The map as plain text: one line per layer, L first."""
    L = rows[0]["layer"]
    lines = ["  layer  " + "".join(f"{c:7s}" for c in CELLS) + "own step"]
    for row in rows:
        cells = "".join(f"{MARKS[row.get(c)]:7s}" for c in CELLS)
        step = {True: "right", False: "wrong", None: "?"}[row.get("step")]
        label = f"{row['layer']}{' (L)' if row['layer'] == L else ''}"
        lines.append(f"  {label:7s}{cells}{step}")
    return lines


def layer_map_title(test: TestResult) -> str:
    rows = test.layer_map or []
    case = next((c for c in test.cases if rows and c.index == rows[0].get("case")), None)
    return (
        f"Where the error enters (case {case.index}, {case.description}; dA of layer L is dAL):"
        if case
        else "Where the error enters:"
    )


def count_line(test: TestResult) -> str:
    """How many cases passed, and how the others ended when not by a wrong answer."""
    statuses = [c.status for c in test.cases]
    extra = [
        f"{n} {what}"
        for n, what in (
            (statuses.count("error"), "raised an error"),
            (statuses.count("timeout"), "ran out of time"),
            (statuses.count("not_run"), "were not run after that"),
        )
        if n
    ]
    more = f" ({'; '.join(extra)})" if extra else ""
    return f"{test.passed_cases} of {len(test.cases)} cases passed{more}.{passed_hint(test)}"


def passed_hint(test: TestResult) -> str:
    """Which cases passed, when only a few did: 'only m = 1 passes' is itself a clue."""
    passed = [c for c in test.cases if c.passed]
    if not passed or len(passed) > 3 or len(passed) == len(test.cases):
        return ""
    return " Passed only: " + "; ".join(where(c) for c in passed) + "."


# --- the whole text -------------------------------------------------------------------------------
def summarize(
    test: TestResult, check: Check | None = None, cells: tuple[str, ...] = (), explain=None, stages: tuple = ()
) -> str:
    """The feedback text of one graded unit; `cells` and `explain` draw a pack's layer map, if it has
    one; `stages` are its chain's outputs (`Pack.chain_outputs`)."""
    if test.problem:
        return test.problem
    total, passed = len(test.cases), test.passed_cases
    if total and passed == total:
        return "\n".join([f"All {total} cases passed."] + test.notices)
    lines = [count_line(test)]
    for diagnosis in test.diagnoses:
        lines += diagnosis_lines(diagnosis)
    if test.layer_map:
        lines.append(layer_map_title(test))
        lines += layer_map_table(test.layer_map, cells)
        sentence = explain(test.layer_map, [d.code for d in test.diagnoses]) if explain else ""
        if sentence:
            lines.append("  " + sentence)
    first = test.first_failure()
    if first is not None:
        lines += case_lines(first, stages if test.function == END_TO_END else ())
    return "\n".join(lines + test.notices)
