"""For a pack's own tests: grade its examples in this process, and find every pack's expected outcomes.

`grade_in_process(pack, path, case_set)` runs a trusted example file (the pack's own `submissions/`,
its answer key) in this very process, with no walls: never a student's file. It keeps the sandbox's
rules that decide a score: each case's NumPy seed, copies of the arguments, the stand-in rule (a call
whose arguments a correct caller does not pass is refused and fails the case), the pack's course module
served under its names, the end-to-end code the sandbox would run, and then the pack's own judges,
diagnosis and in-place-change rule. A pack test then checks scores and diagnoses in a few seconds,
without a sandbox per example (tests/test_regularization_pack.py).

`expected_outcomes()` finds, for every pack, `tests/expected_<pack>_outcomes.py` (the first two packs'
kept their older names: LEGACY), whose EXPECTED maps each example's file name to its outcome.
"""

from __future__ import annotations

import ast
import copy
import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import cast

import numpy as np

from grader import END_TO_END
from grader.judge.compare import Tolerance
from grader.judge.results import CaseResult, TestResult
from grader.pack import CaseSet, Pack, Version

LEGACY = {"step_by_step": "expected_outcomes", "conv_step_by_step": "expected_conv_outcomes"}


class RefusedCall(Exception):
    """What the sandbox's stand-in raises on a call a correct caller never makes."""


def _helpers(pack: Pack) -> types.ModuleType | None:
    if pack.course_module_file is None:
        return None
    module = types.ModuleType(pack.course_modules[0])
    exec(
        compile(pack.course_module_file.read_text(encoding="utf-8"), str(pack.course_module_file), "exec"),
        module.__dict__,
    )
    return module


def load(pack: Pack, path: Path) -> dict:
    """The example's namespace: the pack's supplied statements, then each top-level statement on its own
    (one that fails, such as `from public_tests import *`, costs only itself, as in the sandbox)."""
    if path.suffix == ".ipynb":
        import json

        cells = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "code"
        ]
        sources = [
            "\n".join(line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))) for cell in cells
        ]
    else:
        sources = [path.read_text(encoding="utf-8")]
    first, _ = pack.supply_names(sources)
    helpers, saved = _helpers(pack), {}
    for name in pack.course_modules if helpers is not None else ():
        saved[name] = sys.modules.get(name)
        sys.modules[name] = cast(types.ModuleType, helpers)  # the loop runs only when helpers is not None
    namespace: dict = {"__name__": "submission"}
    try:
        for source in first + sources:
            for node in ast.parse(source).body:
                try:
                    exec(compile(ast.Module([node], []), str(path), "exec"), namespace)
                except Exception:  # noqa: BLE001 - as the engine's loader: a failed statement costs only itself
                    pass
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return namespace


def _stand_in(helper: str, table: list, log: list):
    from grader.judge.standins import matches
    from grader.sandbox import wire

    exact = {wire.encode(tuple(args)): (answer, label) for args, answer, label in table}

    def call(*args):
        hit = exact.get(wire.encode(args))
        if hit is None:
            hit = next(((answer, label) for want, answer, label in table if matches(args, want)), None)
        if hit is None:
            log.append({"helper": helper, "matched": None, "args": args})
            raise RefusedCall(helper)
        log.append({"helper": helper, "matched": hit[1]})
        return copy.deepcopy(hit[0])

    return call


def _chain(pack: Pack):
    import marshal

    # an end-to-end check comes with its chain (a file of the pack's, or its stages: Pack.job_extras)
    code = cast(bytes, pack.job_extras().get("chain"))
    scope: dict = {"np": np}
    exec(marshal.loads(code), scope)
    return scope["end_to_end"]


def grade_unit(pack: Pack, namespace: dict, unit: str, inputs: list, points: float | None = None) -> TestResult:
    from grader.judge.standins import wrong_call

    check = pack.checks()[unit]
    test = TestResult(unit, unit, float(pack.default_points[unit] if points is None else points))
    if any(name not in namespace for name in check.requires):
        test.problem = "missing: " + ", ".join(n for n in check.requires if n not in namespace)
        return test
    chain = _chain(pack) if unit == END_TO_END else None
    for inp in inputs:
        calls: list = []
        saved = {helper: namespace.get(helper) for helper in inp.standins}
        for helper, table in inp.standins.items():
            namespace[helper] = _stand_in(helper, table, calls)
        args = copy.deepcopy(inp.args)
        out: dict[str, object] = {}  # what the chain records as it goes (the stage running, each judged output)
        case = CaseResult(inp.index, inp.label, inp.description, "error", calls=calls)
        if inp.seed is not None:
            np.random.seed(inp.seed & 0xFFFFFFFF)
        try:
            with np.errstate(all="ignore"):
                value = chain(namespace, args, out, copy.deepcopy) if chain else namespace[unit](*args)
        except RefusedCall:
            case.status, case.mismatches = "failed", [wrong_call(check.function, calls)]
        except Exception as error:  # noqa: BLE001 - the student's code raised: an error, as in the sandbox
            case.value, case.error = out or None, {"type": type(error).__name__, "message": str(error), "traceback": []}
        else:
            case.value = value
            case.mismatches = check.judge(inp, value, Tolerance()) + pack.judge_changes(
                unit, check.arg_names, inp.args, args
            )
            case.status = "failed" if case.mismatches else "passed"
        finally:
            namespace.update(saved)
        test.cases.append(case)
    check.review(test.cases, inputs)
    pack.diagnose(test, check, inputs, Version())
    return test


def grade_in_process(pack: Pack, path: Path, case_set: CaseSet) -> dict[str, TestResult]:
    """Every unit of `pack` graded on the trusted example at `path`, in this process."""
    namespace = load(pack, Path(path))
    return {unit: grade_unit(pack, namespace, unit, case_set.inputs[unit]) for unit in pack.units}


# --- every pack's expected outcomes -----------------------------------------------------------------
def expected_module(pack_name: str) -> str:
    return LEGACY.get(pack_name, f"expected_{pack_name}_outcomes")


def expected_outcomes(root: Path) -> dict[str, dict]:
    """{pack name: EXPECTED} for every pack that has a tests/expected_..._outcomes.py in `root`."""
    from grader import packs

    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    found = {}
    for name in packs.names():
        module = expected_module(name)
        if (root / "tests" / f"{module}.py").exists():
            loaded = importlib.import_module(f"tests.{module}")
            # EDITIONS: examples of patterns found in real copies, graded by the default rubric unless one pins
            # a version (then they are graded by their own test, and also listed in EXPECTED)
            editions = {k: v for k, v in getattr(loaded, "EDITIONS", {}).items() if k not in loaded.EXPECTED}
            found[name] = {**loaded.EXPECTED, **editions}
    return found


def losing_units(outcome) -> set[str]:
    """The units an outcome says lose points, whichever format it has (fails, failing, or lost points)."""
    if hasattr(outcome, "fails"):
        return set(outcome.fails)
    return set(outcome.failing) if hasattr(outcome, "failing") else set(outcome.lost)
