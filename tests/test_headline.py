"""Headlines for the common cases (issue 21), said once and the same in every report; Gradescope's tests
the same for every student; scores as people read them; the terminal table whole at 80 columns.

Every headline comes from a real submission graded through the sandbox: another assignment's file, the
course template left unfilled (made here from a correct export by emptying its START/END CODE blocks, as
the notebook hands them out), a half-filled template, and a function that never returns.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from grader import END_TO_END, packs
from grader.report import feedback, headline
from grader.frontends.cli import main
from grader.report.html_report import fragment
from grader.platforms import autolab, coursera, gradescope
from grader.platforms.common import summary, validate_platform
from grader.report.render_markdown import render_markdown
from grader.report.render_terminal import render, render_text
from grader.judge.results import make_report_dict
from tests.conftest import ROOT, SUBMISSIONS

OTHER = SUBMISSIONS / "conv_correct_vectorized.py"  # the convolution assignment, graded as step_by_step
HANGS = ROOT / "tests" / "data" / "timeout" / "linear_backward_hangs.py"
UNITS = packs.get("step_by_step").units

pytestmark = pytest.mark.timeout(300)  # a hang guard only


def unfilled_template(tmp_path: Path) -> Path:
    """The notebook as handed out: every line between START and END CODE HERE is `name = None` (the
    template's placeholder) or gone; everything around them, as the course wrote it."""
    lines, inside = [], False
    for line in (SUBMISSIONS / "correct_v3_template_style.py").read_text(encoding="utf-8").splitlines():
        if "### START CODE HERE" in line:
            inside = True
        elif "### END CODE HERE" in line:
            inside = False
        elif inside and not line.rstrip().endswith(":"):  # a loop's header stays, as in the template
            assignment = re.match(r"^(\s*)([^=#]+?)\s*=(?!=)", line)
            line = f"{assignment.group(1)}{assignment.group(2)} = None" if assignment else re.sub(r"\S.*", "pass", line)
        lines.append(line)
    path = tmp_path / "template.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def everywhere(report) -> dict[str, str]:
    """The report as each renderer shows it."""
    data = make_report_dict(report)
    return {"terminal": " ".join(render_text(report).split()), "markdown": render_markdown(report),
            "html": fragment(data), "gradescope": gradescope.make_results(report)["tests"][0]["output"]
            if report.fatal else gradescope.make_output(report)[0], "coursera": coursera.make_feedback_text(report),
            "autolab": autolab.make_summary(report)}


# --- the headlines ----------------------------------------------------------------------------------
def test_another_assignment_gets_one_headline_and_no_wall_of_not_defined(graded):
    report = graded(OTHER)
    line = headline.headline(report)
    assert line and line.startswith(headline.OTHER_ASSIGNMENT)
    conv = packs.get("conv_step_by_step")
    assert conv.title in line and f"--assignment {conv.name}" in line and "8 of the 8" in line
    assert headline.headline(make_report_dict(report)) == line  # the same from the JSON
    for where, text in everywhere(report).items():
        flat = " ".join(text.split()).replace("\\", "")
        assert flat.count(headline.OTHER_ASSIGNMENT) == 1, where  # said once, not per function
        assert "is not defined" not in flat, where


def test_the_unfilled_template_is_named_as_such(graded, tmp_path):
    report = graded(unfilled_template(tmp_path))
    line = headline.headline(report)
    graded_functions = [t for t in report.tests if t.function in packs.get("step_by_step").functions]
    assert line == headline.headline(make_report_dict(report))
    assert line.startswith(f"This is still the template: all {len(graded_functions)} functions return None")
    assert all(headline.returned_none(t) for t in graded_functions)
    for where, text in everywhere(report).items():
        assert "This is still the template" in text.replace("\\", ""), where


def test_a_partly_filled_template_names_the_functions_left(graded):
    report = graded(SUBMISSIONS / "partial_unfilled_template.py")
    line = headline.headline(report)
    left = [t.function for t in report.tests if t.function != END_TO_END and headline.returned_none(t)]
    assert left and set(left) <= {"L_model_forward", "compute_cost", "update_parameters"}
    assert line.startswith("Parts of this are still the template") and all(name in line for name in left)


def test_a_timeout_says_where_time_ran_out(graded):
    report = graded(HANGS)
    loop = next(number for number, text in enumerate(HANGS.read_text().splitlines(), 1) if "while m > 0" in text)
    line = headline.headline(report)
    assert line.startswith(f"Time ran out in linear_backward at line {loop} of {HANGS.name}")
    case = report.test("linear_backward").first_failure()
    assert case.status == "timeout" and feedback.timeout_frame(case)[1] == loop
    assert f"at line {loop} of {HANGS.name}: while m > 0" in " ".join(render_text(report).split())
    for where, text in everywhere(report).items():
        assert "Time ran out in linear_backward" in text, where


def test_a_timeout_without_the_line_still_names_function_and_case(graded):
    report = graded(HANGS)
    data = make_report_dict(report)
    for test in data["tests"]:
        for case in test["failed_cases"]:
            case.pop("error", None)  # as when the whole job had to be ended: no frames came back
    line = headline.headline(data)
    assert line.startswith("Time ran out in linear_backward on case 0 (")


@pytest.mark.parametrize("name", ["correct_student.py", "bug_cost_sign.py", "bug_dW_transposed.py"])
def test_no_headline_where_the_details_speak_for_themselves(graded, name):
    report = graded(SUBMISSIONS / name)
    assert headline.headline(report) is None
    assert not any(headline.OTHER_ASSIGNMENT in text or "still the template" in text or "Time ran out" in text
                   for text in everywhere(report).values())


def test_check_prints_the_headline(capsys):
    code = main(["check", "--device", "cpu", "--assignment", "step_by_step", str(OTHER)])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 2 and out.count(headline.OTHER_ASSIGNMENT) == 1


# --- Gradescope: the same tests for every student -----------------------------------------------------
def test_gradescope_gives_an_ungradable_submission_the_usual_tests(graded):
    ungradable, good = gradescope.make_results(graded(OTHER)), gradescope.make_results(graded(SUBMISSIONS / "bug_cost_sign.py"))
    for results in (ungradable, good):
        validate_platform("gradescope", results)
    shape = [(t["name"], t["number"], t["max_score"]) for t in good["tests"]]
    assert [(t["name"], t["number"], t["max_score"]) for t in ungradable["tests"]] == shape
    assert [t["name"] for t in ungradable["tests"]] == list(UNITS)
    assert ungradable["score"] == 0 and all(t["score"] == 0 and t["status"] == "failed" for t in ungradable["tests"])
    assert all(headline.OTHER_ASSIGNMENT in t["output"] and "could not be graded" in t["output"] for t in ungradable["tests"])


def test_gradescope_uses_the_rubric_points_for_an_ungradable_submission(graded):
    units = {"linear_forward": 30.0, "compute_cost": 70.0}
    tests = gradescope.make_results(graded(OTHER), units=units)["tests"]
    assert [(t["name"], t["max_score"]) for t in tests] == list(units.items())


# --- scores as people read them ----------------------------------------------------------------------
@pytest.mark.parametrize("value, shown", [(79.0417, "79.04"), (5.0, "5"), (81.3333, "81.33"), (0.005, "0.01"),
                                          (12345.678, "12345.68"), (0.0, "0"), (2.5, "2.5"), (99.999, "100")])
def test_points_have_two_decimals_at_most(value, shown):
    assert feedback.points(value) == shown


@pytest.fixture(scope="module")
def three_cases(tmp_path_factory):
    """A Grader with 3 cases per unit: scores in thirds of a point, more decimals than anyone reads."""
    from grader.judge.grade import Grader
    from grader.judge.rubric import load_rubric

    path = tmp_path_factory.mktemp("rubric") / "thirds.toml"
    path.write_text("[grading]\ncases = 3\n", encoding="utf-8")
    with Grader(load_rubric(path), seed=3, device="cpu") as grader:
        yield grader


def test_every_report_shows_the_same_rounded_score(three_cases):
    report = three_cases.grade(SUBMISSIONS / "bug_dW_transposed.py")
    assert round(report.score, 2) != report.score  # a score with more than two decimals: the case to test
    shown = feedback.points(report.score)
    raw = f"{report.score:g}"
    for where, text in {**everywhere(report), "summary": summary(report)}.items():
        assert f"{shown} / 100" in text, where
        assert raw not in text, where
    results = gradescope.make_results(report)
    assert results["score"] == float(shown)
    assert all(round(t["score"], 2) == t["score"] for t in results["tests"])


# --- the terminal table at 80 columns ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["correct_student.py", "bug_relu_mask_from_dA.py", "partial_unfilled_template.py"])
def test_the_score_table_keeps_function_names_whole_at_80_columns(graded, name):
    report = graded(SUBMISSIONS / name)
    buffer = io.StringIO()
    render(report, Console(file=buffer, width=80, no_color=True, force_terminal=False, highlight=False))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    table = [line for line in lines if "|" in line and ("PASSED" in line or "FAILED" in line or "ERROR" in line)]
    for unit in UNITS:
        assert any(re.search(rf"\| {re.escape(unit)} +\|", line) for line in table), unit
    header = next(line for line in lines if "| function" in line)
    assert ("likely cause" in header) == any(t.diagnoses for t in report.tests)  # an empty column is left out
