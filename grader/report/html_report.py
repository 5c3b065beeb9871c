"""One submission's report as HTML: the class report's page per student, Coursera's htmlFeedback.html and
Gradescope's top-level output all come from `fragment`.

It reads the JSON report (`make_report_dict`, the schema'd format), so a page can be drawn from a file
written by an earlier run. Everything that can come from a student (messages, tracebacks, what the
code printed, even names) is cut to a bounded length, stripped of control characters and escaped; the
markup is well-formed XML (one root element, every tag closed, only XML's own entities), which is what
Coursera's feedback viewer and any sanitiser expect. Pages carry a Content-Security-Policy that allows
no network and no script, so even a string that escaped escaping could neither run nor call home.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from urllib.parse import quote

from grader import packs
from grader.exits import MEANING, for_report_dict
from grader.judge.compare import Mismatch
from grader.judge.results import CaseResult
from grader.pack import Pack
from grader.report import feedback, headline
from grader.report.feedback import points

TEXT_CHARS = 2000  # any one student-derived string, before escaping
OUTPUT_CHARS = 4000  # what a case printed (instructor pages only)
MARK = {True: ("ok", "ok"), False: ("WRONG", "wrong"), None: ("?", "unknown")}
STEP = {True: ("right", "ok"), False: ("wrong", "wrong"), None: ("?", "unknown")}
NUMERIC = ("value", "shape", "dtype", "nonfinite")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029\ud800-\udfff\ufffe\uffff]")

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:72rem;\
padding:1rem 1.5rem;color:#1f2328}
a{color:#0550ae}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}
h2{font-size:1.25rem;margin:1.2rem 0 .5rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem;border-top:1px solid #d0d7de;padding-top:.8rem}
table{border-collapse:collapse;margin:.4rem 0 .8rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.5rem;overflow-x:auto;white-space:pre-wrap;\
word-break:break-word}
code{background:#f6f8fa;padding:0 .2rem}
.passed,.ok{color:#1a7f37}
.failed,.error,.wrong,.fatal{color:#cf222e}
.timeout,.unknown{color:#9a6700}
.cause{border-left:4px solid #bf8700;background:#fff8c5;padding:.4rem .7rem;margin:.5rem 0}
.notice,.meta{color:#57606a}
nav{margin:.3rem 0 .8rem}
"""


# --- safe text -------------------------------------------------------------------------------------
def text(value, limit: int = TEXT_CHARS) -> str:
    """A string fit for HTML and XML alike: bounded, no control characters or lone surrogates, escaped."""
    value = _UNSAFE.sub(" ", str(value).replace("\r\n", "\n"))
    if len(value) > limit:
        value = value[:limit] + f" ... ({len(value) - limit} more characters cut)"
    return escape(value, quote=True)


def csp_hash(source: str) -> str:
    """The CSP source expression that allows exactly this inline <style> or <script> and nothing else."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def page(title: str, body: str, style: str = CSS, script: str = "", images: bool = False) -> str:
    """A whole HTML document: no network (default-src 'none'), only this page's own style and script."""
    policy = ["default-src 'none'", f"style-src {csp_hash(style)}", "base-uri 'none'", "form-action 'none'"]
    if script:
        policy.append(f"script-src {csp_hash(script)}")
    if images:
        policy.append("img-src 'self'")
    head = (
        f'<meta charset="utf-8"/>\n<meta http-equiv="Content-Security-Policy" content="{"; ".join(policy)}"/>\n'
        '<meta name="referrer" content="no-referrer"/>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
        f"<title>{text(title, 200)}</title>\n<style>{style}</style>"
    )
    tail = f"\n<script>{script}</script>" if script else ""
    return f'<!DOCTYPE html>\n<html lang="en">\n<head>\n{head}\n</head>\n<body>\n{body}{tail}\n</body>\n</html>\n'


# --- the pieces ------------------------------------------------------------------------------------
def summary_line(report: dict) -> str:
    """'Score: 82 / 100. 9 of 11 graded units passed every case.' (the platforms' short line, from JSON)."""
    if report["status"] == "error":
        return f"Score: 0 / {points(report['max_score'])}. {report.get('feedback', '')}"
    tests = report.get("tests", [])
    passed = sum(t["status"] == "passed" for t in tests)
    return (
        f"Score: {points(report['score'])} / {points(report['max_score'])}. "
        f"{passed} of {len(tests)} graded units passed every case."
    )


def score_table(report: dict) -> str:
    rows = []
    for t in report.get("tests", []):
        cases = f"{t.get('passed_cases', 0)}/{t['total_cases']}" if t.get("total_cases") else "-"
        causes = ", ".join(f"<code>{text(d['code'], 80)}</code>" for d in t.get("diagnoses", []))
        name = text(t["name"], 80)
        link = f'<a href="#t-{name}">{name}</a>' if t["status"] != "passed" or t.get("notices") else name
        rows.append(
            f'<tr><td>{link}</td><td class="{text(t["status"], 20)}">{text(t["status"], 20)}</td>'
            f'<td class="num">{points(t["score"])} / {points(t["max_score"])}</td>'
            f'<td class="num">{cases}</td><td>{causes}</td></tr>'
        )
    return (
        '<table class="scores"><thead><tr><th>function</th><th>status</th><th class="num">score</th>'
        '<th class="num">cases</th><th>likely cause</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )


def layer_map_table(test: dict, pack: Pack) -> str:
    CELLS = pack.layer_cells
    rows = test["layer_map"]
    L = rows[0]["layer"]
    case = next((c for c in test.get("failed_cases", []) if c["index"] == rows[0].get("case")), None)
    title = (
        f"Where the error enters (case {case['index']}, {text(case['description'], 200)}; dA of layer L is dAL):"
        if case
        else "Where the error enters:"
    )
    head = "".join(f"<th>{c}</th>" for c in CELLS)
    body = []
    for row in rows:
        cells = "".join(f'<td class="{MARK[row.get(c)][1]}">{MARK[row.get(c)][0]}</td>' for c in CELLS)
        step = STEP[row.get("step")]
        label = f"{row['layer']}{' (L)' if row['layer'] == L else ''}"
        body.append(f'<tr><td>{label}</td>{cells}<td class="{step[1]}">{step[0]}</td></tr>')
    sentence = pack.explain_layer_map(rows, [d["code"] for d in test.get("diagnoses", [])])
    return (
        f'<p><b>{title}</b></p><table class="layer-map"><thead><tr><th>layer</th>{head}<th>own step</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>" + (f"<p>{text(sentence)}</p>" if sentence else "")
    )


def _mismatch(m: dict) -> Mismatch:
    optional = {k: m.get(k) for k in Mismatch.__dataclass_fields__ if k not in ("path", "kind", "message")}
    return Mismatch(str(m.get("path", "")), str(m.get("kind", "")), str(m.get("message", "")), **optional)


def mismatches_html(found: list[dict]) -> str:
    shown = [_mismatch(m) for m in found[: feedback.MAX_MISMATCHES]]
    numeric = [m for m in shown if m.kind in NUMERIC]
    out = "".join(f"<li>{text(m.message)}</li>" for m in shown if m not in numeric)
    out = f"<ul>{out}</ul>" if out else ""
    if numeric:
        rows = "".join(
            f"<tr><td><code>{text(m.path, 200)}</code></td><td>{text(m.message)}</td>"
            f'<td class="num">{feedback.shape(m.expected_shape)}</td>'
            f'<td class="num">{feedback.shape(m.got_shape)}</td><td class="num">{feedback.number(m.max_abs_error)}</td>'
            f'<td class="num">{feedback.number(m.max_rel_error)}</td>'
            f'<td class="num">{tuple(m.index) if m.index else "-"}</td></tr>'
            for m in numeric
        )
        out += (
            '<table class="mismatches"><thead><tr><th>quantity</th><th>what is wrong</th>'
            '<th class="num">expected shape</th>'
            '<th class="num">returned shape</th><th class="num">max abs error</th><th class="num">max rel error</th>'
            f'<th class="num">at index</th></tr></thead><tbody>{rows}</tbody></table>'
        )
        for m in numeric:
            if m.kind == "value" and m.expected_excerpt is not None:
                out += (
                    f"<p><code>{text(m.path, 200)}</code>, {text(feedback.excerpt_note(m))}:</p>"
                    f"<pre>expected {feedback.numbers(m.expected_excerpt)}\n"
                    f"returned {feedback.numbers(m.got_excerpt)}</pre>"
                )
    if len(found) > feedback.MAX_MISMATCHES:
        out += f"<p>... and {len(found) - feedback.MAX_MISMATCHES} more wrong quantities.</p>"
    return out


def case_html(case: dict, output: bool) -> str:
    where = text(f"case {case['index']} ({case['label']}; {case['description']})", 400)
    head = f"<h4>{'Timed out' if case['status'] == 'timeout' else 'Failing'} {where}</h4>"
    if case["status"] == "failed" and case.get("mismatches"):
        body = mismatches_html(case["mismatches"])
    elif case["status"] == "timeout":  # the note, and where the alarm found the code when it has it
        shown = CaseResult(case["index"], case["label"], case["description"], "timeout", error=case.get("error"))
        body = f"<p>{text(case.get('note') or 'no result')}</p>" + "".join(
            f"<p>{text(line)}</p>" for line in feedback.timeout_lines(shown)
        )
    elif case.get("error"):
        shown = CaseResult(case["index"], case["label"], case["description"], case["status"], error=case["error"])
        lines = feedback.error_lines(shown)
        body = "<pre>" + "\n".join(text(line) for line in lines) + "</pre>"
    else:
        body = f"<p>{text(case.get('note') or 'no result')}</p>"
    if output and case.get("output_chars"):
        body += (
            f"<details><summary>What the code printed ({case['output_chars']} characters)</summary>"
            f"<pre>{text(case.get('output', ''), OUTPUT_CHARS)}</pre></details>"
        )
    return head + body


def test_html(test: dict, cases: int | None, output: bool, pack: Pack | None = None) -> str:
    pack = pack or packs.get(packs.DEFAULT)
    name = text(test["name"], 80)
    status = text(test["status"], 20)
    out = [
        f'<h3 id="t-{name}"><code>{name}</code>: <span class="{status}">{status}</span> '
        f"({points(test['score'])} / {points(test['max_score'])})</h3>"
    ]
    lines = str(test.get("feedback", "")).splitlines()
    out.append(f"<p>{text(lines[0] if lines else '')}</p>")  # the count line, or why it could not run
    for d in test.get("diagnoses", []):
        out.append(
            f'<div class="cause"><p><b>Likely cause <code>{text(d["code"], 80)}</code>: '
            f"{text(d.get('title', ''))}.</b> "
            f"{text(d.get('message', ''))}</p><p>Expected: <code>{text(d.get('expected', ''))}</code></p></div>"
        )
    if test.get("layer_map"):
        out.append(layer_map_table(test, pack))
    for case in test.get("failed_cases", [])[:cases]:
        out.append(case_html(case, output))
    out += [f'<p class="notice">{text(n)}</p>' for n in test.get("notices", [])]
    return "\n".join(out)


def fragment(report: dict, cases: int | None = None, output: bool = False, details: bool = True) -> str:
    """The report as one well-formed <div>: the score, load problems, the table, then each unit to fix.

    `cases`: how many stored failing cases to show per unit (None: all); `output`: show what the code
    printed (instructor pages only: platforms never pass a student's prints on); `details`: False keeps
    only the score line, problems and table (for a platform that caps its size).
    """
    out = ['<div class="bg-report">', f'<p class="score"><b>{text(summary_line(report), 600)}</b></p>']
    line = headline.headline(report)
    if line:
        out.append(f'<p class="headline cause"><b>{text(line, 600)}</b></p>')
    problems = [p for p in report.get("load_problems", []) if not headline.is_headline_notice(p)]
    if problems:
        out.append(
            "<p>Problems found while reading the submission:</p><ul>"
            + "".join(
                f"<li>{text(p.get('where', ''), 200)}: <code>{text(p.get('message', ''))}</code></li>"
                for p in problems[:20]
            )
            + (f"<li>... and {len(problems) - 20} more</li>" if len(problems) > 20 else "")
            + "</ul>"
        )
    if report["status"] != "error":
        out.append(score_table(report))
        failing = [t for t in report.get("tests", []) if t["status"] != "passed" or t.get("notices")]
        if details and failing:
            out.append("<h2>What to fix</h2>")
            out += [test_html(t, cases, output, packs.of_report(report)) for t in failing]
        elif not failing:
            out.append("<p>Every check passed.</p>")
    for check in report.get("instructor_checks", []):
        out.append(
            f'<p>Instructor check <code>{text(check["name"], 200)}</code>: <span class="{text(check["status"], 20)}">'
            f"{text(check['status'], 20)}</span> ({points(check['score'])} / {points(check['max_score'])})</p>"
        )
    out.append("</div>")
    return "\n".join(out)


def submission_page(name: str, report: dict, index_href: str = "../index.html") -> str:
    """The class report's page for one submission, linked back to its row in the class table."""
    outcome = MEANING[for_report_dict(report)]
    versions = report.get("versions", {})
    meta = (
        f"{text(outcome)}; seed {report.get('seed')}, device {text(report.get('device', ''), 20)}, "
        f"rubric {text(report.get('rubric', {}).get('source', ''), 200)}, "
        f"grader {text(versions.get('grader', ''), 80)}; "
        f"graded in {report.get('seconds', 0):.2f} s"
    )
    body = (
        f'<nav><a id="back" href="{index_href}#row-{quote(name)}">&#8592; Class report</a></nav>\n'
        f'<h1>{text(name, 200)}</h1>\n<p class="meta">{text(report.get("submission", ""), 400)}: {meta}</p>\n'
        + fragment(report, output=True)
    )
    return page(f"{name}: grading report", body)
