"""Pack 3, "Regularization": the course's printed values, the answer key against autograd, every example's
exact outcome, and the draws of a dropout forward with and without the course's seed line."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import END_TO_END, packs
from grader.pack_testing import grade_in_process
from tests.expected_regularization_outcomes import CASES, EXPECTED, POINTS, SEED

ROOT = Path(__file__).resolve().parents[1]
PACK = packs.get("regularization")
FORWARD, BACKWARD = "forward_propagation_with_dropout", "backward_propagation_with_dropout"
COST, L2_BACKWARD = "compute_cost_with_regularization", "backward_propagation_with_regularization"


@pytest.fixture(scope="module")
def case_set(tmp_path_factory):
    """Computed here by autograd, in a folder of its own: never answers some earlier run kept."""
    cs, how = PACK.case_set(SEED, {unit: CASES for unit in PACK.units}, cache=tmp_path_factory.mktemp("reg-answers"))
    assert how == "computed"
    return cs


@pytest.fixture(scope="module")
def key():
    """The answer key, imported with the course's reg_utils under its name (as the sandbox serves it)."""
    spec = importlib.util.spec_from_file_location("reg_utils", PACK.course_module_file)
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    saved = sys.modules.get("reg_utils")
    sys.modules["reg_utils"] = helpers
    try:
        spec = importlib.util.spec_from_file_location("reg_answer_key", ROOT / "reference" / "regularization.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("reg_utils") if saved is None else sys.modules.__setitem__("reg_utils", saved)
    return module


def test_the_pack_is_derived_from_its_description():
    assert packs.get("regularization") is PACK and PACK.units == (COST, L2_BACKWARD, FORWARD, BACKWARD, END_TO_END)
    assert PACK.chain == (FORWARD, BACKWARD) and PACK.end_to_end_file is None
    assert PACK.stages[1].takes == ("X", "Y", "cache", "keep_prob") and PACK.stages[0].gives == ("A3", "cache")
    assert sum(PACK.default_points.values()) == 100 and set(PACK.checks()) == set(PACK.units)
    assert b"end_to_end" in PACK.job_extras()["chain"]


# --- the course's own test cases (public_tests.py / testCases.py of the 2021 notebook) ------------------
def test_the_courses_printed_values_are_reproduced(case_set):
    cost = case_set.inputs[COST][0]
    assert cost.label == "the course's" and float(cost.expected) == pytest.approx(1.7864859451590758, abs=1e-9)
    grads = case_set.inputs[L2_BACKWARD][0].expected
    printed = {"dW1": [[-0.25604646, 0.12298827, -0.28297129], [-0.17706303, 0.34536094, -0.4410571]],
               "dW2": [[0.79276486, 0.85133918], [-0.0957219, -0.01720463], [-0.13100772, -0.03750433]],
               "dW3": [[-1.77691347, -0.11832879, -0.09397446]], "db3": [[-0.38032981]], "db1": [[0.11845855], [0.21236874]],
               "dZ3": [[-0.59317598, -0.98370716, 0.16722898, -0.89881889, 0.40682402]]}
    for name, values in printed.items():
        np.testing.assert_allclose(grads[name], values, atol=1e-8, err_msg=name)
    A3, cache = case_set.inputs[FORWARD][0].expected
    np.testing.assert_allclose(A3, [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]], atol=1e-8)
    assert cache[1].tolist() == [[True, False, True, True, True], [True, True, True, True, True]]
    assert cache[6].tolist() == [[True, True, True, False, True], [True, True, True, True, True], [False, False, True, True, False]]
    np.testing.assert_allclose(cache[7][0], [0.75765067, 8.40591658, 4.40550021, 0, 0.75765067], atol=1e-7)


def test_the_courses_dropout_backward_case_is_not_a_forward_pass_of_its_keep_prob():
    """CONTRACT.md: its cache's A1 is relu(Z1) * D1 / 0.5, while the test calls keep_prob = 0.8, so no
    case of ours can be that one (its printed dA1 follows from the cache as given, not from a forward)."""
    Z1_02, A1_02 = 2.13994541, 4.27989081  # cache[0][0, 2] and cache[2][0, 2], D1[0, 2] True
    assert A1_02 / Z1_02 == pytest.approx(1 / 0.5, abs=1e-7) and A1_02 / Z1_02 != pytest.approx(1 / 0.8, abs=1e-2)


def test_the_answer_key_reproduces_the_courses_printed_dropout_backward_from_its_cache_as_given(key):
    """The course's own case (testCases.py, 8 digits), inconsistent as it is: the formula on the given cache."""
    a = np.array
    T, F = True, False
    cache = (a([[-1.52855314, 3.32524635, 2.13994541, 2.60700654, -0.75942115], [-1.98043538, 4.1600994, 0.79051021, 1.46493512, -0.45506242]]),
             a([[T, F, T, T, T], [T, T, T, T, F]]),
             a([[0., 0., 4.27989081, 5.21401307, 0.], [0., 8.32019881, 1.58102041, 2.92987024, 0.]]),
             a([[-1.09989127, -0.17242821, -0.87785842], [0.04221375, 0.58281521, -1.10061918]]), a([[1.14472371], [0.90159072]]),
             a([[0.53035547, 8.02565606, 4.10524802, 5.78975856, 0.53035547], [-0.69166075, -1.71413186, -3.81223329, -4.61667916, -0.69166075],
                [-0.39675353, -2.62563561, -4.82528105, -6.0607449, -0.39675353]]),
             a([[T, F, T, F, T], [F, T, F, T, T], [F, F, T, F, F]]),
             a([[1.06071093, 0., 8.21049603, 0., 1.06071093], [0., 0., 0., 0., 0.], [0., 0., 0., 0., 0.]]),
             a([[0.50249434, 0.90085595], [-0.68372786, -0.12289023], [-0.93576943, -0.26788808]]), a([[0.53035547], [-0.69166075], [-0.39675353]]),
             a([[-0.7415562, -0.0126646, -5.65469333, -0.0126646, -0.7415562]]), a([[0.32266394, 0.49683389, 0.00348883, 0.49683389, 0.32266394]]),
             a([[-0.6871727, -0.84520564, -0.67124613]]), a([[-0.0126646]]))
    X = np.random.RandomState(1).randn(3, 5)
    grads = key.backward_propagation_with_dropout(X, a([[1, 1, 0, 1, 0]]), cache, 0.8)
    np.testing.assert_allclose(grads["dA1"], [[0.36544439, 0., -0.00188233, 0., -0.17408748], [0.65515713, 0., -0.00337459, 0., -0.]], atol=1e-8)
    np.testing.assert_allclose(grads["dA2"], [[0.58180856, 0., -0.00299679, 0., -0.27715731], [0., 0.53159854, -0., 0.53159854, -0.34089673],
                                              [0., 0., -0.00292733, 0., -0.]], atol=1e-8)


# --- the answer key -------------------------------------------------------------------------------------
def test_the_answer_key_equals_autograd_on_many_cases(key):
    """The key on 200 fresh cases per function (another seed than the graded one), to 1e-10."""
    from grader.judge.compare import Tolerance, compare

    cs, _ = PACK.case_set(4242, {unit: 200 for unit in PACK.units}, cache="off")
    tight = Tolerance(1e-10, 1e-10, 1e-12)
    for unit in PACK.functions:
        check = PACK.checks()[unit]
        for inp in cs.inputs[unit]:
            if inp.seed is not None:
                np.random.seed(inp.seed)
            got = getattr(key, unit)(*inp.args)
            assert not check.judge(inp, got, tight), (unit, inp.label)
    assert compare("x", np.array(1.0), np.array(1.0 + 1e-6), tight)  # that tolerance can fail


# --- every example, in process and through the engine --------------------------------------------------
def test_every_example_has_an_expected_outcome():
    assert {p.name for p in (ROOT / "submissions").glob("reg_*")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_loses_points_exactly_where_its_mistake_lives(case_set, name):
    outcome = EXPECTED[name]
    results = grade_in_process(PACK, ROOT / "submissions" / name, case_set)
    failing = {unit: sum(not c.passed for c in t.cases) for unit, t in results.items() if any(not c.passed for c in t.cases)}
    assert failing == outcome.failing, name
    assert {u: round(t.max_score - t.score, 4) for u, t in results.items() if t.score < t.max_score} == outcome.lost
    assert {u: sorted(d.code for d in t.diagnoses) for u, t in results.items() if t.diagnoses} == outcome.diagnoses


def test_each_misconception_is_named_on_its_own_example_and_on_no_other():
    codes = {m.code for m in PACK.misconceptions}
    named = [code for o in EXPECTED.values() for codes_ in o.diagnoses.values() for code in codes_]
    assert set(named) == codes
    owners = {code: {n for n, o in EXPECTED.items() if any(code in c for c in o.diagnoses.values())} for code in codes}
    assert all(len(files) == 1 for files in owners.values()), owners


def test_a_dropout_forward_without_the_seed_line_scores_the_same_on_every_run(tmp_path):
    """The engine's own sandbox, twice, with two grading seeds: the forward without np.random.seed(1) gets
    full marks each time (the sandbox seeds each case with the course's seed), and the reports agree."""
    from grader.judge.grade import Grader
    from grader.judge.results import make_report_dict

    scores = []
    for seed in (0, 0, 7):
        with Grader(seed=seed, pack=PACK, weak_sandbox="allow") as grader:
            report = grader.grade(ROOT / "submissions" / "reg_correct_layers.py", only=(FORWARD, END_TO_END))
        scores.append([(t.function, t.score, t.passed_cases) for t in report.tests])
        assert all(t.score == t.max_score for t in report.tests), [t.feedback for t in report.tests]
    assert scores[0] == scores[1] == scores[2]


def test_a_student_whose_draws_differ_is_told_the_courses_draws(case_set, tmp_path):
    other = tmp_path / "other_draws.py"
    text = (ROOT / "submissions" / "reg_correct_template.py").read_text()
    other.write_text(text.replace("    np.random.seed(1)\n", "    np.random.seed(2)\n"))
    results = grade_in_process(PACK, other, case_set)
    forward = results[FORWARD]
    assert forward.passed_cases < CASES / 2  # small masks may come out alike by chance
    notices = PACK.notices(PACK.checks()[FORWARD], case_set.inputs[FORWARD], forward, None, None, None)
    assert len(notices) == 1 and "np.random.seed(1), the course's own seed" in notices[0]
    assert "your masks (cache[1], cache[6]) differ from the course's draws" in notices[0] and "np.random.rand(A1.shape[0]" in notices[0]
    assert not forward.diagnoses  # other draws are not one of the named mistakes


def test_prepare_keeps_pack_3s_answers_and_a_check_reads_them(tmp_path):
    folder = tmp_path / "answers"
    env = {**__import__("os").environ, "GRADER_ANSWERS_CACHE": str(folder)}
    run = subprocess.run([sys.executable, "-P", "-m", "grader", "prepare", "--assignment", "regularization"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    assert "regularization, seed 0, rubric default, device cpu: answers computed in" in run.stdout
    assert len(list(folder.glob("answers-*.bin"))) == 1
    again = subprocess.run([sys.executable, "-P", "-m", "grader", "prepare", "--assignment", "regularization"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert "answers cached in" in again.stdout
    check = subprocess.run([sys.executable, "-P", "-m", "grader", "check", "submissions/reg_bug_cost_l2_not_halved.py", "--json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert check.returncode == 1, check.stderr
    report = json.loads(check.stdout)
    assert report["assignment"] == "regularization" and report["score"] == 100 - POINTS[COST]
    cost = next(t for t in report["tests"] if t["function"] == COST)
    assert [d["code"] for d in cost["diagnoses"]] == ["L2_COST_NOT_HALVED"]
    assert len(list(folder.glob("answers-*.bin"))) == 1  # the check used the prepared file: it stored no other


def test_only_the_oracle_imports_torch():
    """Importing the pack and building nothing imports no torch (it runs for every recognised submission)."""
    code = ("import sys\nimport grader.packs.regularization as p\nimport grader.packs.regularization.cases\n"
            "import grader.packs.regularization.misconceptions\np.PACK.checks(); p.PACK.job_extras()\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "import grader.packs.regularization.oracle\nprint('oracle' , 'torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-P", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "oracle False"  # even the oracle's module imports torch only when it runs
