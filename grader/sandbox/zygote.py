"""The fork server: a clean process that never runs student code, never sees a job's data, and forks
one walled child per job.

Started once per grading worker (`python -I zygote.py FD WALLS`), it pays for the interpreter and NumPy
once, so a job costs two forks. It talks to the trusted grader over a Unix socket (FD): a job arrives
as a small control message carrying three pipe ends (the job's data, the results, the stand-in answers)
that the grader made for that job alone, and for large cases a fourth descriptor, a memfd the grader
sealed against any change, which the job maps read-only. The zygote forks an intermediate process that
puts up the walls (see walls.py) and forks the job itself; the job reads its data straight from the
grader and writes its results straight back, so no case, answer or result of any job ever passes
through this process's memory (it holds the descriptors only until the fork, and reads none), and no
later child can find one here. The grader alone decides when a job is over:
it may ask us to kill it; we report how the job's process ended. Only the standard library and NumPy.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import tempfile
import time

os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import numpy  # noqa: E402,F401 - paid for once, here

# Behind the walls the job sees no file at all: import now whatever a submission, or NumPy on its
# behalf, may import lazily.
for _name in ("secrets", "random", "math", "cmath", "copy", "functools", "itertools", "collections",
              "numbers", "fractions", "decimal", "statistics", "operator", "string", "re", "json", "time",
              "datetime", "typing", "dataclasses", "warnings", "traceback", "linecache", "os.path", "pprint",
              "textwrap", "heapq", "bisect", "enum", "abc", "numpy.linalg", "numpy.random", "numpy.fft",
              "numpy.polynomial", "numpy.lib.stride_tricks", "numpy.ma", "encodings.idna", "unicodedata"):
    try:
        __import__(_name)
    except ImportError:
        pass


def _load_harness():
    """The sandbox's own modules under a private package name: student code cannot import `wire`,
    `child` or `guard` by their plain names, and no folder of ours is left on sys.path."""
    folder = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("_backprop_sandbox", os.path.join(folder, "__init__.py"),
                                                  submodule_search_locations=[folder])
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    from _backprop_sandbox import child, walls  # noqa: PLC0415

    return child, walls


child, walls = _load_harness()

PR_SET_CHILD_SUBREAPER = 36
_STATUS = struct.Struct(">ii")  # (pid, wait status) from the intermediate process


def _become_subreaper() -> None:
    try:
        walls._libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:  # noqa: BLE001 - not Linux: the process group kill still applies
        pass


def _children() -> list[int]:
    me, found = str(os.getpid()), []
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat") as stat:
                        if stat.read().rsplit(")", 1)[1].split()[1] == me:
                            found.append(int(entry.name))
                except (OSError, IndexError):
                    pass
    except OSError:
        pass
    return found


def _sweep() -> None:
    """Kill every process still our child: orphans of a job come to us (a subreaper). Under the
    namespace walls there are none (the job's pid namespace dies with it)."""
    for _ in range(100):
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        left = _children()
        if not left:
            return
        for target in left:
            for kill in (os.killpg, os.kill):
                try:
                    kill(target, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.waitpid(target, 0)
            except ChildProcessError:
                pass


def _close_all_but(keep: set[int]) -> None:
    """Every inherited descriptor but `keep` (closerange uses one close_range call where the kernel has it)."""
    low = 3
    for fd in sorted(keep) + [1 << 20]:
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


def _address_space(memory_mb: int) -> int:
    with open("/proc/self/status") as status:
        vm = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0)
    return vm + memory_mb * 2**20


def _intermediate(mode: str, limits: dict, fds: list[int], report: int) -> None:
    """Put up the walls, fork the job behind them, pass its pid and its end back; never returns."""
    try:
        _close_all_but({*fds, report})
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
        address_space = _address_space(limits["memory_mb"])
        if mode == "namespaces":
            walls.enter_namespaces()
            walls.empty_root()
        elif limits["empty_folder"]:
            walls.chroot_empty(limits["empty_folder"])
        pid = os.fork()
        if pid == 0:
            os.close(report)
            _job(mode, limits, fds, address_space)
        os.write(report, _STATUS.pack(pid, 0))
        for fd in fds:
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        os.write(report, _STATUS.pack(pid, status))
        os._exit(0)
    except BaseException as error:  # noqa: BLE001 - a wall that could not be put up: the job must not run
        try:
            os.write(report, _STATUS.pack(0, 0) + str(error).encode()[:1000])
        finally:
            os._exit(71)


def _job(mode: str, limits: dict, fds: list[int], address_space: int) -> None:
    """The job's process: drop what it may not keep, then hand over to child.main; never returns."""
    try:
        os.setsid()
        if limits["host_root"]:
            walls.drop_privileges(limits["uid"])  # a private uid: no capability, owns nothing
        elif mode == "namespaces":
            walls.drop_privileges(None)  # uid 0 of our own user namespace, without its capabilities
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        cpu = int(limits["total_seconds"]) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        if limits["host_root"]:  # per uid: only this job's processes count
            resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
        if mode == "landlock":
            walls.landlock_deny_all()
        if mode != "none" and walls.seccomp_available():
            walls.seccomp_filter()  # last: it refuses the calls made above
    except BaseException:  # noqa: BLE001
        os._exit(71)
    child.main(fds[0], fds[1], fds[2], limits, fds[3] if len(fds) > 3 else None)


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:  # gone already
            pass


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _reply(control: socket.socket, message: dict) -> None:
    control.send(json.dumps(message).encode())


def _run(control: socket.socket, mode: str, limits: dict, fds: list[int]) -> None:
    """One job: fork it behind the walls, kill it when the grader asks, report how it ended."""
    read, write = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        control.close()
        os.close(read)
        _intermediate(mode, limits, fds, write)
    os.close(write)
    for fd in fds:
        os.close(fd)
    head = b""
    job_pid, status, wall_error = 0, None, None
    killed = False
    while True:
        ready = select.select([read, control], [], [])[0]
        if control in ready:
            try:
                request = control.recv(4096)
            except OSError:
                request = b""
            if not request or json.loads(request).get("op") == "kill":
                for target in filter(None, (job_pid, pid)):
                    _kill(target)
                killed = True
                if not request:  # the grader is gone: end the job and ourselves
                    break
        if read in ready:
            chunk = os.read(read, 2048)
            if not chunk:
                break
            head += chunk
            while len(head) >= _STATUS.size:
                announced, value = _STATUS.unpack(head[:_STATUS.size])
                if announced == 0:
                    wall_error = head[_STATUS.size:].decode(errors="replace") or "the walls could not be put up"
                    head = b""
                    break
                head = head[_STATUS.size:]
                if not job_pid:
                    job_pid = announced
                    if killed:  # the job's pid came after the grader asked to kill it
                        _kill(job_pid)
                else:
                    status = value
    os.close(read)
    _, own = os.waitpid(pid, 0)
    _sweep()
    done: dict = {"seconds": time.monotonic() - started, "killed": killed, "exit_code": None, "signal": None}
    if wall_error is not None:
        done["wall_error"] = wall_error
    elif status is not None and job_pid:
        if os.WIFEXITED(status):
            done["exit_code"] = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            done["signal"] = _signal_name(os.WTERMSIG(status))
    if done["exit_code"] is None and done["signal"] is None and os.WIFSIGNALED(own):
        done["signal"] = _signal_name(os.WTERMSIG(own))
    _reply(control, {"op": "exit", **done})


def serve(fd: int, wanted: str) -> None:
    _become_subreaper()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # a dead child or grader is an error to handle, not our end
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader, which ends us by closing the socket
    control = socket.socket(fileno=fd)
    mode, refused = walls.choose(wanted)
    root = os.getuid() == 0
    _reply(control, {"op": "hello", "mode": mode, "refused": refused, "walls": walls.describe(mode, root), "root": root})
    empty = None
    if root and mode != "namespaces":  # no namespaces, but root: chroot every job into an empty folder
        empty = tempfile.mkdtemp(prefix="grader-empty-")
        os.chmod(empty, 0o555)
    gc.collect()
    gc.freeze()  # what is here now is never collected, so forked children do not copy it page by page
    try:
        _serve_jobs(control, mode, root, empty)
    finally:
        if empty:
            os.rmdir(empty)


def _serve_jobs(control: socket.socket, mode: str, root: bool, empty: str | None) -> None:
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 65536, 4)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        if request.get("op") != "job" or len(fds) not in (3, 4):  # the 4th: the job's cases, a sealed memfd
            for fd in fds:
                os.close(fd)
            continue
        limits = request["limits"]
        limits["host_root"], limits["empty_folder"] = root, empty
        _run(control, mode, limits, fds)


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "auto")
