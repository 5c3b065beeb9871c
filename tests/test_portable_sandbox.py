"""The portable sandbox backend (what `check` uses on macOS and Windows), forced on Linux.

It must grade exactly as the Linux backend does: the same score for every function of every example in
submissions/, the same stand-in protocol, the same ends for a hang, a flood of output and a crash. It
must also be refused for grading others unless asked for. Each job is a freshly started interpreter,
so the examples are graded with one Grader (autograd's answers shared with the session's).
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.judge import grade as grade_module
from grader.frontends.cli import main
from grader.errors import GraderError
from grader.exits import Exit
from grader.judge.grade import Grader
from grader.judge.results import make_report_dict
from grader.sandbox import portable as portable_module
from grader.sandbox import winjob
from grader.sandbox.backends import is_weak, make_sandbox
from grader.sandbox.client import WALLS_ENV, Sandbox
from grader.sandbox.portable import PortableSandbox
from test_sandbox import make_job, program, statement

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(path for path in (ROOT / "submissions").iterdir() if path.suffix in (".py", ".ipynb"))
CORRECT = ROOT / "submissions" / "correct_student.py"

pytestmark = pytest.mark.timeout(600)  # a hang guard only


@pytest.fixture(scope="module")
def portable(grader):
    """A Grader on the portable backend, forced, sharing the session grader's case set."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WALLS_ENV, "portable")
        with Grader(seed=grader.seed, device="cpu", case_set=grader.case_set, weak_sandbox="allow") as g:
            patch.delenv(WALLS_ENV)
            yield g


@pytest.fixture(scope="module")
def box():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WALLS_ENV, "portable")
        sandbox = make_sandbox(73)
    assert isinstance(sandbox, PortableSandbox)
    with sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def linux_box():
    with Sandbox(74) as sandbox:
        yield sandbox


def scores(report) -> dict:
    """Per function: its score, and each case's status (what a student sees)."""
    return {test.name: (test.score, [case.status for case in test.cases]) for test in report.tests}


# --- choosing the backend --------------------------------------------------------------------------
def test_linux_gets_the_kernel_walls_and_the_variable_forces_the_portable_backend(monkeypatch):
    monkeypatch.delenv(WALLS_ENV, raising=False)
    assert type(make_sandbox(75)) is Sandbox
    monkeypatch.setenv(WALLS_ENV, "portable")
    assert type(make_sandbox(75)) is PortableSandbox
    monkeypatch.setenv(WALLS_ENV, "chroot")
    with pytest.raises(GraderError, match="auto, namespaces, landlock, none or portable"):
        make_sandbox(75)


def test_the_walls_say_portable_and_what_holds(box):
    walls = box.start()
    assert walls.mode == "portable" and is_weak(walls)
    assert walls.walls[0] == "own process per job"
    assert "rlimits (memory, CPU, file size, open files)" in walls.walls  # Linux enforces an address-space limit
    assert any(WALLS_ENV in reason for reason in walls.refused)


# --- the same grading ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_every_example_gets_the_same_scores_as_on_the_linux_backend(path, graded, portable):
    linux = graded(path)
    litter = Path("/tmp/backprop_grader_hostile_writes_files.txt")  # the portable backend has no file walls
    existed = litter.exists()
    try:
        spawned = portable.grade(path)
    finally:
        if litter.exists() and not existed:
            litter.unlink()
    assert linux.sandbox["mode"] != "portable" and spawned.sandbox["mode"] == "portable"
    assert spawned.fatal == linux.fatal
    assert scores(spawned) == scores(linux)
    assert spawned.score == linux.score


def test_a_portable_report_is_valid_under_the_schema(portable):
    from grader.report.schema import validate_report

    report = make_report_dict(portable.grade(CORRECT))
    validate_report(report)
    assert report["sandbox"]["mode"] == "portable"


def test_stand_in_questions_and_answers_travel_as_on_linux(box, linux_box):
    """A call a stand-in cannot open goes to the trusted side as a question; its answer comes back."""
    asked: list = []

    def answer(question: dict, finished: int) -> dict:
        asked.append((question["i"], question["helper"], question["args"], finished))
        return {"matched": "right", "answer": question["args"][0] * 10} if question["args"][0] == 3 else {"matched": None}

    results = []
    for sandbox in (box, linux_box):
        asked.clear()
        job = make_job(sandbox, program("def f(x):\n    return helper(x + 1)"), cases=[[2], [5]])
        job["standins"] = {"helper": ["z"]}
        result = sandbox.run(job, answer)
        assert asked == [(0, "helper", (3,), 0), (1, "helper", (6,), 1)]
        assert result.cases[0]["value"] == 30 and result.cases[0]["calls"] == [{"helper": "helper", "matched": "right"}]
        assert result.cases[1]["status"] == "error" and result.cases[1]["error"]["type"] == "HelperCallMismatch"
        results.append({i: {k: v for k, v in case.items() if k != "seconds"} for i, case in result.cases.items()})
    assert results[0] == results[1]


# --- hangs, floods, crashes ------------------------------------------------------------------------
def test_a_hang_that_swallows_the_alarm_is_killed_at_the_jobs_deadline(box):
    source = """
        import time
        def f():
            while True:
                try:
                    time.sleep(10)
                except BaseException:
                    pass
    """
    result = box.run(make_job(box, [statement(source)], cases=[[], []], case_seconds=0.3, total_seconds=1.5))
    assert result.reason == "timeout"
    assert result.cases == {0: {"i": 0, "status": "timeout", "seconds": 0.3}}
    assert result.done["signal"] == "SIGKILL"  # its whole process group, from outside
    healthy(box)


def test_an_infinite_loop_is_stopped_by_the_per_case_alarm(box):
    result = box.run(make_job(box, program("def f(k):\n    while True:\n        k += 1"), cases=[[0], [1]], case_seconds=0.5))
    assert result.cases[0]["status"] == "timeout" and 1 not in result.cases
    assert result.reason is None  # the child stopped the case itself and ended cleanly


def test_an_infinite_print_is_capped_and_raw_writes_cannot_forge_frames(box):
    source = """
        import os
        def f():
            for _ in range(100000):
                print("y" * 99)
            os.write(1, b"C\\x00\\x00\\x00\\x05hello" * 1000)  # fds 0-2 are not the job's pipes
            os.write(2, b"garbage" * 1000)
            return 1
    """
    result = box.run(make_job(box, [statement(source)], output_chars=4000))
    case = result.cases[0]
    assert case["status"] == "ok" and case["value"] == 1
    assert case["output"] == (("y" * 99 + "\n") * 41)[:4000]
    assert case["output_chars"] == 100000 * 100
    assert result.reason is None


def test_a_crash_is_reported_with_its_signal(box):
    source = """
        import numpy as np
        def f():
            view = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**6,), strides=(10**12,))
            return view.sum()
    """
    result = box.run(make_job(box, [statement(source)], cases=[[], []]))
    assert result.reason == "crash"
    assert result.done["signal"] == "SIGSEGV"
    assert result.cases == {}
    healthy(box)


def test_no_student_code_runs_when_a_limit_found_at_start_does_not_hold(box):
    box.start()
    held = box._held
    box._held = [*held, "a limit no OS has"]
    try:
        with pytest.raises(GraderError, match="a limit no OS has"):
            box.run(make_job(box, program("def f():\n    return 1")))
    finally:
        box._held = held
    healthy(box)


def test_the_windows_alarm_stops_a_hanging_statement_and_case_and_never_fires_late():
    """The timer-thread alarm child.py uses where there is no SIGALRM, run here in a child of its own."""
    script = textwrap.dedent("""
        import time
        from grader.sandbox import child
        from grader.sandbox import case_clock
        case_clock.use_timer()
        namespace = {"__name__": "submission"}
        errors = child.load([{"source": "while True:\\n    pass", "filename": "s.py", "lineno": 1},
                             {"source": "def f(x):\\n    while True:\\n        x += 1", "filename": "s.py", "lineno": 4}],
                            namespace, 0.3)
        job = {"kind": "function", "function": "f", "limits": {"case_seconds": 0.3}}
        hang = child.run_case(namespace, job, 0, {"args": [1]}, child.CappedText(100))
        quick = child.run_case({"f": lambda x: x + 1}, job, 1, {"args": [1]}, child.CappedText(100))
        time.sleep(0.6)  # past the disarmed alarm's time: nothing may interrupt this
        print([e["type"] for e in errors], hang["status"], quick["status"], quick["value"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.stdout.split() == ["['Timeout']", "timeout", "ok", "2"], done.stderr


def test_without_sigalrm_as_on_windows_a_hanging_statement_and_case_end_as_on_linux(tmp_path, monkeypatch):
    """The whole job path with child.py's timer-thread alarm: each job started through a wrapper that
    takes signal.setitimer away, as Windows has none."""
    wrapper = tmp_path / "as_on_windows.py"
    wrapper.write_text(textwrap.dedent(f"""
        import runpy, signal, sys
        del signal.setitimer, signal.SIGALRM
        sys.argv[0] = {str(portable_module.SPAWNED)!r}
        runpy.run_path(sys.argv[0], run_name="__main__")
    """))
    monkeypatch.setattr(portable_module, "SPAWNED", wrapper)
    statements = program("while True:\n    pass", "def f(k):\n    while True:\n        k += 1", "def g():\n    return 7")
    with PortableSandbox(76) as sandbox:
        result = sandbox.run(make_job(sandbox, statements, cases=[[0], [1]], case_seconds=0.5, load_seconds=0.5))
        assert [error["type"] for error in result.load["errors"]] == ["Timeout"]
        assert {"f", "g"} <= set(result.load["functions"])
        assert result.cases[0]["status"] == "timeout" and 1 not in result.cases
        assert result.reason is None  # the child's own alarm, not the trusted side's deadline
        healthy(sandbox)


def test_the_windows_job_object_structure_has_the_size_windows_expects():
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        pytest.skip("the layout checked is the 64-bit one")
    assert ctypes.sizeof(winjob.BasicLimits) == 64
    assert ctypes.sizeof(winjob.ExtendedLimits) == 144
    info = winjob.limits_for({"total_seconds": 30, "memory_mb": 1024})
    assert info.BasicLimitInformation.ActiveProcessLimit == 1
    assert info.ProcessMemoryLimit == (1024 + winjob.HEADROOM_MB) << 20
    assert info.BasicLimitInformation.LimitFlags & winjob.LIMIT_KILL_ON_JOB_CLOSE


# --- weak by design: refused for grading others ----------------------------------------------------
def test_grading_others_refuses_it_unless_told_and_a_students_check_warns_once(grader, monkeypatch, capsys):
    monkeypatch.setenv(WALLS_ENV, "portable")
    with Grader(seed=grader.seed, device="cpu", case_set=grader.case_set) as refusing:
        with pytest.raises(GraderError, match="--allow-weak-sandbox") as refused:
            refusing.grade(CORRECT)
    assert "portable sandbox" in str(refused.value)
    monkeypatch.setattr(grade_module, "_warned", False)
    with Grader(seed=grader.seed, device="cpu", case_set=grader.case_set, weak_sandbox="warn") as warning:
        walls = warning.walls()
        warning.walls()
    assert capsys.readouterr().err.count("warning: The portable sandbox") == 1
    assert walls.mode == "portable"


def test_the_grade_command_refuses_it_and_check_goes_on(tmp_path, monkeypatch, capsys):
    rubric = tmp_path / "small.toml"
    rubric.write_text("[grading]\ncases = 2\n", encoding="utf-8")
    monkeypatch.setenv(WALLS_ENV, "portable")
    common = ["--rubric", str(rubric), "--device", "cpu"]
    assert main(["grade", str(CORRECT), "--out", str(tmp_path / "out"), "--no-progress", "-j", "1", *common]) == Exit.USAGE
    assert "--allow-weak-sandbox" in capsys.readouterr().err
    assert main(["check", str(CORRECT), "--json", *common]) == Exit.FULL_MARKS


def healthy(sandbox) -> None:
    result = sandbox.run(make_job(sandbox, program("def g(x):\n    return x * 2"), "g", [[21]]))
    assert result.cases[0]["status"] == "ok" and result.cases[0]["value"] == 42, result.cases


def test_a_failed_start_leaves_nothing_and_the_next_start_probes_again(monkeypatch):
    """A probe that fails must not leave the backend half started: a second start() used to return no
    walls at all, and a job spawned after a close() would have run in the grader's own working folder."""
    real = PortableSandbox._probe_walls
    calls = []

    def failing_once(self):
        calls.append(self._folder)
        if len(calls) == 1:
            raise OSError("the probe could not start")
        real(self)

    monkeypatch.setattr(PortableSandbox, "_probe_walls", failing_once)
    with PortableSandbox(77) as sandbox:
        with pytest.raises(OSError):
            sandbox.start()
        assert sandbox._folder is None and not Path(calls[0]).exists()  # the first folder is gone
        walls = sandbox.start()
        assert walls is not None and walls.mode == "portable" and len(calls) == 2
    with pytest.raises(portable_module.GraderFault, match="closed"):
        sandbox._cwd()  # closed: no job may start without its own empty folder
