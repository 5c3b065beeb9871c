"""The trusted side of the sandbox: start a zygote, send it jobs, decode what comes back.

A `Sandbox` holds one zygote process (see zygote.py) and runs one job at a time; give each grading worker
its own. Results are decoded here with `wire`, never unpickled, and every limit is enforced by the
zygote and the OS, not by the student's goodwill.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable
from pathlib import Path

from grader.errors import GraderError
from grader.sandbox import wire

ZYGOTE = Path(__file__).with_name("zygote.py")
UID_BASE = 200000  # as root, a zygote's children run as UID_BASE + its pid: a uid no other live sandbox has


@dataclass(frozen=True)
class Limits:
    case_seconds: float = 2.0
    total_seconds: float = 30.0
    load_seconds: float = 5.0
    memory_mb: int = 1024
    output_chars: int = 4000
    result_bytes: int = 16 << 20
    file_bytes: int = 1 << 20
    processes: int = 16

    def as_job(self, uid: int | None = None) -> dict:
        return {**self.__dict__, "uid": uid}


@dataclass
class JobResult:
    """What one job gave back: load errors, a result per case that finished, and how the child ended."""

    load: dict | None = None
    cases: dict[int, dict] = field(default_factory=dict)
    done: dict = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """'timeout', 'overflow', 'crash' or None for a child that ran every case and exited cleanly."""
        if self.done.get("finished"):
            return None
        return self.done.get("reason") or "crash"


class Sandbox:
    """One zygote; `run(job)` is synchronous and thread-safe (one job at a time)."""

    def __init__(self, worker: int = 0):
        self.worker = worker
        self.uid: int | None = None  # known once the zygote has started
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._known: set[str] = set()  # case sets this zygote already holds

    def _start(self) -> subprocess.Popen:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # set on some CPUs so OpenBLAS is right there
            if key in os.environ:
                env[key] = os.environ[key]
        stderr = None if os.environ.get("GRADER_SANDBOX_DEBUG") else subprocess.DEVNULL
        try:
            return subprocess.Popen([sys.executable, "-I", str(ZYGOTE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=stderr, env=env, cwd="/", bufsize=0,
                                    start_new_session=True)  # terminal signals go to the grader alone
        except OSError as error:
            raise GraderError(f"cannot start the sandbox: {error}") from None

    def run(self, job: dict, answer: Callable[[dict, int], dict] | None = None) -> JobResult:
        """Send one job and collect its frames.

        A job is {kind, function, program, limits, denied, cases, cases_key}: `cases` is the list of cases
        (or it encoded with `wire.encode`); with a `cases_key`, it is sent to a zygote only the first time
        that zygote meets the key, and the zygote keeps it for later jobs. `job["standins"]` names the graded
        helpers replaced inside the child; each call to one comes here as a question {i, helper, args},
        and `answer(question, cases_finished)` gives the reply ({"matched": label, "answer": value} or {"matched": None}).
        """
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
                self._known = set()
                self.uid = UID_BASE + self._process.pid if os.getuid() == 0 else None
            process = self._process
            job = {**job, "limits": {**job["limits"], "uid": self.uid}}
            key = job.get("cases_key")
            if key is not None:
                if key in self._known:
                    job = {**job, "cases": None}
                self._known.add(key)
            payload = wire.encode(job)
            result = JobResult()
            try:
                wire.write_frame(process.stdin.fileno(), b"J", payload)
                out = process.stdout.fileno()
                while True:
                    frame = wire.read_frame(out, 1 << 31)
                    if frame is None:
                        raise GraderError("the sandbox's fork server stopped unexpectedly")
                    kind, body = frame
                    if kind == b"D":
                        result.done = wire.decode(body)
                        return result
                    try:
                        message = wire.decode(body)
                    except wire.WireError as error:
                        if kind == b"Q":  # the child waits for an answer: it gets a refusal
                            wire.write_frame(process.stdin.fileno(), b"A", wire.encode({"matched": None}))
                        result.done = {"reason": "corrupt", "detail": str(error)}
                        continue
                    if kind == b"Q":
                        reply = answer(message, len(result.cases)) if answer and isinstance(message, dict) else None
                        wire.write_frame(process.stdin.fileno(), b"A", wire.encode(reply or {"matched": None}))
                        continue
                    if kind == b"L" and isinstance(message, dict):
                        result.load = message
                    elif kind == b"C" and isinstance(message, dict) and isinstance(message.get("i"), int):
                        result.cases[message["i"]] = message
            except (BrokenPipeError, wire.WireError) as error:
                self.close()
                raise GraderError(f"the sandbox's fork server failed: {error}") from None

    def close(self) -> None:
        if self._process is not None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=5)
            except Exception:  # noqa: BLE001
                self._process.kill()
            self._process = None

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
