"""The real-notebook manifest stays usable, and the benchmark's notion of "fair" is the one documented.

The copies themselves cannot be downloaded in CI (see benchmarks/real_notebooks.py); this checks only
what the repository holds.
"""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("real_notebooks", ROOT / "benchmarks" / "real_notebooks.py")
real_notebooks = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(real_notebooks)
HEX40 = re.compile(r"^[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def copies():
    return real_notebooks.load_manifest()


def test_manifest_names_each_copy_precisely(copies):
    assert len(copies) >= 25
    for c in copies:
        assert HEX40.match(c["commit"]) and HEX40.match(c["blob"]), c["id"]
        assert c["format"] in ("ipynb", "py") and c["path"].endswith("." + c["format"]), c["id"]
        assert c["version"] and c["why"], c["id"]


def test_manifest_spans_the_versions(copies):
    versions = {c["version"] for c in copies}
    assert {"v3", "v4", "v5", "v8", "v8a"} <= versions
    assert any(v.startswith("v1.") for v in versions)


def _report(scores: dict[str, float]) -> dict:
    tests = [{"name": u, "score": scores.get(u, 10.0), "max_score": 10.0, "diagnoses": [], "feedback": ""}
             for u in real_notebooks.UNITS]
    return {"status": "graded", "tests": tests}


def test_judge_flags_lost_points_on_correct_code_and_full_marks_on_a_real_bug():
    copy = {"id": "x", "version": "v3", "expect": {"linear_backward": "db summed over every axis"}}
    assert real_notebooks.judge(copy, _report({"linear_backward": 0.0})) == []
    lost = real_notebooks.judge(copy, _report({"linear_backward": 0.0, "update_parameters": 0.0}))
    assert len(lost) == 1 and lost[0].startswith("update_parameters")
    missed = real_notebooks.judge(copy, _report({}))
    assert len(missed) == 1 and missed[0].startswith("linear_backward")


def test_blob_id_is_gits():
    assert real_notebooks.blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


# --- pack 2's manifest ------------------------------------------------------------------------------
CONV_UNITS = real_notebooks.UNITS_OF["conv_step_by_step"]


@pytest.fixture(scope="module")
def conv_copies():
    return real_notebooks.load_manifest(real_notebooks.MANIFESTS["conv_step_by_step"], CONV_UNITS)


def test_conv_manifest_names_each_copy_precisely_and_spans_the_editions(conv_copies):
    from grader.packs.conv_step_by_step.interface import VERSIONS

    assert len(conv_copies) >= 30
    assert len({c["blob"] for c in conv_copies}) == len(conv_copies)  # no copy counted twice
    for c in conv_copies:
        assert HEX40.match(c["commit"]) and HEX40.match(c["blob"]), c["id"]
        assert c["format"] == "ipynb" and c["path"].endswith(".ipynb") and c["why"], c["id"]
        assert c["version"] in VERSIONS, c["id"]
    assert {c["version"] for c in conv_copies} == set(VERSIONS)
    assert sum(c["version"] == "v1-2017" for c in conv_copies) >= 5


def test_conv_manifest_refuses_a_unit_pack_2_does_not_grade(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('[[copies]]\nid = "x"\n[copies.expect]\nL_model_backward = "no such unit in pack 2"\n')
    with pytest.raises(SystemExit, match="unknown functions"):
        real_notebooks.load_manifest(bad, CONV_UNITS)


def test_judge_flags_a_copy_graded_as_another_edition():
    copy = {"id": "x", "version": "v1-2017", "expect": {}}
    report = {"status": "graded", "notebook_version": {"name": "v1-2021 (2021 and later)", "candidates": ["v1-2021"], "contract": "..."},
              "tests": [{"name": u, "score": 1.0, "max_score": 1.0, "diagnoses": [], "feedback": ""} for u in CONV_UNITS]}
    assert real_notebooks.judge(copy, report, CONV_UNITS) == ["graded as v1-2021 (2021 and later), but it is v1-2017"]
    report["notebook_version"]["candidates"] = ["v1-2017"]
    assert real_notebooks.judge(copy, report, CONV_UNITS) == []
