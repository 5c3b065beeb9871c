"""Pack 2's notebook editions, the course's NumPy names, and the chain's blame (issue 22).

- versions.py recognises the 2017 notebook (bias inside conv_single_step's sum) from its file name and
  its stored Expected Output, the later ones from theirs; a contradiction is recorded and ignored; a
  rubric pins an edition and an unknown one is refused;
- grader/sandbox/numpy_compat.py serves exactly the removed names a submission uses, and only where the
  running NumPy lacks them (checked in a child process, so this one's numpy stays as it is);
- through the engine, each example of tests/expected_conv_outcomes.EDITIONS loses exactly its points,
  is graded as its edition, and its feedback names the real mistake.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader import END_TO_END
from grader.errors import GraderError
from grader.packs import get
from grader.packs.conv_step_by_step import versions
from grader.packs.conv_step_by_step.interface import BIAS_IN_SUM
from grader.sandbox import numpy_compat
from tests.expected_conv_outcomes import EDITIONS, SEED

ROOT = Path(__file__).resolve().parents[1]
PACK = get("conv_step_by_step")
EXPECTED_2017 = "**Expected Output**: Z = -23.1602122025"
HINT_2018 = "# Element-wise product between a_slice_prev and W. Do not add the bias yet."


def test_2017_is_recognised_from_its_stored_expected_output():
    found = versions.recognise([("nb [markdown]", EXPECTED_2017)], "submission.ipynb")
    assert found.candidates == {"v1-2017"} and found.grads_keys == BIAS_IN_SUM and found.bias_in_sum
    assert "-23.1602122025" in found.because()


@pytest.mark.parametrize("filename, edition", [
    ("Convolution model - Step by Step - v1.ipynb", "v1-2017"), ("Convolution+model+-+Step+by+Step+-+v1.ipynb", "v1-2017"),
    ("Convolution+model+-+Step+by+Step+-+v2.ipynb", "v2-2018"), ("Convolution_model_Step_by_Step_v2a.ipynb", "v2a-2019"),
    ("Convolution_model_Step_by_Step_v1.ipynb", "v1-2021")])
def test_each_edition_from_its_file_name(filename, edition):
    found = versions.recognise([], filename)
    assert found.candidates == {edition}
    assert found.grads_keys == (BIAS_IN_SUM if edition == "v1-2017" else "current")


def test_a_contradiction_is_kept_and_ignored():
    found = versions.recognise([("cell 3", "from public_tests import *"), ("md", EXPECTED_2017)], "x.ipynb")
    assert found.candidates == {"v1-2021"}
    assert [e.used for e in found.evidence] == [True, False]


def test_later_hint_rules_out_2017_and_nothing_decides_nothing():
    later = versions.recognise([("cell", HINT_2018)], "x.py")
    assert "v1-2017" not in later.candidates and later.grads_keys == "current"
    nothing = versions.recognise([("x.py", "def conv_single_step(a, W, b):\n    return 0\n")], "x.py")
    assert nothing.name == "unknown" and nothing.source == "none" and nothing.grads_keys == "current"


def test_a_rubric_pins_an_edition_and_an_unknown_one_is_refused():
    assert versions.pinned("v1-2017").grads_keys == BIAS_IN_SUM and versions.pinned("2018").candidates == {"v2-2018"}
    PACK.check_version_name("v2a-2019")
    with pytest.raises(GraderError, match="unknown notebook version"):
        PACK.check_version_name("v3")


def test_numpy_compat_finds_the_removed_names_through_any_alias():
    code = "import numpy as npy\nx = npy.float(b) + npy.float64(1) + np.int(2)\ny = numpy.asscalar(a)\nz = npy.product"
    assert numpy_compat.used_names([code]) == ["float", "int", "asscalar", "product"]
    assert numpy_compat.supply(["import numpy as np\nZ = np.sum(a) + float(b)"]) == ([], [])


def test_numpy_compat_serves_them_as_numpy_1_did():
    statements, notes = numpy_compat.supply(["import numpy as np\nZ = np.float(b) + np.int(n) + np.asscalar(a) + np.NaN"])
    program = statements[0] + (
        "import numpy as np\n"
        "b = np.ones((1, 1, 1)) * 2.5\n"
        "assert np.float(b) == 2.5 and isinstance(np.float(3), float) and np.int(2.7) == 2\n"
        "assert np.asscalar(np.array([4.0])) == 4.0 and np.NaN != np.NaN\n"
        "assert 'np.product' not in dir() and not hasattr(np, 'product')  # only what the code uses\n"
        "try:\n    np.float(np.ones(2))\nexcept TypeError:\n    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"  # more than one element is refused, as ever
    assert len(notes) == 1 and "np.float (removed in NumPy 1.24)" in notes[0]


# --- through the engine ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graders():
    from grader.judge.grade import Grader
    from grader.judge.rubric import Rubric

    made = {}
    try:
        for pin in sorted({e.rubric_version for e in EDITIONS.values()}):
            made[pin] = Grader(Rubric(version=pin), seed=SEED, device="cpu", pack=PACK, weak_sandbox="allow")
        yield made
    finally:
        for grader in made.values():
            grader.close()


@pytest.mark.parametrize("name", sorted(EDITIONS))
def test_engine_grades_each_edition_example_as_expected(graders, name):
    from grader.load.loader import load_submission

    want = EDITIONS[name]
    report = graders[want.rubric_version].grade_submission(load_submission(ROOT / "submissions" / name, PACK))
    assert report.fatal is None
    got = {t.function: round(t.max_score - t.score, 4) for t in report.tests if round(t.max_score - t.score, 4)}
    assert got == want.lost
    assert report.notebook_version["name"] == want.version
    tests = {t.function: t for t in report.tests}
    for unit, words in want.says.items():
        text = " ".join(p["message"] for p in report.load_problems) if unit == "load" else tests[unit].feedback
        assert words in text, (unit, text[:400])
    for unit, path in want.blamed.items():
        first = next(c for c in tests[unit].cases if c.status == "failed")
        assert first.mismatches[0].path == path


def test_the_2017_example_loses_under_the_later_contract(graders):
    """The same notebook pinned to 2018 loses conv_single_step and the chain: the edition is what passes it."""
    from grader.judge.grade import Grader
    from grader.load.loader import load_submission
    from grader.judge.rubric import Rubric

    with Grader(Rubric(version="v2-2018"), seed=SEED, device="cpu", pack=PACK, weak_sandbox="allow") as grader:
        report = grader.grade_submission(load_submission(ROOT / "submissions" / "conv_edition_2017_notebook.ipynb", PACK))
    lost = {t.function for t in report.tests if t.score < t.max_score}
    assert lost == {"conv_single_step", END_TO_END}
