"""How the course's helpers reach a submission: %run of a course module counts as importing it, and
helpers or np used without an import that survived come from the grader, with a load note."""

from __future__ import annotations

import pytest

from grader.packs.step_by_step.course_names import SOURCE, supply, translate_runs
from grader.load.loader import from_source, load_submission, supply_course_names
from tests.conftest import SUBMISSIONS


@pytest.mark.parametrize("line,expected", [
    ("%run dnn_utils_v2.py", "from dnn_utils_v2 import *"),
    ("%run -i '../course files/testCases_v2.py'", "%run -i '../course files/testCases_v2.py'"),  # a space: not one path
    ('%run -i "../course_files/testCases_v2.py"', "from testCases_v2 import *"),
    ("%run ./public_tests.py  # tests", "from public_tests import *"),
    ("get_ipython().run_line_magic('run', 'dnn_utils_v2.py')", "from dnn_utils_v2 import *"),
    ("get_ipython().magic(u'run dnn_utils_v2.py')", "from dnn_utils_v2 import *"),
])
def test_run_of_a_course_module_becomes_its_import(line, expected):
    text, notes = translate_runs(line + "\n", "nb")
    assert text == expected + "\n"
    assert bool(notes) == (text != line + "\n")


def test_run_of_another_file_is_noted_as_not_run():
    text, notes = translate_runs("x = 1\n%run my_helpers.py\n", "nb")
    assert text == "x = 1\n%run my_helpers.py\n"  # left for the loader to blank, as before
    assert notes == [(2, "%run my_helpers.py was not run: the grader runs only the submission itself, so whatever "
                         "it defines is missing unless the submission defines it too")]


def test_only_names_used_and_unbound_are_supplied():
    uses = "def f(Z):\n    A, c = relu(Z)\n    return np.sum(A) + sigmoid(Z)[0]\n"
    first, notes = supply([uses])
    assert first == ["from dnn_utils import sigmoid, relu", "import numpy as np"]
    assert len(notes) == 2 and "sigmoid, relu" in notes[0] and "import numpy as np" in notes[1]
    assert supply(["from dnn_utils import *\n", uses]) == ([], [])  # the star import gives them, np too
    assert supply(["import numpy as np\nfrom dnn_utils_v2 import relu, sigmoid\n", uses]) == ([], [])
    own = "import numpy as np\ndef relu(Z):\n    return np.maximum(0, Z), Z\ndef sigmoid(Z):\n    return 1 / (1 + np.exp(-Z)), Z\n"
    assert supply([own, uses]) == ([], [])
    local = "def g(relu, np):\n    return relu(np)\n"  # parameters, not globals
    assert supply([local]) == ([], [])


def test_an_import_asking_a_course_module_for_a_name_it_lacks_binds_nothing():
    first, notes = supply(["import numpy as np\n", "from dnn_utils_v2 import load_data, relu\n", "def f(Z):\n    return relu(Z)\n"])
    assert first == ["from dnn_utils import relu"]
    assert "`from dnn_utils_v2 import load_data, relu` fails, since the course's dnn_utils_v2 has no load_data" in notes[0]


def test_supplied_statements_run_first_and_are_the_graders_own():
    sub = from_source("def linear_activation_forward(A_prev, W, b, activation):\n    return relu(np.dot(W, A_prev) + b)\n")
    supply_course_names(sub, "cell")
    assert [(s.filename, s.source.strip()) for s in sub.statements[:2]] == [(SOURCE, "from dnn_utils import relu"), (SOURCE, "import numpy as np")]
    assert all(p.kind == "notice" for p in sub.problems)


def test_a_notebook_that_runs_its_helpers_with_run(graded):
    sub = load_submission(SUBMISSIONS / "correct_notebook_v4_run_magic.ipynb")
    assert [s.source.strip() for s in sub.statements[:2]] == ["from dnn_utils_v2 import *", "from testCases_v2 import *"]
    report = graded(SUBMISSIONS / "correct_notebook_v4_run_magic.ipynb")
    assert report.score == report.max_score
    notices = [p["message"] for p in report.load_problems if p["kind"] == "notice"]
    assert any("runs the course's dnn_utils_v2: graded as `from dnn_utils_v2 import *`" in n for n in notices)


def test_a_notebook_without_its_import_cell(graded):
    report = graded(SUBMISSIONS / "correct_notebook_lost_import_cell.ipynb")
    assert report.score == report.max_score
    messages = " ".join(p["message"] for p in report.load_problems)
    for name in ("sigmoid, relu, sigmoid_backward, relu_backward", "import numpy as np", "import copy"):
        assert name in messages


def test_an_import_that_fails_while_loading(graded):
    report = graded(SUBMISSIONS / "correct_helpers_import_fails.py")
    assert report.score == report.max_score
    kinds = [(p["kind"], p["message"].split(":")[0]) for p in report.load_problems]
    assert ("load", "ImportError") in kinds  # the student's own import still runs, and fails
    (supplied,) = [p for p in report.load_problems if "the grader supplied" in p["message"]]
    assert supplied["kind"] == "notice" and "has no load_data" in supplied["message"]
    assert any("my_plot_helpers.py') was not run" in p["message"] for p in report.load_problems)
