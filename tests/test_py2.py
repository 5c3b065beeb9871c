"""Python 2 era code: said in the load notes and in the failing function's feedback, with what to change;
and a syntax error outside every function (a Python 2 print at top level, prose pasted from markdown)
costs only its own lines, while one inside a function still costs that function."""

from __future__ import annotations

from grader.load import py2
from grader.load.loader import from_source
from tests.conftest import SUBMISSIONS


def test_signs_of_python_2():
    text = 'print "cost:", cost\nL = len(parameters) / 2\nfor l in xrange(L):\n    pass\nx = len(p) // 2\nprint(x)\n'
    assert [(line, what) for line, what, _ in py2.signs(text)] == [(1, "a print statement"), (2, "len(...) / 2"), (3, "xrange")]
    assert py2.signs("print (x)\nprint(x, y)\nprint = 3\nL = len(p) // 2\n") == []


def test_a_print_statement_in_a_function_costs_it_and_says_why():
    sub = from_source("def compute_cost(AL, Y):\n    print 'cost'\n    return 0\n", "nb")
    (problem,) = sub.problems
    assert problem.function == "compute_cost" and "This line is Python 2 (a print statement)" in problem.message
    assert "compute_cost" not in sub.defined


def test_stray_lines_after_a_function_cost_only_themselves():
    text = ("import numpy as np\n\ndef linear_forward(A, W, b):\n    return np.dot(W, A) + b, (A, W, b)\n\n"
            "4 - Forward propagation module\nNow you will do the forward propagation.\n\n"
            "def compute_cost(AL, Y):\n    return 0.0\n  '''a docstring indented by two'''\n")
    sub = from_source(text, "export.py")
    assert set(sub.defined) == {"linear_forward", "compute_cost"}
    assert [(p.lineno, p.function) for p in sub.problems] == [(6, None), (11, None)]
    assert all("outside any function" in p.message for p in sub.problems)


def test_a_misindented_line_inside_a_function_still_costs_it():
    text = "def L_model_backward(AL, Y, caches):\n    grads = {}\n     L = len(caches)\n    return grads\n"
    sub = from_source(text, "export.py")
    assert "L_model_backward" not in sub.defined
    assert [p.function for p in sub.problems] == ["L_model_backward"]


def test_runtime_advice_names_the_python_2_construct():
    sources = {"L_model_forward": "def L_model_forward(X, parameters):\n    L = len(parameters) / 2\n"}
    float_error = {"type": "TypeError", "message": "'float' object cannot be interpreted as an integer",
                   "traceback": [["nb", 3, "L_model_forward", "for l in range(1, L):"]]}
    assert "write //" in py2.runtime_advice(float_error, sources)
    key_error = {"type": "KeyError", "message": "'W2.0'", "traceback": [["nb", 4, "L_model_forward", ""]]}
    assert "write //" in py2.runtime_advice(key_error, sources)
    assert py2.runtime_advice(float_error, {"L_model_forward": "def L_model_forward(X, p):\n    L = int(len(p) // 2)\n"}) is None
    xrange_error = {"type": "NameError", "message": "name 'xrange' is not defined", "traceback": [["nb", 2, "f", ""]]}
    assert "xrange" in py2.runtime_advice(xrange_error, {}) and py2.runtime_advice(None, {}) is None


def test_a_python_2_notebook_is_told_so(graded):
    report = graded(SUBMISSIONS / "broken_python2_notebook.ipynb")
    (note,) = [p["message"] for p in report.load_problems if p["message"].startswith("This code looks like Python 2")]
    for what in ("a print statement", "xrange", "len(...) / 2"):
        assert what in note
    assert "Python 2 (a print statement)" in report.test("compute_cost").feedback
    assert "xrange, which is Python 2's range" in report.test("initialize_parameters_deep").feedback
    for name in ("L_model_forward", "update_parameters"):
        assert "gives a float in Python 3: write //" in report.test(name).feedback


def test_python_2_test_prints_cost_nothing(graded):
    report = graded(SUBMISSIONS / "correct_python2_exported_with_prose.py")
    assert report.score == report.max_score
    assert sum("outside any function" in p["message"] for p in report.load_problems) == 4


def test_the_quick_text_test_before_each_pattern_never_hides_a_sign():
    """signs() runs a pattern only where its needed text occurs: on every example submission and on a
    file of every Python 2 habit, it finds exactly what running every pattern everywhere finds."""
    from pathlib import Path

    from grader.load import py2

    assert len(py2._NEEDS) == len(py2._SIGNS)

    def every_pattern(text):
        found = []
        for pattern, what, advice in py2._SIGNS:
            match = pattern.search(text)
            if match:
                found.append((text.count("\n", 0, match.start()) + 1, what, advice))
        return sorted(found)

    habits = (
        "def f(parameters):\n    print 'x'\n    for i in xrange(3):\n        pass\n    L = len(parameters) / 2\n"
        "    try:\n        pass\n    except ValueError, e:\n        pass\n    d.iteritems()\n    d.has_key(1)\n"
        "    raw_input()\n"
    )
    texts = [habits] + [
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted((Path(__file__).parent.parent / "submissions").iterdir())
        if p.suffix in (".py", ".ipynb")
    ]
    assert len(every_pattern(habits)) == len(py2._SIGNS)  # the file holds every habit
    for text in texts:
        assert py2.signs(text) == every_pattern(text)
