"""The class report as one HTML page (results/index.html): the numbers, the plots, and a table of every
submission that sorts and filters in the browser, each row linking to that submission's own page.

It opens from disk with no server and no network: CSS and script are inline, the plots are PNG files
beside it, and a Content-Security-Policy allows nothing else (not even another inline script: the
page's own are allowed by their hash). Names and causes come from submissions, so they are escaped.
"""

from __future__ import annotations

from urllib.parse import quote

from grader import packs
from grader.exits import MEANING, Exit, for_report_dict
from grader.html_report import CSS, page, text

PAGES = "submissions"  # the folder of per-submission pages, beside index.html


def short_names() -> dict[str, str]:
    """Every pack's short column headings (`Pack.short_names`); a unit without one is shown whole."""
    return {unit: short for pack in packs.all_packs() for unit, short in pack.short_names.items()}

CLASS_CSS = CSS + """
body{max-width:none}
.numbers{display:flex;flex-wrap:wrap;gap:.6rem;padding:0;list-style:none}
.numbers li{border:1px solid #d0d7de;border-radius:6px;padding:.4rem .8rem;background:#f6f8fa}
.numbers b{font-size:1.2rem;display:block}
.plots{display:flex;flex-wrap:wrap;gap:1rem}
.plots img{border:1px solid #d0d7de;max-width:100%;height:auto}
.toolbar{display:flex;gap:.8rem;align-items:center;margin:.6rem 0}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
tr:target{background:#fff8c5}
td.causes{max-width:24rem}
td.status{white-space:nowrap}
"""

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("submissions");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
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
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var numeric = th.getAttribute("data-type") === "number";
      var direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
      var order = rows.map(function (row, index) { return [value(row, column, numeric), index, row]; });
      order.sort(function (a, b) {
        if (a[0] < b[0]) { return -direction; }
        if (a[0] > b[0]) { return direction; }
        return a[1] - b[1];
      });
      order.forEach(function (entry) { body.appendChild(entry[2]); });
    });
  });
  filter.addEventListener("input", apply);
  status.addEventListener("change", apply);
  apply();
})();
"""


def page_href(name: str) -> str:
    return f"{PAGES}/{quote(name)}.html"


def _causes(report: dict) -> str:
    if report["status"] == "error":
        return str(report.get("feedback", ""))
    codes: list[str] = []
    for test in report["tests"]:
        codes += [c for c in test["diagnoses"] if c not in codes]
    return ", ".join(codes)


def submission_row(name: str, report: dict, units: list[str]) -> str:
    outcome = for_report_dict(report)
    meaning = MEANING[outcome]
    causes = _causes(report)
    scores = {t["function"]: t for t in report["tests"]}
    cells = []
    for unit in units:
        test = scores.get(unit)
        if test is None:
            cells.append('<td class="num" data-v="-1">-</td>')
        else:
            title = f"{test['passed_cases']} of {test['total_cases']} cases passed"
            cells.append(f'<td class="num {text(test["status"], 20)}" data-v="{test["score"]}" title="{title}">{test["score"]:g}</td>')
    search = text(f"{name} {meaning} {causes}".lower(), 600)
    return (f'<tr id="row-{text(name, 200)}" data-status="{outcome.name.lower()}" data-text="{search}">'
            f'<td><a href="{page_href(name)}">{text(name, 200)}</a></td>'
            f'<td class="status {"passed" if outcome is Exit.FULL_MARKS else "failed"}" data-v="{int(outcome)}">{meaning}</td>'
            f'<td class="num" data-v="{report["score"]}">{report["score"]:g}</td>{"".join(cells)}'
            f'<td class="causes">{text(causes, 300)}</td>'
            f'<td class="num" data-v="{report.get("seconds", 0)}">{report.get("seconds", 0):.2f}</td></tr>')


def submissions_table(entries: list[tuple[str, dict]], units: list[str], max_score: float) -> str:
    head = ['<th data-type="text"><button type="button">submission</button></th>',
            '<th data-type="number"><button type="button">status</button></th>',
            f'<th class="num" data-type="number"><button type="button">score /{max_score:g}</button></th>']
    SHORT = short_names()
    head += [f'<th class="num" data-type="number" title="{u}"><button type="button">{SHORT.get(u, text(u, 40))}</button></th>' for u in units]
    head += ['<th data-type="text"><button type="button">likely cause</button></th>',
             '<th class="num" data-type="number"><button type="button">seconds</button></th>']
    options = "".join(f'<option value="{code.name.lower()}">{MEANING[code]}</option>' for code in Exit if code is not Exit.USAGE)
    toolbar = ('<div class="toolbar"><label>Filter <input id="filter" type="search" placeholder="name or cause" '
               'autocomplete="off"/></label><label>Status <select id="status"><option value="">all</option>'
               f'{options}</select></label><span id="shown"></span></div>')
    rows = "\n".join(submission_row(name, report, units) for name, report in entries)
    return (toolbar + f'<table id="submissions"><thead><tr>{"".join(head)}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>')


def class_page(stats, entries: list[tuple[str, dict]], pictures: list[tuple[str, str]], context: str) -> str:
    """index.html: `stats` a class_report.ClassStats, `pictures` (file name, what it shows) beside the page."""
    n = stats.size
    codes = [for_report_dict(report) for _, report in entries]
    numbers = [(n, "submissions"), (sum(c <= Exit.LOST_POINTS for c in codes), "graded"),
               (codes.count(Exit.FULL_MARKS), "full marks"), (codes.count(Exit.NOT_GRADED), "could not be graded")]
    if codes.count(Exit.GRADER_FAULT):
        numbers.append((codes.count(Exit.GRADER_FAULT), "grader failed (rerun to retry)"))
    if n:
        ordered = sorted(stats.scores)
        numbers += [(f"{sum(stats.scores) / n:.1f}", "mean score"), (f"{ordered[n // 2]:g}", "median score")]
    items = "".join(f"<li><b>{value}</b>{label}</li>" for value, label in numbers)
    plots = "".join(f'<img src="{quote(file)}" alt="{text(alt)}" width="720"/>' for file, alt in pictures)
    units = list(stats.units)
    SHORT = short_names()
    legend = ", ".join(f"{SHORT[u]} = {u}" for u in units if u in SHORT)
    body = (f"<h1>Class report</h1>\n<p class=\"meta\">{text(context, 600)}</p>\n<ul class=\"numbers\">{items}</ul>\n"
            f'<h2>Plots</h2>\n<div class="plots">{plots}</div>\n<h2>Every submission</h2>\n'
            f"<p class=\"meta\">Click a heading to sort, a name to open that submission's report. Columns: {legend}.</p>\n"
            + submissions_table(entries, units, stats.max_score))
    return page("Class report", body, style=CLASS_CSS, script=SCRIPT, images=True)
