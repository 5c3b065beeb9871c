"""`from grader import check; check(fn)` in a real Jupyter kernel, as a student runs it (issue 21).

One notebook is built from the bundled submissions (the correct notebook's graded cells, a cell from
bug_dW_transposed.py, a function that prints and raises, the unfilled template), with a `check` cell after
each, and executed once by nbclient in an ipykernel running this interpreter. The tests read what each
cell shows: a compact report through the display protocol (text/html and a short text/plain), the score
line first, a traceback that names the cell as Jupyter does, a one-line answer for what is not gradable,
and no wall of repr under it. What the report must say is read from the result `check` returned, inside
the same kernel, never written here.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
KERNEL = "backprop-grader-test"
TEXT_BUDGET = 3000  # a failing check's whole cell, text/plain: the score, the cause, what to fix
HTML_BUDGET = 12000  # and its HTML, fold included
NOT_GRADABLE = ('"foo"', "np.dot", "lambda dZ, cache: None", "None", "int")

pytestmark = pytest.mark.timeout(600)


def function_cell(path: Path, name: str, drop: tuple[str, ...] = ()) -> str:
    """The imports of a bundled submission and its definition of `name`, as one cell."""
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    imports = [ast.get_source_segment(source, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    body = "\n".join(lines[node.lineno - 1:node.end_lineno])
    return "\n".join(i for i in imports if not any(d in i for d in drop)) + "\n\n" + body + "\n"


RAISING = '''def linear_backward(dZ, cache):
    A_prev, W, b = cache
    print("shapes:", A_prev.shape, W.shape)
    raise ValueError("not finished yet")
'''


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook, executed; cells are found again by their `tag` metadata."""
    folder = tmp_path_factory.mktemp("notebook")
    spec = folder / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({  # this interpreter, this checkout: as CI's fresh venv has it
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "backprop-grader tests", "language": "python", "env": {"PYTHONPATH": str(ROOT)}}))
    helpers = ROOT / "grader" / "packs" / "step_by_step" / "dnn_utils.py"
    for name in ("dnn_utils.py", "dnn_utils_v2.py"):  # the course's helpers, where the course puts them
        shutil.copy(helpers, folder / name)

    cells: list[tuple[str, str]] = [("setup", "import numpy as np\nfrom dnn_utils import sigmoid, sigmoid_backward, relu, relu_backward")]
    correct = nbformat.read(SUBMISSIONS / "correct_notebook.ipynb", as_version=4)
    graded = [c.source for c in correct.cells if c.cell_type == "code" and "# GRADED FUNCTION" in c.source]
    cells += [(f"correct {i}", source) for i, source in enumerate(graded)]
    cells += [("check correct", "from grader import check\nresult = check(linear_backward)\nresult")]
    cells += [("bug", function_cell(SUBMISSIONS / "bug_dW_transposed.py", "linear_backward", drop=("h5py", "matplotlib"))),
              ("check bug", "result = check(linear_backward)\nresult"), ("facts bug", "print(json_facts(result))")]
    cells += [("raising", RAISING), ("check raising", "result = check(linear_backward)\nresult")]
    template = SUBMISSIONS / "partial_unfilled_template.py"
    for name in ("compute_cost", "L_model_forward"):
        cells += [(f"template {name}", function_cell(template, name, drop=("testCases",))), (f"check {name}", f"check({name})")]
    cells += [(f"not {given}", f"check({given})") for given in NOT_GRADABLE]
    facts = ("import json\ndef json_facts(r):\n    return json.dumps({'score': r.score, 'max': r.max_score, 'status': r.status, "
             "'codes': [d.code for d in r.diagnoses], 'titles': [d.title for d in r.diagnoses]})")
    cells[1:1] = [("facts", facts), ("where", "import grader\nprint(grader.__file__)")]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source, metadata={"tag": tag}) for tag, source in cells])
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder / "jupyter"))
        nbclient.NotebookClient(notebook, kernel_name=KERNEL, timeout=300, allow_errors=True,
                                resources={"metadata": {"path": str(folder)}}).execute()
    nbformat.write(notebook, folder / "executed.ipynb")  # for a person to open when a test fails
    return {c.metadata["tag"]: c for c in notebook.cells}


def outputs(cell, kind: str) -> list[str]:
    """Every `kind` (text/plain, text/html) a cell showed, in order, and its printed streams as text/plain."""
    found = []
    for out in cell.outputs:
        if out.output_type in ("display_data", "execute_result") and kind in out.data:
            found.append(out.data[kind])
        elif out.output_type == "stream" and kind == "text/plain":
            found.append(out.text)
        elif out.output_type == "error" and kind == "text/plain":
            found.append("\n".join(out.traceback))
    return found


def whole(cell, kind: str = "text/plain") -> str:
    return "\n".join(outputs(cell, kind))


def test_kernel_runs_this_checkout(executed):
    assert [c.execution_count for c in executed.values()] == list(range(1, len(executed) + 1))
    assert Path(whole(executed["where"]).strip()) == ROOT / "grader" / "__init__.py"
    errors = [(tag, out.ename) for tag, c in executed.items() for out in c.outputs if out.output_type == "error"]
    assert errors == []  # not even check("foo"): a student's Run All goes on


def test_a_passing_check_is_a_line_or_two(executed):
    cell = executed["check correct"]
    kinds = [out.output_type for out in cell.outputs]
    assert kinds == ["display_data", "execute_result"]  # the report, then the result as the cell's value
    report, value = outputs(cell, "text/plain")
    assert report.splitlines()[0].startswith("linear_backward: PASSED")
    assert re.fullmatch(r"<TestResult linear_backward: passed, (\S+) / \1 points, (\d+) of \2 cases passed>", value)
    html = outputs(cell, "text/html")
    assert len(html) == 1 and "PASSED" in html[0] and "<details" not in html[0]  # nothing to unfold


def test_a_buggy_check_is_compact_and_says_the_score_first(executed):
    cell, facts = executed["check bug"], json.loads(whole(executed["facts bug"]))
    text, html = whole(cell), whole(cell, "text/html")
    assert facts["status"] == "failed" and facts["codes"]  # the premise: a failing check with a diagnosis
    assert "TestResult(" not in text + html  # no dataclass repr wall
    assert len(text) < TEXT_BUDGET and len(html) < HTML_BUDGET, (len(text), len(html))
    first = text.splitlines()[0]
    assert first.startswith(f"linear_backward: FAILED, {facts['score']:g} / {facts['max']:g} points")
    # HTML: score, then the likely cause, then what to fix; the tables behind the fold
    score_at = html.index(f"{facts['score']:g} / {facts['max']:g}")
    cause_at = html.index(facts["titles"][0])
    fix_at, fold_at = html.index("What to fix"), html.index("<details>")
    assert score_at < cause_at < fix_at < fold_at and "<table" in html[fold_at:] and "<table" not in html[:fold_at]
    for noise in ("Notebook version", "Sandbox namespaces", "Assignment:", "Submission:"):
        assert noise not in text + html


def test_a_raising_function_names_its_cell_as_jupyter_does(executed):
    cell, defined = executed["check raising"], executed["raising"]
    line = defined.source.splitlines().index('    raise ValueError("not finished yet")') + 1
    where = f"Cell In[{defined.execution_count}], line {line}"
    text, html = whole(cell), whole(cell, "text/html")
    assert where in text and where in html
    assert "ipykernel_" not in text + html and not re.search(r"\d{6,}\.py", text + html)  # not the hashed file name
    assert text.splitlines()[0].startswith("linear_backward: ERROR")
    # what the function printed is reported (not dropped) and shown, escaped, behind the fold
    assert "Your code printed" in text and "shapes: (" in html.split("<details>", 1)[1]


def test_the_unfilled_template_gets_a_report_not_a_traceback(executed):
    for name in ("compute_cost", "L_model_forward"):
        cell = executed[f"check {name}"]
        text = whole(cell)
        assert [out.output_type for out in cell.outputs] == ["display_data", "execute_result"], name
        assert text.splitlines()[0].startswith(f"{name}: ") and " / " in text.splitlines()[0]
        assert "PASSED" not in text.splitlines()[0] and "Traceback (most recent call last)" not in text
        assert len(text) < TEXT_BUDGET and "TestResult(" not in text


@pytest.mark.parametrize("given", NOT_GRADABLE)
def test_what_is_not_a_graded_function_gets_one_line(executed, given):
    cell = executed[f"not {given}"]
    assert [out.output_type for out in cell.outputs] == ["display_data"]  # check returned None: no value shown
    (text,) = outputs(cell, "text/plain")
    assert "\n" not in text.strip() and text.startswith("check() takes one of your graded functions, e.g. check(")
    assert "Traceback" not in text and "grader/" not in text
    (html,) = outputs(cell, "text/html")
    assert "check() takes one of your graded functions" in html
