"""grader/safe_text.py: student text shown in a terminal, a spreadsheet or Markdown is never control."""

import csv
import io

import pytest

from grader import safe_text


@pytest.mark.parametrize("attack", [
    "\x1b[2J\x1b[HScore 100 / 100",           # clear screen, cursor home, a forged score
    "\x1b]52;c;cm0gLXJmIH4=\x07",             # OSC 52: write the clipboard
    "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 link
    "\x1b]0;pwned\x07",                       # window title
    "\x9b2J",                                 # CSI in its 8-bit C1 form
    "abc\rScore 100",                         # carriage return overwrites the line
    "\u202eevil",                             # right-to-left override
    "\ud800",                                 # a lone surrogate
])
def test_terminal_shows_every_control_character_visibly(attack):
    shown = safe_text.terminal(attack)
    assert not any(ord(c) < 32 and c not in "\t\n" for c in shown)
    assert not any(0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF or c in "\u202a\u202b\u202c\u202d\u202e" for c in shown)
    shown.encode("utf-8")  # printable on any UTF-8 terminal
    assert "\\" in shown  # visibly there (as \\x1b, \\r, \\u202e), not silently dropped


def test_terminal_keeps_ordinary_text_and_can_fold_newlines():
    assert safe_text.terminal("dW has wrong values\n\tline 2 é") == "dW has wrong values\n\tline 2 é"
    assert safe_text.terminal("a\nb", keep_newlines=False) == "a\\nb"


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell):
    safe = safe_text.csv_cell(cell)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r", "＝"))
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe])
    assert next(csv.reader(io.StringIO(buffer.getvalue())))[0] == safe


@pytest.mark.parametrize("cell", ["-2_3", "-inf", "+nan", "-1e5x", "- 1"])
def test_csv_text_that_python_reads_as_a_number_but_a_person_wrote_is_neutralised(cell):
    assert safe_text.csv_cell(cell) == "'" + cell


def test_csv_numbers_stay_numbers():
    assert safe_text.csv_cell(-1.5) == -1.5
    assert safe_text.csv_cell("-1.5") == "-1.5" and safe_text.csv_cell("-2e-05") == "-2e-05"
    assert safe_text.csv_cell(None) is None
    assert safe_text.csv_cell("alice.py") == "alice.py"


def test_markdown_text_is_never_markup():
    shown = safe_text.markdown("<script>x</script> [link](http://e) `code` **b** | cell")
    assert "<" not in shown and ">" not in shown
    for token in ("[", "]", "`", "*", "|"):
        assert all(shown[i - 1] == "\\" for i, c in enumerate(shown) if c == token)


def test_markdown_code_fence_cannot_be_closed_by_the_text():
    block = safe_text.markdown_code("x\n```\n# heading")
    fence = block.split("text", 1)[0]
    assert len(fence) > 3 and block.endswith(fence)
    assert block.count(fence) == 2


def test_cap_says_what_it_cut():
    assert safe_text.cap("x" * 10, 20) == "x" * 10
    cut = safe_text.cap("x" * 1000, 100)
    assert len(cut) <= 100 and "cut" in cut
