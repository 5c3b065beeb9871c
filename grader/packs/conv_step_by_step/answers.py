"""Pack 2's autograd answers kept on disk (grader/answer_cache.py), so that a check with prepared answers
never imports torch, as pack 1's does.

Building the cases asks the oracle a fixed sequence of questions for a seed and case counts (answers,
zero_pad, create_mask_from_window, distribute_value, end_to_end, and `under` another version's
contract; case_inputs.py). `Recording` keeps each
answer with the question's name and a digest of its inputs; `Replaying` gives them back, in the same
order, only to the very same questions, and only as dicts of numeric arrays: anything else is stale and
is computed again. The cache's own checks (owner, permissions, format, key, SHA-256) come first.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from grader.answer_cache import StaleAnswers, cache_folder, device_without_torch, file_for, make_key, read, write
from grader.pack import CaseSet
from grader.packs.conv_step_by_step import cases as C

QUESTIONS = ("answers", "zero_pad", "create_mask_from_window", "distribute_value", "end_to_end", "under")
ASSIGNMENT = "conv_step_by_step"


def question_digest(args: tuple) -> str:
    """What identifies a question: the function's name (a str argument) and every input of the case."""
    h = hashlib.sha256()
    for arg in args:
        h.update(arg.encode() if isinstance(arg, str) else C.digest([arg]).encode())
    return h.hexdigest()


def _plain(value, depth: int = 0) -> bool:
    """Only what the oracle gives: numeric arrays and scalars, and tuples, lists and dicts of them (a
    cache holds its hyperparameters dict and the mode's name)."""
    if depth > 8:
        return False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "fbiu"
    if isinstance(value, (np.floating, np.integer, np.bool_, float, int, str)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _answer(value) -> dict:
    """A stored answer as the oracle gives it: a dict of plain numeric data."""
    if not isinstance(value, dict) or not value or not _plain(value):
        raise StaleAnswers("an answer that is not a dict of numeric data")
    return value


class Recording:
    """The oracle, keeping every question and answer in order (to store them)."""

    def __init__(self, oracle):
        self.oracle, self.device, self.calls = oracle, oracle.device, []

    def __getattr__(self, name: str):
        if name not in QUESTIONS:
            raise AttributeError(name)

        def ask(*args):
            answer = getattr(self.oracle, name)(*args)
            self.calls.append({"q": name, "digest": question_digest(args), "answer": answer})
            return answer
        return ask


class Replaying:
    """Stored answers, handed out in order and only for the very questions they were computed for."""

    def __init__(self, device: str, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("calls"), list):
            raise StaleAnswers("not an answers payload")
        self.device, self._calls, self._next = device, payload["calls"], 0

    def __getattr__(self, name: str):
        if name not in QUESTIONS:
            raise AttributeError(name)

        def replay(*args):
            if self._next >= len(self._calls) or not isinstance(self._calls[self._next], dict):
                raise StaleAnswers("fewer stored answers than questions")
            entry = self._calls[self._next]
            if entry.get("q") != name or entry.get("digest") != question_digest(args):
                raise StaleAnswers(f"stored answer {self._next} belongs to another question")
            self._next += 1
            return _answer(entry.get("answer"))
        return replay

    def done(self) -> None:
        if self._next != len(self._calls):
            raise StaleAnswers("more stored answers than questions")


def _key(seed: int, counts: dict[str, int], device: str) -> dict:
    return {**make_key(seed, counts, device), "assignment": ASSIGNMENT}


def case_set_for(seed: int, counts: dict[str, int], device: str = "cpu", folder=None) -> tuple[CaseSet, str]:
    """The cases and autograd's answers for (seed, counts, device): read back and verified when kept,
    else computed (importing torch) and kept; how: "cached", "computed" or "computed, not stored"."""
    from grader.packs.conv_step_by_step.case_inputs import build

    where = cache_folder(folder)
    resolved = device_without_torch(device)
    if where is not None and resolved is not None:
        key = _key(seed, counts, resolved)
        payload = read(file_for(where, key), key)
        if payload is not None:
            try:
                replay = Replaying(resolved, payload)
                inputs, _ = build(seed, counts, resolved, replay)
                replay.done()
            except (StaleAnswers, KeyError, IndexError, TypeError, ValueError):  # stale, or not what the cases need
                inputs = None
            if inputs is not None:
                try:
                    os.utime(file_for(where, key))  # recently used: kept by the cache's pruning
                except OSError:
                    pass  # a read-only image
                return CaseSet(seed, resolved, inputs), "cached"
    from grader.packs.conv_step_by_step.oracle import ConvOracle, resolve_device

    resolved = resolve_device(device)
    recording = Recording(ConvOracle(resolved))
    inputs, _ = build(seed, counts, resolved, recording)
    stored = where is not None and write(where, _key(seed, counts, resolved), {"calls": recording.calls}) is not None
    return CaseSet(seed, resolved, inputs), "computed" if stored else "computed, not stored"
