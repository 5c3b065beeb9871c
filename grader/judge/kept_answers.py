"""Autograd's answers kept on disk for any pack, so that a check with prepared answers never imports torch.

A pack on this path builds its cases with an oracle it is given (`Pack.build_inputs(seed, counts,
oracle)`) and says how to make the real one (`Pack.make_oracle(device)`, the only place it imports
torch). Building the cases asks the oracle a fixed sequence of questions for a seed and case counts:
`Recording` keeps each answer with the question's name and a digest of its inputs; `Replaying` gives them
back, in the same order, only to the very same questions, and only as plain numeric data: anything
else is stale and is computed again. grader/judge/answer_cache.py does the rest (where, the file's format,
owner and permissions, its key and its SHA-256 digest), as it does for pack 1. Generalised from pack 2's
answers.py, which had its questions' names built in: here a question is any public method of the oracle,
asked about plain data or a pack's case objects (dataclasses, identified by their type and fields).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os

import numpy as np

from grader.judge.answer_cache import StaleAnswers, cache_folder, device_without_torch, file_for, make_key, read, write
from grader.pack import CaseSet

NOT_STORED = "computed, not stored"


def question_digest(name: str, args: tuple) -> str:
    """What identifies a question: the method's name and every input, as the sandbox's wire encodes them."""
    from grader.sandbox import wire

    return hashlib.sha256(name.encode() + b"\0" + wire.encode(_fields(tuple(args)))).hexdigest()


def _fields(value, depth: int = 0):
    """A case object as its type's name and its fields (the wire would send any object as the same
    opaque marker, so two cases would ask the same question); anything else not plain is refused."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and depth < 12:
        return {
            "~case": type(value).__qualname__,
            **{f.name: _fields(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)},
        }
    if isinstance(value, (tuple, list)):
        return type(value)(_fields(v, depth + 1) for v in value)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _fields(v, depth + 1) for k, v in value.items()}
    if not plain(value):
        raise TypeError(f"a question's input of type {type(value).__name__} is neither plain data nor a case dataclass")
    return value


def plain(value, depth: int = 0) -> bool:
    """Only what an oracle gives: numeric arrays and scalars, strings, and tuples, lists and dicts of them."""
    if depth > 12:
        return False
    if value is None or isinstance(value, (np.floating, np.integer, np.bool_, float, int, str)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "fbiu"
    if isinstance(value, (tuple, list)):
        return all(plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v, depth + 1) for k, v in value.items())
    return False


class Recording:
    """The oracle, keeping every question and answer in order (to store them)."""

    def __init__(self, oracle):
        self.oracle, self.device, self.calls = (
            oracle,
            str(getattr(oracle, "device", "cpu")),
            [],
        )  # a torch.device: its name

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self.oracle, name)

        def ask(*args):
            answer = method(*args)
            if not plain(answer):
                raise TypeError(f"the oracle's {name} answered with something that is not plain numeric data")
            self.calls.append({"q": name, "digest": question_digest(name, args), "answer": answer})
            return answer

        return ask


class Replaying:
    """Stored answers, handed out in order and only for the very questions they were computed for."""

    def __init__(self, device: str, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("calls"), list):
            raise StaleAnswers("not an answers payload")
        self.device, self._calls, self._next = device, payload["calls"], 0

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def replay(*args):
            if self._next >= len(self._calls) or not isinstance(self._calls[self._next], dict):
                raise StaleAnswers("fewer stored answers than questions")
            entry = self._calls[self._next]
            if entry.get("q") != name or entry.get("digest") != question_digest(name, args):
                raise StaleAnswers(f"stored answer {self._next} belongs to another question")
            self._next += 1
            answer = entry.get("answer")
            if not plain(answer):
                raise StaleAnswers("a stored answer that is not plain numeric data")
            return answer

        return replay

    def done(self) -> None:
        if self._next != len(self._calls):
            raise StaleAnswers("more stored answers than questions")


def _key(assignment: str, seed: int, counts: dict[str, int], device: str) -> dict:
    return {**make_key(seed, counts, device), "assignment": assignment}


def case_set_for(pack, seed: int, counts: dict[str, int], device: str = "cpu", folder=None) -> tuple[CaseSet, str]:
    """`pack`'s cases and autograd's answers for (seed, counts, device): read back and verified when kept,
    else computed (importing torch) and kept; how: "cached", "computed" or "computed, not stored"."""
    where = cache_folder(folder)
    resolved = device_without_torch(device)
    if where is not None and resolved is not None:
        key = _key(pack.name, seed, counts, resolved)
        payload = read(file_for(where, key), key)
        if payload is not None:
            try:
                replay = Replaying(resolved, payload)
                inputs = pack.build_inputs(seed, counts, replay)
                replay.done()
            except (StaleAnswers, KeyError, IndexError, TypeError, ValueError, AttributeError):
                inputs = None  # stale, or not what the cases need: computed again
            if inputs is not None:
                try:
                    os.utime(file_for(where, key))  # recently used: kept by the cache's pruning
                except OSError:
                    pass  # a read-only image
                return CaseSet(seed, resolved, inputs), "cached"
    oracle = pack.make_oracle(device)
    recording = Recording(oracle)
    inputs = pack.build_inputs(seed, counts, recording)
    resolved = recording.device
    stored = (
        where is not None
        and write(where, _key(pack.name, seed, counts, resolved), {"calls": recording.calls}) is not None
    )
    return CaseSet(seed, resolved, inputs), "computed" if stored else NOT_STORED
