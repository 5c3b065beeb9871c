"""The portable sandbox backend: each job a freshly started interpreter, so `check` runs on macOS and Windows.

The Linux backend (client.Sandbox and zygote.py) forks every job behind namespaces, Landlock and seccomp;
none of these exist on macOS or Windows, and Windows has no fork. Here each job is `python -I spawned.py`
started by subprocess: its standard input brings the job's data and then the stand-in answers, its
standard output takes the frames back, in the same wire format and stand-in protocol, and the trusted
side is the same client._Job, which judges every frame and keeps every deadline. Windows cannot select
on pipes, so three threads per job carry the pipes to and from local sockets that _Job selects on, on
every OS alike: the Linux tests run the code Windows runs.

The walls are those a normal user gets anywhere: a process of its own, the rlimits the OS offers (memory
only where the OS enforces it, which the probe at start checks), a Job Object on Windows, and the whole
process group (or job) killed at the deadline. Weak by design: good for a student checking their own
code, never for grading others' (Grader.walls refuses it unless told).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

from grader.errors import GraderFault
from grader.sandbox.client import Collected, JobResult, Limits, Sandbox, Walls, _Job

SPAWNED = Path(__file__).with_name("spawned.py")
WINDOWS = sys.platform == "win32"
LINUX = sys.platform.startswith("linux")
STARTUP_SECONDS = 120.0  # a cold interpreter and NumPy on a slow laptop, for the probe at start
JOIN_SECONDS = 5.0


def _environment() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "VECLIB_MAXIMUM_THREADS": "1",
    }
    for key in ("SYSTEMROOT", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # Windows needs SYSTEMROOT to start at all
        if key in os.environ:
            env[key] = os.environ[key]
    return env


class _Spawned:
    """One job's process, and the threads that carry its pipes to sockets and report its end."""

    def __init__(self, arguments: list[str], cwd: str, expected: list[str], limits: dict, job_object: bool):
        stderr = None if os.environ.get("GRADER_SANDBOX_DEBUG") else subprocess.DEVNULL
        if sys.platform == "win32":  # WINDOWS, spelled so that mypy knows these flags exist here
            flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
        else:
            flags = 0
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", str(SPAWNED), *arguments],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=_environment(),
                cwd=cwd,
                bufsize=0,
                creationflags=flags,
                start_new_session=not WINDOWS,
            )  # its own group, killed whole; terminal signals stay with us
        except OSError as error:
            raise GraderFault(f"the portable sandbox cannot start Python: {error}") from None
        # stdin=PIPE and stdout=PIPE: Popen always makes both, so neither is None
        self.stdin, self.stdout = cast(IO[bytes], self.process.stdin), cast(IO[bytes], self.process.stdout)
        self.job_object = None
        self.wall_error: str | None = None
        if job_object:
            from grader.sandbox import winjob

            try:
                self.job_object = winjob.confine(self.process, limits)  # before it is sent a single byte
            except OSError as error:
                self.wall_error = f"the Job Object was refused: {error}"
        self.expected, self.held, self.limits = expected, None, limits
        self.job, feed = socket.socketpair()  # what _Job writes: the job's data, then answers
        self.results, drain = socket.socketpair()  # what _Job reads: frames
        self.control, report = socket.socketpair()  # the exit report, as the zygote would send it
        self.ready = threading.Event()  # the handshake is over, one way or the other
        self.threads = [
            threading.Thread(target=target, args=(end,), daemon=True)
            for target, end in ((self._feed, feed), (self._drain, drain), (self._wait, report))
        ]
        for thread in self.threads:
            thread.start()

    def _handshake(self) -> bytes:
        """Read the line saying which limits hold; what came after it."""
        buffer = b""
        while b"\n" not in buffer and len(buffer) < 4096:
            chunk = self.stdout.read(4096)
            if not chunk:
                break
            buffer += chunk
        line, newline, rest = buffer.partition(b"\n")
        try:
            self.held = json.loads(line)["held"] if newline else None
        except (ValueError, KeyError, TypeError):
            self.held = None
        if self.held is None:
            self.wall_error = self.wall_error or "the job's process ended before it was ready"
        elif not self.wall_error and set(self.expected) - set(self.held):
            self.wall_error = (
                f"limits that held at start did not hold: {', '.join(sorted(set(self.expected) - set(self.held)))}"
            )
        return rest

    def _drain(self, end: socket.socket) -> None:
        try:
            rest = self._handshake()
            if self.wall_error:
                self.kill()
                return
            self.ready.set()
            if rest:
                end.sendall(rest)
            while chunk := self.stdout.read(1 << 16):
                end.sendall(chunk)
        except OSError:  # _Job is done with us
            pass
        finally:
            self.ready.set()
            end.close()
            self.stdout.close()

    def _feed(self, end: socket.socket) -> None:
        self.ready.wait()
        try:
            while self.wall_error is None and (data := end.recv(1 << 16)):
                view = memoryview(data)
                while view:
                    view = view[self.stdin.write(view) :]
        except OSError:  # the job is gone: _Job learns it from the exit report
            pass
        finally:
            end.close()
            try:
                self.stdin.close()
            except OSError:
                pass

    def _wait(self, end: socket.socket) -> None:
        code = self.process.wait()
        if not WINDOWS:
            self._kill_group()  # whatever it left behind in its group
        self.ready.wait(JOIN_SECONDS)
        report = {"op": "exit", "exit_code": code if code >= 0 else None, "signal": None}
        if code < 0:
            try:
                report["signal"] = signal.Signals(-code).name
            except ValueError:
                report["signal"] = f"signal {-code}"
        if self.wall_error:
            report["wall_error"] = self.wall_error
        try:
            end.sendall(json.dumps(report).encode())
        except OSError:
            pass
        finally:
            end.close()

    def _kill_group(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:  # none left
            pass

    def kill(self) -> None:
        """End the job and everything it started."""
        if self.job_object is not None:
            from grader.sandbox import winjob

            winjob.terminate(self.job_object)
        if WINDOWS:
            if self.job_object is None and self.process.poll() is None:
                subprocess.run(["taskkill", "/F", "/T", "/PID", str(self.process.pid)], capture_output=True)
        elif self.process.returncode is None:  # not reaped yet: its pid is still its own
            self._kill_group()
        try:
            self.process.kill()
        except OSError:
            pass

    def end(self) -> None:
        """After the job: nothing of it left running, every thread and handle let go."""
        self.kill()
        for end in (self.job, self.results, self.control):  # which also lets the threads go
            end.close()
        for thread in self.threads:
            thread.join(JOIN_SECONDS)
        if self.job_object is not None:
            from grader.sandbox import winjob

            winjob.close(self.job_object)


class PortableSandbox(Sandbox):
    """The `Sandbox` API with a spawned interpreter per job instead of a zygote (see the module's docstring)."""

    shares = False  # one spawned process per check, as before issue 24 (no shared process here)

    def __init__(self, worker: int = 0, why: str = ""):
        super().__init__(worker, walls="none")
        self.why = why or (
            f"namespaces, Landlock and seccomp: Linux only, and this is {sys.platform}"
            if not LINUX
            else "namespaces, Landlock and seccomp: not used (the portable backend was asked for)"
        )
        self._folder: str | None = None
        self._remove_folder: weakref.finalize | None = None  # also when close() is never called
        self._held: list[str] = []  # the rlimits every job must hold, as the probe found them
        self._job_object = False
        self._running: _Spawned | None = None
        self._spare: _Spawned | None = None  # the next job's process, started while this one runs

    def _probe(self, job_object: bool) -> tuple[_Spawned, bool]:
        """A job process that runs no job: which rlimits it got, and whether its memory limit holds."""
        limits = Limits().as_job()
        probe = _Spawned(["--probe", json.dumps({"limits": limits})], self._cwd(), [], limits, job_object)
        memory = False
        try:
            probe.job.sendall(b"g")
            probe.results.settimeout(STARTUP_SECONDS)
            answer = b""
            while b"\n" not in answer and (chunk := probe.results.recv(4096)):
                answer += chunk
            memory = json.loads(answer.partition(b"\n")[0] or b"{}").get("memory") is True
        except (OSError, ValueError):
            pass
        finally:
            probe.end()
        return probe, memory

    def _cwd(self) -> str:
        """Each job's working folder, empty. A job never starts without it: with none, the job would run in
        the grader's own working folder (a close() that raced a start cleared it)."""
        if self._folder is None:
            raise GraderFault("the portable sandbox was closed while a job was starting")
        return self._folder

    def _start(self) -> None:
        """Probe once what holds here: which rlimits, whether memory is really limited, a Job Object.
        A probe that fails leaves nothing behind, so that the next start probes again."""
        self._folder = tempfile.mkdtemp(prefix="grader-portable-")  # each job's working folder, empty
        self._remove_folder = weakref.finalize(self, shutil.rmtree, self._folder, True)
        try:
            self._probe_walls()
        except BaseException:
            self._remove_folder()
            self._folder = None
            raise

    def _probe_walls(self) -> None:
        refused = [self.why]
        probe, memory = self._probe(WINDOWS)
        if WINDOWS and probe.job_object is None:  # an older Windows, or a job we may not nest in: go on without
            refused.append(f"Job Object: {probe.wall_error}")
            probe, memory = self._probe(False)
        if probe.held is None or probe.wall_error:
            raise GraderFault(
                f"the portable sandbox could not start a job ({probe.wall_error or 'no answer'}); "
                f"run with GRADER_SANDBOX_DEBUG=1 to see why"
            )
        self._job_object = probe.job_object is not None
        self._held = [name for name in probe.held if name != "memory" or memory]
        walls = ["own process per job"]
        shown = [name for name in self._held if name != "core"]
        if shown:
            walls.append(f"rlimits ({', '.join(shown)})")
        if self._job_object:
            walls.append(
                "Job Object (memory, CPU, no second process)" if memory else "Job Object (CPU, no second process)"
            )
        walls.append("its process tree killed at the deadline")
        if not memory:
            refused.append("memory: this OS offers no limit here that holds")
        self.walls = Walls("portable", walls, refused, False)

    def launch(self) -> None:
        """Nothing to start ahead: each job is a process of its own (the probe runs in `start`)."""

    def start(self) -> Walls:
        with self._lock:
            if self._folder is None:
                self._start()
            if self.walls is None:  # _start sets the walls last, and clears the folder when it fails
                raise GraderFault("the portable sandbox started without its walls")
            return self.walls

    def run(self, job: dict, answer: Callable[[dict, int], dict] | None = None) -> JobResult:
        """As `Sandbox.run`: one job, in a process of its own, within its deadlines."""
        with self._lock:
            if self._folder is None:
                self._start()
            limits, count, payload = self._payload(job)
            spawned = self._take(limits)
            self._spare = self._spawn(limits)  # a fresh process too, that has run nothing: its start overlaps this job
            self._running, self._control = spawned, spawned.control
            try:
                return _Job(self, limits, count, payload, spawned.job, spawned.results, spawned.job, answer).collect()
            finally:
                spawned.end()
                self._running = self._control = None

    def submit(self, job: dict, answer: Callable[[dict, int], dict] | None = None, share: int = 0) -> Collected:
        """Run the job now and hand back its result: here the relay process is the sandbox, and it runs
        only while this thread feeds it, so there is nothing to overlap. `share` is taken for
        `Sandbox.submit`'s signature and ignored: this backend never shares a process (`shares`)."""
        return Collected(self.run(job, answer))

    def _spawn(self, limits: dict) -> _Spawned:
        return _Spawned([json.dumps({"limits": limits})], self._cwd(), self._held, limits, self._job_object)

    def _take(self, limits: dict) -> _Spawned:
        """The spare process when it was started with these limits and still waits; else a new one."""
        spare, self._spare = self._spare, None
        if (
            spare is not None
            and (spare.limits, spare.expected) == (limits, self._held)
            and spare.process.poll() is None
        ):
            return spare
        if spare is not None:
            spare.end()
        return self._spawn(limits)

    def _kill(self) -> None:
        if self._running is not None:
            self._running.kill()

    def close(self) -> None:
        if self._running is not None:
            self._running.kill()
        if self._spare is not None:
            self._spare.end()
            self._spare = None
        if self._remove_folder is not None:
            self._remove_folder()
        self._folder = None
