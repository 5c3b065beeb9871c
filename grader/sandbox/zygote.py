"""The fork server: a clean process that never runs student code and forks one child per job.

Started once per grading worker (`python -I zygote.py`), it pays for the interpreter and NumPy once, so a
job costs a fork. For each job it reads one frame from stdin, forks the child, relays the child's result
frames to stdout with a size cap and a deadline, then kills everything the child left behind: its
process group, every process of its private uid, and any orphan reparented here (we are a subreaper).
Only the standard library and NumPy here.
"""

from __future__ import annotations

import gc
import os
import select
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import numpy  # noqa: E402 - paid for once, here

# The child may run as a uid that cannot read the interpreter's files: import now whatever a
# submission, or NumPy on its behalf, may import lazily.
for _name in ("secrets", "random", "math", "cmath", "copy", "functools", "itertools", "collections",
              "numbers", "fractions", "decimal", "statistics", "operator", "string", "re", "json", "time",
              "datetime", "typing", "dataclasses", "warnings", "traceback", "linecache", "os.path", "pprint",
              "textwrap", "heapq", "bisect", "enum", "abc", "numpy.linalg", "numpy.random", "numpy.fft",
              "numpy.polynomial", "numpy.lib.stride_tricks"):
    try:
        __import__(_name)
    except ImportError:
        pass

import child  # noqa: E402
import dnn_utils  # noqa: E402,F401
import guard  # noqa: E402,F401
import wire  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36
MAX_JOB_BYTES = 1 << 30


def _become_subreaper() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:  # noqa: BLE001 - not Linux: the process group kill still applies
        pass


def _children() -> list[int]:
    me, found = str(os.getpid()), []
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                    if fields[1] == me:
                        found.append(int(entry.name))
                except OSError:
                    pass
    except OSError:
        pass
    return found


def _kill_uid(uid: int) -> None:
    """Every process of the job's private uid, from a process of that uid (so it can touch nothing else)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _sweep(pid: int, uid: int | None, finished: bool) -> int | None:
    """Kill the child and everything it started; return the child's wait status.

    A child that said it finished gets a moment to exit by itself. Orphans of the child are reparented
    to us (a subreaper), so killing our children until none are left reaches every descendant, even one
    that left the process group.
    """
    deadline = time.monotonic() + (1.0 if finished else 0.0)
    while True:
        reaped, status = os.waitpid(pid, os.WNOHANG)
        if reaped or time.monotonic() >= deadline:
            break
        time.sleep(0.0005)
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if not reaped:
        _, status = os.waitpid(pid, 0)
    for _ in range(100):
        try:  # any live descendant would be our child by now: no child, nothing to look for
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        left = _children()
        if not left:
            break
        for target in left:
            for kill in (os.killpg, os.kill):
                try:
                    kill(target, signal.SIGKILL)
                except OSError:
                    pass
        if uid is not None:
            _kill_uid(uid)
        for target in left:
            try:
                os.waitpid(target, 0)
            except ChildProcessError:
                pass
    return status


class _Frames:
    """Frames from the child's pipe, read without ever blocking past the job's deadline.

    A child may write half a frame and stall, or flood: only complete frames within the cap come out.
    """

    def __init__(self, fd: int, cap: int):
        self.fd, self.cap, self.buffer, self.taken = fd, cap, bytearray(), 0
        os.set_blocking(fd, False)

    def next(self, deadline: float):
        """(kind, payload), None at end of file, or a reason string: 'timeout' or 'overflow'."""
        while True:
            if len(self.buffer) >= 5:
                n = int.from_bytes(self.buffer[1:5], "big")
                if self.taken + n > self.cap:
                    return "overflow"
                if len(self.buffer) >= 5 + n:
                    kind, payload = bytes(self.buffer[:1]), bytes(self.buffer[5:5 + n])
                    del self.buffer[:5 + n]
                    self.taken += n
                    return kind, payload
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return "timeout"
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                return None
            self.buffer += chunk


def _relay(read_fd: int, answer_fd: int, deadline: float, cap: int) -> str | None:
    """Pass the child's frames on until it says it is done; a stand-in's question goes to the parent, and
    the parent's answer back to the child. Say why we stopped, if it was early."""
    frames = _Frames(read_fd, cap)
    while True:
        frame = frames.next(deadline)
        if frame is None or isinstance(frame, str):
            return frame
        kind, payload = frame
        if kind == b"E":
            return "finished"
        wire.write_frame(1, kind, payload)
        if kind == b"Q":
            answer = wire.read_frame(0, MAX_JOB_BYTES)  # the trusted parent always answers at once
            try:
                wire.write_frame(answer_fd, b"A", answer[1] if answer else b"")
            except OSError:  # the child is gone: nobody to answer
                pass


def _compiled(statement: dict) -> dict:
    try:
        return {**statement, "code": child.compile_statement(statement)}
    except Exception:  # noqa: BLE001 - the child compiles it again and reports the error
        return statement


def serve() -> None:
    _become_subreaper()
    gc.freeze()  # what is here now is never collected, so forked children do not copy it page by page
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # a dead child or parent is an error to handle, not our end
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader, which ends us by closing our stdin
    known: dict[str, list] = {}  # case sets sent once, decoded once, shared with every child by fork
    compiled: tuple = (None, [])
    while True:
        frame = wire.read_frame(0, MAX_JOB_BYTES)
        if frame is None:
            return
        job = wire.decode(frame[1])
        cases = job.get("cases")
        if isinstance(cases, bytes):
            cases = wire.decode(cases)
        key = job.get("cases_key")
        if key is not None:
            if cases is not None:
                known[key] = cases
                gc.freeze()
            cases = known[key]
        if isinstance(cases, dict):  # a case set with sealed stand-in answers: {"salt", "cases"}
            job["salt"], cases = cases["salt"], cases["cases"]
        job["cases"] = cases
        if job.get("program_key") is not None:  # one submission's checks come in a row: compile it once
            if compiled[0] != job["program_key"]:
                compiled = (job["program_key"], [_compiled(statement) for statement in job["program"]])
            job["program"] = compiled[1]
        limits = job["limits"]
        workdir = tempfile.mkdtemp(prefix="grader-job-")
        uid = limits.get("uid")
        if uid is not None and os.getuid() == 0:
            os.chown(workdir, uid, uid)
        else:
            uid = None
        read_fd, write_fd = os.pipe()  # results and questions, child to us
        answer_read, answer_write = os.pipe()  # answers, us to child
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            os.close(answer_write)
            child.main(job, write_fd, answer_read, workdir)
        os.close(write_fd)
        os.close(answer_read)
        reason = "crash"
        try:
            reason = _relay(read_fd, answer_write, started + limits["total_seconds"], limits["result_bytes"] * (len(job["cases"]) + 2))
        finally:  # even when the parent is gone and we are about to exit: nothing of the job outlives it
            os.close(read_fd)
            os.close(answer_write)
            status = _sweep(pid, uid, reason == "finished")
            shutil.rmtree(workdir, ignore_errors=True)
        done = {"reason": None if reason == "finished" else reason or "crash", "finished": reason == "finished", "seconds": time.monotonic() - started, "exit_code": None, "signal": None}
        if status is not None:
            if os.WIFEXITED(status):
                done["exit_code"] = os.WEXITSTATUS(status)
            elif os.WIFSIGNALED(status):
                done["signal"] = signal.Signals(os.WTERMSIG(status)).name
        wire.write_frame(1, b"D", wire.encode(done))


if __name__ == "__main__":
    serve()
