"""Grade one function from inside a notebook: `from grader import check; check(linear_backward)`.

The function is not run here. Its source (`inspect.getsource`, which Jupyter supports through its
cell cache) and the sources of the notebook's own functions it calls become a small submission: one
import line per module or imported helper it uses, simple constants, then the definitions. That goes
through the same loader, sandbox, comparison and feedback as `backprop-grader check`, on the public
seed, so the student sees what the grader will say about that function.
"""

from __future__ import annotations

import atexit
import inspect
import re
import sys
import textwrap
import types
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import END_TO_END, packs, safe_text
from grader.errors import GraderError
from grader.judge.rubric import Rubric, load_rubric
from grader.load.loader import Problem, Submission, from_source, supply_course_names
from grader.pack import Pack

if TYPE_CHECKING:  # imported where a Grader is made: it loads the sandbox's client
    from grader.judge.grade import Grader

PUBLIC_SEED = 0  # the seed `backprop-grader check` uses by default
NOTEBOOK = "<notebook>"
_LITERALS = (bool, int, float, complex, str, bytes, type(None))
_GRADERS: dict[tuple, Grader] = {}
_IPYTHON_INPUT = re.compile(r"^<ipython-input-(\d+)-[0-9a-f]+>$")


def check(
    function,
    namespace: dict | None = None,
    *,
    seed: int = PUBLIC_SEED,
    device: str = "auto",
    rubric: str | Path | Rubric | None = None,
    show: bool = True,
):
    """Grade one graded function (or "end_to_end") and show its feedback; returns its TestResult.

    `function` is the function itself or its name; `namespace` (default: the function's globals, or
    the notebook's) is where the functions it calls are looked up. Under IPython the report is a
    notebook display (grader/frontends/notebook_display.py), elsewhere the terminal's. Anything that is not a
    gradable function gets a one-line message and None (`show=False`: a GraderError instead).
    """
    try:
        return _check(function, namespace, seed, device, rubric, show)
    except GraderError as error:  # the student's or the instructor's usage, never the grader's own fault
        if not show:
            raise
        from grader.frontends.notebook_display import Message
        from grader.frontends.notebook_display import show as display

        display(Message(str(error)))
        return None


def _check(function, namespace, seed, device, rubric, show):
    from grader.judge.results import TestResult

    name, root, namespace = _resolve(function, namespace)
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    pack = pack_for(name, namespace, rubric.assignment)
    sub = submission_from_namespace(name, namespace, root, pack)
    grader = _grader(seed, device, rubric, pack)
    if sub.defined:
        report = grader.grade_submission(sub, only=(name,))
    else:  # nothing to run: say so in the notebook's terms, not the whole submission's
        report = grader.new_report(NOTEBOOK)
        missing = ", ".join(pack.chain) if name == END_TO_END else name
        report.fatal = (
            f"{missing} is not defined here: run the cell that defines it, or pass the namespace that holds it."
        )
    test = report.test(name)
    if test is None:  # the submission could not be graded at all
        points = float(grader.rubric.units[name].points)
        test = TestResult(name, name, points, problem=report.fatal, feedback=report.fatal or "")
    if show:
        from grader.frontends.notebook_display import CheckDisplay, in_ipython
        from grader.frontends.notebook_display import show as display

        shown = replace(report, submission=f"{name} (from the notebook)", max_score=test.max_score)
        if in_ipython():
            display(CheckDisplay(shown, test))
        else:
            from grader.report.render_terminal import print_report

            print_report(shown)
    return test


def _resolve(function, namespace: dict | None) -> tuple[str, object, dict]:
    """The unit to grade, the live function (None: by name) and where its helpers live; a GraderError
    in one line, naming what was given, for anything that is not one of the student's graded functions."""
    if namespace is None:
        globals_ = getattr(function, "__globals__", None) if isinstance(function, types.FunctionType) else None
        namespace = globals_ or vars(sys.modules["__main__"])  # the notebook's own namespace under Jupyter
    if isinstance(function, str) and function in packs.all_units():
        return function, None, namespace
    if isinstance(function, types.FunctionType) and function.__name__ in packs.all_units():
        return function.__name__, function, namespace
    defined = namespace if isinstance(namespace, dict) else {}
    pack = max(
        packs.all_packs(), key=lambda p: (sum(callable(defined.get(f)) for f in p.functions), p.name == packs.DEFAULT)
    )
    example = next((u for u in pack.functions if callable(defined.get(u))), pack.functions[0])
    raise GraderError(
        f"check() takes one of your graded functions, e.g. check({example}); got {_what(function, pack)}."
    )


def _what(value, pack: Pack) -> str:
    """What a student passed to check(), in their words: 'the string 'foo'', 'dot from numpy', 'a lambda'."""
    if isinstance(value, str):
        shown = safe_text.cap(repr(value), 80)
        return f"the string {shown}, which names no graded function (graded: {', '.join(pack.units)})"
    if value is None:
        return "None"
    if isinstance(value, types.FunctionType) and value.__name__ == "<lambda>":
        return "a lambda: define the function with def and its graded name"
    if isinstance(value, types.FunctionType):
        return f"your function {safe_text.cap(value.__name__, 80)}, which is not graded"
    if isinstance(value, type):
        return f"the class {safe_text.cap(value.__name__, 80)}"
    if callable(value):
        name, module = getattr(value, "__name__", None), getattr(value, "__module__", None)
        if isinstance(name, str):
            return (
                f"{safe_text.cap(name, 80)}"
                + (f" from {safe_text.cap(module, 80)}" if isinstance(module, str) else "")
                + ", which is not a function of yours"
            )
    return f"{safe_text.cap(repr(value), 80)} (a {type(value).__name__})"


def pack_for(name: str, namespace: dict, assignment: str = packs.AUTO) -> Pack:
    """The assignment `name` belongs to: the rubric's, else the one pack that grades it, else (a name
    several packs grade, such as end_to_end) the one whose functions the namespace defines most of."""
    if assignment != packs.AUTO:
        pack = packs.get(assignment)
        if name not in pack.units:
            raise GraderError(f"{name!r} is not graded in {pack.name}; check one of: {', '.join(pack.units)}")
        return pack
    owners = [pack for pack in packs.all_packs() if name in pack.units]
    if len(owners) == 1:
        return owners[0]
    return max(owners, key=lambda p: (sum(callable(namespace.get(f)) for f in p.functions), p.name == packs.DEFAULT))


def _grader(seed: int, device: str, rubric: Rubric, pack: Pack):
    """One Grader per (seed, device, rubric, assignment), kept for the session: the oracle's answers are paid once."""
    from grader.judge.grade import Grader

    key = (seed, device, rubric.fingerprint(), pack.name)
    if key not in _GRADERS:
        if not _GRADERS:
            atexit.register(close_graders)
        from grader.frontends.notebook_display import in_ipython

        # a student's own check runs anyway; in a notebook the report's card says so in one line, not a stderr block
        weak = "allow" if in_ipython() else "warn"
        _GRADERS[key] = Grader(rubric, seed=seed, device=device, weak_sandbox=weak, pack=pack)
    return _GRADERS[key]


def close_graders() -> None:
    """Stop the sandboxes of every cached Grader (run at exit)."""
    while _GRADERS:
        _GRADERS.popitem()[1].close()


# --- from live functions back to source ---------------------------------------------------------
def submission_from_namespace(name: str, namespace: dict, root=None, pack: Pack | None = None) -> Submission:
    """The submission that defines `name` (or the whole chain, for end_to_end), from live objects."""
    pack = pack or pack_for(name, namespace)
    roots = list(pack.chain) if name == END_TO_END else [name]
    collector = _Collector(namespace)
    for unit in roots:
        obj = root if root is not None and unit == name else namespace.get(unit)
        if obj is not None:
            collector.add_root(unit, obj)
    sub = Submission(path=NOTEBOOK, name="notebook", pack=pack.name)
    pieces = [("\n".join(collector.imports) + "\n", "<imports>")] if collector.imports else []
    pieces += collector.sources
    for text, filename in pieces:
        part = from_source(text, filename, assignment=pack)
        sub.statements += part.statements
        sub.problems += part.problems
        sub.dropped += part.dropped
        for defined, where in part.defined.items():
            sub.defined.setdefault(defined, where)
    supply_course_names(sub, NOTEBOOK, pack)
    for name in collector.unfound:
        sub.problems.append(
            Problem(
                NOTEBOOK,
                None,
                f"the source of {name} could not be found, so it is not "
                "defined when your function runs; define it in a cell of its own",
                "notice",
            )
        )
    return sub


class _Collector:
    """Walks the globals a function uses: imports for modules, source for the notebook's own code."""

    def __init__(self, namespace: dict):
        self.namespace, self.module = namespace, namespace.get("__name__")
        self.imports: list[str] = []
        self.sources: list[tuple[str, str]] = []
        self.unfound: list[str] = []  # used, but no source to be had
        self._seen: set[str] = set()

    def add_root(self, name: str, obj) -> None:
        """A function to grade: always by its source, wherever it was defined."""
        if name not in self._seen and isinstance(obj, (types.FunctionType, type)):
            self._seen.add(name)
            self._add_source(name, obj)

    def add(self, name: str, obj) -> None:
        if name in self._seen:
            return
        self._seen.add(name)
        if isinstance(obj, types.ModuleType):
            self.imports.append(
                f"import {obj.__name__}" if name == obj.__name__ else f"import {obj.__name__} as {name}"
            )
        elif isinstance(obj, (types.FunctionType, type)) and getattr(obj, "__module__", None) == self.module:
            self._add_source(name, obj)
        elif callable(obj):  # imported: a helper of dnn_utils, np.dot imported as dot, ...
            module = getattr(obj, "__module__", None)
            qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "")
            if isinstance(module, str) and isinstance(qualname, str) and qualname.isidentifier():
                self.imports.append(f"from {module} import {qualname}" + (f" as {name}" if name != qualname else ""))
        elif _is_literal(obj):
            self.imports.append(f"{name} = {obj!r}")

    def _add_source(self, name: str, obj) -> None:
        try:
            lines, lineno = inspect.getsourcelines(obj)
            filename = inspect.getsourcefile(obj) or inspect.getfile(obj)
        except (OSError, TypeError):  # exec'd without a cell cache; a class in a cell before Python 3.13
            self.unfound.append(name)
            return
        text = textwrap.dedent("".join(lines))
        shown = cell_name(filename) or (filename if filename.startswith("<") else Path(filename).name)
        self.sources.append(("\n" * (max(lineno, 1) - 1) + text, shown))  # true line numbers in feedback
        code = getattr(obj, "__code__", None)
        for used in sorted(_global_names(code) if code else _class_names(obj)):
            if used in self.namespace and used != name:
                self.add(used, self.namespace[used])


def cell_name(filename: str) -> str | None:
    """'Cell In[13]', as Jupyter names the cell a function was defined in; None outside a notebook cell.

    ipykernel compiles each cell under a file named by a hash of its code (`ipykernel.compiler.get_file_name`,
    '/tmp/ipykernel_4242/4283742839.py'), and IPython's compiler keeps which execution count each such
    name last had (`format_code_name`, the map its own tracebacks read); an older IPython named the
    cell '<ipython-input-13-...>' itself."""
    old = _IPYTHON_INPUT.match(filename)
    if old:
        return f"Cell In[{old.group(1)}]"
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    compiler: Any = getattr(get_ipython(), "compile", None)
    try:
        label = compiler.format_code_name(filename) if hasattr(compiler, "format_code_name") else None
    except Exception:  # noqa: BLE001 - a name IPython cannot format is shown as it is
        label = None
    if (
        label is None
        and isinstance(getattr(compiler, "_filename_map", None), dict)
        and filename in compiler._filename_map
    ):
        label = ("Cell", f"In[{compiler._filename_map[filename]}]")
    return " ".join(label) if label else None


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _class_names(cls: type) -> set[str]:
    names: set[str] = set()
    for value in vars(cls).values():
        value = getattr(value, "__func__", value)  # staticmethod, classmethod
        code = getattr(value, "__code__", None)
        if code is not None:
            names |= _global_names(code)
    return names


def _is_literal(value, depth: int = 0) -> bool:
    """A value whose repr rebuilds it without a call (the loader keeps only such assignments)."""
    if type(value) is float:
        return value == value and abs(value) != float("inf")
    if type(value) in _LITERALS:
        return True
    if type(value) in (tuple, list) and depth < 3:
        return all(_is_literal(v, depth + 1) for v in value)
    return False
