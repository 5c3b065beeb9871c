"""The loader: which statements of a .py or a notebook run, where they came from, and what a mistake costs.

Nothing here executes student code: the tests look at `Submission.statements` (source, filename, lineno),
`defined`, `problems` and `fatal`. Notebooks are built with nbformat in tmp_path.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.errors import GraderError
from grader.load.loader import Submission, from_source, load_submission


def write_py(folder: Path, text: str, name: str = "solution.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_notebook(folder: Path, cells: list, name: str = "solution.ipynb") -> Path:
    notebook = new_notebook()
    notebook.cells = [cell if not isinstance(cell, str) else new_code_cell(textwrap.dedent(cell).strip("\n"))
                      for cell in cells]
    path = folder / name
    nbformat.write(notebook, str(path))
    return path


def sources(sub: Submission) -> list[str]:
    return [s.source for s in sub.statements]


def first_lines(sub: Submission) -> list[str]:
    return [s.source.splitlines()[0] for s in sub.statements]


def assert_linenos_true(sub: Submission, texts: dict[str, str]) -> None:
    """Each statement's first line is the real line `lineno` of the file or cell it names."""
    for statement in sub.statements:
        lines = texts[statement.filename].splitlines()
        assert lines[statement.lineno - 1].strip() == statement.source.splitlines()[0].strip(), statement


# --- what is kept -------------------------------------------------------------------------------
PY = '''
import numpy as np
from dnn_utils import relu, sigmoid
import os.path as osp

LEARNING_RATE = 0.0075
layers_dims = [12288, 20, 7, 5, 1]
shape: tuple = (2, 3)
activate = lambda Z: np.maximum(Z, 0)
try:
    import matplotlib.pyplot as plt
except ImportError:
    pass

print("loading")
np.random.seed(1)
W = np.zeros((3, 3))
parameters = initialize_parameters(2, 2, 1)
for i in range(3):
    LEARNING_RATE *= 2
while False:
    pass
with open("x") as f:
    pass
plt.plot([1, 2])
x, y = 1, 2
data["key"] = 3
obj.attr = 4
counter += 1
assert LEARNING_RATE > 0

class Helper:
    def method(self):
        print("never at load time")


@staticmethod
def decorated(x):
    return x


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    return Z, (A, W, b)


if __name__ == "__main__":
    linear_forward(1, 2, 3)
    print("main")
'''


def test_py_keeps_only_imports_defs_classes_and_simple_assignments(tmp_path):
    path = write_py(tmp_path, PY)
    sub = load_submission(path)
    assert sub.fatal is None and sub.problems == []
    assert first_lines(sub) == [
        "import numpy as np",
        "from dnn_utils import relu, sigmoid",
        "import os.path as osp",
        "LEARNING_RATE = 0.0075",
        "layers_dims = [12288, 20, 7, 5, 1]",
        "shape: tuple = (2, 3)",
        "activate = lambda Z: np.maximum(Z, 0)",
        "try:",
        "x, y = 1, 2",
        "class Helper:",
        "@staticmethod",
        "def linear_forward(A, W, b):",
    ]
    assert sub.dropped == 13  # prints, calls, loops, with, attribute/subscript/augmented targets, assert, __main__
    assert sub.defined == {"linear_forward": f"{path.name}, line 41"}
    assert sub.source_file == path and sub.name == "solution"
    text = path.read_text()
    assert_linenos_true(sub, {path.name: text})
    # a kept statement is the whole statement, exactly as written
    assert sources(sub)[-1] == "def linear_forward(A, W, b):\n    Z = np.dot(W, A) + b\n    return Z, (A, W, b)"
    assert sources(sub)[-2].startswith("@staticmethod\ndef decorated(x):")


def test_main_guard_and_top_level_calls_never_run(tmp_path):
    sub = load_submission(write_py(tmp_path, PY))
    joined = "\n".join(sources(sub))
    assert "__main__" not in joined
    assert "print(\"loading\")" not in joined and "np.random.seed" not in joined
    assert "initialize_parameters(2, 2, 1)" not in joined


# --- notebooks ----------------------------------------------------------------------------------
CELL_MAGICS = """
%matplotlib inline
%load_ext autoreload
%autoreload 2
import numpy as np
!pip install x
files = !ls
np.dot?
np.dot??
  %time y = 1

def linear_forward(A, W, b):
    Z = W @ A + b
    return Z, (A, W, b)
"""
CELL_BASH = """
%%bash
echo hi
def not_python(:
"""
CELL_IPYTHON_CALLS = """
get_ipython().run_line_magic('matplotlib', 'inline')
get_ipython().system('ls')
alpha = 0.5
print(alpha)
"""
CELL_TIME = """
%%time
def compute_cost(AL, Y):
    return 0.0
"""


def test_notebook_magics_are_dropped_and_line_numbers_stay_true(tmp_path):
    cells = [CELL_MAGICS, CELL_BASH, CELL_IPYTHON_CALLS, CELL_TIME]
    path = write_notebook(tmp_path, cells)
    sub = load_submission(path)
    assert sub.fatal is None
    assert sub.problems == []  # no magic, shell escape or bash cell is a syntax error
    assert first_lines(sub) == ["import numpy as np", "def linear_forward(A, W, b):", "alpha = 0.5",
                                "def compute_cost(AL, Y):"]
    joined = "\n".join(sources(sub))
    for fragment in ("%", "!", "?", "get_ipython", "echo", "not_python"):
        assert fragment not in joined, fragment
    by_name = {s.source.splitlines()[0]: s for s in sub.statements}
    assert by_name["import numpy as np"].lineno == 4
    assert by_name["def linear_forward(A, W, b):"].lineno == 11
    assert by_name["alpha = 0.5"].lineno == 3
    assert by_name["def compute_cost(AL, Y):"].lineno == 2
    texts = {f"{path.name} [cell {i}]": textwrap.dedent(c).strip("\n") for i, c in enumerate(cells, start=1)}
    assert {s.filename for s in sub.statements} <= set(texts)
    assert by_name["alpha = 0.5"].filename.endswith("[cell 3]")
    assert_linenos_true(sub, texts)
    assert sub.defined == {"linear_forward": f"{path.name} [cell 1], line 11",
                           "compute_cost": f"{path.name} [cell 4], line 2"}


def test_a_code_line_whose_comment_ends_with_a_question_mark_is_kept(tmp_path):
    path = write_notebook(tmp_path, [
        "import numpy as np\ndef linear_forward(A, W, b):\n    Z = np.dot(W, A) + b  # W.A or A.W?\n    return Z, (A, W, b)",
    ])
    sub = load_submission(path)
    assert sources(sub)[-1] == "def linear_forward(A, W, b):\n    Z = np.dot(W, A) + b  # W.A or A.W?\n    return Z, (A, W, b)"


def test_markdown_and_raw_cells_are_ignored(tmp_path):
    notebook = new_notebook()
    notebook.cells = [new_markdown_cell("# Step 1\n```python\nimport torch\n```"),
                      nbformat.v4.new_raw_cell("def linear_backward(dZ, cache): pass"),
                      new_code_cell("import numpy as np")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, str(path))
    sub = load_submission(path)
    assert sources(sub) == ["import numpy as np"]
    assert sub.defined == {}


def test_redefinition_in_a_later_cell_wins(tmp_path):
    path = write_notebook(tmp_path, [
        "def compute_cost(AL, Y):\n    return 1.0",
        "x = 1\n\n\ndef compute_cost(AL, Y):\n    return 2.0",
    ])
    sub = load_submission(path)
    assert sub.defined == {"compute_cost": f"{path.name} [cell 2], line 4"}
    assert [s.source.splitlines()[-1].strip() for s in sub.statements if s.source.startswith("def")] == ["return 1.0", "return 2.0"]
    # both run, in order, so the later one is what the name ends up holding
    assert [s.filename for s in sub.statements][-1].endswith("[cell 2]")


def test_a_notebook_that_is_not_json_is_fatal_with_a_clear_message(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    sub = load_submission(path)
    assert sub.fatal is not None
    assert "broken.ipynb" in sub.fatal and "notebook" in sub.fatal
    assert sub.statements == []


def test_an_empty_notebook_file_is_fatal(tmp_path):
    path = tmp_path / "empty.ipynb"
    path.write_text("", encoding="utf-8")
    assert load_submission(path).fatal


# --- syntax errors ------------------------------------------------------------------------------
BROKEN = '''
import numpy as np

def linear_forward(A, W, b):
    Z = W @ A + b
    return Z, (A, W, b)

def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) / m
    return cost

def linear_backward(dZ, cache):
    A_prev, W, b = cache
    return W.T @ dZ, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)
'''


def test_a_syntax_error_costs_only_its_function(tmp_path):
    path = write_py(tmp_path, BROKEN)
    sub = load_submission(path)
    assert sub.fatal is None
    assert set(sub.defined) == {"linear_forward", "linear_backward"}
    assert sub.defined["linear_backward"] == f"{path.name}, line 12"
    assert first_lines(sub) == ["import numpy as np", "def linear_forward(A, W, b):", "def linear_backward(dZ, cache):"]
    assert len(sub.problems) == 1
    problem = sub.problems[0]
    assert problem.kind == "syntax" and problem.function == "compute_cost"
    assert problem.filename == path.name and problem.lineno == 9
    assert problem.message.startswith("SyntaxError")
    assert problem.where == f"{path.name}, line 9"
    assert_linenos_true(sub, {path.name: path.read_text()})


def test_a_syntax_error_in_a_notebook_cell_costs_only_that_definition(tmp_path):
    path = write_notebook(tmp_path, [
        "import numpy as np",
        "def compute_cost(AL, Y)\n    return 0.0\n\ndef linear_forward(A, W, b):\n    return W @ A + b, (A, W, b)",
        "def update_parameters(params, grads, learning_rate):\n    return params",
    ])
    sub = load_submission(path)
    assert set(sub.defined) == {"linear_forward", "update_parameters"}
    assert sub.defined["linear_forward"] == f"{path.name} [cell 2], line 4"
    assert [(p.function, p.filename, p.lineno) for p in sub.problems] == [("compute_cost", f"{path.name} [cell 2]", 1)]


def test_a_syntax_error_outside_a_graded_function_names_no_function():
    sub = from_source("import numpy as np\nx = = 1\n\ndef linear_forward(A, W, b):\n    return W @ A + b, (A, W, b)\n", "sub.py")
    assert [(p.function, p.lineno) for p in sub.problems] == [(None, 2)]
    assert set(sub.defined) == {"linear_forward"}
    assert "import numpy as np" in sources(sub)


def test_a_shell_line_in_a_py_costs_only_itself():
    # A .py pasted from a notebook: the magic line is a syntax error, but the import above it must stay.
    sub = from_source("import numpy as np\n%matplotlib inline\n\ndef linear_forward(A, W, b):\n"
                      "    return np.dot(W, A) + b, (A, W, b)\n", "sub.py")
    assert set(sub.defined) == {"linear_forward"}
    assert "import numpy as np" in sources(sub)


# --- folders and paths --------------------------------------------------------------------------
def test_a_folder_holding_one_py_is_one_submission(tmp_path):
    folder = tmp_path / "alice"
    (folder / "nested").mkdir(parents=True)
    write_py(folder / "nested", "def linear_forward(A, W, b):\n    return W @ A + b, (A, W, b)\n", "work.py")
    (folder / "notes.txt").write_text("not code")
    sub = load_submission(folder)
    assert sub.fatal is None
    assert sub.name == "alice"
    assert sub.source_file == folder / "nested" / "work.py"
    assert set(sub.defined) == {"linear_forward"}
    assert sub.problems == []  # one candidate: no notice


def test_a_folder_with_no_code_is_fatal(tmp_path):
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / "README.md").write_text("# nothing")
    (folder / ".hidden.py").write_text("def linear_forward(A, W, b): pass")
    sub = load_submission(folder)
    assert sub.fatal is not None and ".py" in sub.fatal
    assert sub.statements == []


def test_a_folder_with_several_files_grades_the_fullest_with_a_notice(tmp_path):
    folder = tmp_path / "carol"
    folder.mkdir()
    write_py(folder, "import numpy as np\n", "helpers.py")
    write_py(folder, "def linear_forward(A, W, b):\n    return W @ A + b, (A, W, b)\n\n"
                     "def compute_cost(AL, Y):\n    return 0.0\n", "assignment.py")
    sub = load_submission(folder)
    assert sub.source_file == folder / "assignment.py"
    assert [p.kind for p in sub.problems] == ["notice"]
    assert "assignment.py" in sub.problems[0].message


def test_a_nonexistent_path_is_a_grader_error(tmp_path):
    with pytest.raises(GraderError, match="no such submission"):
        load_submission(tmp_path / "missing.py")


def test_a_file_that_is_not_code_is_fatal(tmp_path):
    path = tmp_path / "essay.txt"
    path.write_text("def linear_forward(): pass")
    sub = load_submission(path)
    assert sub.fatal is not None and "essay.txt" in sub.fatal


# --- from_source --------------------------------------------------------------------------------
def test_from_source_filters_like_a_file():
    sub = from_source("import numpy as np\nprint(1)\n\ndef L_model_forward(X, parameters):\n    return X, []\n",
                      "<cell>", "mine")
    assert sub.name == "mine" and sub.path == "<cell>"
    assert first_lines(sub) == ["import numpy as np", "def L_model_forward(X, parameters):"]
    assert [(s.filename, s.lineno) for s in sub.statements] == [("<cell>", 1), ("<cell>", 4)]
    assert sub.defined == {"L_model_forward": "<cell>, line 4"}
    assert sub.dropped == 1
    assert sub.program == [{"source": "import numpy as np", "filename": "<cell>", "lineno": 1},
                           {"source": "def L_model_forward(X, parameters):\n    return X, []", "filename": "<cell>", "lineno": 4}]


def test_non_graded_functions_are_kept_but_not_listed_as_defined():
    sub = from_source("def my_helper(x):\n    return x\n", "sub.py")
    assert first_lines(sub) == ["def my_helper(x):"]
    assert sub.defined == {}
