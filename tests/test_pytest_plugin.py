"""`pytest --submission PATH` against the command line, on every bundled submission, with pytester.

For each submission: `python -m grader grade` (one run for all), then `pytest --submission` with
pytest-json-report, then the conversion back. Item outcomes, the metadata, the terminal score and the
converted JSON must all say what `grade` says. Then: a hostile conftest.py beside a submission, an
instructor's checks counting in the score, and the plugin staying out of a run without --submission.
A small rubric (3 cases, short limits) and one seed keep it fast.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader.frontends.cli import main
from grader.report.feedback import points
from grader.exits import MEANING, Exit, for_report_dict
from grader.frontends.pytest_report import KEY, report_from_pytest_json
from grader import packs
from grader.packs.step_by_step import PACK as _PACK

UNITS = _PACK.units
from grader.report.schema import validate_report

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
CORRECT = SUBMISSIONS / "correct_student.py"
EXAMPLE = ROOT / "examples" / "instructor_check_example.py"
SEED = 3
RUBRIC = "[grading]\ncases = 3\n\n[limits]\ncase_seconds = 1\nload_seconds = 1\nfunction_seconds = 5\n"
NOT_GRADABLE = "nothing_graded.py"  # an extra submission that defines none of the functions
CUDA = __import__("torch").cuda.is_available()
BUNDLED = sorted(p.name for p in SUBMISSIONS.iterdir() if p.suffix in (".py", ".ipynb"))

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict:
    """The rubric file, the extra submission, and `grade`'s JSON for every submission."""
    here = tmp_path_factory.mktemp("cli")
    rubric = here / "small.toml"
    rubric.write_text(RUBRIC)
    extra = here / "extra" / NOT_GRADABLE
    extra.parent.mkdir()
    extra.write_text("LEARNING_RATE = 0.1\n\ndef helper(x):\n    return x\n")
    out = here / "out"
    assert main(["grade", str(SUBMISSIONS), str(extra), "--out", str(out), "--rubric", str(rubric),
                 "--seed", str(SEED), "--device", "cpu", "--assignment", "auto"]) == Exit.NOT_GRADED  # the worst: NOT_GRADABLE
    reports = {name: json.loads((out / f"{Path(name).stem}.json").read_text()) for name in BUNDLED + [NOT_GRADABLE]}
    paths = {**{name: SUBMISSIONS / name for name in BUNDLED}, NOT_GRADABLE: extra}
    return {"rubric": rubric, "reports": reports, "paths": paths}


def grader_args(setup: dict) -> list[str]:
    """One word per option: a path given as a separate word would also count as a test path for pytest's
    choice of rootdir and ini file, which happens before any plugin loads."""
    return [f"--grader-rubric={setup['rubric']}", f"--grader-seed={SEED}", "--grader-device=cpu", "-p", "no:cacheprovider"]


def without_seconds(value):
    """Timings differ from run to run; everything else must not."""
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_seconds(v) for v in value]
    return value


def terminal_score(result) -> str:
    found = re.findall(r"^Score: (\S+) / (\S+)$", result.stdout.str(), re.M)
    assert len(found) == 1, result.stdout.str()
    return "{} / {}".format(*found[0])


@pytest.mark.parametrize("name", BUNDLED + [NOT_GRADABLE])
def test_command_line_pytest_and_conversion_agree(pytester, setup, name):
    cli = setup["reports"][name]
    UNITS = packs.of_report(cli).units  # the submission's own assignment's units
    result = pytester.runpytest(f"--submission={setup['paths'][name]}", *grader_args(setup),
                                "--json-report", "--json-report-file=report.json")
    passed = [t["function"] for t in cli["tests"] if t["status"] == "passed"]
    result.assert_outcomes(passed=len(passed), failed=len(UNITS) - len(passed))
    assert terminal_score(result) == f"{points(cli['score'])} / {points(cli['max_score'])}"  # as every report rounds it
    outcome = for_report_dict(cli)  # pytest exits as `check` would on the same submission: 0, 1 or 2
    assert result.ret == outcome and f"Result: {MEANING[outcome]} (exit status {int(outcome)})" in result.stdout.str()

    document = json.loads((pytester.path / "report.json").read_text())
    items = {t["nodeid"]: t for t in document["tests"]}
    assert list(items) == [f"backprop-grader::{unit}" for unit in UNITS]  # one item per unit, nothing else
    by_unit = {t["function"]: t for t in cli["tests"]}
    for unit in UNITS:
        item = items[f"backprop-grader::{unit}"]
        assert "points" in item["keywords"]
        assert item["outcome"] == ("passed" if unit in passed else "failed")
        if unit not in by_unit:  # not gradable at all: no scored test, the item says why
            assert cli["status"] == "error" and "metadata" not in item
            assert cli["feedback"] in item["call"]["longrepr"]
            continue
        meta = item["metadata"][KEY]
        assert (meta["score"], meta["max_score"], meta["status"], meta["diagnoses"]) == \
            (by_unit[unit]["score"], by_unit[unit]["max_score"], by_unit[unit]["status"], by_unit[unit]["diagnoses"])
        if unit not in passed:  # fails with the feedback `check` prints
            assert by_unit[unit]["feedback"] in item["call"]["longrepr"]

    converted = report_from_pytest_json(pytester.path / "report.json")
    assert cli.pop("submission_digest").startswith("sha256:")  # a batch's key for resuming, not a grading result
    assert without_seconds(converted) == without_seconds(cli)
    validate_report(converted)


def test_a_hostile_conftest_beside_the_submission_changes_nothing(pytester, setup, monkeypatch):
    upload = pytester.mkdir("test_upload")  # matches test*: pytest would load its conftest at startup
    (upload / "correct_student.py").write_text((SUBMISSIONS / "correct_student.py").read_text())
    ran = pytester.path / "HOSTILE_CODE_RAN"
    for file, what in (("conftest.py", "conftest"), ("test_student.py", "test file")):
        (upload / file).write_text(f"import pathlib\npathlib.Path({str(ran)!r}).write_text({what!r})\n"
                                   f"raise RuntimeError('hostile {what}')\n")
    pytester.makepyfile(**{"checks/test_instructor": "import pytest\n\n@pytest.mark.points(2)\n"
                                                     "def test_defined(submission):\n"
                                                     "    assert 'linear_backward' in submission.defined\n"})
    control = pytester.runpytest(str(upload))  # without --submission the hostile code does run
    assert ran.exists() and control.ret != 0
    ran.unlink()

    cli = setup["reports"]["correct_student.py"]
    expected = f"{cli['score']:g} / {cli['max_score']:g}"
    from_above = pytester.runpytest("--submission=test_upload/correct_student.py", *grader_args(setup))
    assert not ran.exists()
    from_above.assert_outcomes(passed=len(UNITS))
    assert terminal_score(from_above) == expected

    with_checks = pytester.runpytest("--submission=test_upload/correct_student.py", ".", *grader_args(setup))
    assert not ran.exists()
    with_checks.assert_outcomes(passed=len(UNITS) + 1)  # the instructor's check, none of the student's files
    assert terminal_score(with_checks) == f"{cli['score'] + 2:g} / {cli['max_score'] + 2:g}"

    refused = pytester.runpytest("--submission=test_upload/correct_student.py", "test_upload/test_student.py")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR and not ran.exists()
    assert "is in the submission's folder" in refused.stderr.str()

    # Given as two words, the path counts as a test path when pytest picks its ini file, before any plugin
    # loads: the student's pytest.ini would set the seed. The plugin refuses to grade under it.
    (upload / "pytest.ini").write_text("[pytest]\naddopts = --grader-seed=99 -p no:cacheprovider\n")
    chosen = pytester.runpytest("--submission", "test_upload/correct_student.py")
    assert chosen.ret == pytest.ExitCode.USAGE_ERROR and not ran.exists()
    assert "read its configuration from" in chosen.stderr.str() and "Score:" not in chosen.stdout.str()

    monkeypatch.chdir(upload)  # run from the student's folder: pytest reads its pytest.ini, the plugin refuses
    refused_inside = pytester.runpytest("--submission=correct_student.py", *grader_args(setup))
    assert refused_inside.ret == pytest.ExitCode.USAGE_ERROR and not ran.exists()
    assert "read its configuration from" in refused_inside.stderr.str() and "Score:" not in refused_inside.stdout.str()
    (upload / "pytest.ini").unlink()  # with none there, the conftest in the current folder still never loads
    inside = pytester.runpytest("--submission=correct_student.py", *grader_args(setup))
    assert not ran.exists()
    inside.assert_outcomes(passed=len(UNITS))
    assert terminal_score(inside) == expected


INSTRUCTOR_CHECKS = """
import numpy as np
import pytest


@pytest.mark.points(2)
def test_linear_backward_on_the_oracles_cases(submission, grader_cases):
    cases = grader_cases["linear_backward"]
    for case, call in zip(cases, submission.call_many("linear_backward", [c.args for c in cases])):
        assert call.ok, call.describe()
        for got, want in zip(call.value, case.expected):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


@pytest.mark.points(1)
def test_a_function_the_submission_lacks(submission):
    submission.no_such_function(1)


def test_unscored(submission):
    assert submission.compute_cost(np.array([[0.5]]), np.array([[1.0]])) > 0
"""


def test_instructor_checks_count_in_the_score(pytester, setup):
    pytester.makepyfile(test_example=EXAMPLE.read_text(), test_more=INSTRUCTOR_CHECKS)
    runs = {}
    for name in ("correct_student.py", "bug_update_sign.py"):
        result = pytester.runpytest(f"--submission={SUBMISSIONS / name}", *grader_args(setup),
                                    "--json-report", f"--json-report-file={name}.json", "test_example.py", "test_more.py")
        runs[name] = (result, report_from_pytest_json(pytester.path / f"{name}.json"))

    result, converted = runs["correct_student.py"]
    cli = setup["reports"]["correct_student.py"]
    result.assert_outcomes(passed=len(UNITS) + 3, failed=1)
    assert terminal_score(result) == f"{cli['score'] + 7:g} / {cli['max_score'] + 8:g}"
    assert (converted["score"], converted["max_score"]) == (cli["score"] + 7, cli["max_score"] + 8)
    assert without_seconds(converted["tests"]) == without_seconds(cli["tests"])
    checks = {c["name"].split("::")[1]: c for c in converted["instructor_checks"]}
    assert {k: (c["score"], c["max_score"], c["status"]) for k, c in checks.items()} == {
        "test_one_step_of_gradient_descent_lowers_the_cost": (5.0, 5.0, "passed"),
        "test_linear_backward_on_the_oracles_cases": (2.0, 2.0, "passed"),
        "test_a_function_the_submission_lacks": (0.0, 1.0, "failed"),
    }
    assert "NameError" in checks["test_a_function_the_submission_lacks"]["feedback"]
    validate_report(converted)

    result, converted = runs["bug_update_sign.py"]
    cli = setup["reports"]["bug_update_sign.py"]
    assert terminal_score(result) == f"{cli['score'] + 2:g} / {cli['max_score'] + 8:g}"
    assert converted["score"] == round(cli["score"] + 2, 4)
    lowered = next(c for c in converted["instructor_checks"] if c["name"].endswith("lowers_the_cost"))
    assert lowered["status"] == "failed" and "it should go down" in lowered["feedback"]

    only = pytester.runpytest(f"--submission={CORRECT}", *grader_args(setup),
                              "-k", "linear_backward", "test_example.py", "test_more.py", "--json-report", "--json-report-file=only.json")
    only.assert_outcomes(passed=2)  # the graded linear_backward and the instructor's check of it
    converted = report_from_pytest_json(pytester.path / "only.json")
    assert [t["function"] for t in converted["tests"]] == ["linear_backward"]
    assert converted["score"] == 12 + 2


def test_the_plugin_stays_out_of_a_run_without_submission(pytester):
    ran = pytester.path / "CONFTEST_RAN"
    pytester.makeconftest(f"""
        import pathlib
        import pytest

        pathlib.Path({str(ran)!r}).write_text("ok")

        @pytest.fixture
        def submission():
            return "the project's own fixture"
    """)
    pytester.makepyfile("""
        def test_own_fixture_wins(submission):
            assert submission == "the project's own fixture"

        def test_plain():
            assert True
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert ran.exists()
    assert "= backprop-grader =" not in result.stdout.str() and "Score:" not in result.stdout.str()
    helped = pytester.runpytest("--help")
    for option in ("--submission", "--grader-seed", "--grader-device", "--grader-rubric"):
        assert option in helped.stdout.str()
    assert "points(n)" in pytester.runpytest("--markers").stdout.str()


@pytest.mark.parametrize("args, message", [
    (["--submission=missing.py"], "no such submission"),
    ([f"--submission={CORRECT}", "--grader-rubric=missing.toml"], "no such rubric"),
    ([f"--submission={CORRECT}", "test_bad_marker.py"], "pytest.mark.points(n)"),
    pytest.param([f"--submission={CORRECT}", "--grader-device=cuda"], "grader: error: --device cuda",
                 marks=pytest.mark.skipif(CUDA, reason="a CUDA device is present: nothing to refuse")),
])
def test_mistakes_in_the_command_are_usage_errors(pytester, args, message):
    pytester.makepyfile(test_bad_marker="import pytest\n\n@pytest.mark.points('ten')\ndef test_x():\n    pass\n")
    result = pytester.runpytest(*args, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_grader_assignment_names_the_pack_pytest_grades_by(pytester, setup):
    """--grader-assignment: a conv example graded as assignment 1 has none of its functions; named as
    itself, every one of its units is an item and passes."""
    conv = SUBMISSIONS / "conv_correct_vectorized.py"
    as_pack1 = pytester.runpytest(f"--submission={conv}", *grader_args(setup), "--grader-assignment=step_by_step")
    as_pack1.assert_outcomes(failed=len(UNITS))
    as_pack2 = pytester.runpytest(f"--submission={conv}", *grader_args(setup), "--grader-assignment=conv_step_by_step")
    as_pack2.assert_outcomes(passed=len(packs.get("conv_step_by_step").units))
    unknown = pytester.runpytest(f"--submission={conv}", *grader_args(setup), "--grader-assignment=nosuch")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR and "unknown assignment 'nosuch'" in unknown.stderr.str()
