"""A submission's files as text: a notebook's cells, a .py file's encoding, the one code file of a
folder, and whether the code is too large to parse. The loader (loader.py) decides what of it runs.

Nothing here executes student code, and nothing follows a link or opens what intake.py did not find.
"""

from __future__ import annotations

import io
import itertools
import re
import tokenize
from pathlib import Path

from grader import packs
from grader.load import intake

SUFFIXES = (".py", ".ipynb")
_KEEP_CELL_MAGICS = ("%%time", "%%capture")


def strip_magics(cell: str) -> str | None:
    """A cell without its IPython-only lines; None for a cell magic that makes it something else than Python."""
    lines = cell.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        if not lines[0].strip().startswith(_KEEP_CELL_MAGICS):
            return None
        lines[0] = ""
    return "\n".join(lines) + "\n"


def notebook_cells(data: bytes) -> list[tuple[str, str]]:
    """The code and markdown cells of a notebook's bytes; ValueError for anything Jupyter could not show.

    A byte-order mark is skipped, as Python's json does with bytes (nbformat.reads does too); nbformat
    joins a cell's list of lines, and a source still not text (an int, a dict) is refused here, not later."""
    import json

    import nbformat

    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text)
    except (UnicodeDecodeError, RecursionError, ValueError) as error:
        raise ValueError(f"not a readable Jupyter notebook: {' '.join(str(error).split())[:300]}") from None
    if not isinstance(raw, dict):
        raise ValueError("not a readable Jupyter notebook: it is not a JSON object")  # noqa: TRY004 - the loader's one error for a bad file
    cells = raw.get("cells")
    if cells is None and isinstance(raw.get("worksheets"), list):  # nbformat 3: cells in worksheets, code in "input"
        cells = [c for sheet in raw["worksheets"] if isinstance(sheet, dict) for c in sheet.get("cells") or []]
    if not isinstance(cells, list):
        raise ValueError("not a readable Jupyter notebook: it has no list of cells")  # noqa: TRY004 - as above
    for number, cell in enumerate(cells, start=1):  # before nbformat, which takes them on trust
        for source in (cell.get(key) for key in ("source", "input") if key in cell) if isinstance(cell, dict) else ():
            if not (
                isinstance(source, str) or isinstance(source, list) and all(isinstance(line, str) for line in source)
            ):
                raise ValueError(
                    f"not a readable Jupyter notebook: the source of cell {number} is "
                    f"{_JSON_TYPES.get(type(source), type(source).__name__)}, not text"
                )
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable notebook is the student's problem
        raise ValueError(f"not a readable Jupyter notebook: {' '.join(str(error).split())[:300]}") from None
    found = []
    for cell in notebook.get("cells") or []:
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        if kind in ("code", "markdown") and isinstance(source, str):
            found.append((kind, source))
    return found


_JSON_TYPES = {dict: "dict", list: "list", int: "int", float: "float", bool: "bool", type(None): "null"}


def python_text(data: bytes) -> str:
    """A .py file's text as Python reads it: a byte-order mark or a coding line says how (else UTF-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown coding line: Python would refuse; read it as UTF-8 and let the parser speak
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding, errors="replace")
    except (LookupError, UnicodeError):  # not a text encoding (rot13), or one that refuses everything (undefined)
        return data.decode("utf-8-sig", errors="replace")


def not_text(sources: list[tuple[str, str]]) -> str | None:
    """Where a text holds what UTF-8 cannot (a lone surrogate, from a notebook's JSON escapes)."""
    for where, text in sources:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            return (
                f"{where} holds {text[error.start]!r}, a lone surrogate, which is not text (save it again from Jupyter)"
            )
    return None


def pick_file(folder: Path, tree: intake.Tree) -> tuple[Path | None, str | None]:
    """The one .py or .ipynb in a folder (as Gradescope delivers it); with several, the fullest.

    Only the regular files the walk found (intake.survey) count: a link, a FIFO, a device is never opened."""
    candidates = [
        rel
        for rel in tree.files
        if Path(rel).suffix.lower() in SUFFIXES
        and not any(part.startswith((".", "__")) for part in Path(rel).parts)
        and Path(rel).name != "conftest.py"
    ]
    if not candidates:
        return None, None
    if len(candidates) == 1:
        return folder / candidates[0], None

    def score(rel: str) -> int:
        try:
            text = tree.read(rel).decode("utf-8", errors="replace")
        except intake.Refused:
            return -1
        return sum(f"def {name}" in text for name in packs.all_functions())

    best = max(sorted(candidates), key=lambda rel: (score(rel), rel.lower().endswith(".ipynb")))
    return folder / best, f"the folder has {len(candidates)} code files; graded {best}"


MAX_CODE_TOKENS = (
    100_000  # the course notebook solved is 4,300 (correct_notebook.ipynb); parsing costs up to ~1 KB a token
)
_TOKEN = re.compile(r"\w+|[^\w\s]")


def too_large(texts: list[str]) -> str | None:
    """Why a submission is too large to read, or None. Parsing builds a tree of every statement before
    any is dropped: a 4 MB file of a million `x=1` lines held 2.6 GB of the trusted side's memory and
    was still parsing after 60 s (issue 20). A file is cut off at its size (intake.py); code, at its count of tokens
    (names, numbers, operators: a bound on the tree), counted only when it could be over."""
    if sum(map(len, texts)) <= MAX_CODE_TOKENS:  # a token is a character at least
        return None
    found = itertools.chain.from_iterable(_TOKEN.finditer(text) for text in texts)
    if sum(1 for _ in itertools.islice(found, MAX_CODE_TOKENS + 1)) <= MAX_CODE_TOKENS:
        return None
    return (
        f"the code is over the {MAX_CODE_TOKENS:,} tokens (names, numbers, operators) the grader reads; "
        "the whole course notebook, solved, is about 4,300"
    )
