"""What `check(fn)` shows in a notebook: a compact report through Jupyter's display protocol.

A student runs `check` after each graded cell, so the report must fit under the cell: the score and the
likely cause first, then the one thing to fix, and the tables and arrays behind a fold (`<details>`).
It is an object with `_repr_html_` (the notebook draws it) and a short `__repr__` (text/plain: a terminal
IPython, a notebook converted to text), shown with `IPython.display.display`. The HTML pieces that
render a case (the layer map, the wrong-array table) are html_report's, so the notebook, the class
report and the platforms say the same thing, escaped the same way; this module only lays them out.

Nothing here is noise: the notebook version and the sandbox's walls appear only when they matter (a
weak sandbox; the version's own notices, which the pack adds to the test when the keys were undecided).
"""

from __future__ import annotations

from grader import packs, safe_text
from grader.judge.results import CaseResult, Report, TestResult, make_test_dict
from grader.pack import Pack
from grader.report import html_report
from grader.report.html_report import text as html_text

PLAIN_CHARS = 400  # any one student-derived string in the text/plain fallback
PRINTED_CHARS = 1500  # what the function printed, shown in the fold
STATUS_WORD = {"passed": "PASSED", "failed": "FAILED", "error": "ERROR", "timeout": "TIMED OUT"}
STATUS_COLOUR = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#cf222e", "timeout": "#9a6700"}
WEAK_MODES = ("portable", "none")  # grader.sandbox.backends.is_weak, from the report's dict

# Scoped to .bgnb so that nothing else on the page changes; inline styles carry what must survive a
# sanitiser that drops <style> (an untrusted notebook reopened, GitHub's viewer): the badge, the cause.
STYLE = """
.bgnb{font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:14px;line-height:1.45;\
max-width:60rem;margin:.2rem 0}
.bgnb code,.bgnb pre{font-family:var(--jp-code-font-family,monospace);font-size:13px}
.bgnb pre{margin:.3rem 0;padding:.35rem .5rem;white-space:pre-wrap;word-break:break-word;\
background:rgba(127,127,127,.08);border-radius:4px}
.bgnb p{margin:.3rem 0}
.bgnb ul{margin:.2rem 0 .3rem 1.2rem;padding:0}
.bgnb table{border-collapse:collapse;margin:.3rem 0;font-size:13px}
.bgnb th,.bgnb td{border:1px solid rgba(127,127,127,.35);padding:.15rem .45rem;text-align:left;vertical-align:top}
.bgnb td.num,.bgnb th.num{text-align:right;font-variant-numeric:tabular-nums}
.bgnb .ok{color:#1a7f37}.bgnb .wrong{color:#cf222e;font-weight:600}.bgnb .unknown{color:#9a6700}
.bgnb details{margin:.4rem 0 0}.bgnb summary{cursor:pointer;color:var(--jp-content-link-color,#0550ae)}
.bgnb h4{font-size:13px;margin:.5rem 0 .2rem}
.bgnb .muted{opacity:.75;font-size:13px}
"""


class CheckDisplay:
    """One unit's result as a notebook shows it; `_repr_html_` for Jupyter, `__repr__` for text."""

    def __init__(self, report: Report, test: TestResult):
        self.report, self.test = report, test
        self.pack: Pack = packs.of_report(report)

    # --- the text both forms share ----------------------------------------------------------------
    def headline(self) -> str:
        """'linear_backward: FAILED, 0 / 12 points (0 of 20 cases passed)'."""
        t = self.test
        counted = f"; {_count(t)}" if t.cases else ""
        return f"{t.name}: {STATUS_WORD.get(t.status, t.status.upper())}, {t.score:g} / {t.max_score:g} points{counted}"

    def printed(self) -> list[CaseResult]:
        """The cases in which the student's function printed something (the sandbox kept a capped copy)."""
        return [c for c in self.test.cases if c.output_chars]

    def printed_line(self) -> str:
        cases = self.printed()
        if not cases:
            return ""
        chars = sum(c.output_chars for c in cases)
        return (
            f"Your code printed {chars:,} characters while it was graded (in {len(cases)} of {len(self.test.cases)} "
            "cases; see Details). What it prints does not change the score."
        )

    def weak_sandbox_line(self) -> str:
        sandbox = self.report.sandbox or {}
        if sandbox.get("mode") not in WEAK_MODES:
            return ""
        return (
            f"Your code ran behind weak walls here "
            f"({sandbox['mode']}: {', '.join(sandbox.get('walls', [])) or 'none'}); "
            "fine for checking your own code."
        )

    # --- text/plain -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        t, lines = self.test, [_plain(self.headline())]
        if t.problem:
            lines.append(_plain(t.problem))
        for d in t.diagnoses:
            lines += [_plain(f"Likely cause [{d.code}]: {d.title}."), _plain(f"  Expected: {d.expected}")]
        lines += [_plain(n) for n in t.notices]
        first = t.first_failure()
        if first is not None and not t.problem:
            lines.append(_plain(f"What to fix, from the first failing {first_where(first)}:"))
            lines += ["  " + _plain(line) for line in case_summary(first)]
        lines += [_plain(line) for line in (self.printed_line(), self.weak_sandbox_line()) if line]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython's text/plain: the same short text
        printer.text(repr(self))

    # --- text/html --------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        t = self.test
        colour = STATUS_COLOUR.get(t.status, "#57606a")
        badge = (
            f'<span style="background:{colour};color:#fff;border-radius:4px;padding:.05rem .45rem;font-weight:600;'
            f'font-size:12px;letter-spacing:.03em">{STATUS_WORD.get(t.status, html_text(t.status, 20))}</span>'
        )
        counted = f" &middot; {html_text(_count(t))}" if t.cases else ""
        first_line = (
            f'<p style="font-size:15px">{badge} <b><code>{html_text(t.name, 80)}</code></b> &nbsp;'
            f"<b>{t.score:g} / {t.max_score:g}</b> points{counted}</p>"
        )
        out = [
            f'<div class="bgnb" style="border-left:4px solid {colour};padding:.35rem .8rem">',
            f"<style>{STYLE}</style>",
            first_line,
        ]
        if t.problem:
            out.append(f"<p>{html_text(t.problem)}</p>")
        out += [_diagnosis_html(d) for d in t.diagnoses]
        out += [
            f"<p>{html_text(n)}</p>" for n in t.notices
        ]  # what the pack saw (the dict unchanged, the keys read as v4)
        first = t.first_failure()
        if first is not None and not t.problem:
            out.append(self._fix_html(first))
        out += self._load_problems_html()
        for line in (self.printed_line(), self.weak_sandbox_line()):
            if line:
                out.append(f'<p class="muted">{html_text(line)}</p>')
        fold = self._fold_html()
        if fold:
            out.append(fold)
        out.append("</div>")
        return "\n".join(out)

    def _fix_html(self, case: CaseResult) -> str:
        """The first failing case in a few lines: what is wrong with which quantity, or where it raised."""
        head = f"<p><b>What to fix</b>, from the first failing {html_text(first_where(case), 400)}:</p>"
        if case.status == "failed" and case.mismatches:
            items = "".join(f"<li>{html_text(m.message)}</li>" for m in case.mismatches[:4])
            more = f"<li>... and {len(case.mismatches) - 4} more</li>" if len(case.mismatches) > 4 else ""
            return head + f"<ul>{items}{more}</ul>"
        return head + "<pre>" + "\n".join(html_text(line) for line in case_summary(case)) + "</pre>"

    def _load_problems_html(self) -> list[str]:
        problems = self.report.load_problems if self.test.status != "passed" else []  # a helper whose source was lost
        if not problems:
            return []
        items = "".join(
            f"<li>{html_text(p.get('where', ''), 200)}: {html_text(p.get('message', ''))}</li>" for p in problems[:8]
        )
        return [f"<p>While reading your code:</p><ul>{items}</ul>"]

    def _fold_html(self) -> str:
        """The details behind one click: the layer map, the wrong arrays with excerpts, what it printed."""
        data = make_test_dict(self.test)
        first = self.test.first_failure()
        parts, names = [], []
        if data.get("layer_map"):
            parts.append(html_report.layer_map_table(data, self.pack))
            names.append("layer map")
        case = next((c for c in data.get("failed_cases", []) if first is not None and c["index"] == first.index), None)
        if first is not None and case and case.get("mismatches"):
            parts.append(
                f"<h4>{html_text(first_where(first), 400)}</h4>" + html_report.mismatches_html(case["mismatches"])
            )
            names.append("wrong values")
        printed = self.printed()
        if printed:
            shown = next((c for c in printed if first is not None and c.index == first.index), printed[0])
            parts.append(
                f"<h4>What your code printed in {html_text(first_where(shown), 400)}"
                f" ({shown.output_chars:,} characters)</h4><pre>{html_text(shown.output, PRINTED_CHARS)}</pre>"
            )
            names.append("what it printed")
        if not parts:
            return ""
        return f"<details><summary>Details: {', '.join(names)}</summary>{''.join(parts)}</details>"


class Message:
    """A one-line answer instead of a report (check("foo"), check(np.dot)): never the grader's traceback."""

    def __init__(self, message: str):
        self.message = message

    def __repr__(self) -> str:
        return safe_text.terminal(safe_text.cap(self.message, 600), keep_newlines=False)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        return (
            f'<div class="bgnb" style="border-left:4px solid #9a6700;padding:.3rem .8rem">'
            f"{html_text(self.message, 600)}</div>"
        )


# --- pieces ---------------------------------------------------------------------------------------
def _plain(value: str) -> str:
    """Student text for text/plain: capped, and no control character left to obey."""
    return safe_text.terminal(safe_text.cap(value, PLAIN_CHARS))


def _count(test: TestResult) -> str:
    total, passed = len(test.cases), test.passed_cases
    if passed == total:
        return f"all {total} cases passed"
    extra = [
        f"{n} {what}"
        for n, what in (
            (sum(c.status == "error" for c in test.cases), "raised an error"),
            (sum(c.status == "timeout" for c in test.cases), "ran out of time"),
        )
        if n
    ]
    return f"{passed} of {total} cases passed" + (f" ({'; '.join(extra)})" if extra else "")


def _diagnosis_html(d) -> str:
    return (
        '<div style="border-left:3px solid #bf8700;background:rgba(191,135,0,.10);'
        'padding:.3rem .6rem;margin:.35rem 0">'
        f"<p><b>Likely cause: {html_text(d.title)}</b> <code>{html_text(d.code, 80)}</code></p>"
        f"<p>{html_text(d.message)}</p><p>Expected: <code>{html_text(d.expected)}</code></p></div>"
    )


def first_where(case: CaseResult) -> str:
    return f"case {case.index} ({case.label}; {case.description})"


def case_summary(case: CaseResult) -> list[str]:
    """A failing case in a few plain lines; a traceback names a notebook cell as Jupyter does ('Cell In[4], line 2')."""
    if case.status == "failed" and case.mismatches:
        return [m.message for m in case.mismatches[:4]]
    if case.error:
        error = case.error
        lines = [f"raised {error.get('type', 'an error')}: {error.get('message', '')}".rstrip(": ")]
        for frame in (error.get("traceback") or [])[-4:]:
            file, line, function = str(frame[0]), frame[1], frame[2]
            where = f"{file}, line {line}" if file.startswith("Cell In[") else f'File "{file}", line {line}'
            lines.append(f"  {where}, in {function}")
            if len(frame) > 3 and frame[3]:
                lines.append(f"    {str(frame[3]).strip()}")
        return lines
    return [case.note or "no result"]


def show(shown) -> None:
    """Display `shown` in the running IPython (a notebook draws its HTML); without one, print its text."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(shown)
    else:
        print(repr(shown))


def in_ipython() -> bool:
    """Whether an IPython shell (a Jupyter kernel, terminal IPython) is running this code."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None
