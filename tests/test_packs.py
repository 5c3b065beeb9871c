"""The engine/pack split: the engine imports no pack by name, packs are found by folder, and a
submission is graded by its own assignment (named, pinned in the rubric, or recognised)."""

from __future__ import annotations

import ast
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import END_TO_END, packs
from grader.errors import GraderError
from grader.load.loader import load_submission
from grader.pack import Pack
from grader.judge.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "grader"
PACKS = ENGINE / "packs"
PACK1, PACK2 = "step_by_step", "conv_step_by_step"
CORRECT1 = ROOT / "submissions" / "correct_student.py"
CONV_EXAMPLES = sorted((ROOT / "submissions").glob("conv_correct_*.py"))


def engine_modules() -> list[Path]:
    """Every module of the engine: all of grader/ but the packs' own folders."""
    return [p for p in ENGINE.rglob("*.py") if "__pycache__" not in p.parts
            and not (p.parent != PACKS and PACKS in p.parents)]


def pack_imports(path: Path) -> list[str]:
    """The imports in `path` that name a pack's module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("grader.packs.")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("grader.packs."):
                found.append(node.module)
            elif node.module == "grader.packs":
                found += [f"grader.packs.{a.name}" for a in node.names if (PACKS / a.name).is_dir()]
    return found


def test_no_engine_module_imports_a_pack_by_name():
    modules = engine_modules()
    assert ENGINE / "judge" / "grade.py" in modules and PACKS / "__init__.py" in modules
    assert not any(PACKS / PACK1 in m.parents for m in modules)
    offenders = {str(m.relative_to(ROOT)): pack_imports(m) for m in modules if pack_imports(m)}
    assert offenders == {}


def test_the_import_scan_sees_a_pack_import(tmp_path):
    """The scan above would catch the imports the split removed (it can fail)."""
    sample = tmp_path / "engine_module.py"
    sample.write_text("from grader.packs.step_by_step.checks import CHECKS\nimport grader.packs.step_by_step.oracle\n"
                      "from grader.packs import step_by_step\n")
    assert pack_imports(sample) == ["grader.packs.step_by_step.checks", "grader.packs.step_by_step.oracle",
                                    "grader.packs.step_by_step"]


def test_packs_are_found_by_folder_each_a_complete_pack():
    assert packs.names()[0] == packs.DEFAULT == PACK1 and PACK2 in packs.names()
    for pack in packs.all_packs():
        assert isinstance(pack, Pack) and pack.name == (PACKS / pack.name).name
        assert set(pack.checks()) == set(pack.units) == set(pack.default_points)
        assert sum(pack.default_points.values()) == pytest.approx(100)
        assert all(f in pack.functions for f in pack.chain)
        assert (pack.units[-1] == END_TO_END) == bool(pack.chain) and pack.units.count(END_TO_END) <= 1  # chain may be empty
        if pack.end_to_end_file is not None:
            assert "def end_to_end(namespace, args, out, fresh)" in pack.end_to_end_file.read_text()
        elif pack.chain:  # written from the chain's description (grader/judge/chain_check.py)
            assert pack.job_extras().get("chain")


def test_a_pack_without_a_chain_has_no_end_to_end_unit():
    from grader.autograd_pack import AutogradPack, Graded

    class Tiny(AutogradPack):
        name = "tiny"
        graded = (Graded("f", ("x",), "y"),)

    assert Tiny().units == ("f",) and Tiny.chain == () and "chain" not in Tiny().job_extras()
    assert set(Tiny().checks()) == {"f"}


def test_an_unknown_assignment_is_a_usage_error_naming_the_known_ones(tmp_path):
    with pytest.raises(GraderError, match=f"unknown assignment 'nosuch'; known: {PACK1}, "):
        packs.get("nosuch")
    rubric = tmp_path / "r.toml"
    rubric.write_text('[grading]\nassignment = "nosuch"\n')
    with pytest.raises(GraderError, match="grading.assignment: unknown assignment"):
        load_rubric(rubric)
    run = subprocess.run([sys.executable, "-m", "grader", "check", str(CORRECT1), "--assignment", "nosuch"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 4 and "unknown assignment 'nosuch'" in run.stderr


def test_a_rubric_names_its_assignment_and_its_functions_are_that_packs(tmp_path):
    rubric = tmp_path / "conv.toml"
    rubric.write_text(f'[grading]\nassignment = "{PACK2}"\ncases = 3\n[functions.conv_backward]\npoints = 30\n')
    loaded = load_rubric(rubric)
    assert loaded.assignment == PACK2 and list(loaded.units) == list(packs.get(PACK2).units)
    assert loaded.units["conv_backward"].points == 30 and {u.cases for u in loaded.units.values()} == {3}
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(f'[grading]\nassignment = "{PACK2}"\n[functions.linear_backward]\npoints = 3\n')
    with pytest.raises(GraderError, match="unknown function 'linear_backward'"):
        load_rubric(wrong)
    # without an assignment, a [functions] table of either pack applies to that pack only
    either = tmp_path / "either.toml"
    either.write_text("[functions.linear_backward]\npoints = 3\n[functions.conv_backward]\npoints = 7\n")
    auto = load_rubric(either)
    assert auto.units["linear_backward"].points == 3
    assert auto.for_pack(packs.get(PACK2)).units["conv_backward"].points == 7


@pytest.mark.skipif(not CONV_EXAMPLES, reason="no conv example yet")
def test_the_assignment_is_recognised_from_the_functions_a_submission_defines():
    assert load_submission(CORRECT1).pack == PACK1
    for example in CONV_EXAMPLES:
        assert load_submission(example).pack == PACK2
    assert load_submission(CONV_EXAMPLES[0], PACK1).pack == PACK1  # named: no recognition


@pytest.mark.skipif(not CONV_EXAMPLES, reason="no conv example yet")
def test_a_batch_of_both_assignments_grades_each_by_its_own_when_asked_to(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CORRECT1, folder / "alice.py")
    shutil.copy(CONV_EXAMPLES[0], folder / "bob.py")
    rubric = tmp_path / "small.toml"
    rubric.write_text("[grading]\ncases = 3\n")
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(tmp_path / "out"), "-j", "1",
                          "--no-progress", "--device", "cpu", "--seed", "5", "--rubric", str(rubric), "--assignment", "auto"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    reports = {json.loads(p.read_text())["assignment"]: json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")}
    assert set(reports) == {PACK1, PACK2}
    for name, report in reports.items():
        assert [t["function"] for t in report["tests"]] == list(packs.get(name).units)
        assert report["score"] == report["max_score"] == 100
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    by_name = {row["submission"]: row for row in rows}
    assert (by_name["alice"]["assignment"], by_name["bob"]["assignment"]) == (PACK1, PACK2)
    assert by_name["alice"]["linear_backward"] == "12.0" and by_name["alice"]["conv_backward"] == ""
    assert by_name["bob"]["linear_backward"] == "" and float(by_name["bob"]["conv_backward"]) > 0


@pytest.mark.skipif(not CONV_EXAMPLES, reason="no conv example yet")
def test_the_notebook_check_and_the_platforms_grade_pack_2_too(monkeypatch):
    """The in-notebook check(fn) finds a function's assignment; a platform's run grades pack 2 when told to."""
    import importlib.util
    import types

    for name in ("h5py", "matplotlib", "matplotlib.pyplot", "public_tests", "test_utils"):  # the notebook's imports
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setattr(sys.modules["matplotlib"], "pyplot", sys.modules["matplotlib.pyplot"], raising=False)
    monkeypatch.setattr(sys.modules["matplotlib.pyplot"], "rcParams", {}, raising=False)

    from grader.frontends.notebook import check, close_graders
    from grader.platforms.autolab import make_autoresult
    from grader.platforms.common import grade_path

    spec = importlib.util.spec_from_file_location("conv_notebook", CONV_EXAMPLES[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    namespace = vars(module)
    rubric = load_rubric(None)
    try:
        for name in ("conv_forward", "pool_backward", END_TO_END):
            test = check(name, namespace, seed=2, device="cpu", show=False, rubric=rubric)
            points = packs.get(PACK2).default_points[name]
            assert (test.function, test.score, test.max_score) == (name, points, points), test.feedback
    finally:
        close_graders()
    report = grade_path(CONV_EXAMPLES[0], None, 3, "cpu", allow_weak_sandbox=True, assignment=PACK2)
    assert report.assignment == PACK2 and report.score == report.max_score == 100
    assert list(make_autoresult(report)["scores"]) == list(packs.get(PACK2).units)


@pytest.mark.skipif(not CONV_EXAMPLES, reason="no conv example yet")
def test_an_instructors_grading_is_not_chosen_by_the_submission(tmp_path):
    """A correct solution of the other notebook (public ones abound) submitted to assignment 1 is graded as
    assignment 1, with a note, unless the instructor asked for "auto": the default of grade and the platforms."""
    from grader.platforms.common import grade_path

    report = grade_path(CONV_EXAMPLES[0], None, 3, "cpu", allow_weak_sandbox=True)
    assert report.assignment == PACK1 and report.score == 0 and report.fatal
    assert any(f"graded as '{packs.get(PACK1).title}'" in p["message"] for p in report.load_problems)
    named = grade_path(CONV_EXAMPLES[0], None, 3, "cpu", allow_weak_sandbox=True, assignment=PACK2)
    assert named.assignment == PACK2 and named.score == 100
    assert not any("graded as" in p["message"] for p in named.load_problems)
    assert load_rubric(None, default=PACK1).assignment == PACK1 and load_rubric(None).assignment == packs.AUTO


def test_a_gradescope_zip_grades_every_submission_by_its_assignment():
    from grader.platforms.gradescope_zip import make_scripts

    scripts = make_scripts(7, "2.13.0", assignment=PACK2)
    assert f"--assignment {PACK2}" in scripts["run_autograder"] and f"--device cpu --assignment {PACK2}" in scripts["setup.sh"]
    plain = make_scripts(7, "2.13.0")
    assert "--assignment" not in plain["run_autograder"] + plain["setup.sh"]
    with pytest.raises(GraderError, match="unknown assignment"):
        make_scripts(7, "2.13.0", assignment="x; rm -rf /")


def test_the_engines_chain_feedback_speaks_each_packs_own_stages(tmp_path):
    """'returned None' in the end-to-end chain, said with the pack's own functions (Pack.chain_outputs)."""
    from grader.judge.grade import grade_file

    source = tmp_path / "none_conv.py"
    source.write_text("import numpy as np\n"
                      "def zero_pad(X, pad):\n    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n"
                      "def conv_forward(A_prev, W, b, hparameters):\n    return None\n"
                      "def pool_forward(A_prev, hparameters, mode='max'):\n    return None\n"
                      "def pool_backward(dA, cache, mode='max'):\n    return None\n"
                      "def conv_backward(dZ, cache):\n    return None\n")
    rubric = tmp_path / "r.toml"
    rubric.write_text("[grading]\ncases = 2\n")
    report = grade_file(source, load_rubric(rubric), 1, "cpu", "allow")
    assert report.assignment == PACK2
    chain = report.test(END_TO_END).feedback
    assert "your conv_forward returned None, where the chain expects (Z, cache)" in chain
    assert "L_model_forward" not in chain


def test_a_pack_2_probe_of_its_stand_ins_is_refused_and_costs_the_case(tmp_path):
    """conv_forward asks the conv_single_step stand-in about windows a correct caller never passes (to
    harvest answers), catches the refusals and returns the right values anyway: every case it probed fails."""
    from grader.judge.grade import grade_file

    vectorized = next(p for p in CONV_EXAMPLES if "vectorized" in p.name).read_text()
    probe = vectorized + '''

_correct_conv_forward = conv_forward


def conv_forward(A_prev, W, b, hparameters):
    try:
        conv_single_step(A_prev[0, :W.shape[0], :W.shape[1], :] + 1.0, W[..., 0], b[..., 0])
    except Exception:
        pass
    return _correct_conv_forward(A_prev, W, b, hparameters)
'''
    path = tmp_path / "probe.py"
    path.write_text(probe)
    rubric = tmp_path / "r.toml"
    rubric.write_text(f'[grading]\nassignment = "{PACK2}"\ncases = 4\n')
    report = grade_file(path, load_rubric(rubric), 1, "cpu", "allow")
    forward = report.test("conv_forward")
    assert forward.passed_cases == 0 and forward.score == 0
    assert all(any(m.kind == "call" for m in case.mismatches) for case in forward.cases)
    assert report.test("pool_forward").score == report.test("pool_forward").max_score  # the rest is graded as ever


def test_the_reports_say_which_assignment_graded_the_submission():
    from grader.report.render_markdown import render_markdown
    from grader.report.render_terminal import render_text
    from grader.judge.results import Report

    for name in (PACK1, PACK2):
        report = Report("alice.py", 0, "cpu", {}, 100.0, assignment=name)
        title = packs.get(name).title
        assert f"Assignment: {title}; seed 0" in render_text(report)
        assert f"({title}; seed 0, device cpu)" in render_markdown(report)
