"""The platform adapters: each format validates against its documented shape, the commands write it where
the platform reads it, and nothing a submission prints or writes reaches a platform's result.

The schemas (grader/platforms/schemas/) are written from the platforms' documentation:
- Gradescope: https://gradescope-autograders.readthedocs.io/en/latest/specs/
- Coursera: github.com/coursera/programming-assignments-demo, custom-graders/README.md and v2/README.md
- Autolab: https://docs.autolabproject.com/lab/ ("Writing Autograders")
Grading uses a 3-case rubric to stay fast.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import jsonschema
import pytest

from grader.platforms import autolab, coursera, gradescope, gradescope_zip
from grader.platforms.common import clip, one_line, validate_platform
from grader.judge.results import CaseResult, Report
from grader.judge.results import TestResult as UnitResult  # not collected by pytest
from grader.packs.step_by_step import PACK as _PACK

UNITS = _PACK.units

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
MARKER = "LEAKED-BY-STUDENT-7f3a"
FAKE_AUTORESULT = '{"scores": {"x": 100}}'
SEED = 3


# --- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rubric(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rubric") / "rubric.toml"
    path.write_text("[grading]\ncases = 3\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_grader(rubric):
    from grader.judge.grade import Grader
    from grader.judge.rubric import load_rubric

    with Grader(load_rubric(rubric), seed=SEED, device="cpu") as g:
        yield g


@pytest.fixture(scope="module")
def report_of(small_grader):
    cache: dict = {}

    def grade(path) -> Report:
        if str(path) not in cache:
            cache[str(path)] = small_grader.grade(path)
        return cache[str(path)]

    return grade


def leaky_submission(folder: Path, targets: list[Path]) -> Path:
    """A correct submission whose functions print fake platform results, write to the platform's files and
    to the real stdout/stderr descriptors: none of it may change what the platform reads."""
    source = (SUBMISSIONS / "correct_student.py").read_text(encoding="utf-8")
    source, count = re.subn(r"^(def (?:linear_forward|compute_cost|L_model_backward)\(.*\):\n)", r"\1    _leak()\n",
                            source, flags=re.M)
    assert count == 3
    source += f'''

print({FAKE_AUTORESULT!r})
MARKER = {MARKER!r}
TARGETS = {[str(t) for t in targets]!r}


def _leak():
    import json
    import os
    import sys
    fake = json.dumps({{"score": 1000, "fractionalScore": 1.0, "scores": {{"x": 100}}, "output": MARKER}})
    print({FAKE_AUTORESULT!r})
    print(fake)
    sys.stdout.write("\\n" + {FAKE_AUTORESULT!r} + "\\n")
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.write(MARKER + "\\n" + {FAKE_AUTORESULT!r} + "\\n")
            stream.flush()
        except Exception:
            pass
    for fd in (1, 2):
        try:
            os.write(fd, ("\\n" + MARKER + "\\n" + {FAKE_AUTORESULT!r} + "\\n").encode())
        except Exception:
            pass
    for target in TARGETS:
        try:
            with open(target, "w") as handle:
                handle.write(fake)
        except Exception:
            pass
'''
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "leaky_student.py"
    path.write_text(source, encoding="utf-8")
    return path


def run_cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env={**os.environ, **(env or {})})


def fatal_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "empty_submission"
    folder.mkdir()
    (folder / "notes.txt").write_text("no code here\n", encoding="utf-8")
    return folder


def hand_made_report(feedback: str) -> Report:
    """A report whose feedback carries whatever a student's exception message could carry."""
    test = UnitResult("linear_forward", "linear_forward", 8.0)
    test.cases = [CaseResult(0, "edge", "m = 1", "failed", output=MARKER * 100, output_chars=3000)]
    test.feedback = feedback
    return Report("hand.py", 0, "cpu", {}, 8.0, tests=[test])


# --- the schemas themselves can fail ---------------------------------------------------------------
def test_gradescope_schema_accepts_the_documented_example_and_rejects_mistakes():
    documented = {  # the example of the specification, comments removed
        "score": 44.0, "execution_time": 136, "output": "Text relevant to the entire submission",
        "output_format": "simple_format", "test_output_format": "text", "test_name_format": "text",
        "visibility": "after_due_date", "stdout_visibility": "visible", "extra_data": {},
        "tests": [{"score": 2.0, "max_score": 2.0, "status": "passed", "name": "Your name here", "name_format": "text",
                   "number": "1.1", "output": "Giant multiline string", "output_format": "text",
                   "tags": ["tag1", "tag2", "tag3"], "visibility": "visible", "extra_data": {}}],
        "leaderboard": [{"name": "Accuracy", "value": .926}, {"name": "Time", "value": 15.1, "order": "asc"},
                        {"name": "Stars", "value": "*****"}],
    }
    validate_platform("gradescope", documented)
    validate_platform("gradescope", {"tests": [{"score": 1, "name": "a"}]})  # score on every test instead
    bad = [
        {"tests": [{"name": "no score anywhere"}]},
        {"score": 1, "tests": [{"score": 1, "status": "error"}]},
        {"score": 1, "tests": [{"score": 1, "number": 1}]},
        {"score": 1, "tests": [{"score": 1, "visibility": "students"}]},
        {"score": 1, "output_format": "markdown"},
        {"score": 1, "max_score": 2},  # not a documented top-level key
        {"score": "44"},
    ]
    for data in bad:
        with pytest.raises(jsonschema.ValidationError):
            validate_platform("gradescope", data)


def test_coursera_schema_rejects_what_coursera_autograder_rejects():
    validate_platform("coursera", {"fractionalScore": 0.2, "feedback": "You failed"})
    validate_platform("coursera", {"fractionalScore": 1, "feedback": "", "feedbackType": "HTML"})
    for data in ({"fractionalScore": 1.5, "feedback": ""}, {"fractionalScore": -0.1, "feedback": ""},
                 {"fractionalScore": True, "feedback": ""}, {"fractionalScore": "1", "feedback": ""},
                 {"isCorrect": True, "feedback": ""}, {"fractionalScore": 0.5},
                 {"fractionalScore": 0.5, "feedback": "", "feedbackType": "MARKDOWN"}):
        with pytest.raises(jsonschema.ValidationError):
            validate_platform("coursera", data)


def test_autolab_schema_takes_the_documented_examples():
    validate_platform("autolab", {"scores": {"Prob1": 10, "Prob2": 5}})
    validate_platform("autolab", {"scores": {"Prob1": 10, "Prob2": 5}, "scoreboard": [10, 5, 15]})
    for data in ({"scores": {}}, {"scores": {"Prob1": "10"}}, {"score": {"Prob1": 1}}, {"scores": {"a": 1}, "x": 1}):
        with pytest.raises(jsonschema.ValidationError):
            validate_platform("autolab", data)


# --- the make_* functions on real reports ----------------------------------------------------------
GRADED = ["correct_student.py", "bug_dW_transposed.py", "broken_syntax_error.py", "partial_missing_functions.py",
          "correct_notebook.ipynb"]


@pytest.mark.parametrize("name", GRADED)
def test_every_format_validates_for_graded_submissions(report_of, name):
    report = report_of(SUBMISSIONS / name)
    assert report.status == "graded"

    results = gradescope.make_results(report)
    validate_platform("gradescope", results)
    assert results["score"] == round(report.score, 2)  # scores as people read them: two decimals at most
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) <= 0.005 * len(results["tests"])
    assert [t["name"] for t in results["tests"]] == list(UNITS)
    assert [t["number"] for t in results["tests"]] == [str(i) for i in range(1, len(UNITS) + 1)]
    for test, entry in zip(report.tests, results["tests"]):
        assert entry["status"] == ("passed" if test.status == "passed" else "failed")
        assert (entry["score"], entry["max_score"]) == (round(test.score, 2), round(test.max_score, 2))
        assert entry["output"] == test.feedback and entry["visibility"] == "visible"

    feedback = coursera.make_feedback(report)
    validate_platform("coursera", feedback)
    assert feedback["fractionalScore"] == pytest.approx(report.score / report.max_score)
    assert feedback["feedbackType"] == "HTML"
    ET.fromstring(coursera.make_feedback_html(report))  # well-formed markup

    autoresult = autolab.make_autoresult(report)
    validate_platform("autolab", autoresult)
    assert list(autoresult["scores"]) == list(UNITS)
    assert sum(autoresult["scores"].values()) == pytest.approx(report.score, abs=0.005 * len(UNITS))  # each rounded
    assert autoresult["scoreboard"] == [round(report.score, 2)]
    assert autolab.parse_autoresult(autolab.make_summary(report) + "\n" + autolab.autoresult_line(report)) == autoresult


def test_scores_reflect_the_grading(report_of):
    correct, buggy = report_of(SUBMISSIONS / "correct_student.py"), report_of(SUBMISSIONS / "bug_dW_transposed.py")
    rich = gradescope.make_results(buggy, markdown="## linear_backward\n\n**dW** is transposed")
    validate_platform("gradescope", rich)
    assert rich["output_format"] == "md" and rich["output"].startswith("Score: ") and "**dW**" in rich["output"]
    assert gradescope.make_results(buggy)["output_format"] == "text"
    assert gradescope.make_results(correct)["score"] == correct.max_score
    assert coursera.make_feedback(correct)["fractionalScore"] == 1.0
    failed = {t["name"] for t in gradescope.make_results(buggy)["tests"] if t["status"] == "failed"}
    assert "linear_backward" in failed and "linear_forward" not in failed
    assert autolab.make_autoresult(buggy)["scores"]["linear_backward"] < buggy.test("linear_backward").max_score
    assert 0 < coursera.make_feedback(buggy)["fractionalScore"] < 1


def test_a_submission_that_cannot_be_graded_fails_every_usual_test(report_of, tmp_path):
    report = report_of(fatal_folder(tmp_path))
    assert report.fatal
    results = gradescope.make_results(report)
    validate_platform("gradescope", results)
    assert results["score"] == 0 and [t["name"] for t in results["tests"]] == list(UNITS)
    assert all(t["status"] == "failed" and t["score"] == 0 and "no .py or .ipynb" in t["output"] for t in results["tests"])
    feedback = coursera.make_feedback(report)
    validate_platform("coursera", feedback)
    assert feedback["fractionalScore"] == 0 and "could not be graded" in feedback["feedback"]
    autoresult = autolab.make_autoresult(report)
    validate_platform("autolab", autoresult)
    assert autoresult["scores"] == {unit: 0.0 for unit in UNITS}


def test_grader_faults_have_a_valid_gradescope_result():
    results = gradescope.make_error_results("rubric broken", 3.2)
    validate_platform("gradescope", results)
    assert results["score"] == 0 and results["execution_time"] == 4 and "not in your code" in results["output"]


def test_student_strings_are_escaped_cut_and_never_their_prints():
    hostile = "<script>alert(1)</script>\r\n" + '{"scores": {"x": 100}}\n' + "\x1b[2J" + "y" * 50_000
    report = hand_made_report(hostile)
    html = coursera.make_feedback_html(report)
    assert "<script>" not in html and "&lt;script&gt;" in html
    ET.fromstring(html)
    for data in (gradescope.make_results(report), coursera.make_feedback(report), autolab.make_autoresult(report)):
        text = json.dumps(data)
        assert MARKER not in text and "\\u001b" not in text and "\\r" not in text
    assert len(gradescope.make_results(report)["tests"][0]["output"]) <= gradescope.TEST_OUTPUT_CHARS
    assert len(coursera.make_feedback(report)["feedback"].encode()) <= coursera.FEEDBACK_BYTES
    summary = autolab.make_summary(report)
    assert MARKER not in summary and all(len(line) < 400 for line in summary.splitlines())
    for line in summary.splitlines():  # only the autoresult line may parse as JSON
        with pytest.raises(ValueError):
            json.loads(line)


def test_text_helpers():
    assert clip("abc", 10) == "abc"
    cut = clip("a" * 100, 50)
    assert len(cut) <= 50 and "more characters cut" in cut
    line = one_line("a\nb\r\n\x00c " + "d" * 500, 40)
    assert "\n" not in line and "\r" not in line and len(line) <= 40


# --- the commands, end to end -------------------------------------------------------------------
def test_build_zip_contents(tmp_path, rubric):
    out = tmp_path / "autograder.zip"
    result = run_cli("gradescope", "build-zip", "--out", str(out), "--rubric", str(rubric), "--seed", "41", "--torch", "2.13.0")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        infos = {info.filename: info for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        assert archive.read("rubric.toml") == rubric.read_bytes()
    for name in ("setup.sh", "run_autograder"):  # at the root of the archive, executable
        assert stat.S_IMODE(infos[name].external_attr >> 16) & 0o111
    for name in ("pyproject.toml", "README.md", "grader/__init__.py", "grader/platforms/templates/setup.sh",
                 "grader/platforms/schemas/gradescope.schema.json", "grader/sandbox/zygote.py"):
        assert f"{gradescope_zip.SOURCE_DIR}/{name}" in names
    assert not [n for n in names if "/reference/" in n]  # the answer key never ships (tests/test_answer_key.py)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/tests/" in n]
    assert "torch==$TORCH_VERSION" in setup and 'TORCH_VERSION="2.13.0"' in setup
    assert "--index-url https://download.pytorch.org/whl/cpu" in setup
    assert 'pip install "$SOURCE/backprop-grader"' in setup and "@" not in setup.replace("$@", "")
    assert "gradescope run --root" in run and "--seed 41" in run and "@" not in run
    for script in (setup, run):
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    again = tmp_path / "again.zip"
    gradescope_zip.build_zip(again, 41, rubric, "2.13.0")
    assert again.read_bytes() == out.read_bytes()  # deterministic


def test_build_zip_refuses_a_broken_rubric(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[bogus]\n", encoding="utf-8")
    result = run_cli("gradescope", "build-zip", "--out", str(tmp_path / "a.zip"), "--rubric", str(bad))
    assert result.returncode == 4 and "unknown section" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "a.zip").exists()


@pytest.mark.timeout(180)  # a hang guard only: speed is not a pass/fail criterion on a shared machine
def test_zip_run_autograder_on_a_fake_autograder_tree(tmp_path, rubric, report_of):
    """Unpack the zip as Gradescope does, run its run_autograder; the leaky submission cannot touch the result."""
    root = tmp_path / "autograder"
    (root / "results").mkdir(parents=True)
    results = root / "results" / "results.json"
    gradescope_zip.build_zip(tmp_path / "autograder.zip", SEED, rubric, "2.13.0")
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        archive.extractall(root / "source")
    submission = leaky_submission(root / "submission", [results])
    results.write_text(json.dumps({"score": 1000, "output": MARKER}))  # as a same-uid student could leave it
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable})
    assert done.returncode == 0, done.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    validate_platform("gradescope", data)
    assert MARKER not in results.read_text(encoding="utf-8") and MARKER not in done.stdout
    assert data["score"] == report_of(submission).score == 100.0  # graded with the shipped rubric and seed
    assert data["extra_data"]["seed"] == SEED and all(t["status"] == "passed" for t in data["tests"])
    assert len(data["tests"]) == len(UNITS) and "All 3 cases passed." in data["tests"][0]["output"]


@pytest.mark.timeout(300)  # a hang guard only (two runs)
def test_gradescope_run_writes_a_result_for_hostile_and_broken_setups(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "hostile.py").write_bytes((SUBMISSIONS / "hostile_print_flood.py").read_bytes())
    (root / "source").mkdir()
    (root / "source" / "rubric.toml").write_text("[grading]\ncases = 3\n", encoding="utf-8")
    result = run_cli("gradescope", "run", "--root", str(root), "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) < 2000
    results = root / "results" / "results.json"
    validate_platform("gradescope", json.loads(results.read_text(encoding="utf-8")))
    assert results.stat().st_size < 50_000

    (root / "source" / "rubric.toml").write_text("[bogus]\n", encoding="utf-8")  # the course's mistake, not the student's
    result = run_cli("gradescope", "run", "--root", str(root), "--device", "cpu")
    assert result.returncode == 4 and "Traceback" not in result.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    validate_platform("gradescope", data)
    assert data["score"] == 0 and "course's side" in data["output"]


def test_coursera_run_on_a_fake_shared_folder(tmp_path, rubric):
    shared = tmp_path / "shared"
    leaky_submission(shared / "submission", [shared / "feedback.json", shared / "htmlFeedback.html"])
    for name in ("feedback.json", "htmlFeedback.html"):  # as a same-uid student could leave them
        (shared / name).write_text(json.dumps({"fractionalScore": 1.0, "feedback": MARKER}))
    result = run_cli("coursera", "run", "--shared", str(shared), "--rubric", str(rubric), "--seed", str(SEED))
    assert result.returncode == 0, result.stderr
    feedback = json.loads((shared / "feedback.json").read_text(encoding="utf-8"))
    validate_platform("coursera", feedback)
    assert feedback == {"fractionalScore": 1.0, "feedback": feedback["feedback"], "feedbackType": "HTML"}
    html = (shared / "htmlFeedback.html").read_text(encoding="utf-8")
    ET.fromstring(html)
    assert "Score: 100 / 100" in html
    lines = result.stdout.splitlines()  # Coursera's older graders read exactly one JSON object from stdout
    assert len(lines) == 1 and json.loads(lines[0]) == feedback
    for text in (result.stdout, result.stderr, html, json.dumps(feedback)):
        assert MARKER not in text


def test_coursera_run_without_a_submission_folder_is_a_grader_error(tmp_path):
    result = run_cli("coursera", "run", "--shared", str(tmp_path))
    assert result.returncode == 4 and "no submission folder" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "feedback.json").exists()


def test_autolab_last_line_is_ours(tmp_path, rubric):
    path = leaky_submission(tmp_path / "handin", [tmp_path / "handin" / "results.json"])
    result = run_cli("autolab", "run", str(path), "--rubric", str(rubric), "--seed", str(SEED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n") and not result.stdout.endswith("\n\n")
    autoresult = autolab.parse_autoresult(result.stdout)
    validate_platform("autolab", autoresult)
    assert list(autoresult["scores"]) == list(UNITS) and "x" not in autoresult["scores"]
    assert autoresult["scoreboard"] == [100.0]
    assert MARKER not in result.stdout + result.stderr
    assert result.stdout.count('"scores"') == 1


@pytest.mark.timeout(180)  # a hang guard only: a flood must not stall the run
def test_autolab_print_flood_is_small(rubric):
    result = run_cli("autolab", "run", str(SUBMISSIONS / "hostile_print_flood.py"), "--rubric", str(rubric),
                     "--no-scoreboard")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) < 5000 and len(result.stderr) < 5000
    autoresult = autolab.parse_autoresult(result.stdout)
    validate_platform("autolab", autoresult)
    assert "scoreboard" not in autoresult and list(autoresult["scores"]) == list(UNITS)


def test_autolab_missing_handin_prints_no_autoresult(tmp_path):
    result = run_cli("autolab", "run", str(tmp_path / "nothing.py"))
    assert result.returncode == 4 and "no such submission" in result.stderr
    assert '"scores"' not in result.stdout  # no zeros recorded for the course's own mistake


# --- the container image (no Docker engine in the test environment: the Dockerfile is checked as text) ---
def test_dockerfile_builds_a_cpu_image_of_this_project():
    import fnmatch
    import importlib.metadata
    import shlex

    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if raw.strip().startswith("#") or not raw.strip():
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    instructions = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]
    assert instructions[0][0] == "FROM" and re.match(r"python:3\.1[1-9]", instructions[0][1])
    args = dict(value.split("=", 1) for kind, value in instructions if kind == "ARG")
    assert args["TORCH_VERSION"] == importlib.metadata.version("torch").split("+")[0]
    runs = [value for kind, value in instructions if kind == "RUN"]
    torch_run = next(i for i, run in enumerate(runs) if "torch==${TORCH_VERSION}" in run)
    assert "--index-url https://download.pytorch.org/whl/cpu" in runs[torch_run]
    project_run = next(i for i, run in enumerate(runs) if "pip install ." in run)
    assert torch_run < project_run  # CPU torch first: nothing later pulls a CUDA build
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    copied = [src for kind, value in instructions if kind == "COPY" for src in shlex.split(value)[:-1]]
    assert set(copied) == {"pyproject.toml", "README.md", "grader"}
    for src in copied:
        assert (ROOT / src).exists() and not any(fnmatch.fnmatch(src, pattern) for pattern in ignored)
    entry = json.loads(next(value for kind, value in instructions if kind == "ENTRYPOINT"))
    assert entry == ["backprop-grader"]  # the console script: the working folder (/work) never on sys.path
