"""`float(b)` as the course's NumPy does it, for code that follows the template under NumPy 2.

The course passes conv_single_step its bias as a (1, 1, 1) array, and the template says "Cast b to a
float() so that Z results in a scalar value": `Z = Z + float(b)`. NumPy deprecated float() of an array
with ndim > 0 in 1.25, and NumPy 2.x (2.4.6 here) raises TypeError; the course's own NumPy (1.x)
converted it. Passing b in another shape would not help: `b[0, 0, 0]` and `b[0][0][0]`, which copies
also write, would then fail instead.

The class is the engine's (grader/sandbox/numpy_compat.py, which serves it as `np.float` to every pack);
binding the builtin name `float` is this pack's choice, since its template calls float() on arrays.
So the pack keeps the course's b and, for a submission that calls float() and binds no `float` of its
own, supplies this statement first (`Pack.supply_names`): a `float` that converts a one-element array
as NumPy 1.x did and is the builtin in every other respect (the same results, `isinstance(x, float)`,
`dtype=float` is float64). Arrays of more than one element are refused exactly as before.
"""

from __future__ import annotations

import ast

from grader.sandbox.numpy_compat import FLOAT_CLASS

STATEMENT = FLOAT_CLASS.format(name="float")  # the engine's class (grader/sandbox/numpy_compat.py), bound as float

NOTE = (
    "your code calls float(), which the template uses for the bias (`Z = Z + float(b)`, b of shape (1, 1, 1)); "
    "NumPy 2 refuses float() of an array that is not 0-d, the course's NumPy 1.x accepts one element: "
    "the grader gives float() NumPy 1.x's rule so that this line works as it does in the course"
)


def _calls_and_binds(sources: list[str]) -> tuple[bool, bool]:
    calls = binds = False
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float":
                calls = True
            elif isinstance(node, ast.Name) and node.id == "float" and isinstance(node.ctx, ast.Store):
                binds = True
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == "float":
                binds = True
            elif isinstance(node, ast.alias) and (node.asname or node.name) == "float":
                binds = True
    return calls, binds


def supply(sources: list[str]) -> tuple[list[str], list[str]]:
    """The statement and its note when the code calls float() and does not define float itself."""
    calls, binds = _calls_and_binds(sources)
    return ([STATEMENT], [NOTE]) if calls and not binds else ([], [])
