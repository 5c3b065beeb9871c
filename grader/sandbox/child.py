"""The sandboxed child: load a submission, run one job's cases, stream plain results, exit.

Runs in a process forked from the zygote, which never runs student code, so no state survives from one
submission to the next. A job marked "session" is the first of several checks of one submission that
this process serves in turn (shared.py says why that is safe and how each check starts clean); any other
job is the process's only one. Results go out frame by frame as each case finishes, so a crash loses only
the cases not yet run. Only the standard library and NumPy here.
"""

from __future__ import annotations

import gc
import linecache
import marshal
import mmap
import os
import signal
import socket
import sys
import time
import traceback

import numpy as np

from . import case_clock, guard, seal, shared, wire
from .case_clock import CaseTimeout, _alarm, _hold_alarm, _on_alarm

SUBMISSION = "submission"
_real_exit = os._exit


class HelperCallMismatch(Exception):
    """A stand-in was called with arguments that a correct caller would not pass on this case."""


class CappedText:
    """sys.stdout while student code runs: keeps the first `limit` characters, counts the rest."""

    def __init__(self, limit: int):
        self.limit, self.kept, self.total = limit, 0, 0
        self.parts: list[str] = []

    def write(self, text) -> int:
        text = str(text)
        self.total += len(text)
        if self.kept < self.limit:
            piece = text[: self.limit - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def take(self) -> tuple[str, int]:
        text, total = "".join(self.parts), self.total
        self.parts, self.kept, self.total = [], 0, 0
        return text, total


# --- stand-ins ----------------------------------------------------------------------------------
def _fresh(value):
    """A writable copy, so that the student's function may change its arguments freely."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(_fresh(v) for v in value)
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


class StandIn:
    """A correct helper that knows nothing: each call is a question to the trusted grader, which answers
    only a call that a correct caller makes on the running case, with that call's correct outputs."""

    def __init__(
        self,
        name: str,
        index: int,
        channel: tuple[int, int],
        params: tuple[str, ...],
        sealed: dict,
        salt: bytes,
        log: list,
    ):
        self.__name__, self._index, self._channel, self._params = name, index, channel, params
        self._sealed, self._salt, self._log = sealed, salt, log

    def _positional(self, args: tuple, kwargs: dict) -> tuple:
        """Keyword arguments in their place, by the parameter names the student's own helper uses."""
        if not kwargs:
            return args
        rest = [kwargs.pop(name) for name in self._params[len(args) :] if name in kwargs]
        return args + tuple(rest) + tuple(kwargs.values())

    def __call__(self, *args, **kwargs):
        args = self._positional(args, kwargs)
        key = seal.key_for(self._salt, wire.encode_parts(args))
        sealed = self._sealed.get(seal.lookup_id(key))
        if sealed is not None:  # the exact arguments of a correct call: they open its answer
            label, answer = wire.decode(seal.unseal(sealed, key))
            self._log.append({"helper": self.__name__, "matched": label})
            return seal.unfold(answer, args)
        result_fd, answer_fd = self._channel  # close but not exact, or wrong: the trusted grader decides
        left = _hold_alarm()
        try:
            wire.write_frame(result_fd, b"Q", wire.encode({"i": self._index, "helper": self.__name__, "args": args}))
            frame = wire.read_frame(answer_fd, 1 << 30)
        finally:
            if left > 0:
                _alarm(left)
        reply = wire.decode(frame[1]) if frame else {}
        if not reply.get("matched"):
            self._log.append({"helper": self.__name__, "matched": None, "args": args})
            raise HelperCallMismatch(
                f"{self.__name__} was called with arguments that a correct caller does not pass on this case"
            )
        self._log.append({"helper": self.__name__, "matched": reply["matched"]})
        return reply["answer"]


# --- loading ------------------------------------------------------------------------------------
def _student_frames(tb) -> list:
    frames = []
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith("<") or frame.filename == _HELPER_FILE[0] or frame.filename in _SOURCES:
            frames.append([frame.filename, frame.lineno, frame.name, frame.line or ""])
    return frames


def _error(exc: BaseException) -> dict:
    message = (
        str(exc)
        if not isinstance(exc, guard.SubmissionExit)
        else f"the code asked to exit (code {exc.args[0] if exc.args else 0})"
    )
    frames = _student_frames(exc.__traceback__)
    if len(frames) > 40:  # a deep recursion: its first and last frames (the trusted side keeps no more)
        frames = frames[:20] + frames[-20:]
    return {"type": type(exc).__name__[:200], "message": message[:2000], "traceback": frames}


_SOURCES: set[str] = set()
_HELPER_FILE = [""]  # the assignment's course helper module, whose frames a student sees in a traceback


def _helpers(spec: dict | None):
    """The assignment pack's course helper module, built from the source the job carries (no file system
    here), under the sandbox's private package name so that no submission import can reach it by path."""
    if not spec:
        return None
    import types

    module = types.ModuleType(f"{__package__}.{os.path.splitext(os.path.basename(spec['file']))[0]}")
    module.__file__ = _HELPER_FILE[0] = spec["file"]
    exec(marshal.loads(spec["code"]), module.__dict__)  # compiled by the trusted side (Pack.job_extras)
    return module


def _chain(code: bytes | None):
    """The pack's end-to-end chain, `end_to_end(namespace, args, out, fresh)`, compiled by the trusted
    side under the filename "grader-end-to-end" (its frames are the grader's: never shown to the student)."""
    if not code:
        return None
    scope: dict = {"__name__": f"{__package__}.end_to_end", "__builtins__": __builtins__, "np": np}
    exec(marshal.loads(code), scope)
    return scope["end_to_end"]


def compile_statement(statement: dict):
    """Source to code, with the statement's true line numbers; compiling runs none of it."""
    return compile("\n" * (statement["lineno"] - 1) + statement["source"], statement["filename"], "exec")


def load(program: list, namespace: dict, seconds: float) -> list:
    """Execute each kept statement on its own, so one failure costs only itself."""
    errors = []
    for statement in program:
        filename, lineno, source = statement["filename"], statement["lineno"], statement["source"]
        if filename not in _SOURCES:
            _SOURCES.add(filename)
            linecache.cache[filename] = (0, None, [], filename)
        entry = linecache.cache[filename]
        lines = entry[2] if len(entry) == 4 else []  # ours, made above (a 1-tuple would be a lazy entry)
        body = source.splitlines(keepends=True)
        lines.extend([""] * max(0, lineno - 1 + len(body) - len(lines)))
        lines[lineno - 1 : lineno - 1 + len(body)] = body
        try:
            code = statement.get("code")  # compiled once per submission by the trusted side
            code = marshal.loads(code) if isinstance(code, bytes) else compile_statement(statement)
            _alarm(seconds)
            try:
                exec(code, namespace)
            finally:
                _alarm(0)
        except CaseTimeout:
            errors.append(
                {
                    "filename": filename,
                    "lineno": lineno,
                    "type": "Timeout",
                    "message": f"this statement ran longer than {seconds:g} s while the submission loaded",
                    "traceback": [],
                }
            )
        except BaseException as exc:  # noqa: BLE001 - anything the submission raises is reported, not fatal
            errors.append({"filename": filename, "lineno": lineno, **_error(exc)})
    return errors


# --- running ------------------------------------------------------------------------------------
def run_case(namespace: dict, job: dict, index: int, case: dict, capture: CappedText, channel=None) -> dict:
    saved = {}
    calls: list = []
    for helper, interface_params in (job.get("standins") or {}).items():
        saved[helper] = namespace.get(helper)
        code = getattr(saved[helper], "__code__", None)
        params = code.co_varnames[: code.co_argcount] if code else tuple(interface_params)
        sealed = (case.get("sealed") or {}).get(helper, {})
        namespace[helper] = StandIn(helper, index, channel, params, sealed, job.get("salt", b""), calls)
    args = _fresh(tuple(case["args"]))
    result = {"i": index, "status": "ok"}
    partial: dict = {}
    if isinstance(case.get("seed"), int):  # the pack's seed for this case: the same --seed, the same draws
        np.random.seed(case["seed"] & 0xFFFFFFFF)
    started = time.perf_counter()
    _alarm(job["limits"]["case_seconds"])
    try:
        if job["kind"] == "end_to_end":
            result["value"] = job["end_to_end"](namespace, args, partial, _fresh)
        else:
            function = namespace.get(job["function"])
            if not callable(function):
                raise NameError(f"name {job['function']!r} is not defined")
            result["value"] = function(*args)
    except (
        CaseTimeout
    ) as exc:  # where the alarm found the code: the student's frames, for "time ran out in f at line k"
        result.update(status="timeout", error=_error(exc))
    except BaseException as exc:  # noqa: BLE001
        result.update(status="error", error=_error(exc))
    finally:
        _alarm(0)
        for helper, previous in saved.items():
            namespace[helper] = previous
    if job["kind"] == "end_to_end" and result["status"] != "ok":
        result["value"] = partial
    result["seconds"] = time.perf_counter() - started
    if not wire.same(case["args"], args):  # only a changed argument travels back, for the parent to compare
        result["args_after"] = args
    result["calls"] = calls
    result["output"], result["output_chars"] = capture.take()
    return result


def _read_job(job_fd: int, cases_fd, limits: dict) -> dict | None:
    """The next job from the trusted grader, decoded; None at the end of the pipe (a session's end).
    `cases_fd`: the sealed memfd of its cases, or (a shared process) a callable that receives it."""
    frame = wire.read_frame(job_fd, 1 << 31)
    if frame is None:
        return None
    job = wire.decode(frame[1])
    del frame
    shared = job.pop("shared", None)  # what every check of the submission carries alike, encoded once
    if isinstance(shared, bytes):
        job.update(wire.decode(shared))
    cases = job["cases"]
    if isinstance(cases, dict) and "mapped" in cases:  # a sealed memfd of the grader's: read in place
        fd = cases_fd(job) if callable(cases_fd) else cases_fd
        cases = wire.decode(mmap.mmap(fd, int(cases["mapped"]), prot=mmap.PROT_READ), copy=False)
        os.close(fd)
    elif isinstance(cases, bytes):
        cases = wire.decode(cases)
    if isinstance(cases, dict):  # a case set with sealed stand-in answers: {"salt", "cases"}
        job["salt"], cases = cases["salt"], cases["cases"]
    job["cases"] = cases
    job["limits"] = {**job["limits"], **limits}
    return job


def _run_job(job: dict, result_fd: int, answer_fd: int, guarded) -> bool:
    """One job's checks: load the submission into a fresh namespace, run its cases, send each result.
    False when a case ran out of time (the process must not serve another check)."""
    capture = CappedText(job["limits"]["output_chars"])
    sys.stdout = sys.stderr = capture
    namespace = {"__name__": SUBMISSION, "__builtins__": __builtins__}
    job["end_to_end"] = _chain(job.get("chain"))
    guarded.helpers = _helpers(job.get("helpers"))  # the course's helpers, fresh for every check
    errors = load(job["program"], namespace, job["limits"]["load_seconds"])
    output, chars = capture.take()
    functions = sorted(
        k
        for k, v in namespace.items()
        if callable(v) and not isinstance(v, type) and getattr(v, "__module__", None) == SUBMISSION
    )
    wire.write_frame(
        result_fd,
        b"L",
        wire.encode({"errors": errors, "functions": functions, "output": output, "output_chars": chars}),
    )
    for index, case in enumerate(job["cases"]):
        result = run_case(namespace, job, index, case, capture, (result_fd, answer_fd))
        try:
            message = wire.encode(result, job["limits"]["result_bytes"], wire.RESULT_ELEMENTS)
        except wire.WireError as error:
            message = wire.encode(
                {
                    "i": index,
                    "status": "error",
                    "seconds": result["seconds"],
                    "error": {"type": "ResultTooLarge", "message": str(error), "traceback": []},
                }
            )
        wire.write_frame(result_fd, b"C", message)
        if result["status"] == "timeout":
            return False  # one hang is enough: the rest are reported as not run
    return True


def main(job_fd: int, result_fd: int, answer_fd: int, limits: dict, cases_fd: int | None = None) -> None:
    """The job's whole life, behind the walls the zygote put up; never returns.

    The job's data comes straight from the trusted grader on `job_fd`, read whole before any student
    code runs; results and stand-in questions go out on `result_fd`, answers come in on `answer_fd`.
    Nothing here says when the job is done: the grader sees our exit, or, in a shared process (a
    "session", see shared.py), an E frame after the check's last result, and then sends the next check's
    data on `job_fd` once it has judged every result in (end of file: no more checks).
    """
    code = 0
    gc.disable()  # a short life: collecting would only copy the zygote's pages
    try:
        channel: list = []  # a shared process's Unix socket, down which each check's memfd comes

        def memfd(job: dict) -> int:
            if cases_fd is None:
                raise OSError("the job's cases should have come in a memfd, and none came")
            if not job.get("session"):
                return cases_fd
            if not channel:
                channel.append(socket.socket(fileno=cases_fd))
            return socket.recv_fds(channel[0], 1, 1)[1][0]

        job = _read_job(job_fd, memfd, limits)
        if job is None:
            raise EOFError("no job came")
        session = bool(job.get("session"))
        if not session:
            os.close(job_fd)
        if hasattr(signal, "setitimer"):
            signal.signal(signal.SIGALRM, _on_alarm)
        else:  # before the guard, which denies threading to everyone once it is in place
            case_clock.use_timer()
        np.random.seed(
            int.from_bytes(os.urandom(4), "little")
        )  # loads numpy.random before the guard denies what it imports
        guarded = guard.install(
            job["denied"],
            None,
            SUBMISSION,
            tuple((job.get("helpers") or {}).get("names", ())),
            tuple(job.get("stand_in_modules", ())),
        )
        state = shared.State(np, sys.modules) if session else None  # before any student code
        while True:
            if state is not None:
                state.reset(signal, _on_alarm)  # each check starts as a fresh process would
            else:
                np.random.seed(int.from_bytes(os.urandom(4), "little"))  # jobs must not share a random state
            if not _run_job(job, result_fd, answer_fd, guarded) or state is None:
                break
            wire.write_frame(result_fd, b"E", wire.encode({"clean": state.clean(job["limits"]["memory_mb"])}))
            following = _read_job(job_fd, memfd, limits)
            if following is None:
                break
            job = following
    except BaseException:  # noqa: BLE001 - the runtime itself failed; the grader sees a short job
        code = 70
    finally:
        _real_exit(code)
