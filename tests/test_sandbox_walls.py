"""The kernel walls and the protocol, driven directly: each test is a small attack and proves it was contained.

Every wall mode this kernel allows is tried (namespaces, then Landlock + seccomp, forced with
GRADER_SANDBOX_WALLS); a mode the kernel refuses is skipped with the kernel's own reason. The same
attacks through the whole grader, as root and as an unprivileged user, are in tests/test_redteam.py.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from dataclasses import replace

import numpy as np
import pytest

from grader.packs.step_by_step import PACK as STEP_BY_STEP
from grader.sandbox import walls as kernel_walls
from grader.sandbox import wire
from grader.sandbox.client import Limits, Sandbox
from grader.sandbox.guard import DEFAULT_DENIED

pytestmark = pytest.mark.timeout(120)
MODES = ("namespaces", "landlock")


@pytest.fixture(scope="module", params=MODES)
def box(request):
    why = kernel_walls.probe(request.param)
    if why is not None:
        pytest.skip(f"the kernel refuses {request.param} here: {why}")
    with Sandbox(worker=80 + MODES.index(request.param), walls=request.param) as sandbox:
        assert sandbox.start().mode == request.param
        yield sandbox


def job(sandbox: Sandbox, source: str, cases=None, **limits) -> dict:
    cases = [[]] if cases is None else cases
    return {"kind": "function", "function": "f",
            "program": [{"source": textwrap.dedent(source).strip("\n"), "filename": "sub.py", "lineno": 1}],
            "cases": wire.encode([{"args": list(args), "standins": {}} for args in cases]),
            "limits": replace(Limits(), **limits).as_job(sandbox.uid), "denied": list(DEFAULT_DENIED),
            **STEP_BY_STEP.job_extras()}  # pack 1's course helpers, as the grader sends them


def value(sandbox: Sandbox, source: str, **limits):
    result = sandbox.run(job(sandbox, source, **limits))
    assert result.load["errors"] == [], result.load
    case = result.cases[0]
    assert case["status"] == "ok", case
    return case["value"]


def test_no_file_of_the_host_can_be_read(box):
    found = value(box, """
        import posix, numpy as np
        def f():
            seen = []
            for path in ("/etc/passwd", "/proc/self/status", "/proc/1/environ", "/root", "/tmp", "/"):
                try:
                    seen.append((path, len(np.fromfile(path, dtype=np.uint8))))
                except Exception as error:
                    seen.append((path, type(error).__name__))
            try:
                seen.append(("listdir", posix.listdir("/")))
            except Exception as error:
                seen.append(("listdir", type(error).__name__))
            return seen
    """)
    for path, outcome in found:
        if path == "listdir":
            assert outcome == [] or isinstance(outcome, str), found  # an empty root, or no right to look
        else:
            assert isinstance(outcome, str), f"{path} was read: {found}"


def test_no_file_can_be_written_anywhere(box, tmp_path):
    target = tmp_path / f"pwned-{uuid.uuid4().hex}"
    outcome = value(box, f"""
        import posix
        def f():
            out = []
            for path in ({str(target)!r}, "/pwned", "pwned", "/tmp/pwned"):
                try:
                    fd = posix.open(path, posix.O_WRONLY | posix.O_CREAT, 0o666)
                    posix.write(fd, b"x")
                    out.append(path)
                except OSError:
                    pass
            return out
    """)
    assert outcome == []
    assert not target.exists()


def test_no_socket_opens_and_no_name_resolves(box):
    outcome = value(box, """
        import sys
        def f():
            out = []
            _socket = sys.modules.get("_socket")
            if _socket is None:
                return ["no _socket loaded"]
            for family, kind, address in ((2, 1, ("1.1.1.1", 53)), (2, 2, ("8.8.8.8", 53)), (1, 1, "\\0x")):
                try:
                    s = _socket.socket(family, kind)
                    s.connect(address)
                    out.append(("connected", family))
                except OSError as error:
                    out.append(type(error).__name__)
            try:
                out.append(("resolved", _socket.getaddrinfo("example.com", 80)))
            except Exception as error:
                out.append(type(error).__name__)
            return out
    """)
    assert all(isinstance(item, str) for item in outcome), outcome


def test_the_job_sees_no_other_process_and_can_start_none(box):
    outcome = value(box, """
        import posix
        def f():
            out = {"pid": posix.getpid(), "ppid": posix.getppid()}
            try:
                out["fork"] = posix.fork()
                if out["fork"] == 0:
                    posix._exit(0)
            except OSError as error:
                out["fork"] = type(error).__name__
            try:
                posix.kill(posix.getppid() or 1, 0)
                out["signal"] = "sent"
            except OSError as error:
                out["signal"] = type(error).__name__
            return out
    """)
    assert outcome["fork"] == "PermissionError", outcome
    if box.walls.mode == "namespaces":
        assert outcome["pid"] == 1 and outcome["ppid"] == 0, outcome  # alone in its pid namespace
    else:
        assert outcome["signal"] == "PermissionError", outcome  # Landlock scopes signals to the job


def test_a_check_leaves_nothing_for_the_next_one(box):
    """The checks of one worker share its fork server's walls (the empty root, the network, the host
    name); one that gets past the guard (ctypes, here allowed) can still change none of them, nor leave
    a System V segment or message queue behind for the next check to read."""
    leave = job(box, """
        import ctypes, posix
        def f():
            libc = ctypes.CDLL(None, use_errno=True)
            out = {}
            out["sethostname"] = libc.sethostname(b"leaked", 6)
            out["shmget"] = libc.shmget(0x5EC7E7, 4096, 0o1666)  # IPC_CREAT | 0666
            out["msgget"] = libc.msgget(0x5EC7E7, 0o1666)
            out["mq_open"] = libc.mq_open(b"/leaked", 0o100 | 2, 0o666, None)  # O_CREAT | O_RDWR
            out["mount"] = libc.mount(b"none", b"/", b"tmpfs", 0, None)
            try:
                posix.mkdir("/leaked")
                out["mkdir"] = 0
            except OSError:
                out["mkdir"] = -1
            return out
    """)
    leave["denied"] = []
    first = box.run(leave)
    assert first.cases[0]["status"] == "ok", first.cases[0]
    assert all(code < 0 for code in first.cases[0]["value"].values()), first.cases[0]["value"]  # each refused
    look = job(box, """
        import ctypes, posix
        def f():
            libc = ctypes.CDLL(None, use_errno=True)
            return {"hostname": posix.uname().nodename, "shmget": libc.shmget(0x5EC7E7, 0, 0),
                    "msgget": libc.msgget(0x5EC7E7, 0), "mq_open": libc.mq_open(b"/leaked", 0),
                    "root": posix.listdir("/") if box_mode == "namespaces" else [], "pid": posix.getpid()}
    """.replace("box_mode", repr(box.walls.mode)))
    look["denied"] = []
    second = box.run(look)
    assert second.cases[0]["status"] == "ok", second.cases[0]
    seen = second.cases[0]["value"]
    assert seen["hostname"] != "leaked" and seen["root"] == [], seen
    assert seen["shmget"] < 0 and seen["msgget"] < 0 and seen["mq_open"] < 0, seen
    if box.walls.mode == "namespaces":
        assert seen["pid"] == 1, seen  # a pid namespace of its own, again


def test_harness_modules_are_not_importable_by_plain_names(box):
    outcome = value(box, """
        import sys
        def f():
            out = {}
            for name in ("wire", "seal", "child", "guard", "zygote", "walls", "dnn_utils"):
                try:
                    module = __import__(name, globals())
                    # a module that is not installed gets a harmless stand-in with no file behind it
                    out[name] = getattr(module, "__file__", None) or "stand-in"
                except ImportError as error:
                    out[name] = "ImportError"
            out["plain names in sys.modules"] = sorted(n for n in ("wire", "seal", "child", "guard") if n in sys.modules)
            return out
    """)
    assert outcome["plain names in sys.modules"] == []
    for name in ("wire", "seal", "child", "guard", "zygote", "walls"):
        assert outcome[name] in ("ImportError", "stand-in"), outcome
    assert outcome["dnn_utils"].endswith("dnn_utils.py")  # the course's helpers are served, as the course does


FORGE = """
    import posix, stat
    def frame(kind, payload):
        return kind + len(payload).to_bytes(4, "big") + payload
    def result_pipes():
        return [fd for fd in range(3, 64) if _is_pipe(fd) and _writable(fd)]
    def _is_pipe(fd):
        try:
            return stat.S_ISFIFO(posix.fstat(fd).st_mode)
        except OSError:
            return False
    def _writable(fd):
        try:
            posix.write(fd, b"")
            return True
        except OSError:
            return False
    def f():
        for fd in result_pipes():
            posix.write(fd, PAYLOAD)
        return 1
"""


@pytest.mark.parametrize("name, payload, reason", [
    ("a fake 'done' frame", 'frame(b"D", _message([["finished", True]]))', "corrupt"),
    ("a fake load report after the real one", 'frame(b"L", _message([["errors", []], ["functions", ["f"]]]))', "corrupt"),
    ("a frame longer than any result", 'b"C" + (2**31).to_bytes(4, "big")', "overflow"),
    ("nested past the wire's depth", 'frame(b"C", _nested())', "corrupt"),
    ("a result for another case", 'frame(b"C", _message([["i", 2], ["status", "ok"], ["value", 1]]))', "corrupt"),
    ("a result that is not a record", 'frame(b"C", _message(None, "list"))', "corrupt"),
    ("junk bytes", 'b"\\xff" * 64', "corrupt"),
])
def test_forged_frames_end_only_that_job(box, name, payload, reason):
    source = FORGE.replace("PAYLOAD", payload) + """
    def _message(pairs, tag="dict"):
        import json
        header = json.dumps({"~": tag, "v": pairs if pairs is not None else []}).encode()
        return len(header).to_bytes(4, "big") + header
    def _nested():
        import json
        node = 1
        for _ in range(200):
            node = {"~": "list", "v": [node]}
        header = json.dumps(node).encode()
        return len(header).to_bytes(4, "big") + header
    """
    result = box.run(job(box, source, cases=[[], [], []]))
    assert result.reason == reason, (name, result.done)
    assert not result.done["finished"]
    assert len(result.cases) < 3  # nothing after the forged frame counted
    assert value(box, "def f():\n    return 42") == 42  # and the next job runs normally


def test_a_job_that_swallows_its_alarm_is_ended_from_outside(box):
    result = box.run(job(box, """
        import sys
        def f():
            sys.modules["signal"].setitimer(sys.modules["signal"].ITIMER_REAL, 0)
            sys.modules["signal"].signal(sys.modules["signal"].SIGALRM, sys.modules["signal"].SIG_IGN)
            while True:
                pass
    """, cases=[[], []], case_seconds=0.5, total_seconds=20))
    assert result.reason == "timeout"
    assert result.cases[0]["status"] == "timeout"  # decided by the trusted side
    assert result.done["seconds"] < 10  # the per-call deadline, not the job's 20 s


def test_a_job_sees_only_its_own_cases(box):
    """Cases of an earlier job are nowhere in a later job's memory: not in gc, not in any frame above it.

    The later job is told 3 * secret (its own case), so the secret itself is in neither its source nor its data.
    """
    secret = float(uuid.uuid4().int % 10**9) + 0.125
    first = box.run(job(box, "def f(x):\n    return 0", cases=[[secret]]))
    assert first.cases[0]["status"] == "ok"
    result = box.run(job(box, """
        import gc, sys
        def f(hint):
            secret = hint / 3
            hits = []
            for obj in gc.get_objects():
                try:
                    if isinstance(obj, (list, tuple, dict)):
                        items = obj.values() if isinstance(obj, dict) else obj
                        if any(isinstance(x, float) and x == secret for x in items):
                            hits.append(type(obj).__name__)
                except Exception:
                    pass
            frame = sys._getframe().f_back
            while frame is not None:
                if repr(secret) in repr(frame.f_locals)[:1000000]:
                    hits.append(frame.f_code.co_name)
                frame = frame.f_back
            return hits
    """, cases=[[3 * secret]]))
    case = result.cases[0]
    assert case["status"] == "ok", case
    assert case["value"] == []


def test_os_calls_the_guard_does_not_wrap_are_still_walled(box, tmp_path):
    """posix.* and __import__('posix') reach the C functions directly; the kernel still says no."""
    outcome = value(box, """
        import sys
        def f():
            posix = sys.modules["posix"]
            out = []
            for call in (lambda: posix.mkdir("/x"), lambda: posix.chdir("/proc"), lambda: posix.symlink("/", "/y"),
                         lambda: posix.system("true") if hasattr(posix, "system") else posix.mkdir("/z")):
                try:
                    out.append(call())
                except OSError as error:
                    out.append(type(error).__name__)
            return out
    """)
    *calls, shell = outcome
    assert all(isinstance(item, str) and item.endswith("Error") for item in calls), outcome
    assert shell == 127 << 8 or (isinstance(shell, str) and shell.endswith("Error")), outcome  # 127: no shell ran


def test_mapped_cases_are_read_only_for_the_job_and_sealed_for_the_next(box):
    """Large cases reach the job as a sealed memfd it maps read-only: it can read them, but neither its
    arrays, nor the mapping (found through gc), nor the memory under them can be changed for the next job."""
    big = np.arange(40_000, dtype=np.float64)  # 320 KB: over MAP_AT_LEAST, so mapped
    spec = job(box, """
        import gc, mmap, numpy as np
        def f(x):
            tried = []
            try:
                x[0] = -1.0
                tried.append("the argument is the job's own copy")
            except ValueError:
                tried.append("argument read-only")
            for obj in gc.get_objects():
                if isinstance(obj, mmap.mmap):
                    try:
                        obj[0:8] = b"\\xff" * 8
                        tried.append("wrote the mapping")
                    except TypeError:
                        tried.append("mapping read-only")
                    try:
                        obj.resize(1)
                        tried.append("resized the mapping")
                    except (TypeError, SystemError, OSError, ValueError, BufferError):
                        tried.append("mapping not resizable")
                held = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else ()
                for item in list(held):  # arrays are not tracked by gc: the harness's lists and dicts hold them
                    if isinstance(item, np.ndarray) and item.size == 40000 and not item.flags.writeable:
                        try:
                            item.setflags(write=True)
                            item[0] = -1.0
                            tried.append("wrote a case array")
                        except ValueError:
                            tried.append("case array read-only")
            return tried
    """, cases=[(big,)])
    assert len(spec["cases"]) >= 64 * 1024
    first = box.run(spec)
    assert first.cases[0]["status"] == "ok", first.cases[0]
    tried = first.cases[0]["value"]
    assert "the argument is the job's own copy" in tried  # the job's copy: the student's to change
    assert "mapping read-only" in tried and "case array read-only" in tried
    assert not {"wrote the mapping", "resized the mapping", "wrote a case array"} & set(tried)
    again = box.run(job(box, "def f(x):\n    return float(x[0]), float(x.sum())\n", cases=[(big,)]))
    assert again.cases[0]["value"] == (0.0, float(big.sum()))


def test_the_memfd_is_sealed_against_every_change():
    import fcntl
    import mmap

    with Sandbox(worker=90) as sandbox:
        cases = wire.encode([{"args": [np.ones(20_000)], "standins": {}}])
        fd = sandbox._cases_fd(cases)
        assert fd is not None and sandbox._cases_fd(cases) == fd  # made once per case set
        seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
        for seal in (fcntl.F_SEAL_WRITE, fcntl.F_SEAL_GROW, fcntl.F_SEAL_SHRINK, fcntl.F_SEAL_SEAL):
            assert seals & seal
        with pytest.raises(PermissionError):
            os.write(fd, b"x")
        with pytest.raises(PermissionError):
            mmap.mmap(fd, len(cases), prot=mmap.PROT_READ | mmap.PROT_WRITE)
        assert os.pread(fd, len(cases), 0) == cases
