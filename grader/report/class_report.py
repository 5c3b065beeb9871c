"""The class report an instructor opens after a batch: scores, each function's pass rate, misconceptions.

It is built only from the per-submission JSON reports (the `slim` of each, class_entry.py, and each
file again for its own page), never from live grading state, so a batch resumed after a crash writes
exactly the report an uninterrupted one would. From the class's numbers (class_numbers.py) it writes,
next to summary.csv, `class_report.md` (here), `index.html` (html_class.py), one page per submission
in `submissions/` (html_report.py) and the pictures both pages show (class_pictures.py, plots.py).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from grader.report.class_entry import cause as cause  # re-exported: the batch and tests import them from here
from grader.report.class_entry import slim as slim
from grader.report.class_numbers import BINS, ClassStats, class_stats, score_bins
from grader.report.class_pictures import ALT, MISCONCEPTIONS, PASS_RATES, PICTURE_NAME, TIMES, Drawing
from grader.report.class_pictures import pictures as pictures

REPORT_NAME, INDEX_NAME = "class_report.md", "index.html"


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
    from grader.report.html_class import class_page

    stats = class_stats([(name, report) for name, report, *_ in entries])
    drawing = Drawing(stats)  # a helper draws the pictures while the pages are written here
    try:
        _write_pages(out, entries, write)
        drawn = drawing.finish()
    finally:
        drawing.close()
    for name, data in drawn.items():
        write(out / name, data)
    index = class_page(
        stats, [(name, report) for name, report, *_ in entries], [(f, ALT[f]) for f in drawn], context.replace("`", "")
    )  # the context's code marks are Markdown's
    write(out / INDEX_NAME, index)
    page_md = out / REPORT_NAME
    write(page_md, render_markdown(stats, context=context))
    return [page_md, out / INDEX_NAME]


def _write_pages(out: Path, entries: list[tuple], write) -> None:
    """One page per submission, drawn from its full report, read one at a time."""
    from grader.report.html_class import PAGES
    from grader.report.html_report import page, submission_page, text

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
