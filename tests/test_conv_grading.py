"""Pack 2 graded through its pack API (grader/pack.py), in process, before and beside the engine.

`PACK.case_set` gives the cases and autograd's answers; each check's `judge` and `PACK.diagnose` judge
what a submission's function returned. Calls to graded helpers go to stand-ins built from the cases'
own tables with the sandbox's rule (an exact match, else `grader.judge.standins.matches`; anything else is a
wrong call), and the end-to-end check runs the pack's own end_to_end.py. Shown here:

- the answer key, and both correct example styles, pass every case of every unit;
- each misconception's example (submissions/conv_bug_<code>.py) loses exactly the points of
  tests/expected_conv_outcomes.py and is diagnosed with exactly its own code, and no other example is;
- the template's `float(b)` would fail under NumPy 2 without the pack's supplied statement, and passes with it;
- the stand-in tables answer every call the correct styles make, and the case counts follow `counts`.

The end-to-end tests through the engine (`python -m grader check`) are at the end; they run once the
engine runs packs (/tmp/coord/ENGINE_READY), and are skipped before.
"""

from __future__ import annotations

import marshal

import ast
import copy
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from grader import END_TO_END
from grader.judge.compare import Tolerance
from grader.pack import Version
from grader.pack_testing import RefusedCall, _stand_in
from grader.packs import get
from grader.judge.results import CaseResult
from grader.judge.results import TestResult as UnitResult
from grader.judge.standins import wrong_call
from tests.expected_conv_outcomes import CASES, EXPECTED, POINTS, SEED

ROOT = Path(__file__).resolve().parents[1]
PACK = get("conv_step_by_step")
UNITS = tuple(PACK.default_points)
COUNT = CASES


@pytest.fixture(scope="module")
def case_set(tmp_path_factory):
    """Computed here by autograd, in a folder of its own: never answers some earlier run kept."""
    cs, how = PACK.case_set(SEED, {unit: COUNT for unit in UNITS}, cache=tmp_path_factory.mktemp("conv-answers"))
    assert how == "computed"
    return cs


# --- an in-process grader with the sandbox's stand-in rule ---------------------------------------------
def load(path: Path, supplied: bool = True) -> dict:
    """A submission's namespace: the pack's supplied statements first, then each top-level statement on
    its own (one that fails, such as `from public_tests import *` here, costs only itself)."""
    if path.suffix == ".ipynb":
        import nbformat

        cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        sources = ["\n".join(line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))) for cell in cells]
    elif path.name == "conv_model.py":  # the answer key: load it by path, as test_conv_pack.py does
        spec = importlib.util.spec_from_file_location("conv_answer_key", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return dict(vars(module))
    else:
        sources = [path.read_text()]
    first, _ = PACK.supply_names(sources) if supplied else ([], [])
    namespace: dict = {"__name__": "submission"}
    for source in first + sources:
        for node in ast.parse(source).body:
            try:
                exec(compile(ast.Module([node], []), str(path), "exec"), namespace)
            except Exception:  # noqa: BLE001 - as the engine's loader: a failed statement costs only itself
                pass
    return namespace


def run_case(namespace: dict, unit: str, inp) -> tuple[str, object, list]:
    """(status, value, calls): "ok", "refused" (a wrong call to a stand-in) or "error"."""
    calls: list = []
    saved = {helper: namespace.get(helper) for helper in inp.standins}
    for helper, table in inp.standins.items():  # in the submission's own globals, as the sandbox does
        namespace[helper] = _stand_in(helper, table, calls)
    args = copy.deepcopy(inp.args)
    out: dict = {}
    with warnings.catch_warnings():  # the student's own warnings (an empty window averaged): the sandbox keeps them
        warnings.simplefilter("ignore")
        try:
            if unit == END_TO_END:
                chain: dict = {}
                exec(PACK.end_to_end_file.read_text(), chain)
                value = chain["end_to_end"](namespace, args, out, copy.deepcopy)
            else:
                value = namespace[unit](*args)
        except RefusedCall:
            return "refused", None, calls
        except Exception:  # noqa: BLE001
            return "error", out or None, calls
        finally:
            namespace.update(saved)
    return "ok", (value, args), calls


def grade_unit(namespace: dict, unit: str, inputs: list) -> UnitResult:
    check = PACK.checks()[unit]
    test = UnitResult(unit, unit, float(PACK.default_points[unit]))
    if any(name not in namespace for name in check.requires):
        test.problem = "missing"
        return test
    for inp in inputs:
        status, value, calls = run_case(namespace, unit, inp)
        case = CaseResult(inp.index, inp.label, inp.description, "error", calls=calls)
        if status == "refused":
            case.status, case.mismatches = "failed", [wrong_call(check.function, calls)]
        elif status == "ok":
            case.value, after = value
            case.mismatches = check.judge(inp, case.value, Tolerance()) + PACK.judge_changes(unit, check.arg_names, inp.args, after)
            case.status = "failed" if case.mismatches else "passed"
        else:
            case.value = value
        test.cases.append(case)
    PACK.diagnose(test, check, inputs, Version())
    return test


def grade(path: Path, case_set) -> dict[str, UnitResult]:
    namespace = load(path)
    return {unit: grade_unit(namespace, unit, case_set.inputs[unit]) for unit in UNITS}


def lost(test: UnitResult) -> float:
    return round(test.max_score - test.score, 4)


# --- the pack's shape -----------------------------------------------------------------------------------
def test_pack_is_registered_and_complete():
    assert PACK.name == "conv_step_by_step" and PACK.title == "Convolution model: Step by Step"
    assert set(PACK.checks()) == set(PACK.functions) | {END_TO_END} == set(UNITS)
    assert sum(PACK.default_points.values()) == 100 and PACK.default_points == POINTS
    assert PACK.checks()[END_TO_END].requires == PACK.chain
    assert PACK.end_to_end_file.exists() and "def end_to_end(namespace, args, out, fresh)" in PACK.end_to_end_file.read_text()
    extras = PACK.job_extras()
    chain = marshal.loads(extras["chain"])  # compiled on the trusted side, as the sandbox receives it
    assert extras["stand_in_modules"] == ["public_tests", "test_utils"] and "end_to_end" in chain.co_names
    assert "helpers" not in extras  # no course helper module in this assignment


def test_counts_follow_the_rubric():
    cs, _ = PACK.case_set(3, {"zero_pad": 7, "pool_backward": 5, END_TO_END: 4})
    assert {unit: len(v) for unit, v in cs.inputs.items()} == {"zero_pad": 7, "pool_backward": 5, END_TO_END: 4}
    assert [c.index for c in cs.inputs["pool_backward"]] == list(range(5))


def test_no_scored_conv_backward_or_chain_case_has_pad_0(case_set):
    assert all(inp.args[1][3]["pad"] >= 1 for inp in case_set.inputs["conv_backward"])
    assert all(inp.args[3]["pad"] >= 1 for inp in case_set.inputs[END_TO_END])
    assert any(inp.args[3]["pad"] == 0 for inp in case_set.inputs["conv_forward"])  # the course poses it there


def test_the_isolated_units_have_stand_ins(case_set):
    helpers = {unit: set().union(*(inp.standins for inp in case_set.inputs[unit])) for unit in UNITS}
    assert helpers["conv_forward"] == {"zero_pad", "conv_single_step"}
    assert helpers["conv_backward"] == {"zero_pad"}
    assert helpers["pool_backward"] == {"create_mask_from_window", "distribute_value"}
    assert all(not helpers[u] for u in UNITS if u not in ("conv_forward", "conv_backward", "pool_backward"))
    sizes = [sum(len(t) for t in inp.standins.values()) for unit in UNITS for inp in case_set.inputs[unit]]
    assert max(sizes) <= 2000  # small tables: sealed once per case set


# --- correct code passes everything ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["reference", "conv_correct_template_loops.py", "conv_correct_vectorized.py",
                                  "conv_correct_notebook.ipynb"])
def test_correct_code_passes_every_case(case_set, name):
    path = ROOT / "reference" / "conv_model.py" if name == "reference" else ROOT / "submissions" / name
    results = grade(path, case_set)
    for unit, test in results.items():
        assert test.problem is None, (unit, test.problem)
        failed = [(c.label, [m.message for m in c.mismatches], c.calls[-1:]) for c in test.cases if not c.passed]
        assert not failed, (unit, failed[:2])
        assert test.score == test.max_score and not test.diagnoses


def test_template_calls_reach_the_stand_ins(case_set):
    """Both bias forms the notebooks pass to conv_single_step are answered (b[:, :, :, c] and b[0, 0, 0, c])."""
    namespace = load(ROOT / "submissions" / "conv_correct_template_loops.py")
    source = (ROOT / "submissions" / "conv_correct_template_loops.py").read_text()
    scalar = load_text(source.replace("biases = b[:, :, :, c]", "biases = b[0, 0, 0, c]"))
    for ns in (namespace, scalar):
        test = grade_unit(ns, "conv_forward", case_set.inputs["conv_forward"])
        assert test.score == test.max_score
        calls = [c for case in test.cases for c in case.calls]
        assert calls and all(c["matched"] for c in calls)
        assert {c["helper"] for c in calls} == {"zero_pad", "conv_single_step"}


def load_text(text: str, supplied: bool = True) -> dict:
    path = Path("/tmp") / f"conv_variant_{abs(hash(text))}.py"
    path.write_text(text)
    try:
        return load(path, supplied)
    finally:
        path.unlink()


def test_float_b_needs_the_supplied_statement(case_set):
    """Without the pack's float, the template's `Z = Z + float(b)` raises under NumPy 2 on the course's b."""
    source = (ROOT / "submissions" / "conv_correct_template_loops.py").read_text()
    first, notes = PACK.supply_names([source])
    assert len(first) == 1 and "float(b)" in notes[0]
    bare = load_text(source, supplied=False)
    inp = case_set.inputs["conv_single_step"][0]
    assert inp.args[2].shape == (1, 1, 1)  # the course's b
    if int(np.__version__.split(".")[0]) >= 2:
        with pytest.raises(TypeError):
            bare["conv_single_step"](*inp.args)
    assert grade_unit(load_text(source), "conv_single_step", case_set.inputs["conv_single_step"]).score == PACK.default_points["conv_single_step"]
    assert PACK.supply_names(["def f(x):\n    return x + 1\n"]) == ([], [])


# --- each mistake: its points and its diagnosis ---------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_loses_exactly_the_expected_points(case_set, name):
    results = grade(ROOT / "submissions" / name, case_set)
    want = EXPECTED[name]
    got = {unit: lost(test) for unit, test in results.items() if lost(test)}
    assert got == want.lost, name
    diagnosed = {unit: sorted({d.code for d in test.diagnoses}) for unit, test in results.items() if test.diagnoses}
    assert diagnosed == want.diagnoses, name


def test_every_misconception_has_its_example():
    from grader.packs.conv_step_by_step.misconceptions import MISCONCEPTIONS

    codes = {m.code for m in MISCONCEPTIONS}
    examples = {name[len("conv_bug_"):-3].upper() for name in EXPECTED if name.startswith("conv_bug_")}
    assert examples == codes
    for name, outcome in EXPECTED.items():
        named = set().union(*map(set, outcome.diagnoses.values())) if outcome.diagnoses else set()
        own = {name[len("conv_bug_"):-3].upper()} if name.startswith("conv_bug_") else set()
        assert named == own, name  # fires on its own example, and on no other


def test_a_refused_zero_pad_call_says_what_its_arguments_show(case_set):
    """dA_prev started from np.random.randn: the refusal names the cause, on every failing case, and only there."""
    results = grade(ROOT / "submissions" / "conv_call_da_prev_randn.py", case_set)
    failed = [c for c in results["conv_backward"].cases if c.status == "failed"]
    assert failed and all(any("neither A_prev nor zeros" in m.message for m in c.mismatches) for c in failed)
    correct = grade(ROOT / "submissions" / "conv_correct_template_loops.py", case_set)
    assert all(c.status == "passed" for c in correct["conv_backward"].cases)
    for name in ("conv_bug_conv_backward_no_stride.py", "conv_bug_conv_forward_no_stride.py"):  # refused, for other causes
        for test in grade(ROOT / "submissions" / name, case_set).values():
            assert not any("neither A_prev nor zeros" in m.message for c in test.cases for m in c.mismatches), name


def test_refused_zero_pad_arguments_are_told_apart(case_set):
    """Each way a zero_pad call goes wrong gets its own words: a wrong shape, a wrong pad, an array not zeros."""
    from grader.packs.conv_step_by_step.diagnosis import zero_pad_call

    inp = case_set.inputs["conv_backward"][0]
    c = inp.case
    said = {}
    for label, args in {"shape": (np.zeros((1,) + c.A_prev.shape), c.pad), "pad": (np.zeros(c.A_prev.shape), c.pad + 1),
                        "values": (np.ones(c.A_prev.shape), c.pad), "right": (c.A_prev.copy(), c.pad)}.items():
        case = CaseResult(0, "x", "", "failed")
        case.calls = [{"helper": "zero_pad", "matched": None, "args": args}]
        detail = zero_pad_call("conv_backward", inp, case)
        said[label] = detail.message if detail else None
    assert "shape" in said["shape"] and "pad = " in said["pad"] and "neither A_prev nor zeros" in said["values"]
    assert said["right"] is None  # A_prev itself says nothing more


# --- through the engine: the sandbox, the loader, recognition, the CLI -----------------------------------
@pytest.fixture(scope="module")
def engine():
    from grader.judge.grade import Grader
    from grader.judge.rubric import Rubric

    with Grader(Rubric(), seed=SEED, device="cpu", pack=PACK, weak_sandbox="allow") as grader:
        yield grader


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_engine_grades_each_example_as_expected(engine, name):
    """The engine, with the sandbox and the loader, gives exactly what the in-process grading gives."""
    from grader.load.loader import load_submission

    sub = load_submission(ROOT / "submissions" / name, None)  # no assignment given: recognised
    assert sub.pack == PACK.name
    report = engine.grade_submission(sub)
    assert report.fatal is None and [t.function for t in report.tests] == list(UNITS)
    got = {t.function: round(t.max_score - t.score, 4) for t in report.tests if round(t.max_score - t.score, 4)}
    assert got == EXPECTED[name].lost
    diagnosed = {t.function: sorted({d.code for d in t.diagnoses}) for t in report.tests if t.diagnoses}
    assert diagnosed == EXPECTED[name].diagnoses
    if name.startswith("conv_correct"):
        assert all(t.status == "passed" for t in report.tests)


@pytest.mark.parametrize("assignment", [[], ["--assignment", "conv_step_by_step"]])
def test_command_line_recognises_the_assignment(assignment):
    import json
    import subprocess
    import sys

    path = ROOT / "submissions" / "conv_correct_template_loops.py"
    done = subprocess.run([sys.executable, "-m", "grader", "check", str(path), "--json", "--allow-weak-sandbox", *assignment],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    report = json.loads(done.stdout)
    assert report["assignment"] == "conv_step_by_step" and report["score"] == report["max_score"] == 100
    assert [t["function"] for t in report["tests"]] == list(UNITS)
    assert any("float()" in p["message"] for p in report["load_problems"])  # the supplied float, said plainly
