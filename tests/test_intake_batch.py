"""Issue 20, the batch's side: every entry of a class folder gets a report and a row, whatever it is; a
hostile entry costs only its own row; an archive of the class is graded as its folder; grading late files
into a results folder keeps the class; a resumed --assignment auto batch regrades nothing.

One batch (`class_batch`, module scope) holds every attack beside honest submissions, and the tests read
what it left: the rows, the reports, the exit status, and what is (not) outside.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.load import intake
from grader.exits import Exit

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
CORRECT, BUGGY = SUBMISSIONS / "correct_student.py", SUBMISSIONS / "bug_cost_sign.py"
CONV = SUBMISSIONS / "conv_correct_vectorized.py"
SECRET = "TOP-SECRET-ANSWER-KEY-51c2"

pytestmark = pytest.mark.timeout(600)  # a hang guard: the batch once hung on a FIFO


def grade(argv: list[str]) -> int:
    from grader.frontends.batch import grade_paths
    from grader.frontends.cli import build_parser

    return grade_paths(build_parser().parse_args(["grade", *argv]))


def rows(out: Path) -> dict[str, dict]:
    return {r["submission"]: r for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}


def report_ids(out: Path) -> dict[str, int]:
    """Each report's inode: a report written again (atomically, by rename) gets a new one."""
    return {p.stem: p.stat().st_ino for p in out.glob("*.json")}


def without(report: dict, *keys: str) -> dict:
    """A report without its timings and the named top-level keys (what two gradings may differ in)."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "seconds"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip({k: v for k, v in report.items() if k not in keys})


@pytest.fixture(scope="module")
def rubric(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rubric") / "rubric.toml"
    path.write_text("[grading]\ncases = 2\n", encoding="utf-8")
    return path


def _notebook(path: Path, source) -> None:
    nb = json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CORRECT.read_text(encoding="utf-8"))])))
    nb["cells"].append(dict(nb["cells"][0], id="bad", source=source))
    path.write_text(json.dumps(nb), encoding="utf-8")


def build_class(base: Path) -> tuple[Path, Path]:
    """A class folder: honest submissions and every kind of entry a batch once skipped or died on."""
    folder, outside = base / "class", base / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "answer_key.py").write_text(f"ANSWER = {SECRET!r}\n", encoding="utf-8")
    shutil.copy(CORRECT, folder / "alice.py")
    shutil.copy(BUGGY, folder / "bob.py")
    shutil.copy(CORRECT, folder / "Upper.PY")
    (folder / "bom.py").write_bytes(b"\xef\xbb\xbf" + CORRECT.read_bytes())
    (folder / "notes.txt").write_text("my notes\n", encoding="utf-8")
    os.mkfifo(folder / "pipe.py")
    (folder / "zero.py").symlink_to("/dev/zero")
    (folder / "loop.py").symlink_to(folder / "loop.py")
    (folder / "key.py").symlink_to(outside / "answer_key.py")
    _notebook(folder / "intcell.ipynb", 42)
    _notebook(folder / "surrogate.ipynb", "x = '\ud800'\n")
    fifo = folder / "fifo_folder"
    fifo.mkdir()
    shutil.copy(CORRECT, fifo / "solution.py")
    os.mkfifo(fifo / "pipe")
    (fifo / "zero").symlink_to("/dev/zero")
    sparse = folder / "sparse_folder"
    sparse.mkdir()
    shutil.copy(CORRECT, sparse / "solution.py")
    (sparse / "data.bin").touch()
    os.truncate(sparse / "data.bin", 3 * 1024 ** 3)
    with zipfile.ZipFile(folder / "lms.zip", "w", zipfile.ZIP_DEFLATED) as z:  # an LMS's "download all"
        z.write(CORRECT, "carol.py")
        z.writestr("dave/solution.py", BUGGY.read_bytes())
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("erin.py", b"#" * (40 * intake.MiB))
    with zipfile.ZipFile(folder / "slip.zip", "w") as z:
        z.writestr("../../escaped.py", CORRECT.read_bytes())
    with tarfile.open(folder / "links.tgz", "w:gz") as tar:
        link = tarfile.TarInfo("frank.py")
        link.type, link.linkname = tarfile.SYMTYPE, str(outside / "answer_key.py")
        tar.addfile(link)
    return folder, outside


EXPECTED = {  # entry -> (status, what its row's problem says), for every entry of the class folder
    "notes": ("error", "not a submission (.txt)"),
    "pipe": ("error", "a FIFO"),
    "zero": ("error", "a link to a device"),
    "loop": ("error", "a link loop"),
    "key": ("error", "symbolic link"),
    "intcell": ("error", "the source of cell 2 is int, not text"),
    "surrogate": ("error", "a lone surrogate"),
    "sparse_folder": ("error", "over the limit of 16.0 MB for one file"),
    "bomb": ("error", f"more than {intake.LIMITS.ratio} times its size"),
    "slip": ("error", "leaves its folder"),
    "links": ("error", "holds a link"),
}
GRADED = ("alice", "bob", "Upper", "bom", "fifo_folder", "carol", "dave")


@pytest.fixture(scope="module")
def class_batch(tmp_path_factory, rubric):
    base = tmp_path_factory.mktemp("class")
    folder, outside = build_class(base)
    out = base / "results"
    scratch = set(Path(tempfile.gettempdir()).glob("grader-archives-*"))
    code = grade([str(folder), "--out", str(out), "--rubric", str(rubric), "--seed", "4", "-j", "2",
                  "--device", "cpu", "--no-progress"])
    left = set(Path(tempfile.gettempdir()).glob("grader-archives-*")) - scratch  # the unpacked archives
    alone = base / "alone"  # the honest ones, graded alone: the same reports
    grade([str(folder / "alice.py"), str(folder / "bob.py"), "--out", str(alone), "--rubric", str(rubric), "--seed", "4",
           "-j", "1", "--device", "cpu", "--no-progress"])
    return folder, outside, out, alone, code, left


def test_every_entry_has_a_row_and_a_report_saying_why(class_batch):
    _, _, out, _, code, _ = class_batch
    found = rows(out)
    assert set(found) == set(EXPECTED) | set(GRADED)
    for name, (status, said) in EXPECTED.items():
        assert found[name]["status"] == status and said in found[name]["problem"], (name, found[name]["problem"])
        report = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert report["feedback"].startswith("This submission could not be graded")
    assert code == Exit.NOT_GRADED  # the student's, never 3 ("the grader failed")


def test_the_honest_submissions_are_graded_as_if_alone(class_batch):
    _, _, out, alone, _, _ = class_batch
    for name in ("alice", "bob"):
        with_attacks = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        by_itself = json.loads((alone / f"{name}.json").read_text(encoding="utf-8"))
        assert without(with_attacks, "sandbox") == without(by_itself, "sandbox")
    alice = json.loads((out / "alice.json").read_text(encoding="utf-8"))
    assert alice["score"] == alice["max_score"] > 0
    for name in ("Upper", "bom", "fifo_folder", "carol"):  # a .PY, a BOM, a FIFO beside it, in an archive: alice's score
        report = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert [(t["function"], t["score"]) for t in report["tests"]] == [(t["function"], t["score"]) for t in alice["tests"]], name


def test_nothing_outside_was_read_or_written(class_batch):
    folder, outside, out, _, _, left = class_batch
    assert not left  # the private folder the archives were unpacked into is gone
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file())
    assert SECRET not in text
    assert not list(folder.parent.rglob("escaped.py")) and not (folder.parent.parent / "escaped.py").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["answer_key.py"]


def test_an_archive_entry_is_named_by_the_archive_and_resumes(class_batch, rubric):
    folder, _, out, _, _, _ = class_batch
    found = rows(out)
    assert found["carol"]["path"] == str(folder / "lms.zip" / "carol.py")
    assert found["dave"]["path"] == str(folder / "lms.zip" / "dave")
    before = report_ids(out)
    assert grade([str(folder), "--out", str(out), "--rubric", str(rubric), "--seed", "4", "-j", "2", "--device", "cpu",
                  "--no-progress"]) == Exit.NOT_GRADED
    again = {name for name, inode in report_ids(out).items() if before.get(name) != inode}
    assert again <= {"sparse_folder", "bomb", "slip", "links"}  # only what cannot be read (no digest) is reported again
    assert {"alice", "carol", "dave", "fifo_folder", "pipe", "loop"}.isdisjoint(again)


# --- a partial regrade ---------------------------------------------------------------------------------
def test_a_late_file_graded_into_the_class_folder_keeps_the_class(tmp_path, rubric, capsys):
    folder, late = tmp_path / "class", tmp_path / "late"
    folder.mkdir()
    late.mkdir()
    shutil.copy(CORRECT, folder / "alice.py")
    shutil.copy(BUGGY, folder / "bob.py")
    shutil.copy(CORRECT, late / "carol.py")
    out = tmp_path / "results"
    common = ["--out", str(out), "--rubric", str(rubric), "--seed", "6", "-j", "1", "--device", "cpu", "--no-progress"]
    grade([str(folder), *common])
    grade([str(late / "carol.py"), *common])
    assert set(rows(out)) == {"alice", "bob", "carol"}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(name in index for name in ("alice", "bob", "carol"))
    other = tmp_path / "other.toml"
    other.write_text("[grading]\ncases = 3\n", encoding="utf-8")
    shutil.copy(BUGGY, late / "dora.py")
    grade([str(late / "dora.py"), "--out", str(out), "--rubric", str(other), "--seed", "6", "-j", "1", "--device", "cpu",
           "--no-progress"])
    said = capsys.readouterr().out
    assert set(rows(out)) == {"dora"} and "3 reports of another rubric" in said
    grade([str(late / "carol.py"), *common])
    said = capsys.readouterr().out
    assert set(rows(out)) == {"alice", "bob", "carol"} and "1 report of another rubric" in said
    assert (out / "dora.json").exists()  # left out of the summaries, never deleted


# --- a resumed --assignment auto batch ---------------------------------------------------------------
def test_a_resumed_auto_batch_keeps_the_second_assignments_reports(tmp_path, rubric):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "alice.py")
    shutil.copy(CONV, folder / "conv.py")
    _notebook(folder / "intcell.ipynb", 7)  # once killed an auto batch before anything was graded
    out = tmp_path / "results"
    argv = [str(folder), "--out", str(out), "--rubric", str(rubric), "--seed", "2", "--assignment", "auto", "-j", "1",
            "--device", "cpu", "--no-progress"]
    assert grade(argv) == Exit.NOT_GRADED
    reports = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}
    assert reports["conv"]["assignment"] == "conv_step_by_step" and reports["alice"]["assignment"] == "step_by_step"
    assert reports["conv"]["score"] == reports["conv"]["max_score"] > 0
    before = report_ids(out)
    assert grade(argv) == Exit.NOT_GRADED
    assert report_ids(out) == before  # nothing graded again, the conv submission included


# --- as a normal user (the red team's unprivileged runs) --------------------------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to a uid of its own")
def test_an_unprivileged_grader_is_not_stopped_by_a_fifo_or_dev_zero(rubric):
    """The batch run as a uid no account has (tests/redteam/run_grade.py drops to it), on a class holding a
    FIFO, a link to /dev/zero and a folder nested 40 deep beside honest work: it ends in time, leaves no
    process, gives every entry a row, and exits 2."""
    import subprocess
    import sys
    import tempfile

    from tests.redteam.campaign import interpreter_hiding

    uid = 61990
    base = Path(tempfile.mkdtemp(prefix="intake-nobody-", dir="/tmp"))  # pytest's tmp_path is closed to other uids
    try:
        folder, log = base / "class", base / "log"
        folder.mkdir()
        log.mkdir()
        shutil.copy(CORRECT, folder / "alice.py")
        os.mkfifo(folder / "pipe.py")
        (folder / "zero.py").symlink_to("/dev/zero")
        (folder / "deep" / "/".join(["d"] * 40)).mkdir(parents=True)
        shutil.copy(CORRECT, folder / "deep" / "solution.py")
        shutil.copy(rubric, base / "rubric.toml")
        (base / "home").mkdir()
        for path in [base, *base.rglob("*")]:
            os.lchown(path, uid, uid)
        base.chmod(0o755)
        command = [sys.executable, str(ROOT / "tests" / "redteam" / "run_grade.py"), str(log / "result.json"),
                   "--timeout", "300", "--stdout", str(log / "stdout"), "--stderr", str(log / "stderr"), "--uid", str(uid)]
        hiding = interpreter_hiding()
        if hiding:
            (log / "stash").mkdir()
            command += ["--hide", hiding[0], "--stash", str(log / "stash")] + [a for keep in hiding[1] for a in ("--keep", keep)]
        command += ["--", sys.executable, "-m", "grader", "grade", str(folder), "--out", str(base / "out"), "-j", "1",
                    "--seed", "0", "--device", "cpu", "--no-progress", "--rubric", str(base / "rubric.toml")]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(base / "home"),
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        subprocess.run(command, cwd=ROOT, env=env, timeout=400, check=False)
        result = json.loads((log / "result.json").read_text(encoding="utf-8"))
        stderr = (log / "stderr").read_text(encoding="utf-8", errors="replace")
        if result.get("setup_error") or "--allow-weak-sandbox" in stderr:
            pytest.skip(f"cannot grade as an unprivileged uid here: {result.get('setup_error') or stderr[-300:]}")
        assert not result["timed_out"] and result["survivors"] == [], result
        assert result["rc"] == Exit.NOT_GRADED, stderr[-2000:]
        found = rows(base / "out")
        assert set(found) == {"alice", "pipe", "zero", "deep"}
        assert found["alice"]["score"] == found["alice"]["max_score"]
        assert "a FIFO" in found["pipe"]["problem"] and "a link to a device" in found["zero"]["problem"]
        assert "nested more than 32 deep" in found["deep"]["problem"]
    finally:
        shutil.rmtree(base, ignore_errors=True)
