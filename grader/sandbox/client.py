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
import marshal
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError, GraderFault
from grader.judge import budget as budgets
from grader.sandbox import frames, wire

ZYGOTE = Path(__file__).with_name("zygote.py")
MAP_AT_LEAST = 64 * 1024  # cases smaller than a pipe's buffer go through the pipe as before
UID_BASE = 200000  # as root, a zygote's children run as UID_BASE + its pid: a uid no other live sandbox has
WALLS_ENV = "GRADER_SANDBOX_WALLS"  # auto (default), namespaces, landlock or none: for tests and diagnosis
GRACE_SECONDS = 1.0  # beyond a limit the job enforces on itself, before we end it from outside
SHARED = ("program", "denied", "helpers", "chain", "stand_in_modules")  # alike in every check of a submission
KINDS = (b"L", b"C", b"Q", b"E")  # all a job may send: its load report, a case's result, a stand-in's question,
# and, in a shared process only, the end of its check (see shared.py)
PER_PROCESS_ENV = "GRADER_CHECKS_PER_PROCESS"  # 1: every check in a process of its own, as before issue 24
SESSION_END_SECONDS = 5.0  # how long a shared process may take to exit once told there is no more
RESULT_PIPE = 1 << 20  # a job's results pipe, so that it rarely waits while we judge the check before it


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
    """What one job gave back: load errors, a result per case that finished, and how the job ended."""

    load: dict | None = None
    cases: dict[int, dict] = field(default_factory=dict)
    done: dict = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """'timeout', 'overflow', 'budget' (budget.py), 'corrupt', 'crash', 'cancelled' (ended by the grader, see `_Job.cancel`) or
        None for a job that ran every case and exited cleanly."""
        if self.done.get("finished"):
            return None
        return self.done.get("reason") or "crash"


@dataclass
class Walls:
    """Which walls the zygote put up around every job, and why stronger ones were refused."""

    mode: str = "none"
    walls: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    root: bool = False

    def as_dict(self) -> dict:
        return {"mode": self.mode, "walls": list(self.walls), "refused": list(self.refused)}


WEAK_FLAG = "--allow-weak-sandbox"


def weak_walls_message(walls: Walls) -> str:
    """Why this machine cannot wall student code in, and how to go on anyway."""
    if any(reason.startswith("forced") for reason in walls.refused):
        return (
            f"{WALLS_ENV} asks for weaker walls ({'; '.join(walls.refused)}), so submitted code would run "
            f"with your user's rights, able to read your files and use the network. Grade anyway, at your "
            f"own risk, with {WEAK_FLAG}, or unset {WALLS_ENV}."
        )
    refused = "; ".join(walls.refused) or "no kernel feature was found"
    return (
        f"No kernel feature here can wall student code in ({refused}): unprivileged user namespaces "
        f"(kernel.unprivileged_userns_clone / user.max_user_namespaces, or an AppArmor or SELinux rule "
        f"against them) and Landlock are both unavailable, so submitted code would run with your "
        f"user's rights, able to read your files and use the network. Grade anyway, at your own risk, "
        f"with {WEAK_FLAG}."
    )


class Sandbox:
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

    def _handshake(self) -> None:
        """Wait for the zygote's hello: which walls it puts up around every job."""
        ours = self._control
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
        self.uid = UID_BASE + self._process.pid if os.getuid() == 0 else None

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

    def submit(self, job: dict, answer: Callable[[dict, int], dict] | None = None, share: int = 0) -> _Job:
        """Start one job and return at once; its `collect()` gives the result (as `run`).

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
            if session is not None:  # the next check of the shared process: no fork, no walls to put up
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

    def _mapped_job(self, job: dict) -> tuple[dict, int | None]:
        """The job as it travels when its cases go in a sealed memfd (see `_cases_fd`), and that memfd."""
        mapped = self._cases_fd(job.get("cases"))
        if mapped is None:
            return job, None
        count = job.get("case_count")
        if count is None:
            count = self._payload(job)[1]
        return {**job, "cases": {"mapped": len(job["cases"])}, "case_count": count}, mapped

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
                self._control, [json.dumps({"op": "job", "limits": limits}).encode()], [job_r, res_w, ans_r] + extra
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
        if share:
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
            readers = [self._control] + ([session.res_r] if not session.drained else [])
            ready = select.select(readers, [], [], left)[0]
            if session.res_r in ready:  # anything it still writes is nobody's business: read and drop it
                try:
                    session.drained = not os.read(session.res_r, 1 << 20)
                except OSError:
                    session.drained = True
            if self._control in ready:
                message = self._control.recv(65536)
                if not message:
                    self.close()
                    raise GraderFault("the sandbox's fork server stopped unexpectedly")
                if json.loads(message).get("op") == "exit":
                    return

    def _payload(self, job: dict) -> tuple[dict, int, bytes]:
        """The job as it travels (shared with the portable backend): its limits, its case count, its bytes.

        What every check of one submission carries alike (the program, the denied modules, the pack's
        helper module and chain) is encoded once, at the submission's first check, and sent inside each
        job as one opaque blob ("shared") that the job decodes: encoding the program's source eleven
        times was a twentieth of the trusted side's time per submission."""
        limits = {**job["limits"], "uid": self.uid}
        count = job.get("case_count")
        if count is None:
            cases = wire.decode(job["cases"]) if isinstance(job["cases"], bytes) else job["cases"]
            count = len(cases["cases"] if isinstance(cases, dict) else cases)
        program = self._compile(job["program"])
        held = (job.get("helpers"), job.get("chain"))  # the pack's, made once per grader: known by identity
        key = (
            self._compiled[0],
            tuple(job.get("denied") or ()),
            tuple(job.get("stand_in_modules") or ()),
            tuple(map(id, held)),
        )
        if self._shared[0] != key:
            shared = {"program": program, **{k: job[k] for k in SHARED[1:] if job.get(k) is not None}}
            self._shared = (key, held, wire.encode(shared))
        rest = {k: v for k, v in job.items() if k not in SHARED and k != "cases_key"}
        return limits, count, wire.encode({**rest, "limits": limits, "shared": self._shared[2]})

    def _compile(self, program: list[dict]) -> list[dict]:
        """Each statement with its code compiled here, once per submission, and marshalled: the job only
        unmarshals it (compiling runs none of it; marshal goes from us to the job, never back)."""
        from grader.sandbox.child import compile_statement

        key = [(s["filename"], s["lineno"], s["source"]) for s in program]  # equal strings: the same program
        if self._compiled[0] != key:
            compiled = []
            for statement in program:
                try:
                    compiled.append({**statement, "code": marshal.dumps(compile_statement(statement))})
                except Exception:  # noqa: BLE001 - the job compiles it again and reports the error
                    compiled.append(statement)
            self._compiled = (key, compiled)
        return self._compiled[1]

    def _kill(self) -> None:
        """Ask the zygote to kill the running job."""
        try:
            self._control.send(b'{"op": "kill"}')
        except OSError:
            pass

    def _cases_fd(self, cases) -> int | None:
        """A sealed memfd holding a case set's encoded cases, made once per case set and function.

        A job used to read its cases through a pipe and decode copies of them: in a fresh process that
        is a page fault for every 4 KiB, 9 ms for L_model_forward's 2.6 MB. Mapped read-only from a
        memfd sealed against any change (write, grow, shrink, new seals), the pages come from memory
        already there. The memfd holds the same bytes the pipe carried (no answers: stand-in answers are
        sealed inside them), and no job can change it for the next one."""
        if not isinstance(cases, bytes) or len(cases) < MAP_AT_LEAST or not hasattr(os, "memfd_create"):
            return None
        held = self._mapped.get(id(cases))
        if held is not None and held[0] is cases:
            return held[1]
        try:
            fd = os.memfd_create("backprop-grader-cases", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        except OSError:
            return None
        try:
            view = memoryview(cases)
            while view:
                view = view[os.write(fd, view) :]
            fcntl.fcntl(
                fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL
            )
        except OSError:
            os.close(fd)
            return None
        self._mapped[id(cases)] = (cases, fd)
        return fd

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


End = (
    int | socket.socket
)  # a pipe's fd (the zygote's jobs) or a socket (portable.py's relays: Windows selects only those)


def _send(end: End, data: bytes) -> int:
    return end.send(data) if isinstance(end, socket.socket) else os.write(end, data)


def _recv(end: End, size: int) -> bytes:
    if not isinstance(end, socket.socket):
        return os.read(end, size)
    try:
        return end.recv(size)
    except ConnectionResetError:  # Windows' loopback sockets may end this way: the same as an end of file
        return b""


def _close(end: End) -> None:
    end.close() if isinstance(end, socket.socket) else os.close(end)


class _Session:
    """A shared process between its checks: its pipes, and how many checks it may still serve."""

    def __init__(self, job_w: int, res_r: int, ans_w: int, limit: int, channel: socket.socket):
        self.job_w, self.res_r, self.ans_w, self.limit = job_w, res_r, ans_w, limit
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
        if self.served >= self.limit or self.broken:
            return False
        if select.select([self.res_r], [], [], 0)[0]:
            self.broken = True
            return False
        return True


class _Job:
    """One running job, seen from the trusted side: feed it, read it, judge every frame, keep time.

    `job_w` and `ans_w` may be one end: the portable backend sends the job's data and then the answers
    down the same pipe."""

    def __init__(
        self,
        box: Sandbox,
        limits: dict,
        count: int,
        payload: bytes,
        job_w: End,
        res_r: End,
        ans_w: End,
        answer: Callable[[dict, int], dict] | None,
        session: _Session | None = None,
    ):
        self.box, self.limits, self.count, self.answer = box, limits, count, answer
        self.session = session  # the shared process this job runs in, if any (shared.py)
        self.ended = False  # its E frame came: every result in, the process fit for another check
        self.kept = False  # ... and it will serve the next one
        self.end_deadline: float | None = None
        self.out: dict[End, bytearray] = {job_w: bytearray(b"J" + _framed(payload))}
        self.res_r, self.ans_w = res_r, ans_w
        self.buffer = bytearray()
        self.taken = self.elements = 0
        self.cap = min(int(limits["result_bytes"]) * (count + 2), budgets.JOB_BYTES)
        self.budget: budgets.Budget | None = getattr(box, "budget", None)
        self.result = JobResult()
        self.reason: str | None = None
        self.exit: dict | None = None
        self.started = time.monotonic()
        self.deadline = self.started + float(limits["total_seconds"]) + GRACE_SECONDS
        self.case_deadline: float | None = None
        for fd in (job_w, res_r, ans_w):
            fd.setblocking(False) if isinstance(fd, socket.socket) else os.set_blocking(fd, False)
        self._write(job_w)  # all of it, where the pipe is wide enough: the job starts before we collect

    def _stop(self, reason: str, detail: str = "") -> None:
        """End the job from outside, for `reason`; the first reason is the one reported."""
        self.kept = False  # a process stopped from outside serves no more checks
        if self.reason is None:
            self.reason = reason
            if detail:
                self.result.done["detail"] = detail
            self.box._kill()
        self.case_deadline = None

    def cancel(self) -> JobResult:
        """End the job now (the caller failed before collecting it) and wait until it is gone."""
        self._stop("cancelled")
        return self.collect()

    def collect(self) -> JobResult:
        """Feed the job, read what it sends, answer its questions, until it has ended; then judge it."""
        control = self.box._control
        killed_at: float | None = None
        try:
            self._drain(control)
            while (self.exit is None or self.res_r is not None) and not self.kept:
                now = time.monotonic()
                if self.reason is None and now >= self.deadline:
                    self._stop("timeout")
                elif self.reason is None and self.case_deadline is not None and now >= self.case_deadline:
                    index = len(self.result.cases)
                    self.result.cases[index] = {
                        "i": index,
                        "status": "timeout",
                        "seconds": float(self.limits["case_seconds"]),
                    }
                    self._stop("timeout")
                elif self.reason is None and self.end_deadline is not None and now >= self.end_deadline:
                    self._stop("corrupt", "no end of the check after its last result")
                if self.reason is not None and killed_at is None:
                    killed_at = now
                if killed_at is not None and now - killed_at > 10:
                    raise GraderFault("the sandbox's fork server did not end a job it was asked to kill")
                limit = (
                    killed_at + 10
                    if killed_at is not None
                    else min(filter(None, (self.deadline, self.case_deadline, self.end_deadline)))
                )
                readers = [fd for fd in (self.res_r,) if fd is not None] + ([control] if self.exit is None else [])
                writers = [fd for fd, data in self.out.items() if data]
                ready_r, ready_w, _ = select.select(
                    readers, writers, [], max(0.0, limit - now) if self.exit is None else 5.0
                )
                if not ready_r and not ready_w and self.exit is not None:
                    break  # the job is gone and its pipe is still open: something it left holds it
                for fd in ready_w:
                    self._write(fd)
                if control in ready_r:
                    self._control_message(control)
                if self.res_r in ready_r:
                    self._read()
        finally:
            self.box._in_flight = False
            if not self.kept:
                self._close_all()
        return self._finish()

    def _close_all(self) -> None:
        """Every end of this job's pipes; a shared process's too, which is then no longer the sandbox's."""
        session = self.session
        if session is not None:
            self._end_input()
            session.channel.close()
            if self.box._session is session:
                self.box._session = None
        for fd in [*self.out, self.res_r, self.ans_w]:
            if fd is not None:
                try:
                    _close(fd)
                except OSError:
                    pass
        self.out.clear()
        self.res_r = self.ans_w = None

    def _end_input(self) -> None:
        """A shared process's end of file on its job pipe: no more checks, so it exits."""
        session = self.session
        if session is not None and session.job_w is not None:
            self.out.pop(session.job_w, None)
            try:
                os.close(session.job_w)
            except OSError:
                pass
            session.job_w = None

    def _drain(self, control) -> None:
        """Take what the job sent while nobody was collecting (`submit`: the caller was judging the check
        before), before any deadline is looked at: a job that ended in time is never timed out for our
        lateness. One that is still running is held to its deadlines, counted from its start, as ever."""
        while (self.exit is None or self.res_r is not None) and not self.kept:
            readers = [fd for fd in (self.res_r,) if fd is not None] + ([control] if self.exit is None else [])
            ready, _, _ = select.select(readers, [], [], 0)
            if not ready:
                return
            if control in ready:
                self._control_message(control)
            if self.res_r in ready:
                self._read()
            if self.reason is not None:
                return

    def _write(self, fd: End) -> None:
        data = self.out[fd]
        try:
            data[: _send(fd, data)] = b""
        except BlockingIOError:
            return
        except OSError:  # the job is gone or closed its end: nobody to tell
            data.clear()
        if not data and fd != self.ans_w:
            if self.session is None or fd != self.session.job_w:
                _close(fd)  # a shared process keeps its job pipe for the next check's data
            del self.out[fd]

    def _control_message(self, control: socket.socket) -> None:
        try:
            message = control.recv(65536)
        except OSError:
            message = b""
        if not message:
            self.box.close()
            raise GraderFault("the sandbox's fork server stopped unexpectedly")
        reply = json.loads(message)
        if reply.get("op") != "exit":
            return
        if reply.get("wall_error"):
            raise GraderFault(
                f"the sandbox could not wall a job in ({reply['wall_error']}); nothing of the submission ran"
            )
        self.exit = reply

    def _read(self) -> None:
        try:
            chunk = _recv(self.res_r, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            _close(self.res_r)
            self.res_r = None
            return
        if self.reason is not None:
            return  # the job is being killed: nothing it says counts any more
        self.buffer += chunk
        while len(self.buffer) >= 5 and self.reason is None:
            kind, size = bytes(self.buffer[:1]), wire._LEN.unpack(self.buffer[1:5])[0]
            if kind not in KINDS or (kind == b"E" and self.session is None):
                self._stop("corrupt", f"a frame of unknown kind {kind!r}")
            elif self.ended:
                self._stop("corrupt", "a frame after the end of the check")
            elif size > self.limits["result_bytes"] + (1 << 20):
                self._stop(
                    "overflow",
                    f"a frame of {size:,} bytes, over the {int(self.limits['result_bytes']):,} one result may have",
                )
            elif self.taken + size > self.cap:
                self._over(budgets.job_over_bytes())
            elif self.budget is not None and self.budget.over(size):
                self._over(self.budget.over(size), submission=True)
            elif len(self.buffer) >= 5 + size:
                payload = bytes(self.buffer[5 : 5 + size])
                del self.buffer[: 5 + size]
                self.taken += size
                self._frame(kind, payload)
            else:
                break

    def _over(self, why: str, submission: bool = False) -> None:
        """A budget ran out (budget.py): the check ends here; with the submission's, so do the rest."""
        if submission and self.budget is not None:
            self.budget.spend(why)
        self._stop("budget", why)

    def _frame(self, kind: bytes, payload: bytes) -> None:
        """Check one complete frame against what may come at this point, field by field, and take it."""
        job_left = budgets.JOB_ELEMENTS - self.elements
        submission_left = self.budget.elements_left if self.budget is not None else job_left
        left = min(budgets.FRAME_ELEMENTS, job_left, submission_left)
        try:
            message, elements = wire.decode_counted(
                payload, max_elements=left, max_header=budgets.header_bytes(int(self.limits["output_chars"]))
            )
        except wire.WireTooLarge as error:
            if error.elements and left < budgets.FRAME_ELEMENTS:  # an allowance ran out, not the frame's own cap
                if left == submission_left < job_left:
                    return self._over(
                        budgets.elements_over("this submission's results", budgets.SUBMISSION_ELEMENTS), submission=True
                    )
                return self._over(budgets.elements_over("this check's results", budgets.JOB_ELEMENTS))
            return self._stop("overflow", f"a frame over the grader's caps ({error})")
        except (wire.WireError, RecursionError) as error:
            return self._stop("corrupt", f"a frame that is not valid data ({error})")
        self.elements += elements
        if self.budget is not None:
            self.budget.take(len(payload), elements)
        if not isinstance(message, dict):
            return self._stop("corrupt", "a frame that is not a record")
        output_chars = int(self.limits["output_chars"])
        try:
            if kind == b"L":
                message = frames.load_report(message, output_chars)
            elif kind == b"C":
                message = frames.case_result(message, output_chars)
            elif kind == b"E":
                message = frames.end_of_check(message)
            else:
                message = frames.question(message)
        except frames.FrameError as error:
            return self._stop("corrupt", f"a {kind.decode()} frame whose field is wrong: {error}")
        if kind == b"L":
            if self.result.load is not None:
                return self._stop("corrupt", "a second load report")
            self.result.load = message
        elif self.result.load is None:
            return self._stop("corrupt", "a result before the load report")
        elif kind == b"E":
            if len(self.result.cases) < self.count or any(
                c.get("status") == "timeout" for c in self.result.cases.values()
            ):
                return self._stop("corrupt", "an end of the check before its last result")
            return self._end(message["clean"])
        elif kind == b"C":
            if message["i"] != len(self.result.cases) or len(self.result.cases) >= self.count:
                return self._stop("corrupt", "a result for a case that is not the one running")
            self.result.cases[message["i"]] = message
        else:  # a stand-in's question
            if message["i"] != len(self.result.cases):
                return self._stop("corrupt", "a question for a case that is not the one running")
            reply = self.answer(message, len(self.result.cases)) if self.answer else None
            self.out.setdefault(self.ans_w, bytearray())
            self.out[self.ans_w] += b"A" + _framed(wire.encode(reply or {"matched": None}))
        if kind == b"Q":
            return  # a question does not buy the running case more time
        if len(self.result.cases) < self.count:
            self.case_deadline = time.monotonic() + float(self.limits["case_seconds"]) + GRACE_SECONDS
        else:
            self.case_deadline = None
            if self.session is not None:  # its E frame comes next: the process's own cleaning, held to a case's time
                self.end_deadline = time.monotonic() + float(self.limits["case_seconds"]) + GRACE_SECONDS

    def _end(self, clean: bool) -> None:
        """A shared process's check is over, every result in: keep the process for the next check, or,
        when it is unfit or full, tell it to exit (end of file) and wait for that as for any job."""
        self.ended, self.end_deadline = True, None
        session = self.session
        if clean and session.served < session.limit and not self.buffer and self.exit is None:
            self.kept = True
        else:
            self._end_input()

    def _finish(self) -> JobResult:
        done = self.result.done
        exit = self.exit or ({"exit_code": 0} if self.kept else {})
        done.update(seconds=time.monotonic() - self.started, exit_code=exit.get("exit_code"), signal=exit.get("signal"))
        ran_all = len(self.result.cases) == self.count or any(
            c.get("status") == "timeout" for c in self.result.cases.values()
        )
        done["finished"] = (
            self.reason is None and exit.get("exit_code") == 0 and self.result.load is not None and ran_all
        )
        done["reason"] = None if done["finished"] else self.reason or "crash"
        return self.result


class Collected:
    """A job that has already run to its end (the portable backend runs each one in `submit`)."""

    def __init__(self, result: JobResult):
        self.result = result

    def collect(self) -> JobResult:
        return self.result

    def cancel(self) -> JobResult:
        return self.result


def _widen(fd: int, size: int) -> None:
    """Ask for a pipe buffer of `size` bytes (Linux; capped by /proc/sys/fs/pipe-max-size): best effort."""
    setter = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setter is None or size <= 65536:
        return
    try:
        fcntl.fcntl(fd, setter, min(size, RESULT_PIPE))
    except OSError:
        pass  # over the limits for this user: the default buffer, and the job waits for us a little


def _framed(payload: bytes) -> bytes:
    return wire._LEN.pack(len(payload)) + payload
