"""The engine's helpers for packs: exact masks in compare, the chain written from its description,
misconceptions named by the evidence rules, answers kept for any pack, prepare's reasons, and a pack's
own words reaching the terminal and the schema."""

from __future__ import annotations

import io
import os
import stat
from argparse import Namespace
from dataclasses import dataclass

import numpy as np
import pytest

from grader import END_TO_END, packs
from grader.judge.answer_cache import StaleAnswers, why_not_stored
from grader.judge.chain_check import ChainCheck, Stage, chain_inputs, chain_outputs, chain_source, first_wrong_stage
from grader.judge.compare import Mismatch, Tolerance, compare
from grader.judge.kept_answers import Recording, Replaying, question_digest
from grader.judge.misconception_data import AnyOf, Evidence, Misconception, diagnose
from grader.pack import CaseInput
from grader.sandbox.wire import same

PACK1_STAGES = (Stage("L_model_forward", ("X", "parameters"), ("AL", "caches")), Stage("compute_cost", ("AL", "Y"), "cost"),
                Stage("L_model_backward", ("AL", "Y", "caches"), "grads"),
                Stage("update_parameters", ("parameters", "grads", "learning_rate"), "parameters"))


# --- compare --------------------------------------------------------------------------------------------
def test_a_mask_is_compared_exactly_in_any_dtype_where_the_check_says_so():
    mask = np.array([[True, False], [True, True]])
    assert compare("D1", mask.astype(int), mask, masks=frozenset({"D1"})) == []
    assert compare("D1", mask.astype(float), mask, masks=frozenset({"D1"})) == []
    (wrong,) = compare("D1", ~mask, mask, masks=frozenset({"D1"}))
    assert wrong.kind == "value" and "wrong at 4 of its 4 entries" in wrong.message
    (nested,) = compare("cache", (np.zeros(2), ~mask), (np.zeros(2), mask), masks=frozenset({"cache[1]"}))
    assert nested.path == "cache[1]" and nested.kind == "value"
    assert compare("D1", mask, mask)[0].kind == "dtype"  # not named a mask: floats are expected, as before


# --- the chain ------------------------------------------------------------------------------------------
def _run_chain(stages, namespace, args):
    scope: dict = {}
    exec(compile(chain_source(stages), "grader-end-to-end", "exec"), scope)
    out: dict = {}
    try:
        return scope["end_to_end"](namespace, args, out, lambda x: x), None
    except Exception as error:  # noqa: BLE001
        return out, error


def test_the_chain_is_written_from_its_stages_and_unpacks_as_the_course_does():
    assert chain_inputs(PACK1_STAGES) == ("X", "parameters", "Y", "learning_rate")
    assert chain_outputs(PACK1_STAGES)[0] == ("AL", "L_model_forward", "(AL, caches)")
    calls = []
    namespace = {"L_model_forward": lambda X, p: (calls.append("f") or X * 2, ["c"]), "compute_cost": lambda AL, Y: 0.5,
                 "L_model_backward": lambda AL, Y, c: {"dA0": AL}, "update_parameters": lambda p, g, lr: {"W1": lr}}
    out, error = _run_chain(PACK1_STAGES, namespace, (np.ones(2), {}, np.zeros(2), 0.1))
    assert error is None and out["stage"] == "done" and out["cost"] == 0.5 and out["parameters"] == {"W1": 0.1}
    namespace["L_model_forward"] = lambda X, p: None
    out, error = _run_chain(PACK1_STAGES, namespace, (np.ones(2), {}, np.zeros(2), 0.1))
    assert out == {"stage": "L_model_forward"} and str(error) == "cannot unpack non-iterable NoneType object"


def test_the_chain_check_reports_the_first_wrong_stage_only():
    check = ChainCheck(END_TO_END, ("X",), "end_to_end", "chain", ("f", "g"),
                       stages=(Stage("f", ("X",), "A"), Stage("g", ("A",), "dA")))
    case = CaseInput(0, "c", "", (), {"A": np.ones(2), "dA": np.ones(2)})
    found = check.judge(case, {"A": np.zeros(2), "dA": np.zeros(2)}, Tolerance())
    assert [m.path for m in found] == ["A"] and found[0].message.startswith("f: A has wrong values")
    assert first_wrong_stage(check.stages, found).function == "f"
    assert check.judge(case, {"A": np.ones(2)}, Tolerance()) == []  # g raised: its error says so


class _BlamesTheMaker(ChainCheck):
    def blame(self, stage, name, found, value, case, tol):
        return [Mismatch("cache", "value", f"{name} was computed from a wrong cache")] if "cache" in value else super().blame(stage, name, found, value, case, tol)


def test_a_pack_may_blame_another_stage_for_the_first_wrong_output():
    """Pack 2's hook: a backward stage that read a wrong cache is not judged on it."""
    check = _BlamesTheMaker(END_TO_END, ("X",), "end_to_end", "chain", ("f", "g"),
                            stages=(Stage("f", ("X",), "A"), Stage("g", ("A",), "dA")))
    case = CaseInput(0, "c", "", (), {"A": np.ones(2), "dA": np.ones(2)})
    found = check.judge(case, {"A": np.ones(2), "dA": np.zeros(2), "cache": 1}, Tolerance())
    assert [(m.path, m.message) for m in found] == [("cache", "dA was computed from a wrong cache")]
    found = check.judge(case, {"A": np.ones(2), "dA": np.zeros(2)}, Tolerance())
    assert [m.path for m in found] == ["dA"] and found[0].message.startswith("g: dA has wrong values")


# --- misconceptions -------------------------------------------------------------------------------------
def _ev(value, right, x=1.0):
    return Evidence("case", "", np.array(value), {"x": x}, np.array(right), None)


DOUBLE = Misconception("DOUBLE", "f", "doubled", "m", "y = x", lambda a, r, s: r * 2)
PLUS_X = Misconception("PLUS_X", "f", "plus x", "m", "y = x", lambda a, r, s: r + a["x"])


def test_a_mistake_is_named_on_two_thirds_of_the_cases_where_it_can_show():
    named = diagnose((DOUBLE,), "y", [_ev(2.0, 1.0), _ev(4.0, 2.0), _ev(9.0, 3.0)], unread=0)
    assert [(m.code, fits, testable) for m, fits, testable in named] == [("DOUBLE", [0, 1], 3)]
    assert diagnose((DOUBLE,), "y", [_ev(2.0, 1.0), _ev(5.0, 2.0), _ev(9.0, 3.0)], unread=0) == []


def test_a_case_where_the_mistake_changes_nothing_is_no_evidence():
    zero = Misconception("ZERO", "f", "t", "m", "e", lambda a, r, s: r * 0)
    assert diagnose((zero,), "y", [_ev(0.0, 0.0)], unread=0) == []  # 0 * 2 is 0: it cannot show there
    assert [m.code for m, *_ in diagnose((zero,), "y", [_ev(0.0, 0.0), _ev(0.0, 3.0)], unread=0)] == ["ZERO"]


def test_two_mistakes_that_compute_the_same_are_never_told_apart_by_guessing():
    """With x = right, doubling and adding x give the same: that case counts for neither."""
    assert diagnose((DOUBLE, PLUS_X), "y", [_ev(2.0, 1.0, x=1.0)], unread=0) == []
    named = diagnose((DOUBLE, PLUS_X), "y", [_ev(2.0, 1.0, x=1.0), _ev(6.0, 3.0, x=5.0)], unread=0)
    assert [(m.code, fits, testable) for m, fits, testable in named] == [("DOUBLE", [1], 1)]


def test_beside_cases_that_crashed_one_case_is_not_enough():
    assert diagnose((DOUBLE,), "y", [_ev(2.0, 1.0)], unread=1) == []
    assert diagnose((DOUBLE,), "y", [_ev(2.0, 1.0), _ev(4.0, 2.0)], unread=1) != []


def test_any_of_several_forms_of_a_mistake_counts():
    either = Misconception("EITHER", "f", "t", "m", "e", lambda a, r, s: AnyOf([r * 2, r * 3]))
    assert diagnose((either,), "y", [_ev(3.0, 1.0), _ev(4.0, 2.0)], unread=0)[0][1] == [0, 1]


# --- answers kept for any pack ----------------------------------------------------------------------------
class _Oracle:
    device = "cpu"

    def answer(self, name, x):
        return {"y": np.asarray(x) * 2.0}


def test_kept_answers_replay_only_the_very_same_questions():
    recording = Recording(_Oracle())
    recording.answer("f", np.ones(2))
    replay = Replaying("cpu", {"calls": recording.calls})
    assert replay.answer("f", np.ones(2))["y"].tolist() == [2.0, 2.0]
    replay.done()
    with pytest.raises(StaleAnswers, match="belongs to another question"):
        Replaying("cpu", {"calls": recording.calls}).answer("f", np.zeros(2))
    with pytest.raises(StaleAnswers, match="more stored answers"):
        Replaying("cpu", {"calls": recording.calls}).done()


@dataclass(frozen=True)
class _Case:
    label: str
    x: np.ndarray


def test_a_question_about_a_case_object_is_told_apart_by_its_fields():
    """Pack 2's oracle is asked about its case dataclasses: each must be its own question, not one
    opaque object alike for every case; an object that is neither is refused."""
    recording = Recording(_Oracle())
    recording.answer("f", _Case("a", np.ones(2)).x)
    case = _Case("a", np.ones(2))
    digest = question_digest("answer", ("f", case))
    assert digest == question_digest("answer", ("f", _Case("a", np.ones(2))))
    assert digest != question_digest("answer", ("f", _Case("b", np.ones(2))))
    assert digest != question_digest("answer", ("f", _Case("a", np.array([1.0, 2.0]))))
    replay = Replaying("cpu", {"calls": [{**recording.calls[0], "digest": digest}]})
    with pytest.raises(StaleAnswers, match="belongs to another question"):
        replay.answer("f", _Case("a", np.array([1.0, 2.0])))
    assert Replaying("cpu", {"calls": [{**recording.calls[0], "digest": digest}]}).answer("f", case)["y"].tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="neither plain data nor a case dataclass"):
        question_digest("answer", (object(),))


def test_a_pack_without_an_answers_module_keeps_and_verifies_its_answers(tmp_path):
    pack = packs.get("regularization")
    counts = {unit: 2 for unit in pack.units}
    first, how = pack.case_set(3, counts, "cpu", tmp_path)
    again, how_again = pack.case_set(3, counts, "cpu", tmp_path)
    assert (how, how_again) == ("computed", "cached")
    for unit in pack.units:
        for a, b in zip(first.inputs[unit], again.inputs[unit]):
            assert same(a.expected, b.expected) and same(a.args, b.args) and a.seed == b.seed
    (path,) = tmp_path.glob("answers-*.bin")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # corrupt one byte of one answer: the digest no longer matches
    path.write_bytes(bytes(data))
    assert pack.case_set(3, counts, "cpu", tmp_path)[1] == "computed"


def test_prepare_says_why_it_could_not_store(tmp_path):
    from grader.judge.answer_cache import cmd_prepare
    from grader.errors import GraderError

    open_folder = tmp_path / "shared"
    open_folder.mkdir()
    os.chmod(open_folder, 0o777)
    assert "others may write to it (mode 777)" in why_not_stored(open_folder)
    args = Namespace(cache=str(open_folder), rubric=None, assignment="regularization", seed=[0], device="cpu")
    with pytest.raises(GraderError, match="others may write to it"):
        cmd_prepare(args)
    os.chmod(open_folder, stat.S_IRWXU)
    (tmp_path / "plain").write_text("")
    assert why_not_stored(tmp_path / "plain") == "it is not a folder"


# --- a pack's words reach every renderer and validate ---------------------------------------------------
def test_a_packs_value_message_reaches_the_terminal_and_its_own_kind_validates():
    from rich.console import Console

    from grader.report.render_terminal import case_block
    from grader.judge.results import CaseResult
    from grader.report.schema import report_schema

    own = Mismatch("mask", "value", "mask is wrong at 2 of its 4 entries: it must be True exactly where x equals np.max(x)",
                   [2, 2], [2, 2], index=[0, 1])
    case = CaseResult(0, "c", "d", "failed", mismatches=[own])
    console = Console(file=io.StringIO(), width=200, color_system=None)
    for part in case_block(case, console):
        console.print(part)
    assert "it must be True exactly where x equals np.max(x)" in console.file.getvalue()
    import jsonschema

    schema = report_schema()
    jsonschema.validate({"path": "x", "kind": "draws", "message": "m"}, schema["$defs"]["mismatch"] if "$defs" in schema
                        else schema["definitions"]["mismatch"])


# --- seeds: the same --seed, the same draws ---------------------------------------------------------------
class _DrawOracle:
    device = "cpu"

    def answer(self, function, args, seed):
        return np.random.RandomState(seed).rand(3) * args[0]


def _draw_pack():
    from grader.autograd_pack import AutogradPack, Case, Graded, Randomness

    class Draws(AutogradPack):
        name = "draws"
        graded = (Graded("draw", ("x",), "d", random=Randomness(None, "np.random.rand(3)")),)
        default_points = {"draw": 100}

        def cases(self, unit, seed, n, oracle):
            return [Case(f"case {k}", "", {"x": float(k + 1)}) for k in range(n)]

        def make_oracle(self, device):
            return _DrawOracle()

    return Draws()


def test_a_function_the_course_seeds_not_draws_from_the_grading_seed_in_the_sandbox(tmp_path):
    """No seed in the course: each case's seed comes from --seed, the unit and the case; the sandbox seeds
    NumPy with it, so code that draws unseeded gets full marks, and the same marks on every run."""
    from grader.judge.grade import Grader
    from grader.judge.rubric import Rubric

    pack = _draw_pack()
    assert pack.case_seed(0, "draw", 1) == pack.case_seed(0, "draw", 1) != pack.case_seed(1, "draw", 1)
    case_set, _ = pack.case_set(0, {"draw": 4}, "cpu", "off")
    assert [c.seed for c in case_set.inputs["draw"]] == [pack.case_seed(0, "draw", i) for i in range(4)]
    assert case_set.inputs["draw"][0].to_job(b"salt")["seed"] == case_set.inputs["draw"][0].seed
    student = tmp_path / "draws.py"
    student.write_text("import numpy as np\n\ndef draw(x):\n    return np.random.rand(3) * x\n")
    for seed in (0, 0, 5):
        with Grader(Rubric(), seed=seed, pack=pack, weak_sandbox="allow", case_set=pack.case_set(seed, {"draw": 4}, "cpu", "off")[0]) as grader:
            (test,) = grader.grade(student).tests
        assert test.score == test.max_score and test.passed_cases == 4, test.feedback
    twice = tmp_path / "twice.py"  # draws once more before: another stream, so other numbers, every case
    twice.write_text("import numpy as np\n\ndef draw(x):\n    np.random.rand(1)\n    return np.random.rand(3) * x\n")
    with Grader(Rubric(), seed=0, pack=pack, weak_sandbox="allow", case_set=case_set) as grader:
        (test,) = grader.grade(twice).tests
    assert test.passed_cases == 0 and "a seed drawn from the grading seed (--seed)" in test.feedback


def test_an_autograd_packs_case_may_carry_stand_ins_and_the_sandbox_refuses_a_wrong_call(tmp_path):
    """A graded helper called by a graded function is a stand-in under the Pack rule: a call a correct
    caller makes is answered, any other refused (the case fails, before the function returns)."""
    from grader.autograd_pack import AutogradPack, Case, Graded
    from grader.judge.grade import Grader
    from grader.judge.rubric import Rubric

    class Oracle:
        device = "cpu"

        def answer(self, function, args, seed):
            return np.asarray(args[0]) * 2.0 if function == "double" else np.asarray(args[0]) * 4.0

    class Calls(AutogradPack):
        name = "calls"
        graded = (Graded("double", ("x",), "y"), Graded("quadruple", ("x",), "y"))
        default_points = {"double": 50, "quadruple": 50}

        def cases(self, unit, seed, n, oracle):
            out = []
            for k in range(n):
                x = np.full(2, float(k + 1))
                helpers = {"double": [((x,), oracle.answer("double", (x,), None), "double(x)")]} if unit == "quadruple" else {}
                out.append(Case(f"case {k}", "", {"x": x}, standins=helpers))
            return out

        def make_oracle(self, device):
            return Oracle()

    pack = Calls()
    case_set, _ = pack.case_set(0, {"double": 2, "quadruple": 2}, "cpu", "off")
    assert case_set.inputs["quadruple"][0].standins["double"][0][2] == "double(x)"
    right, wrong = tmp_path / "right.py", tmp_path / "wrong.py"
    right.write_text("def double(x):\n    return x * 2\n\ndef quadruple(x):\n    return double(double(x) / 2) * 2\n")
    wrong.write_text("def double(x):\n    return x * 2\n\ndef quadruple(x):\n    return double(x + 1) * 2 - 2\n")
    with Grader(Rubric(), seed=0, pack=pack, weak_sandbox="allow", case_set=case_set) as grader:
        ok = grader.grade(right).test("quadruple")
        refused = grader.grade(wrong).test("quadruple")
    assert ok.score == ok.max_score
    assert refused.passed_cases == 0 and all(c.mismatches and c.mismatches[0].kind == "call" for c in refused.cases)
