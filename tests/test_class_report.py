"""The class report: score bins, per-function pass rates, misconception counts, the plots (matplotlib),
the HTML pages, and what every student-made string becomes on them (text, never markup)."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from grader.report.class_report import BINS, INDEX_NAME, MISCONCEPTIONS, PASS_RATES, PICTURE_NAME, REPORT_NAME, TIMES, class_stats, pictures, render_markdown, score_bins, slim, write_class_report
from grader.report.html_class import PAGES
from grader.report.html_report import csp_hash, fragment, submission_page
from grader.report.plots import BAR, FULL


def diagnosis(code: str, title: str = "") -> dict:
    return {"code": code, "title": title or code.lower(), "message": "m"}


def unit(function: str, passed: int, total: int, points: float, diagnoses=(), case_diagnoses=()) -> dict:
    failed = [{"index": 0, "label": "", "description": "", "status": "failed", "diagnoses": list(case_diagnoses)}] if case_diagnoses else []
    return {"function": function, "name": function, "score": round(points * passed / total, 4) if total else 0.0,
            "max_score": points, "status": "passed" if total and passed == total else "failed",
            "passed_cases": passed, "total_cases": total, "diagnoses": list(diagnoses), "failed_cases": failed}


def report(status: str, tests: list[dict], feedback: str = "", seconds: float = 0.5) -> dict:
    out = {"submission": "x.py", "status": status, "score": 0.0 if status == "error" else sum(t["score"] for t in tests),
           "max_score": 20.0, "seed": 0, "rubric": {"source": "default", "fingerprint": "f"}, "tests": tests,
           "seconds": seconds, "versions": {"grader": "g"}, "device": "cpu"}
    if feedback:
        out["feedback"] = feedback
    return out


def class_of_four() -> list[tuple[str, dict]]:
    cost_sign = diagnosis("COST_SIGN", "The cost has the wrong sign")
    return [
        ("full", slim(report("graded", [unit("compute_cost", 4, 4, 10), unit("linear_backward", 4, 4, 10)]))),
        ("half", slim(report("graded", [unit("compute_cost", 0, 4, 10, [cost_sign]),
                                        unit("linear_backward", 4, 4, 10, case_diagnoses=[cost_sign])]))),
        ("some", slim(report("graded", [unit("compute_cost", 1, 4, 10, case_diagnoses=[diagnosis("OTHER")]),
                                        unit("linear_backward", 0, 0, 10)]))),
        ("broken", slim(report("error", [], "This submission could not be graded: no file."))),
    ]


def test_pass_rates_count_the_graded_submissions_and_the_ungradable_apart():
    stats = class_stats(class_of_four())
    assert stats.size == 4 and stats.graded == 3 and stats.max_score == 20
    assert stats.scores == [20.0, 10.0, 2.5]  # "broken" has no score, not a score of 0
    cost, backward = stats.units["compute_cost"], stats.units["linear_backward"]
    assert cost.full_marks == 1 and cost.case_fraction == 1.25 and cost.could_not_run == 0 and cost.submissions == 3
    assert backward.full_marks == 2 and backward.case_fraction == 2.0 and backward.could_not_run == 1
    assert list(stats.units) == ["compute_cost", "linear_backward"]  # the rubric's order
    assert stats.errors == [("broken", "This submission could not be graded: no file.")]
    assert stats.reasons == [("broken", "unreadable file")]
    assert list(stats.assignments) == ["step_by_step"] and stats.assignments["step_by_step"].scores == stats.scores


def test_misconceptions_count_submissions_and_functions():
    stats = class_stats(class_of_four())
    sign = stats.misconceptions["COST_SIGN"]
    assert sign.submissions == 1 and dict(sign.functions) == {"compute_cost": 1, "linear_backward": 1}
    assert sign.title == "The cost has the wrong sign"
    assert stats.misconceptions["OTHER"].submissions == 1  # found only on a failed case
    assert set(stats.misconceptions) == {"COST_SIGN", "OTHER"}


def test_score_bins_put_full_marks_in_a_bar_of_their_own():
    counts, labels = score_bins([0, 9.99, 10, 99.99, 100, 100], 100)
    assert len(counts) == BINS + 1 and sum(counts) == 6
    assert counts[0] == 2 and counts[1] == 1 and counts[9] == 1 and counts[10] == 2
    assert labels[0] == "0" and labels[1] == "10" and labels[-1] == "100"
    counts, labels = score_bins([86.9, 87, 0], 87)
    assert counts[-1] == 1 and counts[9] == 1 and labels[1] == "8.7"


def test_markdown_names_every_function_misconception_and_error():
    page = render_markdown(class_stats(class_of_four()), context="Seed 0.")
    assert page.startswith("# Class report") and "4 submissions: 3 graded, 1 could not be graded. Seed 0." in page
    assert "mean 10.8, median 10, lowest 2.5" in page  # of the 3 graded: the ungradable one is not a 0
    assert all(f"]({picture})" in page for picture in (PICTURE_NAME, PASS_RATES, MISCONCEPTIONS, TIMES))
    assert "| `compute_cost` | 10 | 25% (1) | 31.2% | 0 |" in page
    assert "| `linear_backward` | 10 | 50% (2) | 50.0% | 1 |" in page
    assert "| The cost has the wrong sign | `COST_SIGN` | 1 (25%) | `compute_cost` (1), `linear_backward` (1) |" in page
    assert "- broken: This submission could not be graded: no file." in page
    assert "| 20 (full marks) | 1 |" in page and "| 0 to under 2 | 0 |" in page  # not in the first bin either
    empty = render_markdown(class_stats([("a", slim(report("graded", [unit("compute_cost", 4, 4, 20)])))]))
    assert "No misconception was recognised" in empty and "Could not be graded" not in empty


def rgb(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def colours(png: bytes) -> set[tuple[int, int, int]]:
    return {colour for _, colour in rgb(png).getcolors(1 << 20)}


def hex_rgb(code: str) -> tuple[int, int, int]:
    return tuple(int(code[i:i + 2], 16) for i in (1, 3, 5))


def test_the_plots_are_pngs_that_show_the_class():
    drawn = pictures(class_stats(class_of_four()))
    assert set(drawn) == {PICTURE_NAME, PASS_RATES, MISCONCEPTIONS, TIMES}
    assert rgb(drawn[PICTURE_NAME]).size == (720, 420)
    assert hex_rgb(FULL) in colours(drawn[PICTURE_NAME]) and hex_rgb(BAR) in colours(drawn[PICTURE_NAME])
    # Nobody with full marks: no green bar; the bars follow the data, not a template.
    nobody = [e for e in class_of_four() if e[0] != "full"]
    assert hex_rgb(FULL) not in colours(pictures(class_stats(nobody))[PICTURE_NAME])
    assert b"Software" not in drawn[PICTURE_NAME] and b"matplotlib" not in drawn[PICTURE_NAME]


def test_the_same_results_give_the_same_bytes_and_other_results_other_bytes():
    first = pictures(class_stats(class_of_four()))
    again = pictures(class_stats(class_of_four()))  # drawn anew, not read back from a file
    assert first == again
    changed = class_of_four()
    changed[2][1]["score"] = 7.5
    changed[2][1]["seconds"] = 3.0
    other = pictures(class_stats(changed))
    assert other[PICTURE_NAME] != first[PICTURE_NAME] and other[TIMES] != first[TIMES]
    assert other[PASS_RATES] == first[PASS_RATES]  # the per-function numbers did not change


def test_no_misconception_draws_a_plain_notice():
    clean = [("a", slim(report("graded", [unit("compute_cost", 4, 4, 20)])))]
    drawn = pictures(class_stats(clean))[MISCONCEPTIONS]
    assert len(colours(drawn)) < len(colours(pictures(class_stats(class_of_four()))[MISCONCEPTIONS]))


# --- the HTML pages ----------------------------------------------------------------------------------
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;\x00\x1b[2J\ud800'


class Markup(HTMLParser):
    """Every tag, attribute and text run of a page, as a browser's tokenizer sees them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def hostile_report() -> dict:
    case = {"index": 0, "label": HOSTILE, "description": "m=1", "status": "error",
            "error": {"type": "ValueError", "message": HOSTILE * 3,
                      "traceback": [["student.py", 3, "compute_cost", "raise ValueError('" + HOSTILE + "')"]]},
            "output": HOSTILE, "output_chars": 60}
    value = {"index": 1, "label": "edge", "description": "m=2", "status": "failed",
             "mismatches": [{"path": "dW", "kind": "value", "message": "dW is wrong " + HOSTILE, "expected_shape": [2, 3],
                             "got_shape": [2, 3], "max_abs_error": 0.5, "max_rel_error": 1.0, "index": [1, 2],
                             "expected_excerpt": [1.0, 2.0], "got_excerpt": [1.5, 2.0]}]}
    test = unit("compute_cost", 0, 4, 10, [diagnosis("COST_SIGN", "The cost has the wrong sign")])
    test.update(status="error", feedback="0 of 4 cases passed (1 raised an error).\n" + HOSTILE,
                failed_cases=[case, value],
                layer_map=[{"layer": 2, "dA": False, "dZ": None, "dW": None, "db": None, "step": False, "codes": [], "case": 0},
                           {"layer": 1, "dA": True, "dZ": True, "dW": True, "db": False, "step": True, "codes": [], "case": 0}])
    out = report("graded", [test, unit("linear_backward", 4, 4, 10)])
    out["load_problems"] = [{"where": "student.py, line 1", "kind": "load", "message": HOSTILE}]
    out["submission"] = HOSTILE
    return out


def test_student_strings_are_text_on_every_page():
    data = hostile_report()
    for html in (submission_page("alice", data), fragment(data), fragment(data, cases=1)):
        parsed = Markup(html)
        tags = {tag for tag, _ in parsed.tags}
        assert "img" not in tags and len(parsed.scripts) == 0  # a student's string never becomes markup
        assert not any(name.startswith("on") for _, attrs in parsed.tags for name in attrs)
        words = "".join(parsed.text)
        assert '<script>alert("x")</script>' in words  # shown as the text it is
        assert "\x00" not in html and "\x1b" not in html and "\ud800" not in html
    ET.fromstring(fragment(data))  # well-formed XML: what Coursera's viewer and sanitisers expect


def test_the_submission_page_shows_the_full_feedback():
    data = hostile_report()
    html = submission_page("alice", data)
    parsed = Markup(html)
    words = " ".join("".join(parsed.text).split())
    assert "Likely cause COST_SIGN: The cost has the wrong sign." in words
    assert "own step" in words and "WRONG" in words and "2 (L)" in words  # the layer map, as a table
    assert "Traceback (your code, most recent call last):" in words and 'File "student.py", line 3, in compute_cost' in words
    assert "max abs error" in words and "expected [1, 2]" in words and "returned [1.5, 2]" in words
    assert "What the code printed (60 characters)" in words  # instructor pages only
    assert "What the code printed" not in fragment(data, cases=1)  # platforms never pass prints on
    links = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert "../index.html#row-alice" in links and "#t-compute_cost" in links
    assert len(re.findall("<h4>", fragment(data))) == 2 and len(re.findall("<h4>", fragment(data, cases=1))) == 1


def test_pages_allow_no_network_and_only_their_own_script():
    html = submission_page("alice", hostile_report())
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in policy and "script-src" not in policy and "http" not in policy
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert csp_hash(style) in policy


def test_write_class_report_writes_every_page_linked_both_ways(tmp_path: Path):
    written = []

    def write(path: Path, data) -> None:
        written.append(path.relative_to(tmp_path).as_posix())
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    entries = []
    for name, slim_report in class_of_four():
        full = tmp_path / f"{name}.json"
        full.write_text(json.dumps({**hostile_report(), **{k: v for k, v in slim_report.items() if k != "tests"}}))
        entries.append((name, slim_report, full))
    entries.append(("gone", slim(report("graded", [unit("compute_cost", 4, 4, 20)])), tmp_path / "missing.json"))
    paths = write_class_report(tmp_path, entries, "Seed 0, rubric `r`.", write)
    assert [p.name for p in paths] == [REPORT_NAME, INDEX_NAME]
    pages = [f"{PAGES}/{name}.html" for name, *_ in entries]
    assert sorted(written) == sorted([REPORT_NAME, INDEX_NAME, PICTURE_NAME, PASS_RATES, MISCONCEPTIONS, TIMES] + pages)
    index = Markup((tmp_path / INDEX_NAME).read_text(encoding="utf-8"))
    hrefs = {attrs["href"] for tag, attrs in index.tags if tag == "a"}
    assert hrefs == set(pages)
    images = [attrs["src"] for tag, attrs in index.tags if tag == "img"]
    assert sorted(images) == sorted([PICTURE_NAME, PASS_RATES, MISCONCEPTIONS, TIMES])
    rows = [attrs for tag, attrs in index.tags if tag == "tr" and "id" in attrs]
    assert [r["id"] for r in rows] == [f"row-{name}" for name, *_ in entries]
    assert [r["data-status"] for r in rows] == ["full_marks", "lost_points", "lost_points", "not_graded", "full_marks"]
    for name, *_ in entries:
        back = Markup((tmp_path / PAGES / f"{name}.html").read_text(encoding="utf-8"))
        assert ("a", {"id": "back", "href": f"../{INDEX_NAME}#row-{name}"}) in back.tags or name == "gone"
    assert "could not be read" in (tmp_path / PAGES / "gone.html").read_text(encoding="utf-8")
    assert "`" not in "".join(index.text)  # Markdown's code marks stay in the Markdown


# --- the cause column, the ungradable apart, a mixed class: from a real batch ------------------------
ROOT = Path(__file__).resolve().parents[1]
SMALL = "[grading]\ncases = 2\n\n[limits]\ncase_seconds = 1\nload_seconds = 1\nfunction_seconds = 4\n"
BUNDLED = ("correct_student.py", "bug_dAL_sign.py", "bug_cost_sign.py", "broken_syntax_error.py", "partial_unfilled_template.py",
           "partial_missing_functions.py", "broken_raises_at_import.py", "hostile_infinite_loop.py", "hostile_sleep_at_import.py",
           "conv_correct_vectorized.py", "conv_bug_conv_forward_no_stride.py")


def make_class(folder: Path) -> Path:
    """A few bundled submissions, one of the other assignment, one that defines nothing, an empty folder."""
    import shutil

    folder.mkdir()
    for name in BUNDLED:
        shutil.copy(ROOT / "submissions" / name, folder / name)
    (folder / "defines_nothing.py").write_text("import numpy as np\n", encoding="utf-8")
    (folder / "empty_folder").mkdir()
    return folder


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Path]:
    """The class graded twice through the CLI: by the default pack (the conv ones are then the wrong
    assignment) and with --assignment auto (a mixed class)."""
    from grader.frontends.cli import main

    here = tmp_path_factory.mktemp("batches")
    folder = make_class(here / "class")
    rubric = here / "small.toml"
    rubric.write_text(SMALL, encoding="utf-8")
    out = {}
    for kind, extra in (("default", []), ("auto", ["--assignment", "auto"])):
        out[kind] = here / kind
        main(["grade", str(folder), "--out", str(out[kind]), "--rubric", str(rubric), "--seed", "5", "--device", "cpu",
              "--no-progress", "-j", "2", *extra])
        assert (out[kind] / INDEX_NAME).is_file()
    return out


def words_of(html: str) -> str:
    """What a reader sees, each text run apart: 'a b' for <td>a</td><td>b</td>."""
    return " ".join(" ".join(Markup(html).text).split())


def rows_of(index: Path) -> dict[str, dict]:
    """Each submission row of index.html: its cells' text, the cause cell's hover text, its table."""
    parser = TableRows()
    parser.feed(index.read_text(encoding="utf-8"))
    return parser.rows


class TableRows(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: dict[str, dict] = {}
        self.tables = 0
        self.row: dict | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "submissions" in (attrs.get("class") or ""):
            self.tables += 1
        elif tag == "tr" and (attrs.get("id") or "").startswith("row-"):
            self.row = {"table": self.tables, "cells": [], "status": attrs["data-status"], "hover": ""}
            self.rows[attrs["id"][4:]] = self.row
        elif tag == "td" and self.row is not None:
            self.cell = []
            if attrs.get("class") == "why":
                self.row["hover"] = attrs.get("title", "")

    def handle_endtag(self, tag):
        if tag == "td" and self.row is not None and self.cell is not None:
            self.row["cells"].append("".join(self.cell))
            self.cell = None
        elif tag == "tr":
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


EXPECTED_CAUSE = {  # submission -> words its cause cell must hold (each is what that submission is known for)
    "bug_dAL_sign": "DAL_SIGN", "bug_cost_sign": "COST_SIGN", "broken_syntax_error": "syntax error",
    "partial_unfilled_template": "returns None (template not filled in?)", "partial_missing_functions": "functions missing",
    "broken_raises_at_import": "crashed at load (ZeroDivisionError)", "hostile_infinite_loop": "timed out in",
    "hostile_sleep_at_import": "timed out while loading", "defines_nothing": "defines no graded function",
    "empty_folder": "no .py or .ipynb file", "conv_correct_vectorized": "wrong assignment (conv_step_by_step)",
    "conv_bug_conv_forward_no_stride": "wrong assignment (conv_step_by_step)",
}


def test_every_row_says_in_a_few_words_why_it_lost_points(batches):
    rows = rows_of(batches["default"] / INDEX_NAME)
    assert set(rows) == {Path(n).stem for n in BUNDLED} | {"defines_nothing", "empty_folder"}
    for name, said in EXPECTED_CAUSE.items():
        cause = rows[name]["cells"][-2]
        assert said in cause, (name, cause)
        assert len(cause) <= 80 and "\n" not in cause, (name, cause)  # a phrase, never the paragraph
    assert rows["correct_student"]["status"] == "full_marks" and rows["correct_student"]["cells"][-2] == "-"
    for name, row in rows.items():
        assert row["cells"][-2] != "" and (row["status"] == "full_marks" or row["cells"][-2] != "-"), name
    assert "DAL_SIGN: dAL has the wrong sign" in rows["bug_dAL_sign"]["hover"]  # the longer line, on hover
    assert "none of the graded functions" in rows["conv_correct_vectorized"]["hover"]


def test_the_ungradable_are_counted_apart_with_their_reasons(batches):
    out = batches["default"]
    data = {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in out.glob("*.json")}
    stats = class_stats([(name, slim(report)) for name, report in sorted(data.items())])
    ungradable = sorted(name for name, report in data.items() if report["status"] == "error")
    assert ungradable == ["conv_bug_conv_forward_no_stride", "conv_correct_vectorized", "defines_nothing", "empty_folder"]
    assert stats.size == len(data) and stats.graded == len(data) - 4
    assert sorted(stats.scores) == sorted(r["score"] for r in data.values() if r["status"] != "error")
    assert all(u.submissions == stats.graded for u in stats.units.values())  # no pass rate counts them as zeros
    counts, _ = score_bins(stats.scores, stats.max_score)
    assert sum(counts) == stats.graded
    words = words_of((out / INDEX_NAME).read_text(encoding="utf-8"))
    assert "Could not be graded (4)" in words
    assert "wrong assignment (conv_step_by_step) 2 conv_bug_conv_forward_no_stride , conv_correct_vectorized" in words
    mean = sum(stats.scores) / stats.graded
    assert f"{mean:.1f} mean score /100" in words
    assert f"{sum(r['score'] for r in data.values()) / len(data):.1f} mean" not in words  # not the mean with zeros


def test_a_mixed_class_gets_each_assignments_own_statistics(batches):
    from grader import packs

    out = batches["auto"]
    data = {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in out.glob("*.json")}
    stats = class_stats([(name, slim(report)) for name, report in sorted(data.items())])
    assert list(stats.assignments) == ["step_by_step", "conv_step_by_step"]
    for name, own in stats.assignments.items():
        graded = sorted(n for n, r in data.items() if r["status"] != "error" and r["assignment"] == name)
        assert sorted(own.names) == graded and len(graded) >= 2
        assert set(own.units) == set(packs.get(name).units)
        assert all(u.submissions == len(graded) for u in own.units.values())  # shares of its own submissions only
    conv = stats.assignments["conv_step_by_step"].units["zero_pad"]
    assert conv.full_marks == 2  # both conv submissions pad correctly: 100%, not 2 of the whole class
    rows = rows_of(out / INDEX_NAME)
    tables = {name: row["table"] for name, row in rows.items()}
    assert tables["conv_correct_vectorized"] == tables["conv_bug_conv_forward_no_stride"] != tables["bug_dAL_sign"]
    words = words_of((out / INDEX_NAME).read_text(encoding="utf-8"))
    assert "Convolution model: Step by Step ( conv_step_by_step ) 2 graded" in words
    assert f"zero_pad pad {conv.points:g} 100% (2) 100.0%" in words  # not 2 of the whole class (29%)


def test_the_function_table_names_each_misconception_by_its_title(batches):
    from grader.packs.step_by_step.misconceptions import CATALOGUE

    page = (batches["default"] / INDEX_NAME).read_text(encoding="utf-8")
    section = page[page.index('id="functions"'):page.index('id="misconceptions"')]
    words = words_of(section)
    cost = words[words.index("compute_cost cost"):words.index("linear_backward lin_bwd")]
    assert f"{CATALOGUE['COST_SIGN'].title} COST_SIGN (1)" in cost  # in its function's row, by its title
    backward = words[words.index("L_model_backward L_bwd"):words.index("update_parameters update")]
    assert f"{CATALOGUE['DAL_SIGN'].title} DAL_SIGN (1)" in backward
    assert "DAL_SIGN" not in cost and "COST_SIGN" not in backward


def test_the_same_results_give_the_same_page(batches):
    from grader.frontends.cli import main

    before = {p.name: p.read_bytes() for p in batches["default"].iterdir() if p.is_file() and p.suffix != ".json"}
    rubric = batches["default"].parent / "small.toml"  # the same rubric file: its path is on the page
    folder = batches["default"].parent / "class"
    assert main(["grade", str(folder), "--out", str(batches["default"]), "--rubric", str(rubric), "--seed", "5",
                 "--device", "cpu", "--no-progress"]) == 2  # every report kept; the worst is 'could not be graded'
    after = {p.name: p.read_bytes() for p in batches["default"].iterdir() if p.is_file() and p.suffix != ".json"}
    assert INDEX_NAME in before and PICTURE_NAME in before and "gradebook.csv" in before
    assert after == before


@pytest.mark.parametrize("fatal, said", [
    ("GRADER_FAULT", "the grader failed (rerun to retry)"),
    ("PAST_DEADLINE", "timed out (batch deadline)"),
    ("This submission could not be graded: alice.py is a symbolic link, not a file; submit the file itself.", "a symbolic link, not a file"),
    ("This submission could not be graded: alice.txt is neither a .py file nor a .ipynb notebook.", "not a .py or .ipynb file"),
    ("This submission could not be graded: alice.ipynb: Notebook does not appear to be JSON.", "unreadable file"),
])
def test_the_fatal_causes_the_batch_can_write_get_a_phrase(fatal, said):
    from grader.frontends.batch_pool import PAST_DEADLINE
    from grader.report.class_entry import cause
    from grader.exits import GRADER_FAULT

    fatal = {"GRADER_FAULT": f"{GRADER_FAULT} (boom); it is retried", "PAST_DEADLINE": f"{PAST_DEADLINE} of 600 s"}.get(fatal, fatal)
    short, detail = cause(report("error", [], fatal))
    assert short == said and detail == fatal


def test_a_class_that_nobody_could_be_graded_in_still_gets_its_pages(tmp_path: Path):
    """No score at all: no mean, no median, an empty histogram, and every reason listed."""
    from grader.report.html_class import class_page

    entries = [(f"s{k}", slim(report("error", [], "This submission could not be graded: the submission folder holds no "
                                     ".py or .ipynb file."))) for k in range(3)]
    stats = class_stats(entries)
    assert stats.graded == 0 and stats.scores == [] and stats.assignments == {}
    page = render_markdown(stats)
    assert "3 submissions: 0 graded, 3 could not be graded." in page and "Out of" not in page  # no score line
    assert set(pictures(stats)) == {PICTURE_NAME, PASS_RATES, MISCONCEPTIONS, TIMES}
    words = " ".join(" ".join(Markup(class_page(stats, entries, [], "")).text).split())
    assert "Could not be graded (3) " in words and "no .py or .ipynb file 3 s0 , s1 , s2" in words and "mean score" not in words
