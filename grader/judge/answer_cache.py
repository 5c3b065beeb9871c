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
~/.cache/backprop-grader. Platform images fill it when they are built (`backprop-grader prepare`).
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
    version = getattr(sys.modules.get("torch"), "__version__", None)  # None while a thread is importing it
    return str(version) if version else _installed_torch()


def device_without_torch(name: str) -> str | None:
    """The device `name` resolves to when that is certain without torch ("cpu"); None: ask torch."""
    if name == "cpu":
        return "cpu"
    if name != "auto":
        return None  # "cuda" must be checked by torch itself (a clear error when it is absent)
    version = torch_version()
    if "+cpu" in version or sys.platform == "darwin":
        return "cpu"  # a CPU-only build, or macOS (no CUDA; the oracle never uses MPS)
    if (
        sys.platform.startswith("linux")
        and "+rocm" not in version
        and not os.path.exists("/proc/driver/nvidia/version")
    ):
        return "cpu"  # no NVIDIA driver loaded: torch.cuda.is_available() is False
    return None


def make_key(seed: int, counts: dict[str, int], device: str) -> dict:
    """Everything the answers depend on. Of the rubric only the case counts matter (points and limits do not)."""
    from grader import build_version

    return {
        "format": FORMAT,
        "seed": int(seed),
        "cases": {k: int(v) for k, v in sorted(counts.items())},
        "grader": build_version(),
        "device": device,
        "numpy": np.__version__,
        "torch": torch_version(),
    }


def _canonical(key: dict) -> bytes:
    return json.dumps(key, sort_keys=True, separators=(",", ":")).encode()


def file_for(folder: Path, key: dict) -> Path:
    return folder / f"answers-{hashlib.sha256(_canonical(key)).hexdigest()[:24]}.bin"


def _digest(key: dict, payload: bytes) -> str:
    return hashlib.sha256(_canonical(key) + b"\0" + payload).hexdigest()


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
    size = int.from_bytes(data[at : at + _LEN], "big")
    try:
        header = json.loads(data[at + _LEN : at + _LEN + size])
    except ValueError:
        return None
    payload = data[at + _LEN + size :]
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("key") != key
        or header.get("digest") != _digest(key, payload)
    ):
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


def why_not_stored(folder: Path) -> str:
    """Why `write` could not keep answers in `folder`, in words (what `prepare` says when it could not)."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        st = os.lstat(probe)
    except OSError as error:
        return f"{probe} cannot be read ({error.strerror})"
    if probe != folder:
        return (
            f"the folder does not exist and cannot be made in {probe}"
            if not os.access(probe, os.W_OK)
            else "the folder could not be made"
        )
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    if st.st_uid not in (os.geteuid(), 0):
        return f"it belongs to another user (uid {st.st_uid}); answers are kept only in a folder of yours"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (
            f"others may write to it (mode {stat.S_IMODE(st.st_mode):o}); "
            "answers are kept only where no one else can (chmod 700)"
        )
    if not os.access(folder, os.W_OK):
        return "you may not write to it"
    return "writing the file failed (is the disk full?)"


def _prune(folder: Path) -> None:
    """Keep the KEEP most recently used answer files: every edit of the grader makes a new build."""
    files = sorted(folder.glob("answers-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)


# --- `backprop-grader prepare` ---------------------------------------------------------------------
def add_parser(sub, commands: dict) -> None:
    from grader.frontends.cli_options import DEVICES, assignment, seed

    prepare = sub.add_parser(
        "prepare",
        help="compute autograd's answers for a seed and rubric once, and keep them for later runs "
        "(platform images run this when they are built)",
    )
    prepare.add_argument(
        "--seed", type=seed, action="append", metavar="N", help="a seed to prepare (repeat for several; default 0)"
    )
    prepare.add_argument(
        "--rubric", metavar="FILE", help="the TOML rubric to prepare for (its case counts decide the cases)"
    )
    prepare.add_argument(
        "--assignment",
        metavar="NAME",
        type=assignment,
        default=None,
        help="the assignment pack (default: the rubric's, else the default pack; auto: every pack)",
    )
    prepare.add_argument(
        "--device", default="auto", choices=DEVICES, help="the device the grading runs will use (default auto)"
    )
    prepare.add_argument(
        "--cache", metavar="DIR", help=f"the folder to keep them in (default ${ENV}, else the user's cache folder)"
    )
    commands["prepare"] = cmd_prepare


def cmd_prepare(args) -> int:
    from grader import packs
    from grader.errors import GraderError
    from grader.judge.rubric import load_rubric
    from grader.pack import PendingCaseSet

    folder = cache_folder(args.cache)
    if folder is None:
        raise GraderError(f"no folder to keep the answers in (${ENV} is 'off', or no home folder): pass --cache DIR")
    rubric = load_rubric(args.rubric, args.assignment, default=packs.DEFAULT)
    chosen = packs.all_packs() if rubric.assignment == packs.AUTO else [packs.get(rubric.assignment)]
    for pack in chosen:
        units = rubric.for_pack(pack).units
        counts = {name: unit.cases for name, unit in units.items()}
        for seed in args.seed or [0]:
            case_set, how = pack.case_set(seed, counts, args.device, folder)
            if isinstance(case_set, PendingCaseSet):  # computed in a thread: wait for it, and for how it went
                how, case_set = case_set.how, case_set.complete()
            if how == "computed, not stored":
                raise GraderError(f"could not store the answers in {folder}: {why_not_stored(folder)}")
            print(
                f"{pack.name}, seed {seed}, rubric {args.rubric or 'default'}, device {case_set.device}: "
                f"answers {how} in {folder}"
            )
    return 0
