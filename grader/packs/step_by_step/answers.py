"""Pack 1's answers as plain data for the answer cache (grader/judge/answer_cache.py), and back.

The cache itself (where, verified how, the file format) belongs to the engine; what one assignment's
answers are, how a case is identified, and how a stored answer is checked against its case belong here.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np

from grader.judge.answer_cache import StaleAnswers, cache_folder, device_without_torch, file_for, make_key, read, write

from .cases import LayerCase, NetworkCase, NetworkTruth


def case_digest(case: NetworkCase | LayerCase) -> str:
    """What identifies a case: its label, shapes, scalars and every input array's bytes."""
    h = hashlib.sha256()
    if isinstance(case, NetworkCase):
        h.update(repr(("network", case.index, case.label, case.layer_dims, float(case.learning_rate))).encode())
        arrays = [case.X, case.Y, *(case.parameters[k] for k in sorted(case.parameters))]
    else:
        h.update(repr(("layer", case.index, case.label, case.activation)).encode())
        arrays = [case.A_prev, case.W, case.b, case.Z, case.dA, case.dZ]
    for array in arrays:
        h.update(repr((array.dtype.str, array.shape)).encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


# --- answers as plain data, and back ---------------------------------------------------------------
def _truth_to_plain(t: NetworkTruth) -> dict:
    return {
        "Z": t.Z,
        "A": t.A,
        "AL": t.AL,
        "cost": t.cost,
        "dZ": t.dZ,
        "dAL": t.dAL,
        "grads": t.grads,
        "updated": t.updated,
    }


def _array(value) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype != np.float64:
        raise StaleAnswers(f"expected a float64 array, found {type(value).__name__}")
    return value


def _arrays(values, first_none: bool = False) -> list:
    if not isinstance(values, list) or not values:
        raise StaleAnswers("expected a list of arrays")
    if first_none and values[0] is not None:
        raise StaleAnswers("layer 0 has no Z or dZ")
    return [None if first_none and i == 0 else _array(v) for i, v in enumerate(values)]


def _array_dict(values, keys: list[str]) -> dict:
    if not isinstance(values, dict) or sorted(values) != sorted(keys):
        raise StaleAnswers("a dict of arrays with other keys than expected")
    return {k: _array(values[k]) for k in keys}


def _truth_from_plain(data, case: NetworkCase) -> NetworkTruth:
    if not isinstance(data, dict):
        raise StaleAnswers("a network answer is not a dict")
    L = case.L
    truth = NetworkTruth(
        Z=_arrays(data.get("Z"), first_none=True),
        A=_arrays(data.get("A")),
        AL=_array(data.get("AL")),
        cost=_array(data.get("cost")),
        dZ=_arrays(data.get("dZ"), first_none=True),
        dAL=_array(data.get("dAL")),
        grads=_array_dict(
            data.get("grads"), [f"{p}{l - 1 if p == 'dA' else l}" for l in range(1, L + 1) for p in ("dA", "dW", "db")]
        ),
        updated=_array_dict(data.get("updated"), list(case.parameters)),
    )
    if len(truth.Z) != L + 1 or len(truth.A) != L + 1 or len(truth.dZ) != L + 1:
        raise StaleAnswers("a network answer with another number of layers")
    if truth.AL.shape != case.Y.shape or truth.cost.shape != () or truth.dAL.shape != case.Y.shape:
        raise StaleAnswers("a network answer of another shape")
    for l in range(1, L + 1):
        n = case.layer_dims[l]
        if truth.Z[l].shape != (n, case.m) or truth.dZ[l].shape != (n, case.m) or truth.A[l].shape != (n, case.m):
            raise StaleAnswers(f"layer {l}'s answer has another shape")
        for k in (f"W{l}", f"b{l}"):
            if (
                truth.updated[k].shape != case.parameters[k].shape
                or truth.grads["d" + k].shape != case.parameters[k].shape
            ):
                raise StaleAnswers(f"{k}'s answer has another shape")
        if truth.grads[f"dA{l - 1}"].shape != (case.layer_dims[l - 1], case.m):
            raise StaleAnswers(f"dA{l - 1} has another shape")
    return truth


LAYER_KEYS = ("Z", "A", "linear.dA_prev", "linear.dW", "linear.db", "dZ", "dA_prev", "dW", "db")


def _layer_from_plain(data, case: LayerCase) -> dict:
    truth = _array_dict(data, list(LAYER_KEYS))
    shapes = {
        "Z": case.Z.shape,
        "A": case.Z.shape,
        "dZ": case.Z.shape,
        "linear.dA_prev": case.A_prev.shape,
        "dA_prev": case.A_prev.shape,
        "linear.dW": case.W.shape,
        "dW": case.W.shape,
        "linear.db": case.b.shape,
        "db": case.b.shape,
    }
    if any(truth[k].shape != shape for k, shape in shapes.items()):
        raise StaleAnswers("a layer answer of another shape")
    return truth


# --- the oracles CaseSet is built with ------------------------------------------------------------
class Recording:
    """Wraps the autograd oracle and keeps each answer it gives, with the digest of its case, to store."""

    def __init__(self, oracle):
        self.oracle, self.device = oracle, oracle.device
        self.networks: dict[int, tuple[str, NetworkTruth]] = {}
        self.layers: dict[int, tuple[str, dict]] = {}

    def network(self, case: NetworkCase) -> NetworkTruth:
        truth = self.oracle.network(case)
        self.networks[case.index] = (case_digest(case), truth)
        return truth

    def layer(self, case: LayerCase) -> dict:
        truth = self.oracle.layer(case)
        self.layers[case.index] = (case_digest(case), truth)
        return truth

    def payload(self) -> dict:
        return {
            "networks": [{"case": d, "answer": _truth_to_plain(t)} for _, (d, t) in sorted(self.networks.items())],
            "layers": [{"case": d, "answer": t} for _, (d, t) in sorted(self.layers.items())],
        }


class Stored:
    """Answers read from disk, handed out only for the very cases they were computed for."""

    def __init__(self, device: str, payload):
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("networks"), list)
            or not isinstance(payload.get("layers"), list)
        ):
            raise StaleAnswers("not an answers payload")
        self.device, self._networks, self._layers = device, payload["networks"], payload["layers"]

    @staticmethod
    def _entry(entries: list, case) -> object:
        if not 0 <= case.index < len(entries) or not isinstance(entries[case.index], dict):
            raise StaleAnswers(f"no stored answer for case {case.index}")
        entry = entries[case.index]
        if entry.get("case") != case_digest(case):
            raise StaleAnswers(f"the stored answer for case {case.index} belongs to another case")
        return entry.get("answer")

    def network(self, case: NetworkCase) -> NetworkTruth:
        return _truth_from_plain(self._entry(self._networks, case), case)

    def layer(self, case: LayerCase) -> dict:
        return _layer_from_plain(self._entry(self._layers, case), case)


def case_set_for(
    seed: int, counts: dict[str, int], device: str = "cpu", folder: str | Path | None = None, pending: bool = False
):
    """The CaseSet for (seed, counts, device): from the cache when a verified copy is there, otherwise
    computed with autograd (importing torch) and stored for next time. Returns (case_set, how), where
    how is "cached" (read back and verified), "computed" (and stored) or "computed, not stored".

    `pending`: where they must be computed and torch is not imported yet, compute them in a thread and
    return at once a grader.pack.PendingCaseSet (how: "computing"), whose early jobs need no answer."""
    from .case_inputs import CaseSet

    where = cache_folder(folder)
    resolved = device_without_torch(device)
    if resolved is None:
        from .oracle import resolve_device

        resolved = resolve_device(device)
    key = make_key(seed, counts, resolved)
    if where is not None:
        payload = read(file_for(where, key), key)
        if payload is not None:
            try:
                case_set = CaseSet(seed, counts, Stored(resolved, payload))
            except StaleAnswers:
                case_set = None
            if case_set is not None:
                try:
                    os.utime(file_for(where, key))  # recently used: kept by _prune
                except OSError:
                    pass  # a read-only image
                return case_set, "cached"

    def compute():
        from .oracle import Oracle

        recording = Recording(Oracle(resolved))
        case_set = CaseSet(seed, counts, recording)
        stored = where is not None and write(where, key, recording.payload()) is not None
        return case_set, "computed" if stored else "computed, not stored"

    if pending and "torch" not in sys.modules:
        from grader.pack import PendingCaseSet

        from .case_inputs import early_jobs

        return PendingCaseSet(seed, resolved, compute, early_jobs(seed, counts)), "computing"
    return compute()
