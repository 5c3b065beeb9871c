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

from grader.class_report import (BINS, INDEX_NAME, MISCONCEPTIONS, PASS_RATES, PICTURE_NAME, REPORT_NAME, TIMES,
                                 class_stats, pictures, render_markdown, score_bins, slim, write_class_report)
from grader.html_class import PAGES
from grader.html_report import csp_hash, fragment, submission_page
from grader.plots import BAR, FULL


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


def test_pass_rates_count_every_submission():
    stats = class_stats(class_of_four())
    assert stats.size == 4 and stats.max_score == 20
    assert stats.scores == [20.0, 10.0, 2.5, 0.0]
    cost, backward = stats.units["compute_cost"], stats.units["linear_backward"]
    assert cost.full_marks == 1 and cost.case_fraction == 1.25 and cost.could_not_run == 0
    assert backward.full_marks == 2 and backward.case_fraction == 2.0 and backward.could_not_run == 1
    assert list(stats.units) == ["compute_cost", "linear_backward"]  # the rubric's order
    assert stats.errors == [("broken", "This submission could not be graded: no file.")]


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
    assert all(f"]({picture})" in page for picture in (PICTURE_NAME, PASS_RATES, MISCONCEPTIONS, TIMES))
    assert "| `compute_cost` | 10 | 25% (1) | 31.2% | 0 |" in page
    assert "| `linear_backward` | 10 | 50% (2) | 50.0% | 1 |" in page
    assert "| The cost has the wrong sign | `COST_SIGN` | 1 (25%) | `compute_cost` (1), `linear_backward` (1) |" in page
    assert "- broken: This submission could not be graded: no file." in page
    assert "| 20 (full marks) | 1 |" in page
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
