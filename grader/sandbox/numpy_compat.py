"""The course's NumPy (1.x) for course code run under NumPy 2: the names NumPy removed, served again.

Students' notebooks ran under NumPy 1.x (1.13 to 1.2x in the courses' images); the sandbox runs the
NumPy installed with the grader (2.x). Code that was right there must not lose points here for a name
NumPy has since removed: `np.float(...)` now raises AttributeError. So, for every pack, a submission
that uses one of the removed names below, through an alias it bound to numpy (`import numpy as np`,
`import numpy`), gets a statement run first in the sandbox (loader.supply_course_names) that puts
exactly those names back on the numpy module, as NumPy 1.x defined them, and a load note that says so.
A name the running NumPy still has is left alone (nothing changes under NumPy 1.x).

`float()` of a one-element array (NumPy 1.x converted it; 1.25 deprecated it, 2.x raises TypeError) is
served as `FLOAT_CLASS`: Python's float, except that a one-element array converts as NumPy 1.x did.
`np.float` is that class (in NumPy 1.x it was Python's float itself, which converted one element). A
pack whose course template calls the builtin `float()` on arrays binds it too (pack 2's course_float.py).

Semantics NumPy 2 changed without a name to serve (storing a one-element array into one element of an
array, ragged lists made into object arrays) cannot be given back by a name; a pack that knows where its
course code relies on them says so in its feedback (pack 2: conv_step_by_step/end_to_end.py, notices.py).
Runs inside the sandbox as student code would: it only sets attributes on the numpy module of that job.
"""

from __future__ import annotations

import ast
import re

FLOAT_CLASS = '''\
class _CourseFloatType(type(float)):
    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.__mro__[1])
    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.__mro__[1])
class {name}(float, metaclass=_CourseFloatType):
    """The builtin float, with NumPy 1.x's float() of a one-element array (the course's float(b))."""
    dtype = __import__("numpy").dtype("float64")
    def __new__(cls, x=0.0):
        if hasattr(x, "ndim") and hasattr(x, "size") and x.ndim > 0 and x.size == 1:
            x = x.reshape(())
        return cls.__mro__[1](x)
'''

# name -> (the expression, evaluated with `np` the numpy module and `_float` the class above, that NumPy 1.x
# gave it; when NumPy removed it)
REMOVED: dict[str, tuple[str, str]] = {
    "float": ("_float", "1.24"),
    "int": ("int", "1.24"),
    "object": ("object", "1.24"),
    "complex": ("complex", "1.24"),
    "str": ("str", "1.24"),
    "long": ("int", "1.24"),
    "unicode": ("str", "1.24"),
    "asscalar": ("lambda a: a.item()", "1.23"),
    "float_": ("np.float64", "2.0"),
    "complex_": ("np.complex128", "2.0"),
    "unicode_": ("np.str_", "2.0"),
    "string_": ("np.bytes_", "2.0"),
    "NaN": ("np.nan", "2.0"),
    "NAN": ("np.nan", "2.0"),
    "Inf": ("np.inf", "2.0"),
    "Infinity": ("np.inf", "2.0"),
    "infty": ("np.inf", "2.0"),
    "PINF": ("np.inf", "2.0"),
    "NINF": ("-np.inf", "2.0"),
    "product": ("np.prod", "2.0"),
    "cumproduct": ("np.cumprod", "2.0"),
    "sometrue": ("np.any", "2.0"),
    "alltrue": ("np.all", "2.0"),
    "round_": ("np.round", "2.0"),
    "in1d": ("np.isin", "2.4"),
    "asfarray": (
        "lambda a, dtype=np.float64: np.asarray(a, dtype=dtype if np.dtype(dtype).kind in 'fc' else np.float64)",
        "2.0",
    ),
    "msort": ("lambda a: np.sort(a, axis=0)", "2.0"),
    "trapz": ("np.trapezoid", "2.4"),
}
FUNCTION = "__grader_numpy_compat__"


def _numpy_aliases(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name for a in node.names if a.name == "numpy"}
    return names


# `.name` for a removed name, with what Python allows between the dot and the name (spaces, a line's
# continuation, a comment and a new line inside brackets): a source without it has no such attribute.
_MAYBE = re.compile(r"\.(?:[ \t\f\r\n\\]|#[^\n]*)*(?:" + "|".join(REMOVED) + r")\b")


def used_names(sources: list[str]) -> list[str]:
    """The removed names the code reaches as an attribute of numpy (`np.float`, `numpy.asscalar`), in order.

    Parsing and walking every submission twice was a tenth of the trusted side's CPU per submission,
    for the few that use one: an ASCII source that the pattern does not match is skipped (a non-ASCII
    one may spell a name with characters that Python normalises to it, so it is always parsed)."""
    if all(source.isascii() and not _MAYBE.search(source) for source in sources):
        return []
    trees = []
    for source in sources:
        try:
            trees.append(ast.parse(source))
        except SyntaxError:
            continue
    aliases = {"np", "numpy"}.union(*(_numpy_aliases(t) for t in trees)) if trees else {"np", "numpy"}
    found: list[str] = []
    for tree in trees:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr in REMOVED
                and node.attr not in found
            ):
                found.append(node.attr)
    return sorted(found, key=list(REMOVED).index)


def statement(names: list[str]) -> str:
    """Source that sets exactly `names` on the numpy module where the running NumPy lacks them."""
    table = ", ".join(f"{n!r}: lambda: {REMOVED[n][0]}" for n in names)
    body = FLOAT_CLASS.format(name="_float").replace("\n", "\n    ")
    return (
        f"def {FUNCTION}():\n    import numpy as np\n    {body}\n"
        f"    for name, value in {{{table}}}.items():\n"
        "        if name not in np.__dict__:\n"
        "            try:\n"
        "                setattr(np, name, value())\n"
        "            except AttributeError:\n"
        "                pass\n"
        f"{FUNCTION}()\ndel {FUNCTION}\n"
    )


def note(names: list[str]) -> str:
    shown = ", ".join(f"np.{n} (removed in NumPy {REMOVED[n][1]})" for n in names)
    return (
        f"your code uses {shown}, which the course's NumPy 1.x had and the NumPy this grader runs "
        f"no longer does: the grader serves {'it' if len(names) == 1 else 'them'} as NumPy 1.x defined "
        f"{'it' if len(names) == 1 else 'them'} (np.float is Python's float, np.int Python's int, ...) so that "
        "the code runs as it did in the course"
    )


def supply(sources: list[str]) -> tuple[list[str], list[str]]:
    """The statement and its load note when the code uses a removed name; nothing otherwise."""
    names = used_names(sources)
    return ([statement(names)], [note(names)]) if names else ([], [])
