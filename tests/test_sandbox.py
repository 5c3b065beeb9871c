"""The sandbox, driven directly with small programs: each test proves one kind of containment happened.

Every test builds a job by hand (statement dicts, plain cases) and sends it to a `Sandbox`, the way
grader/judge/grade.py does, then checks what came back and, where it matters, the state of the machine
afterwards (no process of the sandbox's uid alive, no file written into the repository).
"""

from __future__ import annotations

import os
import select
import signal
import time
import textwrap
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from grader.packs.step_by_step import PACK as STEP_BY_STEP
from grader.sandbox import wire
from grader.errors import GraderFault
from grader.sandbox.client import UID_BASE, JobResult, Limits, Sandbox
from grader.sandbox.guard import DEFAULT_DENIED

ROOT = Path(__file__).resolve().parents[1]
# Worker numbers no other test file uses. As root, each zygote's children get a uid of their own (read
# from `Sandbox.uid` once it has started), so the /proc checks below see only this file's processes.
WORKER = 71
FORK_WORKER = 72
AS_ROOT = os.getuid() == 0

pytestmark = pytest.mark.timeout(90)


def statement(source: str, lineno: int = 1, filename: str = "sub.py") -> dict:
    return {"source": textwrap.dedent(source).strip("\n"), "filename": filename, "lineno": lineno}


def program(*sources: str, filename: str = "sub.py") -> list[dict]:
    """Statements laid out one after another in one file, each with its true first line."""
    out, line = [], 1
    for source in sources:
        item = statement(source, line, filename)
        out.append(item)
        line += item["source"].count("\n") + 2  # a blank line between statements
    return out


def make_job(sandbox: Sandbox, statements: list[dict], function: str = "f", cases=None, **limits) -> dict:
    """A job as grader/judge/grade.py builds one: `cases` is a list of argument lists."""
    cases = [[]] if cases is None else cases
    case_list = [{"args": list(args), "standins": {}} for args in cases]
    return {
        "kind": "function",
        "function": function,
        "program": statements,
        "cases_key": uuid.uuid4().hex,  # a fresh key: the zygote decodes these cases afresh
        "cases": wire.encode(case_list),
        "n_cases": len(case_list),
        "limits": replace(Limits(), **limits).as_job(sandbox.uid),
        "denied": list(DEFAULT_DENIED),
        **STEP_BY_STEP.job_extras(),  # pack 1's course helpers and chain, as the grader sends them
    }


def run(sandbox: Sandbox, statements: list[dict], function: str = "f", cases=None, **limits) -> JobResult:
    return sandbox.run(make_job(sandbox, statements, function, cases, **limits))


def processes_of(uid: int) -> list[str]:
    """Every process on the machine whose real or effective uid is `uid` (zombies included)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue  # gone meanwhile
        uids = fields.get("Uid", "").split()
        if str(uid) in uids[:2]:
            found.append(f"pid {entry.name} ({fields.get('Name', '?').strip()}, {fields.get('State', '?').strip()})")
    return found


def assert_healthy(sandbox: Sandbox) -> None:
    """The same zygote still serves: a plain job runs and answers."""
    result = run(sandbox, program("def g(x):\n    return x * 2"), "g", [[21]])
    assert result.load["errors"] == []
    assert result.cases[0]["status"] == "ok", result.cases
    assert result.cases[0]["value"] == 42


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(WORKER) as box:
        yield box


# --- the basics ---------------------------------------------------------------------------------
def test_a_plain_function_runs_and_returns_its_value(sandbox):
    result = run(sandbox, program("import numpy as np", "def f(n):\n    return np.arange(n) * 1.5"), cases=[[3], [0]])
    assert result.load["errors"] == []
    assert "f" in result.load["functions"]
    assert result.cases[0]["status"] == "ok"
    assert result.cases[0]["value"].tolist() == [0.0, 1.5, 3.0]
    assert result.cases[1]["value"].shape == (0,)
    assert result.reason is None  # every case ran and the child ended cleanly


@pytest.mark.skipif(not AS_ROOT, reason="the sandbox switches to its own uid only when the grader runs as root")
def test_a_submitted_job_runs_before_it_is_collected(sandbox, tmp_path):
    """`submit` starts the job and returns: it has run to its end while we were busy elsewhere (here,
    waiting on its exit as the trusted side would be judging), and `collect` gives what `run` gives."""
    job = sandbox.submit(make_job(sandbox, program("def f(n):\n    return n * 2"), cases=[[1], [2]]))
    with pytest.raises(GraderFault, match="before the previous one was collected"):
        sandbox.submit(make_job(sandbox, program("def f(n):\n    return n"), cases=[[1]]))
    deadline = time.monotonic() + 30
    while not select.select([sandbox._control], [], [], 0.05)[0] and time.monotonic() < deadline:
        pass  # the zygote tells the end of a job on its control socket, unasked
    assert time.monotonic() < deadline, "the submitted job never ended on its own"
    result = job.collect()
    assert result.reason is None and [result.cases[i]["value"] for i in range(2)] == [2, 4]
    assert run(sandbox, program("def f():\n    return 5")).cases[0]["value"] == 5  # the next job runs as usual


def test_a_job_that_ended_in_time_is_not_timed_out_for_being_collected_late(sandbox):
    """The grader judges the previous check while a submitted job runs; a job that ended within its limit
    is graded in full however late it is collected (here, after its whole deadline has passed)."""
    job = sandbox.submit(make_job(sandbox, program("def f(n):\n    return n + 1"), cases=[[1], [2]], total_seconds=0.5))
    time.sleep(0.5 + 1.0 + 1.0)  # its total limit, the grace beyond it, and a second more
    result = job.collect()
    assert result.reason is None and [result.cases[i]["value"] for i in range(2)] == [2, 3]


def test_a_stand_in_question_answered_late_does_not_cost_the_case_its_time(sandbox):
    """A submitted job may ask a stand-in's question while the grader still judges the check before it: the
    case's clock stops while it waits for the answer, so a wait longer than the case's limit is no timeout."""
    job = make_job(sandbox, program("def f(x):\n    return helper(x + 1)"), cases=[[2]], case_seconds=0.5, total_seconds=20)
    job["standins"] = {"helper": ["z"]}
    running = sandbox.submit(job, lambda question, finished: {"matched": "right", "answer": question["args"][0] * 10})
    time.sleep(1.5)  # three times the case's limit before anyone reads the question
    result = running.collect()
    assert result.cases[0]["status"] == "ok" and result.cases[0]["value"] == 30, result.cases[0]


def test_a_cancelled_job_is_ended_at_once_and_the_sandbox_goes_on(sandbox):
    job = sandbox.submit(make_job(sandbox, program("def f():\n    while True:\n        pass"), total_seconds=60, case_seconds=60))
    started = time.monotonic()
    result = job.cancel()
    assert result.reason == "cancelled"
    assert time.monotonic() - started < 30  # not its 60 s limit
    assert run(sandbox, program("def f():\n    return 6")).cases[0]["value"] == 6


def test_student_code_runs_as_the_workers_unprivileged_uid(sandbox):
    result = run(sandbox, program("import os", "def f():\n    return [os.getuid(), os.geteuid(), os.getgid()]"))
    uid = sandbox.uid  # known once the zygote runs
    assert isinstance(uid, int) and uid >= UID_BASE
    assert result.cases[0]["value"] == [uid] * 3


# --- time ---------------------------------------------------------------------------------------
def test_infinite_loop_is_stopped_and_later_cases_do_not_run(sandbox):
    result = run(sandbox, program("def f(k):\n    while True:\n        k += 1"), cases=[[0], [1], [2]], case_seconds=0.5)
    assert result.cases[0]["status"] == "timeout"
    assert 1 not in result.cases and 2 not in result.cases  # reported as not run by the grader
    assert result.done.get("reason") != "timeout"  # the per-case alarm did it, not the job's deadline
    # a new job on the same zygote, with a second function, still runs fine
    again = run(sandbox, program("def f(k):\n    while True:\n        k += 1", "def h(k):\n    return k + 1"),
                "h", cases=[[1], [2]], case_seconds=0.5)
    assert [again.cases[i]["status"] for i in (0, 1)] == ["ok", "ok"]
    assert [again.cases[i]["value"] for i in (0, 1)] == [2, 3]


def test_code_that_swallows_the_alarm_is_killed_at_the_jobs_deadline(sandbox):
    # The alarm interrupts sleep() inside the try, so `except BaseException` eats the per-case timeout.
    source = """
        import time
        def f():
            while True:
                try:
                    time.sleep(10)
                except BaseException:
                    pass
    """
    result = run(sandbox, [statement(source)], cases=[[], []], case_seconds=0.3, total_seconds=1.5)
    assert result.reason == "timeout"
    assert result.done["reason"] == "timeout"
    # no case finished: the trusted side marks the running one as out of time, at its own deadline
    assert result.cases == {0: {"i": 0, "status": "timeout", "seconds": 0.3}}
    assert_healthy(sandbox)


def test_a_statement_that_sleeps_at_load_time_is_a_timeout_load_error(sandbox):
    statements = program("import time", "x = time.sleep(30)", "def f():\n    return 7", "def other():\n    return 8")
    result = run(sandbox, statements, load_seconds=0.5)
    errors = result.load["errors"]
    assert [e["type"] for e in errors] == ["Timeout"], errors
    assert (errors[0]["filename"], errors[0]["lineno"]) == ("sub.py", statements[1]["lineno"])
    assert {"f", "other"} <= set(result.load["functions"])
    assert result.cases[0]["status"] == "ok" and result.cases[0]["value"] == 7


# --- processes ----------------------------------------------------------------------------------
@pytest.mark.skipif(not AS_ROOT, reason="a uid of its own (to look for in /proc) only when the grader runs as root")
def test_fork_bomb_with_setsid_leaves_no_process_behind():
    # posix.fork is the raw call the guard does not wrap; each child leaves the session and forks again.
    source = """
        import posix, time
        def f():
            while True:
                try:
                    if posix.fork() == 0:
                        posix.setsid()
                except OSError:
                    time.sleep(0.01)
    """
    with Sandbox(FORK_WORKER) as box:
        assert_healthy(box)  # starts the zygote, which fixes the uid of its children
        uid = box.uid
        assert isinstance(uid, int) and uid >= UID_BASE
        result = run(box, [statement(source)], case_seconds=1.0, total_seconds=5)
        assert result.load["errors"] == []
        assert result.cases[0]["status"] == "timeout"
        assert processes_of(uid) == []  # every process the job started is gone, even the ones that left its session
        assert_healthy(box)  # and the zygote keeps serving
        assert processes_of(uid) == []
        # one child that leaves the session and sleeps: it really existed, and it is gone after the job
        sleeper = """
            import posix, time
            def f():
                pid = posix.fork()
                if pid == 0:
                    posix.setsid()
                    time.sleep(1000)
                return pid
        """
        result = run(box, [statement(sleeper)])
        if not any("seccomp" in wall for wall in box.walls.walls):  # every mode has it where the kernel does
            pid = result.cases[0]["value"]
            assert isinstance(pid, int) and pid > 0, result.cases[0]
        else:  # the seccomp filter refuses every new process outright
            assert result.cases[0]["status"] == "error"
            assert result.cases[0]["error"]["type"] == "PermissionError", result.cases[0]
        assert processes_of(uid) == []


def test_os_exit_and_sys_exit_end_only_the_case(sandbox):
    source = """
        import os, sys
        def f(k):
            if k == 0:
                os._exit(3)
            if k == 1:
                sys.exit("bye")
            if k == 2:
                exit(4)
            return k + 40
    """
    result = run(sandbox, [statement(source)], cases=[[0], [1], [2], [3]])
    statuses = [result.cases[i]["status"] for i in range(4)]
    assert statuses == ["error", "error", "error", "ok"], result.cases
    messages = [result.cases[i]["error"]["message"] for i in range(3)]
    assert "exit" in messages[0] and "3" in messages[0]
    assert "exit" in messages[1] and "bye" in messages[1]
    assert "exit" in messages[2] and "4" in messages[2]
    assert result.cases[3]["value"] == 43


def test_segfault_is_a_crash_with_sigsegv(sandbox):
    source = """
        import numpy as np
        def f():
            view = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**6,), strides=(10**12,))
            return view.sum()
    """
    result = run(sandbox, [statement(source)], cases=[[], []])
    assert result.reason == "crash"
    assert result.done["signal"] == "SIGSEGV"
    assert result.cases == {}
    assert_healthy(sandbox)


# --- memory, output, files, size ----------------------------------------------------------------
def test_memory_hog_gets_memory_error(sandbox):
    source = """
        import numpy as np
        def f():
            big = np.ones((16000, 16000))  # 2 GiB, touched
            return float(big.sum())
    """
    result = run(sandbox, [statement(source)], memory_mb=1024)
    case = result.cases[0]
    assert case["status"] == "error"
    assert case["error"]["type"] == "MemoryError"
    assert_healthy(sandbox)


def test_print_flood_is_cut_to_the_cap_and_counted(sandbox):
    source = """
        def f():
            for _ in range(100000):
                print("y" * 99)
            return 1
    """
    result = run(sandbox, [statement(source)], output_chars=4000)
    case = result.cases[0]
    assert case["status"] == "ok" and case["value"] == 1
    assert case["output"] == (("y" * 99 + "\n") * 41)[:4000]
    assert case["output_chars"] == 100000 * 100


@pytest.mark.skipif(not AS_ROOT, reason="the sandbox runs as another user only when the grader runs as root")
def test_writing_into_the_repository_is_refused(sandbox):
    target = ROOT / "tests" / f"sandbox_escape_{uuid.uuid4().hex}.txt"
    source = f"""
        def f():
            with open({str(target)!r}, "w") as out:
                out.write("escaped")
            return "written"
    """
    try:
        result = run(sandbox, [statement(source)])
        case = result.cases[0]
        assert case["status"] == "error", case
        # PermissionError as another uid; FileNotFoundError where the job's folder is its whole file system
        assert case["error"]["type"] in ("PermissionError", "FileNotFoundError"), case["error"]
        assert not target.exists()
    finally:
        if target.exists():
            target.unlink()


def test_a_result_too_large_becomes_an_error_not_a_crash(sandbox):
    source = """
        import numpy as np
        def f():
            return np.ones(25_000_000)  # 200 MB, over the 16 MiB result cap
    """
    result = run(sandbox, [statement(source)], cases=[[], []], case_seconds=20, total_seconds=60)
    assert result.cases[0]["status"] == "error"
    assert result.cases[0]["error"]["type"] == "ResultTooLarge"
    assert "value" not in result.cases[0]
    assert result.cases[1]["status"] == "error"  # the next case still ran and reported
    assert_healthy(sandbox)


# --- imports ------------------------------------------------------------------------------------
@pytest.mark.parametrize("module", ["torch", "grader", "reference", "subprocess"])
def test_denied_import_raises_import_error_naming_the_rule(sandbox, module):
    result = run(sandbox, program(f"import {module}", "def f():\n    return 1"))
    errors = result.load["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["type"] == "ImportError"
    assert "denied" in errors[0]["message"] and repr(module) in errors[0]["message"]
    assert errors[0]["lineno"] == 1
    assert result.cases[0]["value"] == 1  # the rest of the submission still loaded


@pytest.mark.parametrize("how", [
    "__import__('reference.deep_nn', fromlist=['relu'])",
    "__import__('torch', {'__name__': 'numpy'})",
    "__import__('importlib').import_module('reference.deep_nn')",
])
def test_denied_modules_cannot_be_reached_by_other_routes(sandbox, how):
    result = run(sandbox, program(f"def f():\n    return repr({how})"))
    case = result.cases[0]
    assert case["status"] == "error", f"{how} gave {case.get('value')!r}"
    assert case["error"]["type"] in ("ImportError", "ModuleNotFoundError")


@pytest.mark.parametrize("imports, use", [
    ("from dnn_utils import relu", "relu(np.array([[-1.0, 2.0]]))[0].tolist()"),
    ("import dnn_utils_v2", "dnn_utils_v2.sigmoid(np.zeros((1, 2)))[0].tolist()"),
    ("from testCases_v4a import *", "'ok'"),
    ("import matplotlib.pyplot as plt", "[plt.plot(1), plt.show(), 'ok'][-1]"),
    ("import h5py", "[h5py.File('train.h5', 'r'), 'ok'][-1]"),
])
def test_course_helpers_and_plotting_modules_load(sandbox, imports, use):
    result = run(sandbox, program("import numpy as np", imports, f"def f():\n    return {use}"))
    assert result.load["errors"] == []
    case = result.cases[0]
    assert case["status"] == "ok", case.get("error")
    expected = {"relu": [[0.0, 2.0]], "sigmoid": [[0.5, 0.5]]}
    if "relu" in use:
        assert case["value"] == expected["relu"]
    elif "sigmoid" in use:
        assert case["value"] == expected["sigmoid"]
    else:
        assert case["value"] == "ok"


# --- what comes back ----------------------------------------------------------------------------
def test_tracebacks_hold_only_the_submissions_frames(sandbox):
    statements = program("def helper(x):\n    raise ValueError('bad ' + str(x))", "def f():\n    return helper(3)",
                         "y = 1 / 0")
    result = run(sandbox, statements)
    error = result.cases[0]["error"]
    assert error["type"] == "ValueError" and error["message"] == "bad 3"
    frames = error["traceback"]
    assert [(f[0], f[1], f[2]) for f in frames] == [("sub.py", 5, "f"), ("sub.py", 2, "helper")]
    assert frames[1][3] == "raise ValueError('bad ' + str(x))"  # the student's own line text
    load_error = result.load["errors"][0]
    assert load_error["type"] == "ZeroDivisionError" and load_error["lineno"] == 7
    assert all(f[0] == "sub.py" for f in load_error["traceback"])
    text = repr(result.cases) + repr(result.load)
    assert "child.py" not in text and "sandbox" not in text and "zygote" not in text


def test_the_parent_never_unpickles(sandbox, tmp_path):
    marker = tmp_path / "unpickled"
    source = f"""
        class Evil:
            def __reduce__(self):  # what pickle.loads in the parent would run
                return (open, ({str(marker)!r}, "w"))
        def f():
            return {{"thing": Evil(), "fn": f}}
    """
    result = run(sandbox, [statement(source)])
    value = result.cases[0]["value"]
    assert isinstance(value["thing"], wire.Opaque) and value["thing"].type_name == "Evil"
    assert isinstance(value["fn"], wire.Opaque) and value["fn"].type_name == "function"
    assert not marker.exists()


def test_a_job_killed_by_a_signal_is_reported_with_its_name(sandbox):
    # raw posix.kill of itself: the child dies, the parent names the signal instead of hanging. Behind
    # the namespace walls the job is pid 1 of its own pid namespace, which ignores a SIGKILL it sends
    # itself; the CPU limit's SIGKILL comes from the kernel and always lands.
    source = """
        import posix
        def f():
            posix.kill(posix.getpid(), 9)
            while True:
                pass
    """
    result = run(sandbox, [statement(source)], case_seconds=60, total_seconds=1)
    assert result.reason in ("crash", "timeout")
    if sandbox.walls.mode == "namespaces":
        assert result.reason == "timeout"  # ended from outside, at the job's deadline
        assert result.cases == {}
        assert_healthy(sandbox)
        return
    assert result.reason == "crash"
    assert result.done["signal"] == signal.Signals.SIGKILL.name
    assert result.cases == {}
    assert_healthy(sandbox)


def test_end_to_end_reports_each_stage_as_it_returned(sandbox):
    # update_parameters that writes into grads: the grads reported for L_model_backward are those it
    # returned, so the chain's check does not blame L_model_backward for the update's mistake
    source = """
        import numpy as np
        def L_model_forward(X, parameters):
            return np.ones((1, 2)), []
        def compute_cost(AL, Y):
            AL[0, 0] = 7.0  # a cost that writes into AL
            return np.squeeze(0.5)
        def L_model_backward(AL, Y, caches):
            return {"dW1": np.ones((1, 1))}
        def update_parameters(parameters, grads, learning_rate):
            grads["dW1"] -= 5
            return parameters
    """
    job = make_job(sandbox, [statement(source)], cases=[[np.zeros((1, 2)), np.zeros((1, 2)), {}, 0.1]])
    job["kind"] = "end_to_end"
    result = sandbox.run(job)
    value = result.cases[0]["value"]
    assert value["stage"] == "done"
    assert value["grads"]["dW1"].tolist() == [[1.0]]
    assert value["AL"].tolist() == [[1.0, 1.0]]  # as L_model_forward returned it, before compute_cost wrote into it


def test_a_check_that_fails_to_be_judged_leaves_no_job_running(grader, monkeypatch):
    """While a check is judged the next one's job already runs (grade.py); should judging raise, that job
    is cancelled, so the grader's sandbox takes the next submission as before."""
    failed = []

    def broken_diagnose(test, *args, **kwargs):
        if grader.sandbox._in_flight:  # the first check judged while the next one's job runs
            failed.append(test.name)
            raise RuntimeError("a fault in the diagnosis")

    monkeypatch.setattr(grader.pack, "diagnose", broken_diagnose)
    with pytest.raises(RuntimeError, match="a fault in the diagnosis"):
        grader.grade(ROOT / "submissions" / "correct_student.py")
    assert len(failed) == 1 and not grader.sandbox._in_flight
    monkeypatch.undo()
    assert grader.grade(ROOT / "submissions" / "correct_student.py").score == 100
