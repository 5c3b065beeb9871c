"""Autograd's answers, computed once per (seed, case counts, grader build, device, NumPy, torch) and kept
on disk, so that grading with them need not import torch at all.

Importing torch and running autograd costs more than grading a correct submission; every `check`
paid it again. Here the oracle's answers (one dict of arrays per layer case, one `NetworkTruth` per
network case) are stored in a per-user folder and read back by later runs. The cases themselves are
not stored: they are regenerated from the seed with NumPy (cheap, and the same code path as a fresh
run), and each stored answer carries a digest of the case it belongs to, checked as it is used.

What is read is verified, never trusted: the file's format version, its key (every field above) and a
SHA-256 digest over key and content must match, its arrays must have the types and shapes expected,
and the folder and file must belong to this user (or root) and be writable by no one else. Anything
that does not match is recomputed and stored again. The digest catches corruption and stale files;
against a person who can write the file, the protection is the folder's permissions (0700), as for
any file of one's own. Student code cannot reach the cache at all: it runs in the sandbox with no
file system (an empty root, no open files; or, as root without namespaces, as a uid of its own that the
0700 folder shuts out), and the trusted side reads the cache before any job. Only where the walls are
weak (the portable backend, --allow-weak-sandbox) does student code run with the user's own rights: it
could then change this cache as it could change any other file of the user's, grader included.

The format is plain data: a magic line, a JSON header, and the sandbox's own wire encoding (JSON
structure plus raw array bytes, no pickle).

Where: $GRADER_ANSWERS_CACHE (a folder, or "off"), else $XDG_CACHE_HOME/backprop-grader, else
~/.cache/backprop-grader. Platform images fill it when they are built (`python -m grader prepare`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import sys
import tempfile
from pathlib import Path

import numpy as np

from grader.cases import LayerCase, NetworkCase, NetworkTruth

FORMAT = 1
MAGIC = b"backprop-grader answers\n"
ENV = "GRADER_ANSWERS_CACHE"
KEEP = 8  # answer files kept per folder (each grader build, seed and case count has its own)
_LEN = 4


class StaleAnswers(Exception):
    """A stored answer that does not belong to the case it is asked for, or is malformed."""


# --- where, and for what ---------------------------------------------------------------------------
def cache_folder(given: str | Path | None = None) -> Path | None:
    """The folder to use, or None when caching is off (GRADER_ANSWERS_CACHE=off) or no home is known."""
    value = str(given) if given is not None else os.environ.get(ENV, "")
    if value.lower() == "off":
        return None
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(base) / "backprop-grader"


@functools.lru_cache(maxsize=1)
def _installed_torch() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def torch_version() -> str:
    """The installed torch's version, read from its metadata: importing torch costs most of a second."""
    if "torch" in sys.modules:
        return sys.modules["torch"].__version__
    return _installed_torch()


def device_without_torch(name: str) -> str | None:
    """The device `name` resolves to when that is certain without torch ("cpu"); None: ask torch."""
    if name == "cpu":
        return "cpu"
    if name != "auto":
        return None  # "cuda" must be checked by torch itself (a clear error when it is absent)
    version = torch_version()
    if "+cpu" in version or sys.platform == "darwin":
        return "cpu"  # a CPU-only build, or macOS (no CUDA; the oracle never uses MPS)
    if sys.platform.startswith("linux") and "+rocm" not in version and not os.path.exists("/proc/driver/nvidia/version"):
        return "cpu"  # no NVIDIA driver loaded: torch.cuda.is_available() is False
    return None


def make_key(seed: int, counts: dict[str, int], device: str) -> dict:
    """Everything the answers depend on. Of the rubric only the case counts matter (points and limits do not)."""
    from grader import build_version

    return {"format": FORMAT, "seed": int(seed), "cases": {k: int(v) for k, v in sorted(counts.items())},
            "grader": build_version(), "device": device, "numpy": np.__version__, "torch": torch_version()}


def _canonical(key: dict) -> bytes:
    return json.dumps(key, sort_keys=True, separators=(",", ":")).encode()


def file_for(folder: Path, key: dict) -> Path:
    return folder / f"answers-{hashlib.sha256(_canonical(key)).hexdigest()[:24]}.bin"


def _digest(key: dict, payload: bytes) -> str:
    return hashlib.sha256(_canonical(key) + b"\0" + payload).hexdigest()


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
    return {"Z": t.Z, "A": t.A, "AL": t.AL, "cost": t.cost, "dZ": t.dZ, "dAL": t.dAL, "grads": t.grads, "updated": t.updated}


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
        Z=_arrays(data.get("Z"), first_none=True), A=_arrays(data.get("A")), AL=_array(data.get("AL")),
        cost=_array(data.get("cost")), dZ=_arrays(data.get("dZ"), first_none=True), dAL=_array(data.get("dAL")),
        grads=_array_dict(data.get("grads"), [f"{p}{l - 1 if p == 'dA' else l}" for l in range(1, L + 1) for p in ("dA", "dW", "db")]),
        updated=_array_dict(data.get("updated"), list(case.parameters)))
    if len(truth.Z) != L + 1 or len(truth.A) != L + 1 or len(truth.dZ) != L + 1:
        raise StaleAnswers("a network answer with another number of layers")
    if truth.AL.shape != case.Y.shape or truth.cost.shape != () or truth.dAL.shape != case.Y.shape:
        raise StaleAnswers("a network answer of another shape")
    for l in range(1, L + 1):
        n = case.layer_dims[l]
        if truth.Z[l].shape != (n, case.m) or truth.dZ[l].shape != (n, case.m) or truth.A[l].shape != (n, case.m):
            raise StaleAnswers(f"layer {l}'s answer has another shape")
        for k in (f"W{l}", f"b{l}"):
            if truth.updated[k].shape != case.parameters[k].shape or truth.grads["d" + k].shape != case.parameters[k].shape:
                raise StaleAnswers(f"{k}'s answer has another shape")
        if truth.grads[f"dA{l - 1}"].shape != (case.layer_dims[l - 1], case.m):
            raise StaleAnswers(f"dA{l - 1} has another shape")
    return truth


LAYER_KEYS = ("Z", "A", "linear.dA_prev", "linear.dW", "linear.db", "dZ", "dA_prev", "dW", "db")


def _layer_from_plain(data, case: LayerCase) -> dict:
    truth = _array_dict(data, list(LAYER_KEYS))
    shapes = {"Z": case.Z.shape, "A": case.Z.shape, "dZ": case.Z.shape, "linear.dA_prev": case.A_prev.shape,
              "dA_prev": case.A_prev.shape, "linear.dW": case.W.shape, "dW": case.W.shape, "linear.db": case.b.shape,
              "db": case.b.shape}
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
        return {"networks": [{"case": d, "answer": _truth_to_plain(t)} for _, (d, t) in sorted(self.networks.items())],
                "layers": [{"case": d, "answer": t} for _, (d, t) in sorted(self.layers.items())]}


class Stored:
    """Answers read from disk, handed out only for the very cases they were computed for."""

    def __init__(self, device: str, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("networks"), list) or not isinstance(payload.get("layers"), list):
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


# --- the file ------------------------------------------------------------------------------------------
def _private(st: os.stat_result, kind) -> bool:
    """Ours (or root's), of the expected kind, and writable by nobody else."""
    return kind(st.st_mode) and st.st_uid in (os.geteuid(), 0) and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(path: Path, key: dict):
    """The verified payload stored at `path` for `key`, or None (absent, foreign, stale, corrupt)."""
    from grader.sandbox import wire

    try:
        if not _private(os.lstat(path.parent), stat.S_ISDIR) or not _private(os.lstat(path), stat.S_ISREG):
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    at = len(MAGIC)
    size = int.from_bytes(data[at:at + _LEN], "big")
    try:
        header = json.loads(data[at + _LEN:at + _LEN + size])
    except ValueError:
        return None
    payload = data[at + _LEN + size:]
    if (not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key
            or header.get("digest") != _digest(key, payload)):
        return None
    try:
        return wire.decode(payload)
    except wire.WireError:
        return None


def write(folder: Path, key: dict, payload: dict) -> Path | None:
    """Store atomically (0600 in a 0700 folder); None where the folder cannot be made or is not private."""
    from grader.sandbox import wire

    body = wire.encode(payload)
    header = json.dumps({"format": FORMAT, "key": key, "digest": _digest(key, body)}, sort_keys=True).encode()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.lstat(folder), stat.S_ISDIR):
            return None
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".answers-", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(MAGIC + len(header).to_bytes(_LEN, "big") + header + body)
            target = file_for(folder, key)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(folder)
        return target
    except OSError:
        return None


def _prune(folder: Path) -> None:
    """Keep the KEEP most recently used answer files: every edit of the grader makes a new build."""
    files = sorted(folder.glob("answers-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)


# --- the one entry point -------------------------------------------------------------------------------
def case_set_for(seed: int, counts: dict[str, int], device: str = "cpu", folder: str | Path | None = None):
    """The CaseSet for (seed, counts, device): from the cache when a verified copy is there, otherwise
    computed with autograd (importing torch) and stored for next time. Returns (case_set, how), where
    how is "cached" (read back and verified), "computed" (and stored) or "computed, not stored"."""
    from grader.checks import CaseSet

    where = cache_folder(folder)
    resolved = device_without_torch(device)
    if resolved is None:
        from grader.oracle import resolve_device

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
    from grader.oracle import Oracle

    recording = Recording(Oracle(resolved))
    case_set = CaseSet(seed, counts, recording)
    stored = where is not None and write(where, key, recording.payload()) is not None
    return case_set, "computed" if stored else "computed, not stored"


# --- `python -m grader prepare` ---------------------------------------------------------------------
def add_parser(sub, commands: dict) -> None:
    prepare = sub.add_parser("prepare", help="compute autograd's answers for a seed and rubric once, and keep them for later runs "
                                             "(platform images run this when they are built)")
    prepare.add_argument("--seed", type=int, action="append", metavar="N", help="a seed to prepare (repeat for several; default 0)")
    prepare.add_argument("--rubric", metavar="FILE", help="the TOML rubric to prepare for (its case counts decide the cases)")
    prepare.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="the device the grading runs will use (default auto)")
    prepare.add_argument("--cache", metavar="DIR", help=f"the folder to keep them in (default ${ENV}, else the user's cache folder)")
    commands["prepare"] = cmd_prepare


def cmd_prepare(args) -> int:
    from grader.errors import GraderError
    from grader.rubric import load_rubric

    folder = cache_folder(args.cache)
    if folder is None:
        raise GraderError(f"no folder to keep the answers in (${ENV} is 'off', or no home folder): pass --cache DIR")
    rubric = load_rubric(args.rubric)
    counts = {name: unit.cases for name, unit in rubric.units.items()}
    for seed in args.seed or [0]:
        case_set, how = case_set_for(seed, counts, args.device, folder)
        if how == "computed, not stored":
            raise GraderError(f"could not store the answers in {folder}: it must be a folder of yours that no one else can write to")
        key = make_key(seed, counts, case_set.device)
        print(f"seed {seed}, rubric {args.rubric or 'default'}, device {case_set.device}: answers {how} in {file_for(folder, key)}")
    return 0
