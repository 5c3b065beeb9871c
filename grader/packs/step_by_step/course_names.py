"""How the course's helpers reach a submission, whatever the notebook did to get them.

Older notebooks ran the helpers with `%run dnn_utils_v2.py` (or `%run testCases_v2.py`) instead of
importing them; a copy may also have lost its import cell, or kept it in a cell that no longer runs.
Either way a correct `linear_activation_forward` would die on `NameError: name 'relu' is not
defined`, costing two correct functions. So:

- a `%run` of a course module (or the `get_ipython()` call a .py export makes of it) becomes
  `from <module> import *`, which is what running it in the notebook's namespace gave;
- names the course provides (`sigmoid`, `relu`, `sigmoid_backward`, `relu_backward`, `np`, `copy`)
  that the code uses but no surviving statement binds get a statement of the grader's own, run first,
  that imports the course's version, and a load note says so. An import from a course module that
  asks for a name the module lacks (`from dnn_utils_v2 import load_data, relu`) fails as a whole, so
  it counts as binding nothing.

Nothing here executes student code: names are read with `symtable` and `ast`.
"""

from __future__ import annotations

import ast
import builtins
import re
import symtable
from pathlib import PurePosixPath

from grader.sandbox.guard import STAND_INS as GENERIC_STAND_INS

COURSE_HELPERS = ("dnn_utils", "dnn_utils_v2", "dnn_utils_v3")  # served as the pack's dnn_utils.py
COURSE_STAND_INS = (  # the course's test and data modules: harmless stand-ins in the sandbox
    "testCases",
    "testCases_v2",
    "testCases_v3",
    "testCases_v4",
    "testCases_v4a",
    "public_tests",
    "test_utils",
    "lr_utils",
    "planar_utils",
    "dnn_app_utils",
    "dnn_app_utils_v2",
    "dnn_app_utils_v3",
)
STAND_INS = COURSE_STAND_INS + GENERIC_STAND_INS

HELPERS = ("sigmoid", "relu", "sigmoid_backward", "relu_backward")
SOURCE = "<course helpers>"  # the filename of the grader's own statements (never a student's file)
_RUN = re.compile(r"^%run\s+(?:-\w+\s+)*(['\"]?)(?P<path>[^'\"\s]+)\1\s*(?:#.*)?$")
_RUN_CALL = re.compile(
    r"""^get_ipython\(\)\.(?:run_line_magic\(\s*u?['"]run['"]\s*,\s*u?['"](?P<a>[^'"]+)['"]\s*\)"""
    r"""|magic\(\s*u?['"]run\s+(?P<b>[^'"]+)['"]\s*\))\s*(?:#.*)?$"""
)
_PROVIDED = {
    "np": "import numpy as np",
    "numpy": "import numpy",
    "copy": "import copy",
}  # the course's first cell (copy: v1.2)


def _module_of(path: str) -> str:
    name = PurePosixPath(path.strip().replace("\\", "/")).name
    return name[:-3] if name.endswith(".py") else name


def translate_runs(text: str, where: str) -> tuple[str, list[tuple[int, str]]]:
    """`%run` lines of course modules become star imports (same line numbers); (text, [(line, note)])."""
    lines, notes = text.splitlines(), []
    for i, line in enumerate(lines):
        stripped = line.strip()
        match = _RUN.match(stripped) if stripped.startswith("%run") else _RUN_CALL.match(stripped)
        if not match or line[:1].isspace():
            continue
        path = (
            match.group("path")
            if "path" in match.groupdict() and match.group("path")
            else (match.group("a") or match.group("b") or "").split()[-1]
        )
        module = _module_of(path)
        if module in COURSE_HELPERS or module in STAND_INS:
            lines[i] = f"from {module} import *"
            notes.append((i + 1, f"{stripped} runs the course's {module}: graded as `from {module} import *`"))
        else:
            notes.append(
                (
                    i + 1,
                    f"{stripped} was not run: the grader runs only the submission itself, "
                    "so whatever it defines is missing unless the submission defines it too",
                )
            )
    return "\n".join(lines) + ("\n" if text.endswith("\n") else ""), notes


# --- which names the program uses and binds -------------------------------------------------------------
def _course_names() -> frozenset[str]:
    """The names the sandbox's dnn_utils (served as dnn_utils, dnn_utils_v2, dnn_utils_v3) provides."""
    from . import dnn_utils

    return frozenset(n for n in vars(dnn_utils) if not n.startswith("_"))


def _failing_import(tree: ast.Module) -> str | None:
    """A statement that imports from a course module a name it does not have: it binds nothing at all."""
    node = tree.body[0] if len(tree.body) == 1 else None
    if isinstance(node, ast.ImportFrom) and node.module and node.module.rsplit(".", 1)[-1] in COURSE_HELPERS:
        unknown = [a.name for a in node.names if a.name != "*" and a.name not in _course_names()]
        if unknown:
            return f"`{ast.unparse(node)}` fails, since the course's {node.module} has no {', '.join(unknown)}"
    return None


def _scan(table: symtable.SymbolTable, used: set[str]) -> None:
    for child in table.get_children():
        for symbol in child.get_symbols():
            if symbol.is_referenced() and symbol.is_global():
                used.add(symbol.get_name())
        _scan(child, used)


def names(sources: list[str]) -> tuple[set[str], set[str], set[str], list[str]]:
    """(globals the code uses, names bound at top level, modules star-imported, imports that will fail)."""
    used, bound, stars, failing = set(), set(), set(), []
    for source in sources:
        try:
            table = symtable.symtable(source, "<s>", "exec")
            # Only a statement with "import" in its text can import; most are function definitions, and
            # parsing and walking each of them again was a twentieth of grading a submission.
            tree = ast.parse(source) if "import" in source else None
        except (SyntaxError, ValueError):
            continue
        fails = _failing_import(tree) if tree is not None else None
        if fails:
            failing.append(fails)
        for symbol in table.get_symbols():
            if symbol.is_referenced():
                used.add(symbol.get_name())
            if (symbol.is_imported() and not fails) or symbol.is_assigned() or symbol.is_namespace():
                bound.add(symbol.get_name())
        _scan(table, used)
        for node in ast.walk(tree) if tree is not None and "*" in source else ():
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names) and node.module:
                stars.add(node.module.rsplit(".", 1)[-1])
    return used, bound, stars, failing


def supply(statements: list[str]) -> tuple[list[str], list[str]]:
    """What the grader adds before the submission's own statements, and the load notes that say so.

    Only names the code uses and no surviving statement binds are supplied; an import from a course
    module that asks for a name the module lacks fails as a whole, so it binds nothing.
    """
    used, bound, stars, failing = names(statements)
    if any(module in COURSE_HELPERS for module in stars):  # `from dnn_utils import *` gives all of them, and np
        bound |= set(HELPERS) | {"np"}
    builtin = set(dir(builtins))
    first, notes = [], []
    missing = [n for n in HELPERS if n in used and n not in bound and n not in builtin]
    if missing:
        first.append(f"from dnn_utils import {', '.join(missing)}")
        why = failing[0] if failing else "a deleted or failed import cell, or a %run the grader does not run"
        notes.append(
            f"your code uses {', '.join(missing)} without an import of {'them' if len(missing) > 1 else 'it'} that "
            f"survived ({why}): the grader supplied the course's own from dnn_utils (`{first[-1]}`)"
        )
    for name, statement in _PROVIDED.items():
        if name in used and name not in bound:
            first.append(statement)
            notes.append(
                f"your code uses {name} without importing it (an import cell that was deleted or did not run): "
                f"the grader added `{statement}`"
            )
    return first, notes
