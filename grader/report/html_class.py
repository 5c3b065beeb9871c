"""The class report as one HTML page (results/index.html): the numbers, why the ungradable could not be
graded, each function with the misconceptions found in it, the plots, and a table of every submission
(one per assignment in a mixed class) that sorts and filters in the browser, each row linking to that
submission's own page. It fits a laptop's screen: the tables take the page's width and wrap, never
scroll sideways; a cause longer than its cell is cut, whole on hover and on the submission's page.

It opens from disk with no server and no network: CSS and script are inline, the plots are PNG files
beside it, and a Content-Security-Policy allows nothing else (not even another inline script: the
page's own are allowed by their hash). Names and causes come from submissions, so they are escaped.
"""

from __future__ import annotations

import statistics
from urllib.parse import quote

from grader import packs
from grader.exits import MEANING, Exit, for_report_dict
from grader.report.html_report import CSS, page, text

PAGES = "submissions"  # the folder of per-submission pages, beside index.html


def short_names() -> dict[str, str]:
    """Every pack's short column headings (`Pack.short_names`); a unit without one is shown whole."""
    return {unit: short for pack in packs.all_packs() for unit, short in pack.short_names.items()}


CLASS_CSS = (
    CSS
    + """
body{max-width:100rem}
td,th{overflow-wrap:anywhere}
table.wide td.num{white-space:nowrap}
.numbers{display:flex;flex-wrap:wrap;gap:.6rem;padding:0;list-style:none}
.numbers li{border:1px solid #d0d7de;border-radius:6px;padding:.4rem .8rem;background:#f6f8fa}
.numbers b{font-size:1.2rem;display:block}
.plots{display:flex;flex-wrap:wrap;gap:1rem}
.plots img{border:1px solid #d0d7de;max-width:calc(50% - .7rem);height:auto;align-self:flex-start}
@media (max-width:60rem){.plots img{max-width:100%}}
.toolbar{display:flex;flex-wrap:wrap;gap:.8rem;align-items:center;margin:.6rem 0}
table.wide{max-width:100%}
table.submissions{width:100%;table-layout:fixed;font-size:.85rem}
table.submissions th,table.submissions td{padding:.2rem .3rem;overflow-wrap:anywhere}
caption{text-align:left;font-weight:600;padding:.4rem 0}
table.submissions thead th{font-size:.75rem;overflow-wrap:normal}
col.unit{width:3.6rem}
col.status{width:6rem}
col.score,col.seconds{width:3.3rem}
col.name{width:15%}
@media (max-width:80rem){col.unit{width:2.5rem}col.status{width:5rem}col.name{width:17%}
  table.submissions th,table.submissions td{padding:.15rem .15rem}table.submissions thead th{font-size:.68rem}}
td.why{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit;\
text-align:inherit}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
tr:target{background:#fff8c5}
ul.plain{margin:.2rem 0;padding-left:1.1rem}
"""
)

SCRIPT = """
(function () {
  "use strict";
  var tables = Array.prototype.slice.call(document.querySelectorAll("table.submissions"));
  var rows = [];
  tables.forEach(function (table) { rows = rows.concat(Array.prototype.slice.call(table.tBodies[0].rows)); });
  var filter = document.getElementById("filter");
  var status = document.getElementById("status");
  var shown = document.getElementById("shown");
  function apply() {
    var query = filter.value.trim().toLowerCase();
    var wanted = status.value;
    var count = 0;
    rows.forEach(function (row) {
      var keep = (!query || row.getAttribute("data-text").indexOf(query) >= 0) &&
                 (!wanted || row.getAttribute("data-status") === wanted);
      row.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " shown";
  }
  function value(row, column, numeric) {
    var cell = row.cells[column];
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
    return numeric ? parseFloat(raw) : raw.toLowerCase();
  }
  tables.forEach(function (table) {
    var body = table.tBodies[0];
    var own = Array.prototype.slice.call(body.rows);
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, column) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "number";
        var direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
        var order = own.map(function (row, index) { return [value(row, column, numeric), index, row]; });
        order.sort(function (a, b) {
          if (a[0] < b[0]) { return -direction; }
          if (a[0] > b[0]) { return direction; }
          return a[1] - b[1];
        });
        order.forEach(function (entry) { body.appendChild(entry[2]); });
      });
    });
  });
  filter.addEventListener("input", apply);
  status.addEventListener("change", apply);
  apply();
})();
"""


def page_href(name: str) -> str:
    return f"{PAGES}/{quote(name)}.html"


def _pct(part: float, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def submission_row(name: str, report: dict, units: list[str]) -> str:
    outcome = for_report_dict(report)
    meaning = MEANING[outcome]
    short, detail = str(report.get("cause", "")), str(report.get("cause_detail", ""))
    scores = {t["function"]: t for t in report["tests"]}
    cells = []
    for unit in units:
        test = scores.get(unit)
        if test is None:
            cells.append('<td class="num" data-v="-1">-</td>')
        else:
            title = f"{unit}: {test['passed_cases']} of {test['total_cases']} cases passed"
            cells.append(
                f'<td class="num {text(test["status"], 20)}" data-v="{test["score"]}" '
                f'title="{text(title, 200)}">{test["score"]:g}</td>'
            )
    search = text(f"{name} {meaning} {short} {detail}".lower(), 600)
    hover = text(f"{short}: {detail}" if detail else short, 400)
    score = (
        f'<td class="num" data-v="{report["score"]}">{report["score"]:g}</td>'
        if outcome <= Exit.LOST_POINTS
        else '<td class="num" data-v="-1" title="not graded: no score">-</td>'
    )
    return (
        f'<tr id="row-{text(name, 200)}" data-status="{outcome.name.lower()}" data-text="{search}">'
        f'<td><a href="{page_href(name)}">{text(name, 200)}</a></td>'
        f'<td class="status {"passed" if outcome is Exit.FULL_MARKS else "failed"}" '
        f'data-v="{int(outcome)}">{meaning}</td>'
        f"{score}{''.join(cells)}"
        f'<td class="why" title="{hover}">{text(short, 200) or "-"}</td>'
        f'<td class="num" data-v="{report.get("seconds", 0)}">{report.get("seconds", 0):.2f}</td></tr>'
    )


def submissions_table(entries: list[tuple[str, dict]], units: list[str], max_score: float, caption: str = "") -> str:
    """One table of submissions: fixed layout at the page's width (it never scrolls sideways): each
    function a narrow column under its short name, the cause cut to one line (whole on hover)."""
    SHORT = short_names()
    columns = (
        ['<col class="name"/>', '<col class="status"/>', '<col class="score"/>']
        + ['<col class="unit"/>'] * len(units)
        + ['<col class="why"/>', '<col class="seconds"/>']
    )
    head = [
        '<th data-type="text"><button type="button">submission</button></th>',
        '<th data-type="number"><button type="button">status</button></th>',
        f'<th class="num" data-type="number"><button type="button">score /{max_score:g}</button></th>',
    ]
    head += [
        f'<th class="num" data-type="number" title="{text(u, 80)}"><button type="button">'
        f"{text(SHORT.get(u, u), 40).replace('_', '_<wbr/>')}</button></th>"
        for u in units
    ]
    head += [
        '<th data-type="text"><button type="button">likely cause</button></th>',
        '<th class="num" data-type="number" title="seconds to grade"><button type="button">secs</button></th>',
    ]
    rows = "\n".join(submission_row(name, report, units) for name, report in entries)
    title = f"<caption>{text(caption, 200)}</caption>" if caption else ""
    return (
        f'<table class="submissions">{title}<colgroup>{"".join(columns)}</colgroup>'
        f"<thead><tr>{''.join(head)}</tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody></table>"
    )


def toolbar() -> str:
    options = "".join(
        f'<option value="{code.name.lower()}">{MEANING[code]}</option>' for code in Exit if code is not Exit.USAGE
    )
    return (
        '<div class="toolbar"><label>Filter <input id="filter" type="search" placeholder="name or cause" '
        'autocomplete="off"/></label><label>Status <select id="status"><option value="">all</option>'
        f'{options}</select></label><span id="shown"></span></div>'
    )


def numbers_list(numbers: list[tuple[object, str]]) -> str:
    return '<ul class="numbers">' + "".join(f"<li><b>{value}</b>{label}</li>" for value, label in numbers) + "</ul>"


def score_numbers(own, max_score: float) -> list[tuple[object, str]]:
    """Mean, median, full marks of one assignment's graded submissions (none: nothing to say)."""
    if not own.scores:
        return []
    ordered = sorted(own.scores)
    full = sum(s >= own.max_score for s in own.scores)
    return [
        (len(own.scores), "graded"),
        (f"{full} ({_pct(full, len(own.scores))})", "full marks"),
        (f"{statistics.fmean(own.scores):.1f}", f"mean score /{own.max_score:g}"),
        (f"{statistics.median(ordered):g}", "median score"),
        (f"{ordered[0]:g}&#8211;{ordered[-1]:g}", "lowest&#8211;highest"),
    ]


def ungradable_section(stats) -> str:
    """Why each submission that could not be graded could not be: counted by reason, each name a link."""
    if not stats.reasons:
        return ""
    grouped: dict[str, list[str]] = {}
    for name, reason in stats.reasons:
        grouped.setdefault(reason, []).append(name)
    rows = "".join(
        f'<tr><td>{text(reason, 200)}</td><td class="num">{len(names)}</td><td>'
        + ", ".join(f'<a href="{page_href(n)}">{text(n, 200)}</a>' for n in names)
        + "</td></tr>"
        for reason, names in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )
    return (
        f'<h2 id="ungradable">'
        f'Could not be graded ({len(stats.reasons)})</h2>\n<p class="meta">These have no score: they are left out of '
        "the scores, the plots and the pass rates below, and get 0 in the gradebook.</p>\n"
        '<table class="wide"><thead><tr><th>why</th><th class="num">submissions</th><th>which</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def function_table(own) -> str:
    """Each function of one assignment: its points, the shares of the assignment's graded submissions that
    got full marks and passed its cases, and the misconceptions recognised in it, by title."""
    SHORT = short_names()
    n = len(own.scores)
    rows = []
    for unit, s in own.units.items():
        found = sorted(
            ((m.functions[unit], code, m.title) for code, m in own.misconceptions.items() if m.functions.get(unit)),
            key=lambda t: (-t[0], t[1]),
        )
        seen = "".join(
            f"<li>{text(title or code, 200)} <code>{text(code, 80)}</code> ({count})</li>"
            for count, code, title in found
        )
        shares = (
            (
                f'<td class="num">{_pct(s.full_marks, s.submissions)} ({s.full_marks})</td>'
                f'<td class="num">{100 * s.case_fraction / s.submissions:.1f}%</td>'
            )
            if s.submissions
            else "<td>-</td><td>-</td>"
        )
        rows.append(
            f"<tr><td><code>{text(unit, 80)}</code></td><td>{text(SHORT.get(unit, unit), 40)}</td>"
            f'<td class="num">{s.points:g}</td>{shares}<td class="num">{s.could_not_run}</td>'
            f"<td>{f'<ul class=plain>{seen}</ul>' if seen else '-'}</td></tr>"
        )
    return (
        f'<p class="meta">Shares of the {n} graded submission{"s" if n != 1 else ""} of this assignment. '
        "<i>Full marks</i>: passed every case; <i>cases passed</i>: the mean share of its cases passed; "
        "a graded submission that lacked the function counts as zero.</p>\n"
        '<table class="wide"><thead><tr><th>function</th><th>column</th><th class="num">points</th>'
        '<th class="num">full marks</th><th class="num">cases passed</th><th class="num">could not run</th>'
        f"<th>misconceptions recognised (submissions)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def misconception_table(stats) -> str:
    if not stats.misconceptions:
        return "<p>No misconception was recognised in this batch.</p>"
    ranked = sorted(stats.misconceptions.items(), key=lambda kv: (-kv[1].submissions, kv[0]))
    rows = []
    for code, m in ranked:
        where = ", ".join(
            f"<code>{text(f, 80)}</code> ({c})" for f, c in sorted(m.functions.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        among = sum(len(own.scores) for own in stats.assignments.values() if code in own.misconceptions) or stats.graded
        rows.append(
            f"<tr><td>{text(m.title or code, 200)}</td><td><code>{text(code, 80)}</code></td>"
            f'<td class="num">{m.submissions} ({_pct(m.submissions, among)})</td><td>{where}</td></tr>'
        )
    return (
        '<table class="wide"><thead><tr><th>misconception</th><th>code</th>'
        '<th class="num">submissions (share of their assignment)</th><th>where</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def class_page(stats, entries: list[tuple[str, dict]], pictures: list[tuple[str, str]], context: str) -> str:
    """index.html: `stats` a class_report.ClassStats, `pictures` (file name, what it shows) beside the page."""
    codes = [for_report_dict(report) for _, report in entries]
    numbers = [
        (stats.size, "submissions"),
        (stats.graded, "graded"),
        (codes.count(Exit.FULL_MARKS), "full marks"),
        (codes.count(Exit.NOT_GRADED), "could not be graded"),
    ]
    if codes.count(Exit.GRADER_FAULT):
        numbers.append((codes.count(Exit.GRADER_FAULT), "grader failed (rerun to retry)"))
    mixed = len(stats.assignments) > 1
    if not mixed:
        for own in stats.assignments.values():
            numbers += score_numbers(own, stats.max_score)[2:]
    body = [f'<h1>Class report</h1>\n<p class="meta">{text(context, 600)}</p>\n{numbers_list(numbers)}']
    if mixed:
        for own in stats.assignments.values():
            body.append(
                f"<h3>{text(own.title, 200)} (<code>{text(own.name, 80)}</code>)</h3>\n"
                f"{numbers_list(score_numbers(own, stats.max_score))}"
            )
    body.append(ungradable_section(stats))
    body.append('<h2 id="functions">Each function</h2>')
    for own in stats.assignments.values():
        if mixed:
            body.append(f"<h3>{text(own.title, 200)}</h3>")
        body.append(function_table(own))
    body.append(f'<h2 id="misconceptions">Misconceptions</h2>\n{misconception_table(stats)}')
    plots = "".join(f'<img src="{quote(file)}" alt="{text(alt)}" width="720"/>' for file, alt in pictures)
    body.append(f'<h2 id="plots">Plots</h2>\n<div class="plots">{plots}</div>')
    body.append(
        '<h2 id="every">Every submission</h2>\n'
        '<p class="meta">Click a heading to sort, a name to open that submission\'s report; '
        "point at a cause to read it whole.</p>\n" + toolbar()
    )
    groups: dict[str, list[tuple[str, dict]]] = {}
    for name, report in entries:
        groups.setdefault(packs.of_report(report).name, []).append((name, report))
    order = {name: i for i, name in enumerate(packs.names())}
    for name, group in sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order))):
        pack = packs.get(name)
        units = list(stats.assignments[name].units) if name in stats.assignments else list(pack.units)
        caption = f"{pack.title} ({len(group)})" if len(groups) > 1 else ""
        body.append(submissions_table(group, units, stats.max_score, caption))
    return page("Class report", "\n".join(b for b in body if b), style=CLASS_CSS, script=SCRIPT, images=True)
