"""Pack 2's answers kept in the answer cache (grader/judge/kept_answers.py): read back without torch, only for the
very questions they answer, and giving exactly the cases computing them gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.judge.answer_cache import StaleAnswers, file_for, read, write
from grader.packs.conv_step_by_step import PACK
from grader.judge.kept_answers import Replaying, _key
from grader.judge.kept_answers import case_set_for as kept_case_set_for
from grader.packs.conv_step_by_step.case_inputs import build

ROOT = Path(__file__).resolve().parents[1]
SEED = 5
COUNTS = {unit: 3 for unit in PACK.units}


def case_set_for(seed, counts, device, folder):
    return kept_case_set_for(PACK, seed, counts, device, folder)


def same(x, y) -> bool:
    """Equal values of the very same types, all the way down."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return type(x) is type(y) and x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
    if isinstance(x, dict):
        return type(y) is dict and x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)):
        return type(x) is type(y) and len(x) == len(y) and all(map(same, x, y))
    return type(x) is type(y) and x == y


def test_kept_answers_give_the_very_cases_computing_gives(tmp_path):
    computed, how = case_set_for(SEED, COUNTS, "cpu", tmp_path)
    assert how == "computed" and list(tmp_path.glob("answers-*.bin"))
    cached, how = case_set_for(SEED, COUNTS, "cpu", tmp_path)
    assert how == "cached"
    for unit in PACK.units:
        assert same([(c.args, c.expected, c.standins) for c in cached.inputs[unit]],
                    [(c.args, c.expected, c.standins) for c in computed.inputs[unit]]), unit


def test_a_check_with_kept_answers_never_imports_torch(tmp_path):
    case_set_for(SEED, COUNTS, "cpu", tmp_path)
    probe = ("import sys\nfrom grader.packs.conv_step_by_step import PACK\n"
             f"_, how = PACK.case_set({SEED}, {COUNTS!r}, 'cpu', {str(tmp_path)!r})\n"
             "print(how, 'torch' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["cached", "False"], run.stderr


def test_a_stored_answer_is_given_only_to_its_own_question(tmp_path):
    case_set_for(SEED, COUNTS, "cpu", tmp_path)
    key = _key(PACK.name, SEED, COUNTS, "cpu")
    payload = read(file_for(tmp_path, key), key)
    payload["calls"][3]["digest"] = "0" * 64  # an answer of another case
    with pytest.raises(StaleAnswers, match="another question"):
        build(SEED, COUNTS, Replaying("cpu", payload))
    payload = read(file_for(tmp_path, key), key)
    payload["calls"][0]["answer"] = {"X_pad": np.array(["not a number"])}
    with pytest.raises(StaleAnswers, match="not plain numeric data"):
        build(SEED, COUNTS, Replaying("cpu", payload))
    payload = read(file_for(tmp_path, key), key)
    payload["calls"].append(payload["calls"][0])
    replay = Replaying("cpu", payload)
    build(SEED, COUNTS, replay)
    with pytest.raises(StaleAnswers, match="more stored answers"):
        replay.done()
    # a well-formed file (its digest right) whose answer lacks what the cases need: computed again
    payload = read(file_for(tmp_path, key), key)
    payload["calls"][0]["answer"] = {"wrong_key": np.zeros(2)}
    write(tmp_path, key, payload)
    _, how = case_set_for(SEED, COUNTS, "cpu", tmp_path)
    assert how == "computed"


def test_prepare_keeps_pack_2s_answers(tmp_path):
    run = subprocess.run([sys.executable, "-m", "grader", "prepare", "--assignment", "conv_step_by_step", "--seed", "3",
                          "--device", "cpu", "--cache", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "conv_step_by_step, seed 3" in run.stdout and f"answers computed in {tmp_path}" in run.stdout
    assert len(list(tmp_path.glob("answers-*.bin"))) == 1
