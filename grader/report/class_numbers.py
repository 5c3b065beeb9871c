"""The class's numbers, aggregated from the submissions' slim entries (class_entry.py): scores, each
function's pass rates, the misconceptions recognised, each assignment's apart in a mixed class.

Both class pages (class_report.py's Markdown, html_class.py's index.html) and the pictures
(class_pictures.py) are drawn from these, so the three never disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from grader.report.class_entry import fatal_cause, flat

BINS = 10  # equal-width score ranges below full marks; full marks get a bar of their own


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
