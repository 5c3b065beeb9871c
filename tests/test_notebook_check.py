"""`from grader import check; check(linear_backward)` in a notebook gives what `python -m grader check` says.

Student code is imported here the way a notebook holds it (a module, or cells compiled under IPython-style
names kept in linecache); `check` never runs it in this process, it rebuilds the source and grades that one
unit in the sandbox. Scores, statuses and feedback must equal the command line's for the same seed and rubric.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import linecache
import re
import sys
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grader
from grader.errors import GraderError
from grader.judge.grade import Grader
from grader.frontends.notebook import cell_name, close_graders, submission_from_namespace
from grader.frontends.notebook_display import CheckDisplay
from grader.judge.results import CaseResult, Report
from grader.judge.results import TestResult as UnitResult  # not collected as a test class
from grader.judge.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
SEED = 5
OPTIONS = {"seed": SEED, "device": "cpu"}


@pytest.fixture(scope="module")
def rubric(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rubric") / "small.toml"
    path.write_text("[grading]\ncases = 3\n")
    yield path
    close_graders()


@pytest.fixture(scope="module")
def command_line(rubric):
    """The command line's grading of a whole file, one Grader for the module."""
    with Grader(load_rubric(rubric), seed=SEED, device="cpu") as g:
        yield lambda path: g.grade(path)


@pytest.fixture
def notebook_modules(monkeypatch):
    """What a course notebook imports, present in this process (the sandbox has its own)."""
    for name in ("h5py", "matplotlib", "matplotlib.pyplot", "testCases_v4a", "dnn_app_utils_v3"):
        monkeypatch.setitem(sys.modules, name, Stub(name))
    monkeypatch.setattr(sys.modules["matplotlib"], "pyplot", sys.modules["matplotlib.pyplot"], raising=False)
    for name in ("dnn_utils", "dnn_utils_v2"):
        monkeypatch.setitem(sys.modules, name, load(ROOT / "grader" / "packs" / "step_by_step" / "dnn_utils.py", name))


class Stub(types.ModuleType):
    """A module that has every attribute a notebook's top level touches (plt.rcParams[...] = ...)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return {}


def load(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, units", [
    ("correct_student.py", ("linear_backward", "L_model_backward", "end_to_end")),
    ("bug_dW_transposed.py", ("linear_backward", "linear_activation_backward", "end_to_end")),
    ("bug_update_sign.py", ("update_parameters", "end_to_end")),
    ("bug_relu_mask_from_dA.py", ("linear_activation_backward", "L_model_backward")),
    ("partial_missing_functions.py", ("L_model_backward", "end_to_end")),
])
def test_check_says_what_the_command_line_says(notebook_modules, rubric, command_line, capsys, name, units):
    module = load(SUBMISSIONS / name, f"student_{Path(name).stem}")
    expected = command_line(SUBMISSIONS / name)
    for unit in units:
        want = expected.test(unit)
        function = getattr(module, unit, None)
        got = grader.check(function if function is not None else unit, vars(module), rubric=rubric, **OPTIONS)
        assert (got.score, got.status) == (want.score, want.status), unit
        if function is None and unit != "end_to_end":  # said in the notebook's terms
            assert got.feedback.startswith(f"{unit} is not defined here: run the cell that defines it")
        else:
            assert got.feedback == want.feedback, unit
        printed = capsys.readouterr().out  # drawn by render_terminal, as `check` draws it
        assert unit in printed and (want.status.upper() in printed or got.feedback in printed)


HELPERS = '''
import numpy as np
from numpy import dot as matrix_product

KEEP_DIMS = True
SCALE = (1.0, 2.0)


def column_mean(dZ):
    return np.sum(dZ, axis=1, keepdims=KEEP_DIMS) / dZ.shape[1]


class Shapes:
    @staticmethod
    def examples(A):
        return A.shape[1] * int(SCALE[0])


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = Shapes.examples(A_prev)
    dW = matrix_product(dZ, A_prev.T) / m
    db = column_mean(dZ)
    dA_prev = matrix_product(W.T, dZ)
    return dA_prev, dW, db
'''


def test_helpers_imports_and_constants_travel_with_the_function(tmp_path, rubric, capsys, monkeypatch):
    (tmp_path / "helpers_student.py").write_text(HELPERS)
    module = load(tmp_path / "helpers_student.py", "helpers_student")
    assert "Shapes" in {p.message.split()[3] for p in submission_from_namespace("linear_backward", vars(module)).problems}
    monkeypatch.setitem(sys.modules, "helpers_student", module)  # as an import leaves it: classes' source is found
    sub = submission_from_namespace("linear_backward", vars(module))
    sources = "\n".join(s.source for s in sub.statements)
    for piece in ("import numpy as np", "from numpy import dot as matrix_product", "KEEP_DIMS = True",
                  "SCALE = (1.0, 2.0)", "def column_mean", "class Shapes", "def linear_backward"):
        assert piece in sources
    line = HELPERS.splitlines().index("def linear_backward(dZ, cache):") + 1
    assert sub.defined == {"linear_backward": f"helpers_student.py, line {line}"}  # the line in the student's file
    result = grader.check(module.linear_backward, rubric=rubric, **OPTIONS)
    assert result.status == "passed" and result.score == result.max_score
    printed = capsys.readouterr().out
    assert "linear_backward" in printed and "PASSED" in printed


CELL = '''
import numpy as np

def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(A_prev, dZ.T) / m   # transposed
    db = np.sum(dZ, axis=1, keepdims=True) / m
    return np.dot(W.T, dZ), dW, db
'''


def test_functions_defined_in_notebook_cells(rubric, command_line, monkeypatch, tmp_path, capsys):
    """IPython compiles each cell under a name of its own and keeps its source in linecache."""
    filename = "<ipython-input-7-3f2a9c>"
    monkeypatch.setitem(linecache.cache, filename, (len(CELL), None, CELL.splitlines(True), filename))
    main = types.ModuleType("__main__")
    exec(compile(CELL, filename, "exec"), vars(main))
    monkeypatch.setitem(sys.modules, "__main__", main)

    by_object = grader.check(main.linear_backward, rubric=rubric, **OPTIONS)
    by_name = grader.check("linear_backward", rubric=rubric, **OPTIONS)  # looked up in the notebook (__main__)
    file = tmp_path / "cell.py"
    file.write_text(CELL)
    want = command_line(file).test("linear_backward")
    for got in (by_object, by_name):
        assert (got.score, got.status, got.feedback) == (want.score, want.status, want.feedback)
        assert got.status == "failed" and "dW should have shape" in got.feedback
    printed = capsys.readouterr().out
    assert "linear_backward" in printed and "FAILED" in printed


class Shapes:
    pass


@pytest.mark.parametrize("given, said", [
    ("sigmoid", "got the string 'sigmoid', which names no graded function"),
    (42, "got 42 (a int)"),
    (None, "got None"),
    (lambda dZ, cache: None, "got a lambda"),
    (np.dot, "got dot from numpy, which is not a function of yours"),
    (Shapes, "got the class Shapes"),
    (load, "got your function load, which is not graded"),
])
def test_what_cannot_be_checked_gets_one_line(rubric, capsys, given, said):
    assert grader.check(given, rubric=rubric, **OPTIONS) is None
    printed = capsys.readouterr()
    assert printed.out.startswith("check() takes one of your graded functions, e.g. check(") and said in printed.out
    assert printed.out.count("\n") == 1 and "Traceback" not in printed.err + printed.out
    with pytest.raises(GraderError, match=re.escape(said)):  # a program that asked for no display gets the error
        grader.check(given, rubric=rubric, show=False, **OPTIONS)


def test_what_is_not_defined_is_said_in_the_notebooks_terms(rubric, capsys):
    missing = grader.check("linear_backward", {"__name__": "__main__"}, rubric=rubric, **OPTIONS)
    assert missing.status == "error" and missing.score == 0
    assert missing.feedback.startswith("linear_backward is not defined here")
    assert "is not defined here" in capsys.readouterr().out
    quiet = grader.check("end_to_end", {"__name__": "__main__"}, rubric=rubric, show=False, **OPTIONS)
    assert quiet.status == "error" and capsys.readouterr().out == ""


def test_a_result_is_one_line_and_compares_by_its_fields(notebook_modules, rubric):
    module = load(SUBMISSIONS / "bug_dW_transposed.py", "student_repr")
    got = grader.check(module.linear_backward, vars(module), rubric=rubric, show=False, **OPTIONS)
    again = grader.check(module.linear_backward, vars(module), rubric=rubric, show=False, **OPTIONS)
    shown = repr(got)
    assert "\n" not in shown and len(shown) < 120 and shown.startswith("<TestResult linear_backward: failed")
    assert f"{got.passed_cases} of {len(got.cases)} cases" in shown
    assert [f.name for f in dataclasses.fields(got)] == ["name", "function", "max_score", "cases", "problem", "feedback",
                                                         "diagnoses", "layer_map", "notices"]
    assert dataclasses.replace(got, cases=[]) == dataclasses.replace(again, cases=[])  # == still compares the fields
    assert dataclasses.replace(got, cases=[], feedback="x") != dataclasses.replace(again, cases=[])
    assert repr(Report("a.py", 0, "cpu", {}, 100.0, [got])).startswith("<Report a.py: graded,")


HOSTILE = "<script>alert(1)</script>\x1b]52;c;aGk=\x07 & <img src=x onerror=y>"


def test_the_display_escapes_every_student_text():
    """A function's error message, its traceback's source line and what it printed are the student's."""
    error = {"type": "ValueError", "message": HOSTILE, "traceback": [["Cell In[4]", 3, "linear_backward", f"raise ValueError('{HOSTILE}')"]]}
    case = CaseResult(0, "edge", f"m=1 {HOSTILE}", "error", error=error, output=HOSTILE * 3, output_chars=len(HOSTILE) * 3)
    test = UnitResult("linear_backward", "linear_backward", 12.0, cases=[case], notices=[HOSTILE])
    report = Report("<notebook>", 0, "cpu", {}, 12.0, [test], load_problems=[{"where": HOSTILE, "kind": "load", "message": HOSTILE}],
                    sandbox={"mode": "portable", "walls": [HOSTILE], "refused": []})
    shown = CheckDisplay(report, test)
    html, text = shown._repr_html_(), repr(shown)
    assert "<script" not in html and "<img" not in html and "\x1b" not in html and "\x07" not in html
    assert html.count("&lt;script&gt;") >= 5  # message, source line, printed, notice, load problem
    assert "Cell In[4], line 3, in linear_backward" in html and "Cell In[4], line 3" in text
    assert "\x1b" not in text and "\x07" not in text and "\\x1b" in text  # shown visibly, not obeyed
    assert "weak walls" in html  # the portable sandbox is worth a line
    assert "weak walls" not in repr(CheckDisplay(dataclasses.replace(report, sandbox={"mode": "namespaces", "walls": []}), test))


def test_a_cells_name_is_the_one_jupyter_shows(monkeypatch):
    """ipykernel names a cell's file by a hash of its code; IPython's compiler knows its execution count."""
    class Compiler:
        def format_code_name(self, name):
            return ("Cell", "In[13]") if name == "/tmp/ipykernel_42/4283742839.py" else None

    IPython = pytest.importorskip("IPython")
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(compile=Compiler()))
    assert cell_name("/tmp/ipykernel_42/4283742839.py") == "Cell In[13]"
    assert cell_name("/home/s/helpers.py") is None
    assert cell_name("<ipython-input-7-3f2a9c>") == "Cell In[7]"  # IPython before 8 named the cell itself


def write_cells(path: Path, notebook, cells: list[str]) -> None:
    notebook.cells = cells
    nbformat.write(notebook, str(path))


def test_a_submitted_notebook_keeps_no_check_cell(tmp_path, command_line):
    """The student's own check cells (the import, the calls) are a front end, dropped like magics."""
    notebook = nbformat.read(str(SUBMISSIONS / "correct_notebook.ipynb"), as_version=4)
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        name = next(iter(re.findall(r"^def (\w+)\(", cell.source, re.MULTILINE)), None) if cell.cell_type == "code" else None
        if name and "# GRADED FUNCTION" in cell.source:
            cells.append(nbformat.v4.new_code_cell(f"from grader import check\ncheck({name})"))
    cells.append(nbformat.v4.new_code_cell("import grader\nimport grader.frontends.notebook as nb\nresult = grader.check('end_to_end', globals())"))
    checked = tmp_path / "correct_notebook.ipynb"
    write_cells(checked, notebook, cells)
    assert sum("from grader import check" in c.source for c in cells) == 10  # the premise: a check per graded cell
    report = command_line(checked)
    plain = command_line(SUBMISSIONS / "correct_notebook.ipynb")
    assert report.score == report.max_score == plain.score
    assert report.load_problems == plain.load_problems and not any("grader" in p["message"] for p in report.load_problems)
