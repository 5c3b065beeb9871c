"""The trusted side of the sandbox: start a zygote, hand each job its own pipes, decide how it ended.

A `Sandbox` holds one zygote process (see zygote.py) and runs one job at a time; give each grading worker
its own. For each job this process makes three pipes (the job's data in, results and questions out,
answers in) and passes their far ends to the zygote, which forks the walled job with them: the job's
data never goes through the zygote. Everything the job sends is untrusted: every frame's kind, length
and content is checked here and decoded with `wire`, never unpickled; a malformed frame ends that job
with a clear reason. Control is ours alone: a job is over when its process has ended (the zygote says
how) and its pipe is closed, or when a deadline here passes and we have it killed. Nothing in this
process ever blocks on the job: every read and write waits in `select` against a deadline.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from grader.errors import GraderError, GraderFault
from grader.judge import budget as budgets
from grader.sandbox.job_records import WALLS_ENV, WEAK_FLAG, Collected, JobResult, Limits, Walls, weak_walls_message
from grader.sandbox.payload import MAP_AT_LEAST, SHARED, JobPayloads
from grader.sandbox.relay import GRACE_SECONDS, KINDS, End, _close, _framed, _Job, _recv, _send

__all__ = [  # the public names of the sandbox's trusted side, wherever they live
    "GRACE_SECONDS",
    "KINDS",
    "MAP_AT_LEAST",
    "SHARED",
    "WALLS_ENV",
    "WEAK_FLAG",
    "Collected",
    "End",
    "JobResult",
    "Limits",
    "Sandbox",
    "Walls",
    "_Job",
    "_close",
    "_framed",
    "_recv",
    "_send",
    "weak_walls_message",
]

ZYGOTE = Path(__file__).with_name("zygote.py")
UID_BASE = 200000  # as root, a zygote's children run as UID_BASE + its pid: a uid no other live sandbox has
PER_PROCESS_ENV = "GRADER_CHECKS_PER_PROCESS"  # 1: every check in a process of its own, as before issue 24
SESSION_END_SECONDS = 5.0  # how long a shared process may take to exit once told there is no more
RESULT_PIPE = 1 << 20  # a job's results pipe, so that it rarely waits while we judge the check before it


class Sandbox(JobPayloads):
    """One zygote; `run(job)` is synchronous and thread-safe (one job at a time); `submit(job)` starts one
    that runs while the caller works, and its `collect()` ends it. `submit(job, share=n)` may run the job
    in the process that served the job before it (a session of at most n checks; see shared.py): only
    the caller knows whether the order of its checks allows it, and `end_session` ends one."""

    shares = True  # can run several checks in one process (the portable backend cannot)

    def __init__(self, worker: int = 0, walls: str | None = None):
        self.worker = worker
        self.uid: int | None = None  # known once the zygote has started
        self.walls: Walls | None = None  # likewise
        self._wanted = walls or os.environ.get(WALLS_ENV, "auto")
        if self._wanted not in ("auto", "namespaces", "landlock", "none"):
            raise GraderError(f"{WALLS_ENV} must be auto, namespaces, landlock or none, not {self._wanted!r}")
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._compiled: tuple[list, list] = (
            [None],
            [],
        )  # the last program, compiled: a submission's checks come in a row
        self._shared: tuple = (None, (), b"")  # (key, the objects it names, kept alive, their encoding): see _payload
        self._mapped: dict[int, tuple[bytes, int]] = {}  # id(encoded cases) -> (them, their sealed memfd)
        self._in_flight = False  # a job submitted and not yet collected
        self._session: _Session | None = None  # the shared process of the checks now being graded, if any
        self.budget: budgets.Budget | None = None  # the submission being graded: what its jobs may still send

    # --- the zygote -----------------------------------------------------------------------------
    def _start(self) -> None:
        self._spawn_zygote()
        self._handshake()

    def _spawn_zygote(self) -> None:
        """Start the zygote's process; it imports NumPy and probes the walls while we go on."""
        self.walls = None
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # set on some CPUs so OpenBLAS is right there
            if key in os.environ:
                env[key] = os.environ[key]
        stderr = None if os.environ.get("GRADER_SANDBOX_DEBUG") else subprocess.DEVNULL
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", str(ZYGOTE), str(theirs.fileno()), self._wanted],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                cwd="/",
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )  # terminal signals go to the grader alone
        except OSError as error:
            ours.close()
            raise GraderFault(f"cannot start the sandbox: {error}") from None
        finally:
            theirs.close()
        self._control = ours

    def _zygote(self) -> tuple[subprocess.Popen, socket.socket]:
        """The zygote's process and our end of its control socket, once started."""
        if self._process is None or self._control is None:
            raise GraderFault("the sandbox's fork server is not running")
        return self._process, self._control

    def _handshake(self) -> None:
        """Wait for the zygote's hello: which walls it puts up around every job."""
        process, ours = self._zygote()
        ours.settimeout(120)
        try:
            hello = json.loads(ours.recv(65536) or b"{}")
        except (OSError, ValueError):
            hello = {}
        ours.settimeout(None)
        if hello.get("op") != "hello":
            self.close()
            raise GraderFault("the sandbox's fork server did not start (run with GRADER_SANDBOX_DEBUG=1 to see why)")
        self.walls = Walls(hello["mode"], list(hello["walls"]), list(hello["refused"]), bool(hello["root"]))
        self.uid = UID_BASE + process.pid if os.getuid() == 0 else None

    def launch(self) -> None:
        """Begin starting the zygote without waiting for it, so that its start overlaps the caller's own
        work (reading or computing autograd's answers); `start` or the first `run` waits for it."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._spawn_zygote()

    def _ready(self) -> None:
        if self._process is None or self._process.poll() is not None:
            self._start()
        elif self.walls is None:
            self._handshake()

    def start(self) -> Walls:
        """Start the zygote now (it starts with the first job otherwise); say which walls it puts up."""
        with self._lock:
            self._ready()
            if self.walls is None:
                raise GraderFault("the sandbox's fork server did not say which walls it puts up")
            return self.walls

    # --- one job --------------------------------------------------------------------------------
    def run(self, job: dict, answer: Callable[[dict, int], dict] | None = None) -> JobResult:
        """Run one job and collect what it sends, within its deadlines.

        A job is {kind, function, program, limits, denied, cases}: `cases` is the list of cases (or it
        encoded with `wire.encode`). `job["standins"]` names the graded helpers replaced inside the child;
        each call to one comes here as a question {i, helper, args}, and `answer(question, cases_finished)`
        gives the reply ({"matched": label, "answer": value} or {"matched": None}).
        """
        return self.submit(job, answer).collect()

    def submit(self, job: dict, answer: Callable[[dict, int], dict] | None = None, share: int = 0) -> _Job | Collected:
        """Start one job and return at once; its `collect()` gives the result (as `run`). (`Collected`: what
        the portable backend's `submit` returns, a job already run, with the same `collect()` and `cancel()`.)

        The job runs while the caller does other work (judging the previous check), on the other core:
        its pipes are made large enough that neither its data nor, mostly, its results wait for us. Its
        deadlines are kept from its start all the same; a question from a stand-in waits for `collect`.
        One job at a time: collect it before the next submit.

        `share`: the job may go to the live shared process of the jobs before it, or start one that will
        serve at most `share` jobs (0: a process of its own, and any shared one is ended first). The
        caller promises that nothing this job's data reveals is an answer to a job still to come there."""
        with self._lock:
            if self._in_flight:
                raise GraderFault("a sandbox job was started before the previous one was collected")
            if os.environ.get(PER_PROCESS_ENV, "") == "1":
                share = 0  # as before issue 24: for comparison, and the fallback
            session = self._session
            if session is not None and (
                not share or self._process is None or self._process.poll() is not None or not session.usable()
            ):
                self._end_session()
                session = None
            self._ready()
            if session is not None and session.job_w is not None:  # its next check: no fork, no walls to put up
                original = job
                job, mapped = self._mapped_job(job)
                limits, count, payload = self._payload({**job, "session": True})
                if mapped is not None and not session.send_fd(mapped):
                    self._end_session()  # it does not take what it is sent: a fresh process
                    return self._fork_job(original, answer, share)
                session.served += 1
                self._in_flight = True
                return _Job(self, limits, count, payload, session.job_w, session.res_r, session.ans_w, answer, session)
            return self._fork_job(job, answer, share)

    def _fork_job(self, job: dict, answer, share: int) -> _Job:
        """A job in a new walled process (the zygote forks it); with `share`, the first of a session's.

        A shared process gets a Unix socket besides its pipes: each later check's sealed memfd comes
        down it (a pipe carries no descriptor), sent with that check's data and not before."""
        job, mapped = self._mapped_job(job)
        channel = None
        if share:
            job = {**job, "session": True, "limits": {**job["limits"], "jobs": int(share)}}
            channel = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        limits, count, payload = self._payload(job)
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        ans_r, ans_w = os.pipe()
        _widen(job_w, len(payload) + 16 if not share else RESULT_PIPE)
        _widen(res_r, RESULT_PIPE)
        extra = [channel[1].fileno()] if channel else ([mapped] if mapped is not None else [])
        try:
            socket.send_fds(
                self._zygote()[1], [json.dumps({"op": "job", "limits": limits}).encode()], [job_r, res_w, ans_r] + extra
            )
        except OSError as error:
            for fd in (job_w, res_r, ans_w):
                os.close(fd)
            if channel:
                channel[0].close()
            self.close()
            raise GraderFault(f"the sandbox's fork server failed: {error}") from None
        finally:
            for fd in (job_r, res_w, ans_r):
                os.close(fd)
            if channel:
                channel[1].close()
        session = None
        if channel is not None:  # made where `share` asked for a session
            session = self._session = _Session(job_w, res_r, ans_w, int(share), channel[0])
            if mapped is not None:
                session.send_fd(mapped)  # a fresh socket's buffer takes one; the process reads it first
        self._in_flight = True
        return _Job(self, limits, count, payload, job_w, res_r, ans_w, answer, session)

    def end_session(self) -> None:
        """End the shared process, if one is live: no more checks go to it (a submission's last, or the
        order of the checks to come does not allow it). Waits until it is gone."""
        with self._lock:
            self._end_session()

    def _end_session(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        session.channel.close()
        for fd in (session.job_w, session.ans_w):  # end of file: the process exits
            try:
                if fd is not None:
                    os.close(fd)
            except OSError:
                pass
        try:
            self._await_exit(session)
        finally:
            try:
                os.close(session.res_r)
            except OSError:
                pass

    def _await_exit(self, session: _Session) -> None:
        """Wait for the zygote's word that the shared process has exited; kill it if it does not."""
        deadline, killed = time.monotonic() + SESSION_END_SECONDS, False
        if session.broken:
            self._kill()
            killed = True
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if killed:
                    raise GraderFault("the sandbox's fork server did not end a job it was asked to kill")
                self._kill()
                killed, deadline = True, time.monotonic() + 10
                continue
            control = self._zygote()[1]
            readers = [control] + ([session.res_r] if not session.drained else [])
            ready = select.select(readers, [], [], left)[0]
            if session.res_r in ready:  # anything it still writes is nobody's business: read and drop it
                try:
                    session.drained = not os.read(session.res_r, 1 << 20)
                except OSError:
                    session.drained = True
            if control in ready:
                message = control.recv(65536)
                if not message:
                    self.close()
                    raise GraderFault("the sandbox's fork server stopped unexpectedly")
                if json.loads(message).get("op") == "exit":
                    return

    def _kill(self) -> None:
        """Ask the zygote to kill the running job."""
        if self._control is not None:
            try:
                self._control.send(b'{"op": "kill"}')
            except OSError:
                pass

    def close(self) -> None:
        if self._session is not None:
            try:
                self._end_session()
            except (GraderFault, OSError):
                pass  # closing anyway: the zygote's end kills what is left
        for _, fd in self._mapped.values():
            os.close(fd)
        self._mapped.clear()
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except Exception:  # noqa: BLE001
                self._process.kill()
                self._process.wait()
            self._process = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Session:
    """A shared process between its checks: its pipes, and how many checks it may still serve."""

    def __init__(self, job_w: int, res_r: int, ans_w: int, limit: int, channel: socket.socket):
        self.job_w: int | None = job_w  # None once its end of file is sent (relay.py)
        self.res_r, self.ans_w, self.limit = res_r, ans_w, limit
        self.channel = channel  # our end of its Unix socket: each check's sealed memfd goes down it
        channel.setblocking(False)
        self.served = 1
        self.broken = False  # it sent something between checks: killed, not asked
        self.drained = False

    def send_fd(self, fd: int) -> bool:
        """Hand it one check's sealed memfd; False when it does not take it (its socket is full)."""
        try:
            return socket.send_fds(self.channel, [b"m"], [fd]) == 1
        except OSError:
            self.broken = True
            return False

    def usable(self) -> bool:
        """May the next check go to it? Not when it is full, nor when it said anything between checks
        (a break of the protocol: nothing may come before the next check's data), nor when it is gone."""
        if self.served >= self.limit or self.broken or self.job_w is None:
            return False
        if select.select([self.res_r], [], [], 0)[0]:
            self.broken = True
            return False
        return True


def _widen(fd: int, size: int) -> None:
    """Ask for a pipe buffer of `size` bytes (Linux; capped by /proc/sys/fs/pipe-max-size): best effort."""
    setter = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setter is None or size <= 65536:
        return
    try:
        fcntl.fcntl(fd, setter, min(size, RESULT_PIPE))
    except OSError:
        pass  # over the limits for this user: the default buffer, and the job waits for us a little
