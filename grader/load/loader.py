"""Turn a submission (a .py file, a notebook, or a folder holding one) into the statements to run.

Only what defines the submission is kept: imports, function and class definitions, simple top-level
assignments (no calls outside a lambda) and try-blocks made of those. Test cells, training loops,
prints and plots are dropped, and so are IPython magics, shell escapes, `get_ipython()` calls and the
grader's own front end (`from grader import check`, `check(...)`).
Parsing is per notebook cell, and a file or cell with a syntax error is split at its top-level lines,
so a syntax error costs only the definition it is in. Nothing here executes student code.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader import packs
from grader.errors import GraderError
from grader.load import intake, py2
from grader.load.source_files import (
    SUFFIXES,
    not_text,
    notebook_cells,
    pick_file,
    python_text,
    strip_magics,
    too_large,
)
from grader.pack import Pack

SUPPLIED = "<course helpers>"  # the filename of the grader's own statements (never a student's file)
_MAGIC_LINE = re.compile(r"^\s*([%!]|\w+\s*=\s*[%!]|[\w.]+\?{1,2}\s*$)")  # %magic, !shell, x = !cmd, name?
_TOP_LEVEL_START = re.compile(r"^(async\s+def|def|class|import|from|@)\b|^@|^[A-Za-z_]\w*\s*(=|:)")
_DEF_NAME = re.compile(r"^(?:async\s+)?def\s+(\w+)", re.M)


@dataclass(frozen=True)
class Statement:
    """One top-level statement to execute, with where it came from (for tracebacks)."""

    source: str
    filename: str
    lineno: int

    def as_job(self) -> dict:
        return {"source": self.source, "filename": self.filename, "lineno": self.lineno}


@dataclass(frozen=True)
class Problem:
    """Something wrong with the submission as written: where, and what."""

    filename: str
    lineno: int | None
    message: str
    kind: str = "syntax"  # "syntax", "load" (raised while loading), "notice"
    function: str | None = None  # the graded function it took down, if any

    @property
    def where(self) -> str:
        return f"{self.filename}, line {self.lineno}" if self.lineno else self.filename


@dataclass
class Submission:
    path: str
    name: str
    source_file: Path | None = None
    statements: list[Statement] = field(default_factory=list)
    defined: dict[str, str] = field(default_factory=dict)  # graded function -> where it is defined
    problems: list[Problem] = field(default_factory=list)
    fatal: str | None = None  # why it cannot be graded at all
    pack: str = ""  # the assignment pack it was read for
    dropped: int = 0  # top-level statements not run (tests, prints, plots, training)
    sources: dict[str, str] = field(default_factory=dict)  # graded function -> the source of its def
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text) of every cell or file, as written

    @property
    def program(self) -> list[dict]:
        return [s.as_job() for s in self.statements]

    @property
    def fingerprint(self) -> str:
        """Names exactly these statements (a sandbox compiles each program it meets once)."""
        digest = hashlib.sha256()
        for s in self.statements:
            digest.update(f"{s.filename}\0{s.lineno}\0{s.source}\0".encode())
        return digest.hexdigest()


# --- which statements run -----------------------------------------------------------------------
def _calls_outside_lambda(node: ast.AST) -> bool:
    """A loop over a stack, not a recursion: a student's expression may nest deeper than Python recurses."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _parse(text: str) -> ast.Module:
    """ast.parse, with the parser's own limits (an expression nested past its stack) as a SyntaxError."""
    try:
        return ast.parse(text)
    except (RecursionError, MemoryError):
        raise SyntaxError("the code is nested too deeply for Python to parse it") from None
    except ValueError as error:  # a null byte, before Python 3.11.4 (a SyntaxError since)
        raise SyntaxError(str(error)) from None


def _imports_grader(node: ast.stmt) -> bool:
    """`import grader`, `from grader import check`: the student's own check cells, a front end like a magic
    (the sandbox denies the import, and a load problem per cell would only be noise)."""
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "grader" for alias in node.names)
    return isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "grader"


def _keep(node: ast.stmt) -> bool:
    if _imports_grader(node):
        return False  # top-level check(...) calls go with every other call
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        simple = all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets)
        return simple and node.value is not None and not _calls_outside_lambda(node.value)
    if isinstance(node, ast.Try):
        blocks = node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        return all(_keep(s) for s in blocks)
    return False


def _segment(lines: list[str], node: ast.stmt) -> tuple[int, str]:
    decorators = getattr(node, "decorator_list", None)
    first = decorators[0] if decorators else node
    start, col = first.lineno, first.col_offset
    if first is not node:
        col -= 1  # the '@'
    end, end_col = node.end_lineno or start, node.end_col_offset  # set by ast.parse on every statement
    if start == end:
        return start, lines[start - 1][col:end_col]
    return start, "".join([lines[start - 1][col:]] + lines[start : end - 1] + [lines[end - 1][:end_col]])


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split source at its top-level lines, for a file that does not parse as a whole."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for i, line in enumerate(lines):
        if i and _TOP_LEVEL_START.match(line) and not lines[i - 1].startswith("@"):
            starts.append(i)
    starts.append(len(lines))
    return [(a + 1, "".join(lines[a:b])) for a, b in zip(starts, starts[1:]) if a < b]


def _before_stray_line(chunk: str, error: SyntaxError) -> tuple[str, ast.Module] | None:
    """The definitions of a chunk that fails only after them: stray prose, a Python 2 print at top level.

    The lines before the error must parse, and the error line must be indented less than the body of
    the last block before it, so that it cannot belong to that block (a line inside a function, however
    wrongly indented, still costs that function)."""
    lines = chunk.splitlines(keepends=True)
    k = (error.lineno or 0) - 1
    if k <= 0 or k >= len(lines):
        return None
    prefix = "".join(lines[:k])
    try:
        tree = _parse(prefix)
    except SyntaxError:
        return None
    body = getattr(tree.body[-1], "body", None) if tree.body else None
    indent = len(lines[k]) - len(lines[k].lstrip())
    if not tree.body or (body and indent >= body[0].col_offset):
        return None
    return prefix, tree


def _add_source(sub: Submission, text: str, filename: str, pack: Pack) -> None:
    """Parse `text` (a file or a cell) and keep what defines the submission (`pack`'s functions)."""
    graded = pack.functions
    text, runs = pack.translate_runs(text, filename)  # %run of a course module: an import
    sub.problems += [Problem(filename, line, note, "notice") for line, note in runs]
    text = _blank_magics(text.splitlines())  # also in a .py: notebooks exported or pasted keep their magics
    try:
        pieces = [(1, text, _parse(text))]
    except SyntaxError:
        pieces = []
        for offset, chunk in _chunks(text):
            try:
                pieces.append((offset, chunk, _parse(chunk)))
            except SyntaxError as error:
                lineno = offset + (error.lineno or 1) - 1
                bad = (
                    chunk.splitlines()[(error.lineno or 1) - 1]
                    if 0 < (error.lineno or 0) <= len(chunk.splitlines())
                    else ""
                )
                message = f"SyntaxError: {py2.syntax_message(error.msg, bad)}"
                before = _before_stray_line(chunk, error)
                if before is not None:  # the definitions end before the error: only the stray lines are lost
                    pieces.append((offset, *before))
                    sub.problems.append(
                        Problem(
                            filename,
                            lineno,
                            message + " (outside any function: the lines from here to the next definition are ignored)",
                            "syntax",
                        )
                    )
                    continue
                names = [n for n in _DEF_NAME.findall(chunk) if n in graded] or [None]
                for name in names:
                    sub.problems.append(Problem(filename, lineno, message, "syntax", name))
    for offset, chunk, tree in pieces:
        lines = chunk.splitlines(keepends=True)
        for node in tree.body:
            if not _keep(node):
                sub.dropped += 1
                continue
            start, source = _segment(lines, node)
            sub.statements.append(Statement(source, filename, offset + start - 1))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in graded:
                sub.defined[node.name] = f"{filename}, line {offset + node.lineno - 1}"
                sub.sources[node.name] = source


def _blank_magics(lines: list[str]) -> str:
    """IPython-only lines become blank, so that line numbers stay true."""
    return "\n".join("" if _MAGIC_LINE.match(line) else line for line in lines) + "\n"


def load_submission(path: str | Path, assignment: Pack | str | None = None) -> Submission:
    """Read a submission; a student's fault is recorded in it, an instructor's is a GraderError.

    `assignment`: the pack to read it for, its name, or None / "auto" to recognise it from the
    functions the submission defines (`sub.pack` says which)."""
    given = str(path)
    path = Path(path)
    if not os.path.lexists(path):  # a link loop or a broken link exists, as a link: the student's to fix
        raise GraderError(f"no such submission: {given}")
    kind = intake.what(path)  # None: a regular file or a folder (by lstat)
    is_dir = kind is None and path.is_dir()
    sub = Submission(path=given, name=path.name if is_dir else path.stem)
    sub.pack = resolve_pack(assignment, []).name  # until the code is read: the named pack, or the default
    if kind is not None:  # never opened, never followed: a FIFO would hang, a link may point at the answer key
        sub.fatal = (
            f"{path.name} is a symbolic link, not a file; submit the file itself"
            if kind in ("a link to a file", "a link to a folder")
            else f"{path.name} is {kind}, not a file or a folder"
        )
        return sub
    tree = None
    if is_dir:
        try:
            tree = intake.survey(path)
        except intake.Refused as error:
            sub.fatal = str(error)
            return sub
        chosen, notice = pick_file(path, tree)
        ignored = tree.ignored_note()
        if ignored:
            sub.problems.append(Problem(path.name, None, ignored, "notice"))
        if chosen is None:
            links = [f"{rel} is {kind}" for rel, kind in tree.ignored if Path(rel).suffix.lower() in SUFFIXES]
            sub.fatal = "the submission folder holds no .py or .ipynb file" + (
                f" ({'; '.join(links[:3])}, never followed: submit the file itself)" if links else ""
            )
            return sub
        if notice:
            sub.problems.append(Problem(path.name, None, notice, "notice"))
        path = chosen
    if path.suffix.lower() not in SUFFIXES:
        suffix = ".tar.gz" if path.name.lower().endswith(".tar.gz") else path.suffix.lower()
        sub.fatal = (
            f"{path.name} is not a submission{f' ({suffix})' if suffix else ''}: "
            "it is neither a .py file nor a .ipynb notebook"
        )
        return sub
    sub.source_file = path
    sources: list[tuple[str, str]] = []  # (filename, code) to parse once the assignment is known
    try:
        data = tree.read(path.relative_to(tree.root).as_posix()) if tree is not None else intake.read_file(path)
        if path.suffix.lower() == ".ipynb":
            cells = notebook_cells(data)
            code = [source for kind, source in cells if kind == "code"]
            sub.texts += [(f"{path.name} [markdown]", source) for kind, source in cells if kind == "markdown"]
            for number, cell in enumerate(code, start=1):
                sub.texts.append((f"{path.name} [cell {number}]", cell))
                stripped = strip_magics(cell)
                if stripped is not None:
                    sources.append((f"{path.name} [cell {number}]", stripped))
        else:
            text = python_text(data)
            sub.texts.append((path.name, text))
            sources.append((path.name, text))
        chars = sum(len(text) for _, text in sources)
        if chars > intake.LIMITS.code_chars:
            raise ValueError(f"its code is {chars:,} characters, over the limit of {intake.LIMITS.code_chars:,}")
        surrogate = not_text(sub.texts)
        if surrogate:
            raise ValueError(surrogate)
    except intake.Refused as error:
        sub.fatal = str(error)
    except (ValueError, OSError) as error:
        sub.fatal = f"{path.name}: {error}"
    if sub.fatal:  # nothing of a file that could not be read is parsed, recognised or searched
        sub.texts, sources = [], []
        return sub
    texts = [text for _, text in sources]
    oversize = too_large(texts)
    if oversize:
        sub.fatal = oversize
        return sub
    pack = resolve_pack(assignment, texts)
    sub.pack = pack.name
    other = packs.recognise(texts)
    if other is not pack and other.recognise(texts) > pack.recognise(texts):  # told which, and it looks like another
        sub.problems.append(
            Problem(
                path.name,
                None,
                f"this file defines the functions of '{other.title}' "
                f"(assignment {other.name}), but it is graded as '{pack.title}' ({pack.name}), "
                "the assignment this grading is set to",
                "notice",
            )
        )
    for filename, text in sources:
        _add_source(sub, text, filename, pack)
    supply_course_names(sub, path.name, pack)
    note_python2(sub)
    return sub


def note_python2(sub: Submission) -> None:
    """One load note when the code looks like Python 2 (py2.py), naming each construct where it first appears."""
    found = [
        (where, line, what, advice)
        for where, text in sub.texts
        if not where.endswith("[markdown]")
        for line, what, advice in py2.signs(text)
    ]
    if found:
        sub.problems.append(Problem(Path(sub.path).name, None, py2.load_note(found), "notice"))


def resolve_pack(assignment: Pack | str | None, texts: list[str]) -> Pack:
    return assignment if isinstance(assignment, Pack) else packs.resolve(assignment, texts)


def supply_course_names(sub: Submission, shown: str, pack: Pack | None = None) -> None:
    """The course's helpers and np for code that uses them without an import that survived (the pack's
    `supply_names`), run first under the filename SUPPLIED."""
    from grader.sandbox import numpy_compat  # NumPy 1.x's removed names, for every pack

    pack = pack or packs.resolve(sub.pack or None)
    sources = [s.source for s in sub.statements]
    first, notes = pack.supply_names(sources)
    compat, compat_notes = numpy_compat.supply(sources)
    first, notes = compat + first, compat_notes + notes
    sub.statements[:0] = [Statement(source + "\n", SUPPLIED, i) for i, source in enumerate(first, start=1)]
    sub.problems += [Problem(shown, None, note, "notice") for note in notes]


def from_source(
    source: str, filename: str = "<notebook>", name: str = "notebook", assignment: Pack | str | None = None
) -> Submission:
    """A submission made of source text, for grading one function from inside a notebook."""
    sub = Submission(path=filename, name=name)
    sub.texts.append((filename, source))
    pack = resolve_pack(assignment, [source])
    sub.pack = pack.name
    _add_source(sub, source, filename, pack)
    return sub
