"""Issue 20 item 1: a start-up that no file of a student can reach. Each test is an attack from the trusted
side (a student's file where the grader or pytest starts) and proves what was contained: the student's
module never ran (it would leave a marker), no file outside was written or truncated, the honest
submission was graded as `check` grades it alone, and the exit status is the documented one.

The runs are real processes started as an instructor would start them, in the student's folder. As
root they run twice: as root, and as an unprivileged uid (nobody) through tests/redteam/run_grade.py,
as the red-team campaign does. Item 8 (seccomp in root's chroot mode) is in tests/test_walls_chroot.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader import startup
from grader.exits import Exit
from redteam.campaign import WRAPPER, interpreter_hiding

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[1]
CORRECT = ROOT / "submissions" / "correct_student.py"
BIN = Path(sys.executable).parent
AS_ROOT = os.geteuid() == 0
NOBODY = 65534
USERS = ("root", "nobody") if AS_ROOT else ("user",)
# a student's files named as modules the grader (or pytest) imports: each leaves a marker if it runs
SHADOWS = ("hashlib", "json", "csv", "argparse", "tomllib", "numpy", "rich", "pathlib")


def hostile(name: str, markers: Path) -> str:
    """A module that leaves a marker and ends the process (a plugin only leaves its marker and stays quiet,
    so that what pytest does after importing it shows)."""
    end = "" if name == "student_plugin" else f"raise SystemExit('a student module ran: {name}')\n"
    return f"open({str(markers / name)!r}, 'w').close()\n{end}"


@pytest.fixture(scope="module")
def base():
    """A folder every uid of the runs can reach (pytest's tmp_path is closed to other uids)."""
    folder = Path(tempfile.mkdtemp(prefix="startup-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Runner:
    """Runs a command as `user` in `cwd`: as ourselves, or dropped to nobody by the red team's wrapper."""

    def __init__(self, base: Path, user: str):
        self.user, self.home = user, base / f"home-{user}"
        self.home.mkdir(exist_ok=True)
        self.count = 0
        self.uid = NOBODY if user == "nobody" else None
        if self.uid is not None:
            os.chown(self.home, self.uid, self.uid)

    def own(self, *paths: Path) -> None:
        """The instructor's files belong to the run's user (an instructor's own folder)."""
        if self.uid is None:
            return
        for top in paths:
            for path in [top, *top.rglob("*")]:
                os.lchown(path, self.uid, self.uid)

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8",
                "GRADER_ANSWERS_CACHE": str(self.home / "answers"), "OPENBLAS_NUM_THREADS": "1", **extra}

    def run(self, command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
        if self.uid is None:
            return subprocess.run(command, cwd=cwd, env=self.env(**env), capture_output=True, text=True,
                                  timeout=300, stdin=subprocess.DEVNULL)
        self.count += 1
        log = self.home / f"log{self.count}"
        log.mkdir()
        os.chown(log, self.uid, self.uid)  # the wrapper writes its logs once it has dropped to the uid
        wrapper = [sys.executable, str(WRAPPER), str(log / "result.json"), "--timeout", "300", "--linger", "0",
                   "--stdout", str(log / "out"), "--stderr", str(log / "err"), "--uid", str(self.uid)]
        hiding = interpreter_hiding()
        if hiding:
            (log / "stash").mkdir()
            wrapper += ["--hide", hiding[0], "--stash", str(log / "stash")]
            wrapper += [arg for keep in hiding[1] for arg in ("--keep", keep)]
        subprocess.run([*wrapper, "--", *command], cwd=cwd, env=self.env(**env), timeout=330,
                       stdin=subprocess.DEVNULL, check=True)
        result = json.loads((log / "result.json").read_text())
        if result["setup_error"]:
            pytest.skip(f"cannot run as an unprivileged uid here: {result['setup_error']}")
        return subprocess.CompletedProcess(command, result["rc"], (log / "out").read_text(), (log / "err").read_text())


@pytest.fixture(scope="module", params=USERS)
def runner(request, base):
    return Runner(base, request.param)


def student_folder(base: Path, runner: Runner, name: str, shadows=SHADOWS) -> tuple[Path, Path]:
    """(the student's folder with hw4.py and hostile modules, the folder their markers would go to)."""
    top = base / f"{runner.user}-{name}"
    folder, markers = top / "student", top / "markers"
    folder.mkdir(parents=True)
    markers.mkdir()
    (folder / "hw4.py").write_text(CORRECT.read_text())
    for module in shadows:
        (folder / f"{module}.py").write_text(hostile(module, markers))
    runner.own(top)
    return folder, markers


def assert_none_ran(markers: Path) -> None:
    assert sorted(p.name for p in markers.iterdir()) == [], "a student's module ran in the grader"


CHECK_COMMANDS = {
    "python -m grader": [sys.executable, "-m", "grader"],
    "python -P -m grader": [sys.executable, "-P", "-m", "grader"],
    "backprop-grader": [str(BIN / "backprop-grader")],
}


# --- the grader's own commands ----------------------------------------------------------------------
@pytest.mark.parametrize("entry", list(CHECK_COMMANDS))
def test_check_in_a_folder_of_shadowing_modules_runs_none_of_them(base, runner, entry):
    """`check hw4.py` beside the student's hashlib.py, json.py, csv.py, argparse.py, numpy.py, ...:
    the working folder is never searched for the grader's imports, and the submission is graded."""
    folder, markers = student_folder(base, runner, f"check-{entry.replace(' ', '_')}")
    done = runner.run([*CHECK_COMMANDS[entry], "check", "hw4.py", "--json", "--device", "cpu"], folder)
    assert_none_ran(markers)
    assert done.returncode == Exit.FULL_MARKS, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "graded" and report["score"] == report["max_score"] == 100.0


def test_grade_dot_in_a_folder_of_shadowing_modules_runs_none_of_them(base, runner):
    """`python -m grader grade .` in the submissions' folder: the hostile modules are graded as
    submissions (they define no function: could not be graded), none of them runs in the grader."""
    folder, markers = student_folder(base, runner, "grade-dot")
    out = folder.parent / "out"
    out.mkdir()
    runner.own(out)
    done = runner.run([sys.executable, "-m", "grader", "grade", ".", "--out", str(out), "--device", "cpu",
                       "--no-progress", "-j", "1"], folder)
    assert_none_ran(markers)
    hw4 = json.loads((out / "hw4.json").read_text())
    assert hw4["status"] == "graded" and hw4["score"] == 100.0, done.stderr
    others = [json.loads((out / f"{m}.json").read_text())["status"] for m in SHADOWS]
    assert set(others) == {"error"}  # could not be graded: the worst, so the run's status
    assert done.returncode == Exit.NOT_GRADED, done.stderr


@pytest.mark.parametrize("entry", ["python -P -m grader", "backprop-grader"])
def test_a_submission_folder_named_grader_does_not_replace_the_grader(base, runner, entry):
    """A folder `grader/` among the submissions would be the grader under plain `python -m grader` (ours
    never runs: grader/startup.py says so); the documented commands never look there."""
    folder, markers = student_folder(base, runner, f"forged-{entry.replace(' ', '_')}", shadows=())
    forged = folder / "grader"
    forged.mkdir()
    (forged / "__init__.py").write_text("")
    (forged / "__main__.py").write_text(hostile("forged_grader", markers) + "print('Score: 100 / 100')\n")
    (folder / "buggy.py").write_text(CORRECT.read_text().replace("dW = 1. / m *", "dW = 2. / m *"))
    out = folder.parent / "out"
    out.mkdir()
    runner.own(folder.parent)
    done = runner.run([*CHECK_COMMANDS[entry], "grade", ".", "--out", str(out), "--device", "cpu", "--no-progress"],
                      folder)
    assert_none_ran(markers)
    reports = {name: json.loads((out / f"{name}.json").read_text()) for name in ("hw4", "buggy", "grader")}
    assert reports["hw4"]["score"] == 100.0 and reports["buggy"]["score"] < 100.0, done.stderr
    assert reports["grader"]["status"] == "error"  # graded as what it is: a folder with no submission
    assert done.returncode == Exit.NOT_GRADED


def test_a_graded_folder_on_pythonpath_is_refused(base, runner):
    """PYTHONPATH naming the submissions' folder would let a student's rich.py replace the grader's: the
    grader refuses (usage error) before it imports it."""
    folder, markers = student_folder(base, runner, "pythonpath", shadows=("rich", "tomllib"))
    done = runner.run([str(BIN / "backprop-grader"), "check", str(folder / "hw4.py"), "--device", "cpu"],
                      folder.parent, PYTHONPATH=str(folder))
    assert_none_ran(markers)
    assert done.returncode == Exit.USAGE, done.stderr
    assert "refusing to run" in done.stderr and str(folder) in done.stderr and "Traceback" not in done.stderr


def test_the_documented_commands_never_put_the_working_folder_on_sys_path():
    """setup.sh, run_autograder and the Dockerfile start the grader as the console script or with -P."""
    texts = {path.name: path.read_text() for path in
             [*(ROOT / "grader" / "platforms" / "templates").iterdir(), ROOT / "Dockerfile"]}
    start = re.compile(r'-m grader\b|"grader"|bin/backprop-grader"|(^|[\s;&(])backprop-grader\s|\["backprop-grader"\]')
    starts = {name: [line for line in text.splitlines() if start.search(line) and not line.lstrip().startswith("#")]
              for name, text in texts.items()}
    assert all(starts.values()), starts  # each file does start the grader
    for name, lines in starts.items():
        for line in lines:
            assert "-P -m grader" in line or "-m grader" not in line, f"{name}: {line}"
    assert 'ENTRYPOINT ["backprop-grader"]' in texts["Dockerfile"]


# --- the start-up checks themselves, in this process ---------------------------------------------
def test_drop_working_folder_takes_only_the_working_folder(tmp_path, monkeypatch):
    elsewhere = str(tmp_path / "elsewhere")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["", str(tmp_path), ".", elsewhere, *sys.path])
    assert startup.drop_working_folder() == ["", ".", str(tmp_path)]  # '' and '.', then the first entry
    assert sys.path[0] == elsewhere and "" not in sys.path
    monkeypatch.setattr(sys, "path", [elsewhere, str(tmp_path)])  # further down: put there on purpose
    assert startup.drop_working_folder() == [] and sys.path == [elsewhere, str(tmp_path)]


def test_a_module_from_a_graded_folder_is_found_and_the_graders_own_are_not(tmp_path, monkeypatch):
    fake = type(sys)("json_of_a_student")
    fake.__file__ = str(tmp_path / "json.py")
    monkeypatch.setitem(sys.modules, "json_of_a_student", fake)
    assert startup.problems([str(tmp_path / "hw4.py")], check_cwd=False) == [
        f"module 'json_of_a_student' was imported from {tmp_path / 'json.py'}, a folder of student files or "
        "the working folder"]
    monkeypatch.delitem(sys.modules, "json_of_a_student")
    assert startup.problems([str(tmp_path / "hw4.py")], check_cwd=False) == []
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    assert len(startup.problems([str(tmp_path)], check_cwd=False)) == 1


def test_the_checkout_as_working_folder_is_not_refused(monkeypatch):
    """Developers run `python -m grader` in the repository: the working folder's grader/ is the grader."""
    monkeypatch.chdir(ROOT)
    found = [p for p in startup.problems([], check_cwd=True)
             if "/tests/" not in p and "conftest" not in p and "module 'reference" not in p]
    assert found == []  # this test process's own test modules (and the answer key they load) aside, nothing counts


# --- the pytest front end in a student's folder ----------------------------------------------------
INI = {  # where pytest looks for its configuration, each with the same hostile settings
    "pytest.ini": "[pytest]\n{}",
    "tox.ini": "[pytest]\n{}",
    "setup.cfg": "[tool:pytest]\n{}",
    "pyproject.toml": "[tool.pytest.ini_options]\n{}",
}


def pytest_folder(base: Path, runner: Runner, name: str, ini: str = "pytest.ini", plugin: bool = True,
                  shadows=("json", "student_plugin", "conftest", "test_student")):
    """A student's folder whose pytest configuration writes a JUnit file and a log outside it, and (with
    `plugin`) imports the student's own plugin; with a conftest.py, a test file and a shadowing json.py beside."""
    folder, markers = student_folder(base, runner, name, shadows=shadows)
    outside = folder.parent / "outside"
    outside.mkdir()
    (outside / "log.txt").write_text("the instructor's log\n")
    junit, log = outside / "junit.xml", outside / "log.txt"
    if ini == "pyproject.toml":
        settings = f'addopts = "--junitxml={junit}{" -p student_plugin" if plugin else ""}"\nlog_file = "{log}"\n'
    else:
        settings = f"addopts = --junitxml={junit}{' -p student_plugin' if plugin else ''}\nlog_file = {log}\n"
    (folder / ini).write_text(INI[ini].format(settings))
    runner.own(folder.parent)
    return folder, markers, outside


def assert_outside_untouched(outside: Path) -> None:
    assert sorted(p.name for p in outside.iterdir()) == ["log.txt"], "a file was written outside the folder"
    assert (outside / "log.txt").read_text() == "the instructor's log\n", "the log outside was truncated"


PYTEST_SAFE = {
    "backprop-grader pytest": [str(BIN / "backprop-grader"), "pytest"],
    "python -P -m grader pytest": [sys.executable, "-P", "-m", "grader", "pytest"],
    "python -m grader pytest": [sys.executable, "-m", "grader", "pytest"],
}


@pytest.mark.parametrize("entry", list(PYTEST_SAFE))
def test_the_safe_pytest_command_reads_nothing_of_the_students_folder(base, runner, entry):
    """`backprop-grader pytest --submission=hw4.py` in the folder: no ini of the student's is read (no
    JUnit file, no truncated log, no plugin), no conftest or module of it runs, and hw4.py is graded.
    PYTEST_ADDOPTS is the instructor's environment, honoured: its JUnit file is written."""
    if runner.user == "nobody" and entry != "backprop-grader pytest":
        pytest.skip("one command as nobody is enough: the start-up is the same")
    folder, markers, outside = pytest_folder(base, runner, f"pytest-safe-{entry.replace(' ', '_')}")
    mine = runner.home / f"instructor-{entry.replace(' ', '_')}.xml"
    done = runner.run([*PYTEST_SAFE[entry], "--submission=hw4.py", "--grader-device=cpu"], folder,
                      PYTEST_ADDOPTS=f"--junitxml={mine}")
    assert_none_ran(markers)
    assert_outside_untouched(outside)
    assert done.returncode == Exit.FULL_MARKS, done.stdout[-2000:] + done.stderr
    assert "Score: 100 / 100" in done.stdout and mine.exists()
    assert not (folder / ".pytest_cache").exists() and not (folder / "__pycache__").exists()


@pytest.mark.parametrize("ini", list(INI))
def test_plain_pytest_in_the_students_folder_is_refused_before_it_writes(base, runner, ini):
    """Plain `pytest --submission=hw4.py` reads the folder's configuration: the plugin refuses (usage
    error) before pytest configures anything, so no JUnit file and no log file is opened."""
    if runner.user == "nobody" and ini != "pytest.ini":
        pytest.skip("one configuration file as nobody is enough")
    folder, markers, outside = pytest_folder(base, runner, f"pytest-plain-{ini}", ini=ini, plugin=False)
    done = runner.run([str(BIN / "pytest"), "--submission=hw4.py", "--grader-device=cpu"], folder)
    assert_none_ran(markers)
    assert_outside_untouched(outside)
    assert done.returncode == Exit.USAGE, done.stdout[-2000:] + done.stderr
    assert f"read its configuration from {folder / ini}" in done.stderr and "backprop-grader pytest" in done.stderr
    assert "Score:" not in done.stdout


def test_python_m_pytest_in_the_students_folder_is_refused(base, runner):
    """`python -m pytest` puts the folder on sys.path, and pytest imports the ini's `-p student_plugin` (and
    its own json, which a student's json.py would be) before any plugin of ours loads: out of our reach,
    hence `backprop-grader pytest`. The plugin still refuses to grade, before anything is written
    outside; with `-c` a file of the instructor's, the folder on sys.path alone is refused too."""
    folder, markers, outside = pytest_folder(base, runner, "pytest-python-m", shadows=("student_plugin", "conftest"))
    done = runner.run([sys.executable, "-m", "pytest", "--submission=hw4.py", "--grader-device=cpu"], folder)
    assert done.returncode == Exit.USAGE and "Score:" not in done.stdout, done.stdout[-2000:] + done.stderr
    assert_outside_untouched(outside)
    assert not (markers / "conftest").exists()
    (markers / "student_plugin").unlink(missing_ok=True)  # the import pytest makes before us

    ini = runner.home / "instructor.ini"
    ini.write_text("[pytest]\n")
    done = runner.run([sys.executable, "-m", "pytest", "-c", str(ini), "--submission=hw4.py", "--grader-device=cpu",
                       "-p", "no:cacheprovider"], folder)
    assert_none_ran(markers)
    assert_outside_untouched(outside)
    assert done.returncode == Exit.USAGE, done.stdout[-2000:] + done.stderr
    assert "is on sys.path" in done.stderr and "Score:" not in done.stdout


def test_the_safe_pytest_command_keeps_its_own_configuration(capsys):
    """`-c` or `--rootdir` would bring back a configuration of someone's choosing: a usage error."""
    from grader.frontends.pytest_command import run_pytest

    for words in (["-c", "pytest.ini"], ["--rootdir=."], ["--config-file", "x.ini"], ["-cx.ini"]):
        assert run_pytest(["--submission=hw4.py", *words]) == Exit.USAGE
        assert "chooses pytest's configuration file and rootdir itself" in capsys.readouterr().err
    # without --submission the plugin would stay out and pytest collect the current folder's test files
    assert run_pytest(["-q"]) == Exit.USAGE and "give --submission=PATH" in capsys.readouterr().err


def test_only_a_module_found_in_the_working_folder_itself_counts(tmp_path, monkeypatch):
    """A student's json.py (or json/ package) in the working folder counts; a module of a folder below it
    (an instructor's own PYTHONPATH under $HOME, say) does not."""
    monkeypatch.chdir(tmp_path)
    for name, file in (("json", "json.py"), ("csv", "csv/__init__.py"), ("csv.sub", "csv/sub.py"),
                       ("helpers", "lib/helpers.py"), ("tools.x", "lib/tools/x.py")):
        module = type(sys)(name)
        module.__file__ = str(tmp_path / file)
        monkeypatch.setitem(sys.modules, name, module)
    found = {name for name, _ in startup.shadows([], str(tmp_path))}
    assert found == {"json", "csv", "csv.sub"}
