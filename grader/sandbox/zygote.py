"""The fork server: a clean process that never runs student code, never sees a job's data, and forks
one walled child per job.

Started once per grading worker (`python -I zygote.py FD WALLS`), it pays for the interpreter and NumPy
once, so a job costs one fork. Under the namespace walls it also pays for them once: before it serves
any job it enters its own user (when not root), mount, network, IPC and UTS namespaces, makes an empty
read-only tmpfs its whole file system and becomes pid 1 of its own pid namespace (see walls.py). Each
job is then forked as pid 1 of a new pid namespace of its own, makes its own IPC namespace, drops every
capability and installs the seccomp filter; the server's empty root, network without an interface and
host name it shares with the server's other jobs, and can change none of them. Measured on a 2-core VM,
this halved a trivial job's CPU (two forks and the namespaces per job before).

It talks to the trusted grader over a Unix socket (FD): a job arrives as a small control message
carrying three pipe ends (the job's data, the results, the stand-in answers) that the grader made for
that job alone, and for large cases a fourth descriptor, a memfd the grader sealed against any change,
which the job maps read-only. The job reads its data straight from the grader and writes its results
straight back, so no case, answer or result of any job ever passes through this process's memory (it
holds the descriptors only until the fork, and reads none), and no later child can find one here. The
grader alone decides when a job is over: it may ask us to kill it; we report how the job's process
ended, which we learn from the kernel (SIGCHLD), never from anything the job holds. Only the standard
library and NumPy.
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
import sys
import tempfile
import time

os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import numpy  # noqa: E402,F401 - paid for once, here

# Behind the walls the job sees no file at all: import now whatever a submission, or NumPy on its
# behalf, may import lazily.
for _module in (
    "secrets",
    "random",
    "math",
    "cmath",
    "copy",
    "functools",
    "itertools",
    "collections",
    "numbers",
    "fractions",
    "decimal",
    "statistics",
    "operator",
    "string",
    "re",
    "json",
    "time",
    "datetime",
    "typing",
    "dataclasses",
    "warnings",
    "traceback",
    "linecache",
    "os.path",
    "pprint",
    "textwrap",
    "heapq",
    "bisect",
    "enum",
    "abc",
    "numpy.linalg",
    "numpy.random",
    "numpy.fft",
    "numpy.polynomial",
    "numpy.lib.stride_tricks",
    "numpy.ma",
    "encodings.idna",
    "unicodedata",
):
    try:
        __import__(_module)
    except ImportError:
        pass


def _load_harness():
    """The sandbox's own modules under a private package name: student code cannot import `wire`,
    `child` or `guard` by their plain names, and no folder of ours is left on sys.path."""
    folder = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "_backprop_sandbox", os.path.join(folder, "__init__.py"), submodule_search_locations=[folder]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    from _backprop_sandbox import child, reaper, walls  # noqa: PLC0415

    return child, walls, reaper


child, walls, reaper = _load_harness()

_name, _become_subreaper, _sweep = reaper.name, reaper.become_subreaper, reaper.sweep
_close_all_but, _vm_size = reaper.close_all_but, reaper.vm_size


class Server:
    """What every job of this fork server shares, set up once: the wall mode, the filter, our own pid
    namespace (namespaces mode), the empty folder (root without namespaces), the address space a job
    starts with."""

    def __init__(
        self, mode: str, root: bool, empty: str | None, devnull: int, own_pid_ns: int | None, status: int, seccomp: bool
    ):
        self.mode, self.root, self.empty, self.devnull, self.own_pid_ns = mode, root, empty, devnull, own_pid_ns
        self.status = status  # our /proc/self/status, read before each fork (see _vm_size)
        self.seccomp = walls.SeccompFilter() if seccomp else None  # in every mode: it needs no other wall


def _job(server: Server, limits: dict, fds: list[int], report: int, vm: int) -> None:
    """The job's process: put up its own walls, then hand over to child.main; never returns.

    Under the namespace walls it is pid 1 of a pid namespace of its own (made by the server just before
    the fork) and makes its own IPC namespace; the server's mount namespace (the empty root), network
    namespace (no interface) and UTS namespace it shares with the server's other jobs, and can change
    none of them: no capability survives the next lines, and seccomp refuses mount and every socket.
    A wall that cannot be put up is reported on `report` and the job ends before any student code."""
    try:
        signal.set_wakeup_fd(-1)  # the server's way of hearing its jobs end: not ours
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _name(b"grader-job")
        _close_all_but({*fds, report, server.devnull})
        for fd in (0, 1, 2):
            os.dup2(server.devnull, fd)
        os.close(server.devnull)
        os.setsid()
        if server.mode == "namespaces":
            walls.own_ipc_namespace()
        elif server.empty:
            walls.chroot_empty(server.empty)
        if server.root:
            walls.drop_privileges(limits["uid"])  # a private uid: no capability, owns nothing
        elif server.mode == "namespaces":
            walls.drop_privileges(None)  # uid 0 of our own user namespace, without its capabilities
        address_space = vm + limits["memory_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        cpu = (int(limits["total_seconds"]) + 2) * max(
            1, int(limits.get("jobs", 1))
        )  # a shared process's checks, each held to its own deadline by the grader
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        if server.root:  # per uid: only this job's processes count
            resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
        if server.mode == "landlock":
            walls.landlock_deny_all()
        if server.seccomp is not None:
            server.seccomp.install()  # last: it refuses the calls made above
    except BaseException as error:  # noqa: BLE001 - a wall that could not be put up: the job must not run
        try:
            os.write(report, str(error).encode(errors="replace")[:1000] or b"the walls could not be put up")
        finally:
            os._exit(71)
    os.close(report)  # the walls are up: end of file on the server's side
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


def _fork_job(server: Server, limits: dict, fds: list[int], report: int) -> int:
    """Fork the job (under the namespace walls, as pid 1 of a new pid namespace); its pid to us."""
    vm = _vm_size(server.status)
    if server.own_pid_ns is not None:
        walls.pid_namespace_for_next_child()
    try:
        pid = os.fork()
        if pid == 0:
            _job(server, limits, fds, report, vm)
    finally:
        if server.own_pid_ns is not None and pid != 0:
            walls.back_to_pid_namespace(server.own_pid_ns)
    return pid


def _run(control: socket.socket, server: Server, limits: dict, fds: list[int], ended: int) -> None:
    """One job: fork it behind its walls, kill it when the grader asks, report how it ended.

    The job's end is seen on `ended` (SIGCHLD's wakeup descriptor), never on anything the job holds."""
    read, write = os.pipe()
    started = time.monotonic()
    pid = _fork_job(server, limits, fds, write)
    os.close(write)
    for fd in fds:
        os.close(fd)
    wall_error, status, killed = b"", None, False
    waiting: list[int | socket.socket] = [read, control, ended]
    while status is None:
        ready = select.select(waiting, [], [])[0]
        if control in ready:
            try:
                request = control.recv(4096)
            except OSError:
                request = b""
            if not request or json.loads(request).get("op") == "kill":
                _kill(pid)
                killed = True
                if not request:  # the grader is gone: end the job and ourselves
                    waiting.remove(control)
        if read in ready:
            chunk = os.read(read, 2048)
            wall_error += chunk[: 1000 - len(wall_error)]
            if not chunk:
                waiting.remove(read)
        if ended in ready:
            while True:
                try:
                    os.read(ended, 512)
                except BlockingIOError:
                    break
            done_pid, value = os.waitpid(pid, os.WNOHANG)
            if done_pid == pid:
                status = value
    os.set_blocking(read, False)
    try:  # the job has ended: what it said of its walls is all in the pipe
        while chunk := os.read(read, 2048):
            wall_error += chunk[: 1000 - len(wall_error)]
    except (BlockingIOError, OSError):
        pass
    os.close(read)
    if server.own_pid_ns is None:
        _sweep()
    done: dict = {"seconds": time.monotonic() - started, "killed": killed, "exit_code": None, "signal": None}
    if wall_error:
        done["wall_error"] = wall_error.decode(errors="replace")
    elif os.WIFEXITED(status):
        done["exit_code"] = os.WEXITSTATUS(status)
    elif os.WIFSIGNALED(status):
        done["signal"] = _signal_name(os.WTERMSIG(status))
    if control in waiting:
        _reply(control, {"op": "exit", **done})


def _wall_in_server(control: socket.socket) -> tuple[int, int]:
    """Namespaces mode: enter them once, here, and carry on as pid 1 of our own pid namespace, on an
    empty root; the process left outside only waits for us and ends with us. Returns descriptors of our
    pid namespace, to come back to after making each job's own, and of our /proc/self/status."""
    walls.enter_namespaces()
    server = os.fork()
    if server:
        control.close()
        _, status = os.waitpid(server, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    own = walls.own_pid_namespace()
    status = os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)  # ours, not the outer process's
    walls.drop_bounding_set()  # our effective capabilities stay (each job's pid namespace needs them)
    walls.empty_root()
    return own, status


def serve(fd: int, wanted: str) -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # a dead child or grader is an error to handle, not our end
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader, which ends us by closing the socket
    control = socket.socket(fileno=fd)
    _name(b"grader-zygote")
    mode, refused = walls.choose(wanted)
    root = os.getuid() == 0
    # namespaces and landlock probed the filter with the mode (a job that cannot install it must not run);
    # "none" installs it only where a probe shows the kernel takes it, and says so when it does not
    why = walls.seccomp_works() if mode == "none" else None
    seccomp = walls.seccomp_available() and why is None
    if why is not None:
        refused = [*refused, f"seccomp: {why}"]
    devnull = os.open(os.devnull, os.O_RDWR)  # each job's standard streams (no /dev once the root is empty)
    empty = None
    if mode == "namespaces":
        own_pid_ns, status = _wall_in_server(control)
    else:
        own_pid_ns, status = None, os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)
        _become_subreaper()
        if root:  # no namespaces, but root: chroot every job into an empty folder
            empty = tempfile.mkdtemp(prefix="grader-empty-")
            os.chmod(empty, 0o555)
    server = Server(mode, root, empty, devnull, own_pid_ns, status, seccomp)
    ended_r, ended_w = os.pipe()
    os.set_blocking(ended_r, False)
    os.set_blocking(ended_w, False)
    signal.set_wakeup_fd(ended_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that a job's end wakes `ended_r`
    _reply(
        control,
        {"op": "hello", "mode": mode, "refused": refused, "walls": walls.describe(mode, root, seccomp), "root": root},
    )
    gc.collect()
    gc.freeze()  # what is here now is never collected, so forked children do not copy it page by page
    try:
        _serve_jobs(control, server, ended_r)
    finally:
        if empty:
            os.rmdir(empty)


def _serve_jobs(control: socket.socket, server: Server, ended: int) -> None:
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
        _run(control, server, request["limits"], fds, ended)


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "auto")
