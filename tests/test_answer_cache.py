"""The answer cache: a hit grades exactly as a fresh computation, anything altered is recomputed, and a
hit never imports torch."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.judge import answer_cache
from grader.judge.answer_cache import file_for, make_key
from grader.packs.step_by_step.answers import case_set_for
from grader.judge.grade import Grader
from grader.judge.results import make_report_dict
from grader.judge.rubric import load_rubric
from grader.sandbox import wire

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
SEED = 7
SAMPLES = ("correct_student.py", "bug_dAL_sign.py", "bug_dW_transposed.py", "correct_notebook_v5_legacy_keys.ipynb")


@pytest.fixture(scope="module")
def rubric(tmp_path_factory):
    path = tmp_path_factory.mktemp("rubric") / "small.toml"
    path.write_text("[grading]\ncases = 6\n", encoding="utf-8")
    return load_rubric(path)


@pytest.fixture
def counts(rubric):
    return {name: unit.cases for name, unit in rubric.units.items()}


def plain(value):
    """Dataclasses (NetworkCase, LayerCase, NetworkTruth) as dicts of their fields, to encode and compare."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def content(case_set) -> dict[str, bytes]:
    """Every case's arguments, answer, stand-ins and diagnosis truths, as bytes to compare."""
    out = {}
    for function, inputs in case_set.inputs.items():
        parts = [plain((c.index, c.label, c.description, c.args, c.expected, c.standins, c.case)) for c in inputs]
        encoded = wire.encode(parts)
        assert b'"opaque"' not in encoded, f"{function}: something in a case does not encode, so it would not be compared"
        out[function] = encoded
    return out


def without_timings(data):
    if isinstance(data, dict):
        return {k: without_timings(v) for k, v in data.items() if k not in ("seconds", "timings")}
    if isinstance(data, list):
        return [without_timings(v) for v in data]
    return data


def grade_all(rubric, case_set) -> list[dict]:
    with Grader(rubric, seed=SEED, device="cpu", case_set=case_set) as grader:
        return [without_timings(make_report_dict(grader.grade(SUBMISSIONS / name))) for name in SAMPLES]


def test_a_hit_grades_exactly_as_a_fresh_computation(tmp_path, rubric, counts):
    fresh, how = case_set_for(SEED, counts, "cpu", tmp_path)
    assert how == "computed"
    again, how = case_set_for(SEED, counts, "cpu", tmp_path)
    assert how == "cached"
    assert content(again) == content(fresh)
    graded_fresh, graded_again = grade_all(rubric, fresh), grade_all(rubric, again)
    assert graded_again == graded_fresh
    assert graded_fresh[0]["score"] == graded_fresh[0]["max_score"] and graded_fresh[1]["score"] < graded_fresh[1]["max_score"]


def test_the_cache_folder_and_file_are_private(tmp_path, counts):
    folder = tmp_path / "made" / "here"
    _, how = case_set_for(SEED, counts, "cpu", folder)
    path = file_for(folder, make_key(SEED, counts, "cpu"))
    assert how == "computed" and path.exists()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600


def _recomputed(folder: Path, counts: dict) -> bool:
    _, how = case_set_for(SEED, counts, "cpu", folder)
    return how == "computed"


def _split(path: Path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    at = len(answer_cache.MAGIC)
    size = int.from_bytes(data[at:at + 4], "big")
    return json.loads(data[at + 4:at + 4 + size]), data[at + 4 + size:]


def _join(header: dict, payload: bytes) -> bytes:
    text = json.dumps(header).encode()
    return answer_cache.MAGIC + len(text).to_bytes(4, "big") + text + payload


def test_a_flipped_byte_in_an_array_is_recomputed(tmp_path, counts):
    case_set_for(SEED, counts, "cpu", tmp_path)
    path = file_for(tmp_path, make_key(SEED, counts, "cpu"))
    data = bytearray(path.read_bytes())
    key = make_key(SEED, counts, "cpu")
    answer = answer_cache.read(path, key)["networks"][2]["answer"]["grads"]["dW1"]  # autograd's dW1 of one network
    at = data.find(answer.tobytes())
    assert at > 0
    data[at + 3] ^= 0x01  # a low bit of that array's first number: a plausible value, but not autograd's
    path.write_bytes(bytes(data))
    assert _recomputed(tmp_path, counts)
    assert not _recomputed(tmp_path, counts)  # and stored again, verified


def test_another_seed_in_the_header_is_recomputed(tmp_path, counts):
    case_set_for(SEED, counts, "cpu", tmp_path)
    path = file_for(tmp_path, make_key(SEED, counts, "cpu"))
    header, payload = _split(path)
    header["key"]["seed"] = SEED + 1
    path.write_bytes(_join(header, payload))
    assert _recomputed(tmp_path, counts)
    # the same file passed off as the other seed's (its name and header say so): its digest gives it away
    other = make_key(SEED + 1, counts, "cpu")
    file_for(tmp_path, other).write_bytes(_join(header, payload))
    assert answer_cache.read(file_for(tmp_path, other), other) is None


def test_answers_given_to_the_wrong_cases_are_recomputed(tmp_path, counts):
    """A well-formed, correctly digested file whose answers belong to other cases (swapped)."""
    key = make_key(SEED, counts, "cpu")
    case_set_for(SEED, counts, "cpu", tmp_path)
    payload = answer_cache.read(file_for(tmp_path, key), key)
    payload["layers"][0], payload["layers"][1] = payload["layers"][1], payload["layers"][0]
    answer_cache.write(tmp_path, key, payload)
    assert _recomputed(tmp_path, counts)


def test_a_file_others_can_write_is_not_trusted(tmp_path, counts):
    case_set_for(SEED, counts, "cpu", tmp_path)
    path = file_for(tmp_path, make_key(SEED, counts, "cpu"))
    path.chmod(0o622)
    assert _recomputed(tmp_path, counts)


def test_off_means_no_cache(monkeypatch, counts):
    monkeypatch.setenv(answer_cache.ENV, "off")
    _, how = case_set_for(SEED, counts, "cpu")
    assert how == "computed, not stored"


def test_a_hit_imports_no_torch(tmp_path):
    """`check` with prepared answers: no torch in sys.modules, and the report still names torch's version.
    (Where someone edits the grader's source between prepare and check, the build differs and the check
    computes: that attempt is retried, so only a hit is judged.)"""
    env = {**os.environ, answer_cache.ENV: str(tmp_path)}
    script = ("import io, sys, contextlib, json\n"
              "from grader.judge import answer_cache as ac\n"
              "from grader.frontends.cli import main\n"
              "from grader.judge.rubric import load_rubric\n"
              "counts = {n: u.cases for n, u in load_rubric(None).units.items()}\n"
              "key = ac.make_key(0, counts, 'cpu')\n"
              "hit = ac.read(ac.file_for(ac.cache_folder(), key), key) is not None\n"
              "out = io.StringIO()\n"
              "with contextlib.redirect_stdout(out):\n"
              f"    code = main(['check', {str(SUBMISSIONS / 'correct_student.py')!r}, '--json', '--device', 'auto'])\n"
              "report = json.loads(out.getvalue())\n"
              "print(json.dumps({'hit': hit, 'code': code, 'torch': 'torch' in sys.modules, 'versions': report['versions']}))\n")
    for _ in range(3):
        prepared = subprocess.run([sys.executable, "-m", "grader", "prepare", "--seed", "0", "--device", "cpu"],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert prepared.returncode == 0, prepared.stderr
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout.strip().splitlines()[-1])
        if seen["hit"]:
            break
    assert seen["hit"], "the prepared answers were never found"
    assert seen["code"] == 0 and seen["torch"] is False
    import importlib.metadata

    assert seen["versions"]["torch"] == importlib.metadata.version("torch")


def test_prepare_without_a_folder_is_a_usage_error():
    env = {**os.environ, answer_cache.ENV: "off"}
    refused = subprocess.run([sys.executable, "-m", "grader", "prepare", "--device", "cpu"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 4 and "--cache" in refused.stderr


def test_gradescope_scripts_prepare_the_answers_where_each_run_reads_them(tmp_path):
    from grader.platforms.gradescope_zip import make_scripts

    scripts = make_scripts(41, "2.13.0")
    assert 'backprop-grader" prepare --seed 41 --device cpu' in scripts["setup.sh"]  # the console script: the safe start
    assert "gradescope run --root \"$ROOT\" --seed 41 --device cpu" in scripts["run_autograder"]

    def folder(script: str, defaults: str) -> str:
        line = next(l for l in script.splitlines() if l.startswith("export GRADER_ANSWERS_CACHE="))
        env = {k: v for k, v in os.environ.items() if k != answer_cache.ENV}
        return subprocess.run(["bash", "-c", f'{defaults}\n{line}\necho "$GRADER_ANSWERS_CACHE"'], env=env,
                              capture_output=True, text=True, check=True).stdout.strip()

    built = folder(scripts["setup.sh"], 'SOURCE="${AUTOGRADER_SOURCE:-/autograder/source}"')
    read = folder(scripts["run_autograder"], 'ROOT="${AUTOGRADER_ROOT:-/autograder}"')
    assert built == read == "/autograder/answers"
