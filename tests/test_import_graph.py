"""No import circles between the grader's modules.

Every module under grader/ (found by walking the folder, so sub-packages count as they are added) is read
with `ast`; each import, at module level or inside a function, is an edge to the grader module it names.
Two kinds of import are left out: those under `if TYPE_CHECKING:` (never run), and a function-level
import whose line says `# cycle-ok: <why>`, the one way to allow a circle on purpose (the reason is
required; today only `grader.check`, the public front door, which must not import torch with `grader`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = "# cycle-ok:"


def modules(package: Path) -> dict[str, Path]:
    """Dotted name -> file of every module in `package` (a folder named like the package)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    return any(isinstance(n, ast.Name | ast.Attribute) and getattr(n, "id", getattr(n, "attr", "")) == "TYPE_CHECKING"
               for n in ast.walk(node.test))


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, bool, str]]:
    """(imported module, line, inside a function, the reason after MARKER or "") for every grader import."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other, in_function)
                continue
            targets = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from . import x, from ..y import z
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in child.names]
            for target in targets:
                while target and target not in known:  # `import grader.x.y` of a name inside a module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    line = lines[child.lineno - 1]
                    reason = line.split(MARKER, 1)[1].strip() if MARKER in line else ""
                    found.append((target, child.lineno, in_function, reason))
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(ast.parse(source, str(path)), False)
    return found


def graph(package: Path) -> dict[str, set[str]]:
    """Each module's imports, less the allowed ones (TYPE_CHECKING, a function-level `# cycle-ok: why`)."""
    known = modules(package)
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        edges[name] = {target for target, _, in_function, reason in imports(name, path, known)
                       if not (in_function and reason)}
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One circle (a -> b -> ... -> a) through each strongly connected group of modules (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(edges):
        if v not in index:
            connect(v)
    found = []
    for group in groups:  # the shortest way back from the group's first module, for the message
        start = min(group)
        paths = {start: [start]}
        queue = [start]
        while queue:
            v = queue.pop(0)
            for w in sorted(edges[v] & group):
                if w == start:
                    found.append(paths[v] + [start])
                    queue = []
                    break
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    queue.append(w)
    return found


def test_no_import_circles_in_the_grader():
    found = circles(graph(ROOT / "grader"))
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_an_allowed_lazy_import_names_its_reason():
    """`# cycle-ok:` with nothing after it allows nothing, and it is never accepted at module level."""
    known = modules(ROOT / "grader")
    for name, path in known.items():
        for target, line, in_function, reason in imports(name, path, known):
            text = path.read_text(encoding="utf-8").splitlines()[line - 1]
            if MARKER in text:
                assert in_function and reason, f"{path.relative_to(ROOT)}:{line}: {MARKER} needs a reason, in a function"


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "pkg"


@pytest.mark.parametrize("a, b", [
    ("from pkg.stage import b\n", "import pkg.a\n"),                       # module level, a sub-package
    ("def f():\n    from pkg.stage.b import g\n", "from pkg import a\n"),  # a function-level import counts
    ("from .stage import b\n", "from ..a import f\n"),                     # relative imports
])
def test_the_scan_finds_a_circle_and_names_it(tmp_path, a, b):
    package = _package(tmp_path, {"__init__.py": "", "a.py": a, "stage/__init__.py": "", "stage/b.py": b})
    assert circles(graph(package)) == [["pkg.a", "pkg.stage.b", "pkg.a"]]


def test_type_checking_and_a_reasoned_lazy_import_are_not_circles(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "", "stage/__init__.py": "",
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.stage.b import g\n",
        "stage/b.py": "import pkg.a\ndef f():\n    from pkg import c  # cycle-ok: the test's reason\n",
        "c.py": "from pkg.stage import b\n",
    })
    assert circles(graph(package)) == []
    (package / "stage" / "b.py").write_text("import pkg.a\ndef f():\n    from pkg import c  # cycle-ok:\n")
    assert circles(graph(package)) == [["pkg.c", "pkg.stage.b", "pkg.c"]]  # no reason, no allowance
