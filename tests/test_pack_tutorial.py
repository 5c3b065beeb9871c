"""docs/packs.md's tutorial works as written: its skeleton pack, read from the page, grades a correct
`propagate` at full marks and names the one misconception on a file that has it, in process and
through the engine's own sandbox."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "packs.md"
CORRECT = '''import numpy as np

def propagate(w, b, X, Y):
    m = X.shape[1]
    A = 1 / (1 + np.exp(-(np.dot(w.T, X) + b)))
    cost = np.squeeze(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
    dw = np.dot(X, (A - Y).T) / m
    db = np.sum(A - Y) / m
    return {"dw": dw, "db": db}, cost
'''


def _blocks() -> dict[str, str]:
    text = PAGE.read_text(encoding="utf-8")
    return {m.group(1): m.group(0)[len("```python\n"):-len("```")]
            for m in re.finditer(r"```python\n# (grader/packs/logistic/\S+)\n.*?```", text, re.S)}


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    blocks = _blocks()
    assert set(blocks) == {"grader/packs/logistic/__init__.py", "grader/packs/logistic/oracle.py"}
    folder = tmp_path_factory.mktemp("tutorial") / "logistic"
    folder.mkdir()
    for name, code in blocks.items():
        (folder / Path(name).name).write_text(code)
    spec = importlib.util.spec_from_file_location("grader.packs.logistic", folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["grader.packs.logistic"] = module
    try:
        spec.loader.exec_module(module)
        yield module.PACK
    finally:
        sys.modules.pop("grader.packs.logistic", None)
        sys.modules.pop("grader.packs.logistic.oracle", None)


def test_the_skeleton_grades_correct_code_at_full_marks_and_names_its_misconception(pack, tmp_path):
    from grader.pack_testing import grade_in_process

    case_set, how = pack.case_set(0, {"propagate": 12}, "cpu", tmp_path / "answers")
    assert how == "computed" and pack.units == ("propagate",)
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(CORRECT)
    bad.write_text(CORRECT.replace("dw = np.dot(X, (A - Y).T) / m", "dw = np.dot(X, (A - Y).T)")
                   .replace("db = np.sum(A - Y) / m", "db = np.sum(A - Y)"))
    assert grade_in_process(pack, good, case_set)["propagate"].score == 100
    wrong = grade_in_process(pack, bad, case_set)["propagate"]
    assert wrong.score == 0 and [d.code for d in wrong.diagnoses] == ["GRADS_NOT_AVERAGED"]
    assert "it fits 12 of the 12 failing cases where it could be checked" in wrong.diagnoses[0].message
    assert pack.case_set(0, {"propagate": 12}, "cpu", tmp_path / "answers")[1] == "cached"


def test_the_skeleton_grades_through_the_engine(pack, tmp_path):
    from grader.judge.grade import Grader
    from grader.judge.rubric import Rubric

    bad = tmp_path / "bad.py"
    bad.write_text(CORRECT.replace("db = np.sum(A - Y) / m", "db = np.sum(A - Y)"))
    with Grader(Rubric(), seed=0, pack=pack, weak_sandbox="allow") as grader:
        report = grader.grade(bad)
    (test,) = report.tests
    assert test.score < test.max_score and test.cases and not any(c.passed for c in test.cases)
