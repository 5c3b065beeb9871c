"""Notebook versions: recognised from imports, markers and template comments (never from the keys a
student used), graded by that version's contract, pinned by a rubric, and said in every report."""

from __future__ import annotations

import pytest

from grader.errors import GraderError
from grader.judge.results import make_report_dict
from grader.judge.rubric import Rubric, Unit, load_rubric
from grader.report.schema import validate_report
from grader.packs.step_by_step.versions import for_submission, pinned, recognise
from tests.conftest import SUBMISSIONS

V3_COMMENT = '    # Lth layer (SIGMOID -> LINEAR) gradients. Inputs: "AL, Y, caches". Outputs: "grads["dAL"], grads["dWL"], grads["dbL"]\n'
V6_COMMENT = '    # Lth layer (SIGMOID -> LINEAR) gradients. Inputs: "dAL, current_cache". Outputs: "grads["dAL-1"], grads["dWL"], grads["dbL"]\n'
V8_LOOP = '        # Inputs: "grads["dA" + str(l + 1)], current_cache". Outputs: "grads["dA" + str(l)] , grads["dW" + str(l + 1)]\n'


def version_of(*cells: str, filename: str = "") -> tuple[str, str]:
    found = recognise([(f"cell {i}", text) for i, text in enumerate(cells, 1)], filename)
    return found.name, found.grads_keys


@pytest.mark.parametrize("cells,name,keys", [
    (("from testCases_v2 import *\nfrom dnn_utils_v2 import *\n",), "v3 or v4", "legacy"),
    (("from testCases_v3 import *\n",), "v5 to v7", "either"),  # one module name, two editions
    (("from testCases_v3 import *\n", V3_COMMENT), "v5 (2018)", "legacy"),
    (("from testCases_v3 import *\n", V6_COMMENT), "v6 or v7", "current"),
    (("import numpy as np\nfrom testCases_v4 import *\n",), "v8 (2019-2020)", "current"),
    (("from testCases_v4a import *\n", V6_COMMENT + V8_LOOP), "v8a (2020)", "current"),
    (("### v1.2",), "v1.x (2021 and later)", "current"),
    (("from public_tests import *\nfrom testCases import *\n",), "v1.x (2021 and later)", "current"),
    (("L_model_backward_test(L_model_backward)\n",), "v1.x (2021 and later)", "current"),
    (("from testCases import *\nfrom dnn_utils import sigmoid\n", V3_COMMENT), "pre-v3 (2017)", "legacy"),
    (("%run testCases_v2.py\n", "%run ./helpers/dnn_utils_v2.py\n"), "v3 or v4", "legacy"),
    (("import numpy as np\n",), "unknown", "either"),
])
def test_recognised_from_what_the_copy_contains(cells, name, keys):
    assert version_of(*cells) == (name, keys)


def test_imports_outrank_edited_comments_and_the_keys_never_count():
    """A v8 copy whose student pasted the old comment and used the old keys is still v8."""
    found = recognise([("c1", "from testCases_v4 import *\n"), ("c2", V3_COMMENT + V6_COMMENT),
                       ("c3", 'grads["dA" + str(L)] = dAL_prev\n')])
    assert found.name == "v8 (2019-2020)" and found.grads_keys == "current"
    ignored = [e for e in found.evidence if not e.used]
    assert [e.text for e in ignored] == ['the template comment Outputs: "grads["dAL"] ...']


def test_the_file_name_is_evidence():
    assert version_of("from testCases_v3 import *\n", filename="Building+your+Deep+Neural+Network+-+Step+by+Step+v5.ipynb")[0] == "v5 (2018)"
    assert version_of("import numpy\n", filename="my_solution_v8a.py") == ("v8a (2020)", "current")
    assert version_of("import numpy\n", filename="v2_notes.py")[0] == "unknown"  # not a notebook version


def test_a_rubric_pins_the_version_and_legacy_option_accepts_both():
    texts = [("c1", "from testCases_v2 import *\n")]
    assert for_submission(texts, version="v8").grads_keys == "current"
    assert for_submission(texts, version="v8").because() == "pinned by the rubric"
    assert for_submission(texts, version="v1.2").name == "v1.x (2021 and later)"
    assert for_submission(texts, legacy_grads_keys=True).grads_keys == "either"
    with pytest.raises(GraderError, match="unknown notebook version 'v9'"):
        pinned("v9")


def test_rubric_version_key(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('[grading]\nversion = "v4"\n', encoding="utf-8")
    rubric = load_rubric(path)
    assert rubric.version == "v4" and rubric.fingerprint() != Rubric().fingerprint()
    assert load_rubric(None).version == "auto"
    path.write_text('[grading]\nversion = "v2.5"\n', encoding="utf-8")
    with pytest.raises(GraderError, match="grading.version"):
        load_rubric(path)


def test_report_says_which_version_and_why(graded):
    from grader.report.render_markdown import render_markdown
    from grader.report.render_terminal import render_text

    report = graded(SUBMISSIONS / "correct_v3_template_style.py")
    data = make_report_dict(report)
    validate_report(data)
    version = data["notebook_version"]
    assert version["name"] == "v3 or v4" and version["grads_keys"] == "dA1..dAL" and version["source"] == "recognised"
    assert any("testCases_v2" in e["text"] for e in version["evidence"])
    for text in (render_text(report, width=200), render_markdown(report)):
        assert "Notebook version: v3 or v4" in text
    assert any("whose grads keys are dA1..dAL" in n for n in report.test("L_model_backward").notices)


def test_undecided_version_accepts_old_keys_with_a_note(graded):
    report = graded(SUBMISSIONS / "correct_testcases_v3_undecided.py")
    assert report.test("L_model_backward").score == 14
    (note,) = [n for n in report.test("L_model_backward").notices if "dA1..dAL" in n]
    assert "could not be decided" in note and "v5 to v7" in note


def test_keys_of_the_other_convention_cost_points_where_the_version_is_known(graded):
    old = graded(SUBMISSIONS / "bug_v7_old_grads_keys.py").test("L_model_backward")
    assert old.score == 0 and [d.code for d in old.diagnoses] == ["LEGACY_GRADS_KEYS"]
    new = graded(SUBMISSIONS / "bug_v4_new_grads_keys.py").test("L_model_backward")
    assert new.score == 0 and new.diagnoses == []
    assert "should have the keys dA1..dA" in new.feedback and "the keys of the notebooks from 2018 on" in new.feedback


@pytest.fixture(scope="module")
def small_rubrics():
    units = {name: Unit(unit.points, 3) for name, unit in Rubric().units.items()}
    return Rubric(units=units, version="v8"), Rubric(units=units, legacy_grads_keys=True)


def test_pinned_and_lenient_rubrics_change_the_grade(small_rubrics):
    from grader.judge.grade import Grader

    pinned_v8, lenient = small_rubrics
    with Grader(pinned_v8, seed=0, device="cpu") as grader:
        report = grader.grade(SUBMISSIONS / "correct_v3_template_style.py")
        assert report.notebook_version["source"] == "rubric"
        assert {t.function for t in report.tests if t.score < t.max_score} == {"L_model_backward", "end_to_end"}
    with Grader(lenient, seed=0, device="cpu") as grader:
        report = grader.grade(SUBMISSIONS / "bug_v7_old_grads_keys.py")
        assert report.score == report.max_score
        assert any("the rubric accepts both key conventions" in n for n in report.test("L_model_backward").notices)
