"""The class report an instructor opens after a batch: scores, each function's pass rate, misconceptions.

It is built only from the per-submission JSON reports (the `slim` of each, class_entry.py, and each
file again for its own page), never from live grading state, so a batch resumed after a crash writes
exactly the report an uninterrupted one would. Next to summary.csv it writes `class_report.md`, `index.html` (html_class.py),
one page per submission in `submissions/` (html_report.py) and the plots (plots.py) both pages show.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.report.class_entry import cause as cause  # re-exported: the batch and tests import them from here
from grader.report.class_entry import fatal_cause, flat
from grader.report.class_entry import slim as slim

REPORT_NAME, PICTURE_NAME, INDEX_NAME = "class_report.md", "score_distribution.png", "index.html"
PASS_RATES, MISCONCEPTIONS, TIMES = "pass_rates.png", "misconceptions.png", "grading_time.png"
BINS = 10  # equal-width score ranges below full marks; full marks get a bar of their own


# --- the statistics --------------------------------------------------------------------------------
@dataclass
class UnitStats:
    points: float = 0.0
    full_marks: int = 0
    case_fraction: float = 0.0  # summed over submissions; divided by `submissions` when shown
    could_not_run: int = 0
    submissions: int = 0  # the graded submissions of this unit's assignment: the shares' denominator


@dataclass
class Misconception:
    title: str
    submissions: int = 0
    functions: Counter = field(default_factory=Counter)


@dataclass
class AssignmentStats:
    """One assignment's graded submissions: a mixed class gets one each, so that the pass rates of one
    assignment are shares of its own submissions, never of the other's."""

    name: str
    title: str
    names: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    max_score: float = 0.0
    units: dict[str, UnitStats] = field(default_factory=dict)
    misconceptions: dict[str, Misconception] = field(default_factory=dict)


@dataclass
class ClassStats:
    names: list[str]  # every submission
    scores: list[float]  # the graded ones' only: a submission that could not be graded has no score to average
    max_score: float
    errors: list[tuple[str, str]]  # (submission, why it could not be graded: the feedback)
    units: dict[str, UnitStats]  # over the graded submissions (of each unit's assignment)
    misconceptions: dict[str, Misconception]
    seconds: list[float] = field(default_factory=list)  # how long each submission took to grade
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (submission, a few words) for each of `errors`
    assignments: dict[str, AssignmentStats] = field(default_factory=dict)  # the default pack's first

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def graded(self) -> int:
        return len(self.scores)


def _add(units: dict[str, UnitStats], misconceptions: dict[str, Misconception], report: dict) -> None:
    seen: set[str] = set()
    for test in report["tests"]:
        unit = units.setdefault(test["function"], UnitStats())
        unit.points = max(unit.points, test["max_score"])
        unit.submissions += 1
        if test["total_cases"] and test["passed_cases"] == test["total_cases"]:
            unit.full_marks += 1
        if test["total_cases"]:
            unit.case_fraction += test["passed_cases"] / test["total_cases"]
        else:
            unit.could_not_run += 1
        for code, title in test["diagnoses"].items():
            found = misconceptions.setdefault(code, Misconception(title))
            found.title = found.title or title
            found.functions[test["function"]] += 1
            if code not in seen:
                seen.add(code)
                found.submissions += 1


def _ordered(units: dict[str, UnitStats]) -> dict[str, UnitStats]:
    from grader import packs

    order = {u: i for i, u in enumerate(packs.all_units())}
    return dict(sorted(units.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def class_stats(entries: list[tuple[str, dict]]) -> ClassStats:
    """Aggregate (name, slim report) pairs. A submission that could not be graded is counted apart: it is
    in `errors` and `reasons`, never in the scores, the pass rates or the misconceptions."""
    from grader import packs

    max_score = max((r["max_score"] for _, r in entries), default=100.0)
    units: dict[str, UnitStats] = {}
    misconceptions: dict[str, Misconception] = {}
    assignments: dict[str, AssignmentStats] = {}
    errors, reasons, scores = [], [], []
    for name, report in entries:
        if report["status"] == "error":
            errors.append((name, report.get("feedback") or "could not be graded"))
            reasons.append((name, report.get("cause") or fatal_cause(flat(report.get("feedback", "")), [])))
            continue
        scores.append(report["score"])
        pack = packs.of_report(report)
        own = assignments.setdefault(pack.name, AssignmentStats(pack.name, pack.title))
        own.names.append(name)
        own.scores.append(report["score"])
        own.max_score = max(own.max_score, report["max_score"])
        _add(own.units, own.misconceptions, report)
        _add(units, misconceptions, report)
    for own in assignments.values():  # each in its own rubric's order (end_to_end last in both packs)
        order = {u: i for i, u in enumerate(packs.get(own.name).units)}
        own.units = dict(sorted(own.units.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    order = {name: i for i, name in enumerate(packs.names())}
    assignments = dict(sorted(assignments.items(), key=lambda kv: order.get(kv[0], len(order))))
    return ClassStats(
        [n for n, _ in entries],
        scores,
        max_score,
        errors,
        _ordered(units),
        misconceptions,
        [float(r.get("seconds", 0.0)) for _, r in entries],
        reasons,
        assignments,
    )


def score_bins(scores: list[float], max_score: float) -> tuple[list[int], list[str]]:
    """Counts per equal-width range [k*w, (k+1)*w) below full marks, then the count at full marks."""
    width = max_score / BINS if max_score else 1.0
    counts = [0] * (BINS + 1)
    for score in scores:
        counts[BINS if score >= max_score else min(int(score / width), BINS - 1)] += 1
    labels = [f"{round(k * width, 1):g}" for k in range(BINS)] + [f"{max_score:g}"]
    return counts, labels


def _pct(part: float, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _one_line(text: str, limit: int = 200) -> str:
    """A student-made string (a reason, a name) as one line of literal Markdown: cut, then escaped."""
    from grader import safe_text

    text = " ".join(safe_text.terminal(text, keep_newlines=False).replace("\\n", " ").split())
    return safe_text.markdown(text if len(text) <= limit else text[: limit - 1] + "…")


def render_markdown(stats: ClassStats, title: str = "Class report", context: str = "") -> str:
    n = stats.size
    out = [f"# {title}", ""]
    graded = n - len(stats.errors)
    out.append(
        f"{n} submissions: {graded} graded, {len(stats.errors)} could not be graded."
        + (f" {context}" if context else "")
    )
    out += ["", "## Scores", ""]
    if stats.scores:
        full = sum(s >= stats.max_score for s in stats.scores)
        from grader.report.feedback import points

        out.append(
            f"Out of {points(stats.max_score)}: mean {statistics.fmean(stats.scores):.1f}, "
            f"median {points(statistics.median(stats.scores))}, "
            f"lowest {points(min(stats.scores))}, highest {points(max(stats.scores))}; "
            f"{full} ({_pct(full, n)}) have full marks."
        )
    counts, labels = score_bins(stats.scores, stats.max_score)
    out += [
        "",
        f"![Score distribution: submissions per score range]({PICTURE_NAME})",
        f"![Time per submission]({TIMES})",
        "",
        "| score | submissions |",
        "|---|---:|",
    ]
    for k in range(BINS):
        upper = labels[k + 1] if k + 1 < BINS else f"{stats.max_score:g}"
        out.append(f"| {labels[k]} to under {upper} | {counts[k]} |")
    out.append(f"| {labels[BINS]} (full marks) | {counts[BINS]} |")
    out += [
        "",
        "## Each function",
        "",
        f"*Full marks*: the share of all {n} submissions that passed every case of the function. "
        "*Cases passed*: the mean share of its cases passed. A submission that could not be graded, "
        "or lacked the function, counts as zero in both.",
        "",
        f"![Each function: full marks, and cases passed]({PASS_RATES})",
        "",
        "| function | points | full marks | cases passed | could not run |",
        "|---|---:|---:|---:|---:|",
    ]
    for unit, s in stats.units.items():
        out.append(
            f"| `{unit}` | {s.points:g} | {_pct(s.full_marks, n)} ({s.full_marks}) | "
            f"{100 * s.case_fraction / n:.1f}% | {s.could_not_run} |"
            if n
            else f"| `{unit}` | {s.points:g} | - | - | - |"
        )
    out += ["", "## Misconceptions", ""]
    if stats.misconceptions:
        out += [
            "How many submissions showed each misconception the grader recognised, and in which functions.",
            "",
            f"![Misconceptions recognised, per function]({MISCONCEPTIONS})",
            "",
            "| misconception | code | submissions | where |",
            "|---|---|---:|---|",
        ]
        ranked = sorted(stats.misconceptions.items(), key=lambda kv: (-kv[1].submissions, kv[0]))
        for code, m in ranked:
            where = ", ".join(f"`{f}` ({c})" for f, c in sorted(m.functions.items(), key=lambda kv: (-kv[1], kv[0])))
            out.append(
                f"| {_one_line(m.title) or code} | `{code}` | {m.submissions} ({_pct(m.submissions, n)}) | {where} |"
            )
    else:
        out.append("No misconception was recognised in this batch.")
    if stats.errors:
        out += ["", "## Could not be graded", ""]
        out += [f"- {_one_line(name)}: {_one_line(why)}" for name, why in stats.errors]
    return "\n".join(out) + "\n"


def unit_rows(stats: ClassStats) -> list[tuple[str, str, UnitStats]]:
    """(assignment, label, unit stats) for every graded unit, each assignment's in its rubric's order; a
    unit that two assignments share (end_to_end) is labelled with its assignment in a mixed class."""
    mixed = len(stats.assignments) > 1
    names = [u for own in stats.assignments.values() for u in own.units]
    return [
        (own.name, f"{unit} ({own.name})" if mixed and names.count(unit) > 1 else unit, s)
        for own in stats.assignments.values()
        for unit, s in own.units.items()
    ]


def pictures(stats: ClassStats) -> dict[str, bytes]:
    """The four plots, by file name: score histogram, pass rates, misconceptions per function, time per submission.

    Only graded submissions are in the first three; each assignment's shares are of its own submissions."""
    from grader.report import plots

    bins = [(own.title or own.name, score_bins(own.scores, stats.max_score)[0]) for own in stats.assignments.values()]
    labels = score_bins([], stats.max_score)[1]
    rows = unit_rows(stats)
    full = [100 * u.full_marks / (u.submissions or 1) for _, _, u in rows]
    cases = [100 * u.case_fraction / (u.submissions or 1) for _, _, u in rows]
    ranked = sorted(stats.misconceptions.items(), key=lambda kv: (-kv[1].submissions, kv[0]))
    names = list(stats.units)
    where = [f for f in names if any(m.functions.get(f) for _, m in ranked)]
    where += sorted({f for _, m in ranked for f in m.functions} - set(where))
    matrix = [[m.functions.get(f, 0) for f in where] for _, m in ranked]
    return {
        PICTURE_NAME: plots.draw(plots.score_histogram, bins, labels, stats.max_score, len(stats.errors)),
        PASS_RATES: plots.draw(plots.pass_rates, [label for _, label, _ in rows], full, cases),
        MISCONCEPTIONS: plots.draw(plots.misconception_map, [code for code, _ in ranked], where, matrix),
        TIMES: plots.draw(plots.grading_time, stats.seconds),
    }


ALT = {
    PICTURE_NAME: "Score distribution: submissions per score range",
    PASS_RATES: "Each function: full marks, and cases passed",
    MISCONCEPTIONS: "Misconceptions recognised, per function",
    TIMES: "Time per submission",
}


def _full_report(path: Path | None) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path is not None else None
    except (OSError, ValueError):
        return None


def write_class_report(out: Path, entries: list[tuple], context: str, write) -> list[Path]:
    """Write the Markdown page, the plots, index.html and a page per submission with `write(path, data)`
    (atomic); return the two class pages' paths.

    `entries` are (name, slim report, path of the full JSON report or None); each submission's page is
    drawn from its full report, read one at a time (a class of 10,000 never sits in memory at once).
    """
    from grader.report.html_class import PAGES, class_page
    from grader.report.html_report import page, submission_page, text

    stats = class_stats([(name, report) for name, report, *_ in entries])
    drawn = pictures(stats)
    for name, data in drawn.items():
        write(out / name, data)
    (out / PAGES).mkdir(exist_ok=True)
    for name, _report, *rest in entries:
        full = _full_report(rest[0] if rest else None)
        html = (
            submission_page(name, full)
            if full is not None
            else page(
                name,
                f'<nav><a id="back" href="../{INDEX_NAME}">&#8592; Class report</a></nav><h1>{text(name, 200)}</h1>'
                "<p>The full report of this submission could not be read.</p>",
            )
        )
        write(out / PAGES / f"{name}.html", html)
    index = class_page(
        stats, [(name, report) for name, report, *_ in entries], [(f, ALT[f]) for f in drawn], context.replace("`", "")
    )  # the context's code marks are Markdown's
    write(out / INDEX_NAME, index)
    page_md = out / REPORT_NAME
    write(page_md, render_markdown(stats, context=context))
    return [page_md, out / INDEX_NAME]
