"""The class report: score bins, per-function pass rates, misconception counts, and a real PNG."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from grader.class_report import (BINS, PICTURE_NAME, REPORT_NAME, class_stats, render_markdown, render_picture,
                                 score_bins, slim, write_class_report)
from grader.png_chart import BAR, HIGHLIGHT, bar_chart


def diagnosis(code: str, title: str = "") -> dict:
    return {"code": code, "title": title or code.lower(), "message": "m"}


def unit(function: str, passed: int, total: int, points: float, diagnoses=(), case_diagnoses=()) -> dict:
    failed = [{"index": 0, "label": "", "description": "", "status": "failed", "diagnoses": list(case_diagnoses)}] if case_diagnoses else []
    return {"function": function, "name": function, "score": round(points * passed / total, 4) if total else 0.0,
            "max_score": points, "status": "passed" if total and passed == total else "failed",
            "passed_cases": passed, "total_cases": total, "diagnoses": list(diagnoses), "failed_cases": failed}


def report(status: str, tests: list[dict], feedback: str = "") -> dict:
    out = {"submission": "x.py", "status": status, "score": 0.0 if status == "error" else sum(t["score"] for t in tests),
           "max_score": 20.0, "seed": 0, "rubric": {"source": "default", "fingerprint": "f"}, "tests": tests}
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
    assert f"]({PICTURE_NAME})" in page
    assert "| `compute_cost` | 10 | 25% (1) | 31.2% | 0 |" in page
    assert "| `linear_backward` | 10 | 50% (2) | 50.0% | 1 |" in page
    assert "| The cost has the wrong sign | `COST_SIGN` | 1 (25%) | `compute_cost` (1), `linear_backward` (1) |" in page
    assert "- `broken`: This submission could not be graded: no file." in page
    assert "| 20 (full marks) | 1 |" in page
    empty = render_markdown(class_stats([("a", slim(report("graded", [unit("compute_cost", 4, 4, 20)])))]))
    assert "No misconception was recognised" in empty and "Could not be graded" not in empty


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the raw RGB rows (filter bytes removed) of an unfiltered 8-bit RGB PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 2) and b"IEND" in chunks
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == height * (1 + 3 * width)
    return width, height, b"".join(raw[y * (1 + 3 * width) + 1:(y + 1) * (1 + 3 * width)] for y in range(height))


def test_the_picture_is_a_valid_png_with_the_bars_drawn():
    data = bar_chart([0, 5, 10], ["0", "1", "2"], "title", "x", highlight={2}, width=300, height=200)
    width, height, rgb = decode_png(data)
    assert (width, height) == (300, 200)
    colors = {tuple(rgb[i:i + 3]) for i in range(0, len(rgb), 3)}
    assert BAR in colors and HIGHLIGHT in colors
    assert bar_chart([0, 5, 10], ["0", "1", "2"], "title", "x", highlight={2}, width=300, height=200) == data
    assert bar_chart([0, 6, 10], ["0", "1", "2"], "title", "x", highlight={2}, width=300, height=200) != data


def test_write_class_report_writes_the_page_and_the_picture(tmp_path: Path):
    written = []

    def write(path: Path, data) -> None:
        written.append(path.name)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    paths = write_class_report(tmp_path, class_of_four(), "", write)
    assert sorted(written) == sorted([REPORT_NAME, PICTURE_NAME]) == sorted(p.name for p in paths)
    assert decode_png((tmp_path / PICTURE_NAME).read_bytes())[:2] == (720, 420)
    assert render_picture(class_stats(class_of_four())) == (tmp_path / PICTURE_NAME).read_bytes()
