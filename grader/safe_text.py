"""Text a submission wrote, made safe for where it is shown: a terminal, a spreadsheet, Markdown.

Everything a student controls (exception messages and type names, printed output, dict keys, file and
folder names) can reach an instructor's terminal, `summary.csv` and the Markdown reports. Each of those
treats some text as control: ESC sequences clear a terminal, retitle it, write its clipboard (OSC 52) or
draw links (OSC 8); a CSV cell that starts with `=`, `+`, `-`, `@`, TAB or CR is run by spreadsheets as
a formula (OWASP's "CSV injection"); Markdown turns `<b>`, `[x](y)`, backticks and `|` into markup.

Hand-made because no well-kept library does exactly this: rich strips only BEL, BS, VT, FF and CR (not
ESC, not C1), `csv` quotes but never neutralises formulas, and markdown libraries render rather than
escape. The rules are small, total (any `str` in, a `str` out) and never raise, so a renderer can apply
them to every piece of student text without a second thought.
"""

from __future__ import annotations

import re

# C0 controls except TAB and LF, DEL, and the C1 controls (U+0080..U+009F: CSI, OSC, ST ... in 8-bit form);
# also the bidirectional overrides and isolates, which reorder what a reader sees (Trojan Source), and
# lone surrogates, which a UTF-8 terminal or file cannot even encode.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CSV_FORMULA_START = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
)  # and full-width forms


def visible(character: str) -> str:
    """How an unsafe character is shown: its escape as Python writes it (`\\x1b`, `\\u202e`)."""
    return ascii(character)[1:-1]


def terminal(text: object, keep_newlines: bool = True) -> str:
    """`text` with every control character shown visibly (ESC as `\\x1b`), so nothing in it can move the
    cursor, clear the screen, retitle the window or reach the clipboard. Tabs stay; newlines stay unless
    `keep_newlines` is false (a table cell, a one-line message), where they are shown as `\\n`."""
    text = str(text)
    if not keep_newlines:
        text = text.replace("\r\n", "\n").replace("\n", "\\n")
    return _TERMINAL_UNSAFE.sub(lambda match: visible(match.group()), text)


def csv_cell(value: object) -> object:
    """A cell for `csv.writer` that no spreadsheet runs as a formula: numbers pass unchanged, text that a
    spreadsheet would read as a formula gets a leading apostrophe (the OWASP rule), and control characters
    are shown visibly. Numbers stay numbers, so scores still sort and sum."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = terminal(value, keep_newlines=False)
    if text.startswith(_CSV_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _is_number(text: str) -> bool:
    """A negative number written by the grader itself ("-1.5") is data, not a formula. Only plain decimal
    notation counts: Python's float() also takes "-2_3", "-inf" and "-nan", which are a student's names."""
    return _PLAIN_NUMBER.fullmatch(text) is not None


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~])")  # what makes markup anywhere in a line (GFM)
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([#+\-=>!]|\d+(?=[.)]))")  # what makes a block only at a line's start
_AUTOLINK = re.compile(r"(?i)(://|www\.)")  # GFM draws a link from a bare URL: break it with a zero-width space


def markdown(text: object) -> str:
    """`text` as literal Markdown inline text: every character that makes markup (emphasis, code, links,
    tables, strikethrough) is backslash-escaped, `<`, `>` and `&` become entities (no raw HTML), a bare
    URL gets a zero-width space so that no renderer links it, what would start a block (a heading, list or
    quote) is escaped at the start, newlines become spaces and control characters are shown visibly.
    Plain words, dots and parentheses stay as they are, so the raw Markdown still reads. For a line of
    prose or a table cell; code blocks use `markdown_code`."""
    text = terminal(text, keep_newlines=False).replace("\\n", " ")
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _AUTOLINK.sub(lambda m: m.group()[0] + "\u200b" + m.group()[1:], text)
    return _MARKDOWN_LINE_START.sub(
        lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)), text
    )


def markdown_code(text: object) -> str:
    """A fenced code block holding `text` literally: the fence is longer than any run of backticks in it,
    so student text can never close it early; control characters are shown visibly."""
    body = terminal(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def cap(text: object, limit: int, what: str = "characters") -> str:
    """`text` cut to at most `limit` characters, saying how much was cut (never silently)."""
    text = str(text)
    if len(text) <= limit:
        return text
    note = f" ... [{len(text) - limit:,} more {what} cut]"
    return text[: max(0, limit - len(note))] + note
