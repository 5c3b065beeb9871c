"""Issue 20 item 8: as root where the kernel has neither user namespaces nor Landlock (the "none" mode: a
chroot into an empty folder and a private uid), each job still installs the seccomp filter, which needs
neither. Forced with GRADER_SANDBOX_WALLS=none (Sandbox(walls="none")), as tests/test_sandbox_walls.py
forces the other modes. Each attack is run with ctypes let through the guard (as a student who got past
it would): the filter is what stops it. A normal user's "none" (the weak mode) gets the filter too.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from grader.packs.step_by_step import PACK as STEP_BY_STEP
from grader.sandbox import walls as kernel_walls
from grader.sandbox import wire
from grader.sandbox.client import Limits, Sandbox
from grader.sandbox.guard import DEFAULT_DENIED

pytestmark = [pytest.mark.timeout(180),
              pytest.mark.skipif(not kernel_walls.seccomp_available(), reason="no seccomp filter for this architecture")]
ROOT = Path(__file__).resolve().parents[1]
CORRECT = ROOT / "submissions" / "correct_student.py"
LETS_CTYPES = [name for name in DEFAULT_DENIED if name not in ("ctypes", "_ctypes")]
SYSCALLS = {"x86_64": {"vfork": 58, "fork": 57, "clone": 56}, "aarch64": {"clone": 220}}


@pytest.fixture(scope="module")
def box():
    if kernel_walls.seccomp_works() is not None:
        pytest.skip(f"the kernel refuses seccomp filters here: {kernel_walls.seccomp_works()}")
    with Sandbox(worker=95, walls="none") as sandbox:
        walls = sandbox.start()
        assert walls.mode == "none"
        yield sandbox


@pytest.fixture()
def listener():
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    heard, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                heard.append(server.accept()[0])
            except (socket.timeout, OSError):
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], heard
    stop.set()
    thread.join()
    server.close()


def run(sandbox: Sandbox, source: str, denied=LETS_CTYPES) -> dict:
    job = {"kind": "function", "function": "f",
           "program": [{"source": textwrap.dedent(source).strip("\n"), "filename": "sub.py", "lineno": 1}],
           "cases": wire.encode([{"args": [], "standins": {}}]),
           "limits": replace(Limits()).as_job(sandbox.uid), "denied": list(denied), **STEP_BY_STEP.job_extras()}
    result = sandbox.run(job)
    assert result.load["errors"] == [], result.load
    case = result.cases[0]
    assert case["status"] == "ok", case
    return case["value"]


def test_the_report_names_seccomp_among_roots_walls(box):
    assert any(wall.startswith("seccomp") for wall in box.walls.walls), box.walls.walls
    if os.geteuid() == 0:
        assert "chroot into an empty folder" in box.walls.walls and "private uid" in box.walls.walls


def test_no_socket_and_no_loopback_connection(box, listener):
    port, heard = listener
    outcome = run(box, f"""
        import sys, ctypes
        def f():
            out = {{}}
            _socket = sys.modules.get("_socket") or __import__("_socket")
            for name, family, kind in (("tcp", 2, 1), ("udp", 2, 2), ("unix", 1, 1)):
                try:
                    s = _socket.socket(family, kind)
                    out[name] = "opened"
                    if name == "tcp":
                        s.settimeout(2)
                        s.connect(("127.0.0.1", {port}))
                        out[name] = "connected"
                except OSError as error:
                    out[name] = type(error).__name__
            libc = ctypes.CDLL(None, use_errno=True)
            out["libc socket"] = libc.socket(2, 1, 0), ctypes.get_errno()
            pair = (ctypes.c_int * 2)()
            out["socketpair"] = libc.socketpair(1, 1, 0, pair), ctypes.get_errno()
            return out
    """)
    assert {outcome[k] for k in ("tcp", "udp", "unix")} == {"PermissionError"}, outcome
    assert outcome["libc socket"] == outcome["socketpair"] == (-1, 1), outcome  # EPERM
    assert heard == []


def test_no_new_process_by_fork_vfork_or_clone(box):
    calls = SYSCALLS.get(os.uname().machine, {})
    outcome = run(box, f"""
        import posix, ctypes
        def f():
            out = {{}}
            try:
                pid = posix.fork()
                if pid == 0:
                    posix._exit(0)
                out["posix.fork"] = pid
            except OSError as error:
                out["posix.fork"] = type(error).__name__
            libc = ctypes.CDLL(None, use_errno=True)
            for name, number in {calls!r}.items():
                # a call that succeeded would leave a child in this very process: it ends at once
                result = libc.syscall(number, 0x11, 0, 0, 0, 0) if name == "clone" else libc.syscall(number)
                if result == 0:
                    posix._exit(0)
                out[name] = result, ctypes.get_errno()
            return out
    """)
    assert outcome.pop("posix.fork") == "PermissionError", outcome
    assert outcome == {name: (-1, 1) for name in calls}, outcome  # each refused with EPERM


def test_honest_grading_still_works_in_the_chroot_mode(tmp_path):
    """The whole grader, forced to "none": full marks, and the report says the filter was there."""
    env = {**os.environ, "GRADER_SANDBOX_WALLS": "none"}
    done = subprocess.run([sys.executable, "-P", "-m", "grader", "check", str(CORRECT), "--json", "--device", "cpu",
                           "--allow-weak-sandbox"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=150)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["score"] == report["max_score"] == 100.0
    assert report["sandbox"]["mode"] == "none"
    assert any(wall.startswith("seccomp") for wall in report["sandbox"]["walls"]), report["sandbox"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can drop to another uid")
def test_a_normal_users_weak_mode_gets_the_filter_too(tmp_path):
    """As nobody, forced to "none" (no wall but rlimits otherwise: a weak sandbox, graded only with
    --allow-weak-sandbox), the filter is still installed, and honest grading still works."""
    from test_startup import Runner

    base = Path(tempfile.mkdtemp(prefix="chroot-nobody-", dir="/tmp"))  # tmp_path is closed to other uids
    try:
        base.chmod(0o755)
        runner = Runner(base, "nobody")
        (base / "hw4.py").write_text(CORRECT.read_text())
        runner.own(base / "hw4.py")
        done = runner.run([sys.executable, "-P", "-m", "grader", "check", str(base / "hw4.py"), "--json",
                           "--device", "cpu", "--allow-weak-sandbox"], base, GRADER_SANDBOX_WALLS="none")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["score"] == 100.0 and report["sandbox"]["mode"] == "none"
        assert "private uid" not in report["sandbox"]["walls"]  # really a normal user's run
        assert any(wall.startswith("seccomp") for wall in report["sandbox"]["walls"]), report["sandbox"]
    finally:
        shutil.rmtree(base, ignore_errors=True)
