"""Which arguments a graded function may change, and how to say what a change it made was.

Most in-place changes are bugs in the course's contract: a backward step that writes into the `dA` or
cache it was given corrupts values its caller still uses, and a forward step that changes its inputs
changes the caller's data. One is not: every notebook before 2021 wrote `update_parameters` to update
the dict it was given (rebinding its entries, or `-=` on its arrays) and return it. Such a change
earns a note that says what the code did, never a lost point.

What the code did cannot be seen from the values alone (the sandbox sends plain arrays back, so a
rebound entry and an array written into look the same), so the note reads the function's source.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from grader import END_TO_END
from grader.judge.compare import Mismatch, changed_inputs

MAY_CHANGE: dict[str, tuple[str, ...]] = {  # unit -> arguments it may change without losing points
    "update_parameters": ("parameters",),
    END_TO_END: ("parameters",),  # the chain's update_parameters, on the same dict
}
_SHALLOW = {"copy", "dict"}  # params.copy(), dict(params), copy.copy(params)
_OPS = {ast.Sub: "-", ast.Add: "+", ast.Mult: "*", ast.Div: "/"}


def judge_changes(unit: str, names: tuple[str, ...], before: tuple, after) -> tuple[list[Mismatch], list[str]]:
    """(the changes that cost points, the names of the arguments changed without cost)."""
    allowed = MAY_CHANGE.get(unit, ())
    found = changed_inputs(names, before, after)
    return [m for m in found if m.path not in allowed], [m.path for m in found if m.path in allowed]


# --- what the source does ---------------------------------------------------------------------------
@dataclass(frozen=True)
class UpdateStyle:
    """How an update_parameters changes the parameters it was given, read from its source."""

    rebinds: bool = False  # parameters["W1"] = ... on the given dict (or an alias of it)
    writes: bool = (
        False  # parameters["W1"] -= ... (or [:] =, out=) on the given arrays, through the dict or a shallow copy
    )
    shallow_copy: str = ""  # how the dict was copied first, if it was: "params.copy()"
    param: str = "parameters"
    example: str = ""  # the first line that does it, as the student wrote it


def _root(node: ast.AST) -> str | None:
    """The name a subscript chain starts from: parameters['W1'][0] -> parameters."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _depth(node: ast.AST) -> int:
    depth = 0
    while isinstance(node, ast.Subscript):
        node, depth = node.value, depth + 1
    return depth


def _copy_kind(value: ast.AST, sources: set[str]) -> str | None:
    """'alias', 'shallow' or 'deep' if `value` is the given dict, a copy of it, or None."""
    if isinstance(value, ast.Name) and value.id in sources:
        return "alias"
    if isinstance(value, ast.Call):
        func, args = value.func, value.args
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in sources
            and func.attr == "copy"
        ):
            return "shallow"
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if args and isinstance(args[0], ast.Name) and args[0].id in sources:
            if name == "deepcopy":
                return "deep"
            if name in _SHALLOW:
                return "shallow"
    if isinstance(value, ast.Dict) and value.keys and all(k is None for k in value.keys):  # {**params}
        if all(isinstance(v, ast.Name) and v.id in sources for v in value.values):
            return "shallow"
    return None


def update_style(source: str | None) -> UpdateStyle | None:
    """How the update_parameters defined in `source` treats its first argument; None if it cannot be read."""
    try:
        tree = ast.parse(source or "")
    except SyntaxError:
        return None
    function = next(
        (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "update_parameters"), None
    )
    if function is None or not function.args.args:
        return None
    param = function.args.args[0].arg
    aliases, shallow, shallow_text = {param}, set[str](), ""
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            kind = _copy_kind(node.value, aliases | shallow)
            bound = node.targets[0].id
            if kind == "alias" and bound not in shallow:
                aliases.add(bound)
            elif kind == "shallow":
                shallow.add(bound)
                shallow_text = shallow_text or ast.unparse(node.value)
            elif bound != param:
                aliases.discard(bound)
    examples: dict[str, str] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.AugAssign) and _root(node.target) in aliases | shallow and _depth(node.target) >= 1:
            examples.setdefault("writes", f"{ast.unparse(node.target)} {_OPS.get(type(node.op), '')}= ...")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                root, depth = _root(target), _depth(target)
                if root in aliases and depth == 1:
                    examples.setdefault("rebinds", f"{ast.unparse(target)} = ...")
                elif root in aliases | shallow and depth >= 2:  # parameters['W1'][:] = ...
                    examples.setdefault("writes", f"{ast.unparse(target)} = ...")
        elif isinstance(node, ast.Call) and any(
            k.arg == "out" and _root(k.value) in aliases | shallow for k in node.keywords
        ):
            examples.setdefault("writes", f"{ast.unparse(node.func)}(..., out=...)")
    writes, rebinds = "writes" in examples, "rebinds" in examples
    return UpdateStyle(
        rebinds, writes, shallow_text, param, examples["writes"] if writes else examples.get("rebinds", "")
    )


# --- the words ------------------------------------------------------------------------------------
def update_note(source: str | None, version_line: str = "") -> str:
    """The note for an update_parameters that changed the parameters it was given: what it did, and that it
    costs nothing."""
    style = update_style(source)
    if style and style.writes:
        via = (
            f" (it copies the dict first with {style.shallow_copy}, but that copies the dict, not its arrays)"
            if style.shallow_copy
            else ""
        )
        did = (
            f"Your update_parameters writes the new values into the arrays it was given ({style.example}){via}, "
            "so every other reference to those arrays, the caller's dict and, in the full chain, the caches "
            "of the forward pass, now holds the updated values."
        )
    elif style and style.rebinds:
        did = (
            f"Your update_parameters rebinds the entries of the dict it was given ({style.example}): "
            "after the call the caller's dict holds the new arrays; the old arrays themselves are not written into."
        )
    else:
        did = (
            "After the call, the parameters dict your update_parameters was given held the updated values "
            "(it rebinds the dict's entries or writes into its arrays)."
        )
    cost = (
        "This costs no points: the course's notebooks before 2021 updated the given dict themselves. "
        "The 2021 notebook starts from parameters = copy.deepcopy(params) so that the caller keeps the old values."
    )
    return " ".join(part for part in (did, cost, version_line) if part)


def returned_none_note(value, after, expected: dict) -> str | None:
    """An update that filled the given dict but returned None: say exactly that."""
    if value is not None or not isinstance(after, (tuple, list)) or not after or not isinstance(after[0], dict):
        return None
    given = after[0]
    if given.keys() != expected.keys():
        return None
    for key, want in expected.items():
        got = given[key]
        if (
            not isinstance(got, np.ndarray)
            or got.shape != want.shape
            or not np.allclose(got, want, rtol=1e-4, atol=1e-7)
        ):
            return None
    return (
        "update_parameters returned None, yet the dict it was given held the right updated values after the "
        "call: the update is right, only the return is missing (end it with return parameters)."
    )


def unchanged_note(value, given: dict, expected: dict) -> str | None:
    """An update that returned exactly the parameters it was given (an unfilled template): say that, no more."""
    if not isinstance(value, dict) or value.keys() != given.keys():
        return None
    same = all(
        isinstance(value[k], np.ndarray) and value[k].shape == given[k].shape and np.array_equal(value[k], given[k])
        for k in given
    )
    if not same or all(np.array_equal(given[k], expected[k]) for k in given):
        return None
    return "update_parameters returned the parameters it was given, every one unchanged: no layer was updated."


def change_notes(
    unit: str, names: tuple[str, ...], inputs: list, returned: dict, source: str | None, version_line: str = ""
) -> list[str]:
    """The notes a test gets for the changes it was allowed to make (once per test, not per case)."""
    if unit != "update_parameters":
        return []
    notes: list[str] = []
    for case in inputs:
        got = returned.get(case.index) or {}
        unchanged = unchanged_note(got.get("value"), case.args[0], case.expected) if got.get("status") == "ok" else None
        if unchanged and unchanged not in notes:
            notes.append(unchanged)
        after = got.get("args_after")
        if after is None:
            continue
        if not notes and judge_changes(unit, names, case.args, after)[1]:  # (what it allowed; asked until a note)
            notes.append(update_note(source, version_line))
        none = returned_none_note(got.get("value", 0), after, case.expected) if got.get("status") == "ok" else None
        if none and none not in notes:
            notes.append(none)
    return notes
