"""The class report an instructor opens after a batch: scores, each function's pass rate, misconceptions.

It is built only from the per-submission JSON reports (the `slim` of each), never from live grading
state, so a batch resumed after a crash writes exactly the report an uninterrupted one would. It
writes `class_report.md` and `score_distribution.png` next to summary.csv.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.png_chart import bar_chart
from grader.rubric import UNITS

REPORT_NAME, PICTURE_NAME = "class_report.md", "score_distribution.png"
BINS = 10  # equal-width score ranges below full marks; full marks get a bar of their own


def slim(report: dict) -> dict:
    """The part of a JSON report that summary.csv and the class report read (small enough to keep 10,000)."""
    tests = []
    for test in report.get("tests", []):
        codes: dict[str, str] = {d["code"]: d.get("title", "") for d in test.get("diagnoses", []) if "code" in d}
        for case in test.get("failed_cases", []):
            for d in case.get("diagnoses", []):
                if "code" in d:
                    codes.setdefault(d["code"], d.get("title", ""))
        tests.append({"function": test["function"], "score": test["score"], "max_score": test["max_score"],
                      "status": test["status"], "passed_cases": test.get("passed_cases", 0),
                      "total_cases": test.get("total_cases", 0), "diagnoses": codes})
    return {"submission": report.get("submission", ""), "status": report["status"], "score": report["score"],
            "max_score": report["max_score"], "seed": report.get("seed"), "feedback": report.get("feedback", ""),
            "rubric": report.get("rubric", {}), "tests": tests}


@dataclass
class UnitStats:
    points: float = 0.0
    full_marks: int = 0
    case_fraction: float = 0.0  # summed over submissions; divided by the class size when shown
    could_not_run: int = 0


@dataclass
class Misconception:
    title: str
    submissions: int = 0
    functions: Counter = field(default_factory=Counter)


@dataclass
class ClassStats:
    names: list[str]
    scores: list[float]
    max_score: float
    errors: list[tuple[str, str]]  # (submission, why it could not be graded)
    units: dict[str, UnitStats]
    misconceptions: dict[str, Misconception]

    @property
    def size(self) -> int:
        return len(self.names)


def class_stats(entries: list[tuple[str, dict]]) -> ClassStats:
    """Aggregate (name, slim report) pairs; every submission counts, ungradable ones as zero."""
    max_score = max((r["max_score"] for _, r in entries), default=100.0)
    units: dict[str, UnitStats] = {}
    misconceptions: dict[str, Misconception] = {}
    errors = []
    for name, report in entries:
        if report["status"] == "error":
            errors.append((name, report.get("feedback") or "could not be graded"))
        seen: set[str] = set()
        for test in report["tests"]:
            unit = units.setdefault(test["function"], UnitStats())
            unit.points = max(unit.points, test["max_score"])
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
    order = {u: i for i, u in enumerate(UNITS)}
    units = dict(sorted(units.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    return ClassStats([n for n, _ in entries], [r["score"] for _, r in entries], max_score, errors, units, misconceptions)


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
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_markdown(stats: ClassStats, title: str = "Class report", context: str = "") -> str:
    n = stats.size
    out = [f"# {title}", ""]
    graded = n - len(stats.errors)
    out.append(f"{n} submissions: {graded} graded, {len(stats.errors)} could not be graded." + (f" {context}" if context else ""))
    out += ["", "## Scores", ""]
    if n:
        full = sum(s >= stats.max_score for s in stats.scores)
        out.append(f"Out of {stats.max_score:g}: mean {statistics.fmean(stats.scores):.1f}, median {statistics.median(stats.scores):g}, "
                   f"lowest {min(stats.scores):g}, highest {max(stats.scores):g}; {full} ({_pct(full, n)}) have full marks.")
    counts, labels = score_bins(stats.scores, stats.max_score)
    out += ["", f"![Score distribution: submissions per score range]({PICTURE_NAME})", "",
            "| score | submissions |", "|---|---:|"]
    for k in range(BINS):
        upper = labels[k + 1] if k + 1 < BINS else f"{stats.max_score:g}"
        out.append(f"| {labels[k]} to under {upper} | {counts[k]} |")
    out.append(f"| {labels[BINS]} (full marks) | {counts[BINS]} |")
    out += ["", "## Each function", "",
            f"*Full marks*: the share of all {n} submissions that passed every case of the function. "
            "*Cases passed*: the mean share of its cases passed. A submission that could not be graded, "
            "or lacked the function, counts as zero in both.", "",
            "| function | points | full marks | cases passed | could not run |", "|---|---:|---:|---:|---:|"]
    for unit, s in stats.units.items():
        out.append(f"| `{unit}` | {s.points:g} | {_pct(s.full_marks, n)} ({s.full_marks}) | "
                   f"{100 * s.case_fraction / n:.1f}% | {s.could_not_run} |" if n else f"| `{unit}` | {s.points:g} | - | - | - |")
    out += ["", "## Misconceptions", ""]
    if stats.misconceptions:
        out += ["How many submissions showed each misconception the grader recognised, and in which functions.", "",
                "| misconception | code | submissions | where |", "|---|---|---:|---|"]
        ranked = sorted(stats.misconceptions.items(), key=lambda kv: (-kv[1].submissions, kv[0]))
        for code, m in ranked:
            where = ", ".join(f"`{f}` ({c})" for f, c in sorted(m.functions.items(), key=lambda kv: (-kv[1], kv[0])))
            out.append(f"| {_one_line(m.title) or code} | `{code}` | {m.submissions} ({_pct(m.submissions, n)}) | {where} |")
    else:
        out.append("No misconception was recognised in this batch.")
    if stats.errors:
        out += ["", "## Could not be graded", ""]
        out += [f"- `{name}`: {_one_line(why)}" for name, why in stats.errors]
    return "\n".join(out) + "\n"


def render_picture(stats: ClassStats) -> bytes:
    counts, labels = score_bins(stats.scores, stats.max_score)
    return bar_chart(counts, labels, f"Scores of {stats.size} submissions (out of {stats.max_score:g})",
                     "score, in bins of " + f"{stats.max_score / BINS:g}" + " (green: full marks)", {BINS})


def write_class_report(out: Path, entries: list[tuple[str, dict]], context: str, write) -> list[Path]:
    """Write the Markdown page and its picture with `write(path, data)` (atomic); return their paths."""
    stats = class_stats(entries)
    page, picture = out / REPORT_NAME, out / PICTURE_NAME
    write(picture, render_picture(stats))
    write(page, render_markdown(stats, context=context))
    return [page, picture]
