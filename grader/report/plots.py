"""The class report's pictures, drawn with matplotlib: the same results always give the same bytes.

Figures are made with the object API and the Agg canvas (no pyplot, no GUI backend, no global state),
under matplotlib's default style whatever the user's matplotlibrc says, and saved as PNG without the
"Software" entry (PNG carries no date): byte-identical for the same results and the same matplotlib.
"""

from __future__ import annotations

import io
from typing import Any

from matplotlib import rc_context, rcParamsDefault
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

SIZE = (7.2, 4.2)  # inches; 720 x 420 pixels at DPI
DPI = 100
BAR, FULL, SOFT = "#4477aa", "#228833", "#bbccee"
SHADES = ((BAR, FULL), ("#66ccee", "#99dd77"), ("#aa3377", "#117733"))  # per assignment: (below full marks, full marks)


def _figure(size=SIZE) -> Figure:
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


# matplotlib's defaults but `backend`: setting that one makes matplotlib import pyplot and pick an
# interactive backend (tens of milliseconds), which no picture here uses: each has its own Agg canvas.
DEFAULTS: dict[Any, Any] = {key: value for key, value in rcParamsDefault.items() if key != "backend"}


def draw(make, *args) -> bytes:
    """Run `make(*args) -> Figure` under matplotlib's defaults and return the PNG."""
    with rc_context(DEFAULTS):
        return _png(make(*args))


def score_histogram(
    bins: list[tuple[str, list[int]]], labels: list[str], max_score: float, ungradable: int = 0
) -> Figure:
    """Graded submissions per score range (`class_report.score_bins`), one stacked colour per assignment
    (`bins`: (assignment, counts)); full marks get a green bar of their own. Submissions that could not
    be graded have no score: they are not drawn, only counted in the title."""
    figure = _figure()
    axes = figure.add_subplot()
    size = len(labels)
    positions = list(range(size))
    bottom = [0] * size
    for k, (name, counts) in enumerate(bins or [("", [0] * size)]):
        colours = [SHADES[k % len(SHADES)][0]] * (size - 1) + [SHADES[k % len(SHADES)][1]]
        axes.bar(positions, counts, bottom=bottom, color=colours, label=name if len(bins) > 1 else None)
        bottom = [b + c for b, c in zip(bottom, counts)]
    for x, total in zip(positions, bottom):
        if total:
            axes.annotate(str(total), (x, total), ha="center", va="bottom", fontsize=8)
    names = [f"{labels[k]}-" for k in range(size - 1)] + [f"{labels[-1]}\n(full)"]
    axes.set_xticks(positions, names, fontsize=8)
    axes.set_xlabel(f"score, in bins of {max_score / (size - 1):g}")
    axes.set_ylabel("graded submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # a MaxNLocator
    axes.set_ylim(0, max(bottom + [1]) * 1.15)
    if len(bins) > 1:
        axes.legend(fontsize=8, loc="upper left")
    apart = f"; {ungradable} not graded, not drawn" if ungradable else ""
    axes.set_title(f"Scores of {sum(bottom)} graded submissions (out of {max_score:g}){apart}")
    return figure


def pass_rates(names: list[str], full: list[float], cases: list[float]) -> Figure:
    """Per function, the share of the class with full marks and the mean share of cases passed (percent)."""
    figure = _figure((7.2, 0.9 + 0.38 * max(len(names), 1)))
    axes = figure.add_subplot()
    rows = list(range(len(names)))[::-1]  # the rubric's order, top to bottom
    height = 0.38
    axes.barh([r + height / 2 for r in rows], cases, height, color=SOFT, label="cases passed (mean)")
    bars = axes.barh([r - height / 2 for r in rows], full, height, color=FULL, label="full marks")
    axes.bar_label(bars, [f"{v:.0f}%" for v in full], fontsize=7, padding=2)
    axes.set_yticks(rows, names, fontsize=8)
    axes.set_xlim(0, 110)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.set_xlabel("percent of the graded submissions of its assignment")
    axes.legend(loc="lower right", fontsize=8)
    axes.set_title("Each function: full marks, and cases passed")
    return figure


def misconception_map(codes: list[str], functions: list[str], counts: list[list[int]]) -> Figure:
    """How many submissions showed each misconception (rows) in each function (columns)."""
    figure = _figure((7.2, 1.8 + 0.32 * max(len(codes), 1)))
    axes = figure.add_subplot()
    if not codes:
        axes.axis("off")
        axes.text(0.5, 0.5, "No misconception was recognised in this batch.", ha="center", va="center")
        return figure
    image = axes.imshow(counts, cmap="Oranges", aspect="auto", vmin=0)
    peak = max(max(row) for row in counts) or 1
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            if value:
                axes.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > peak / 2 else "black",
                )
    axes.set_xticks(range(len(functions)), functions, rotation=35, ha="right", fontsize=8)
    axes.set_yticks(range(len(codes)), codes, fontsize=8)
    bar = figure.colorbar(image, ax=axes, label="submissions", shrink=0.8)
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Misconceptions recognised, per function")
    return figure


def grading_time(seconds: list[float]) -> Figure:
    """How long each submission took to grade (its report's `seconds`), with the median marked."""
    figure = _figure()
    axes = figure.add_subplot()
    if seconds:
        axes.hist(seconds, bins=min(30, max(5, len(seconds) // 3)), color=BAR)
        middle = sorted(seconds)[len(seconds) // 2]
        axes.axvline(middle, color="#cc3311", linestyle="--", label=f"median {middle:.2f} s")
        axes.legend(fontsize=8)
    axes.set_xlabel("seconds to grade one submission")
    axes.set_ylabel("submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # a MaxNLocator
    axes.set_title(f"Time per submission ({len(seconds)} submissions)")
    return figure
