"""results/gradebook.csv: read back with csv.DictReader as an LMS would, its columns and values are those
of the batch's own reports; a roster's identifier columns replace the default ones; a bad roster is a
usage error before anything is graded; a student's file name never becomes a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from grader import packs
from grader.frontends.cli import main
from grader.exits import Exit
from grader.safe_text import csv_cell
from grader.report.gradebook import CANVAS_IDENTIFIERS, GRADEBOOK_NAME, Roster, gradebook_csv, read_roster

ROOT = Path(__file__).resolve().parents[1]
SMALL = "[grading]\ncases = 2\n\n[limits]\ncase_seconds = 1\nload_seconds = 1\nfunction_seconds = 4\n"
FORMULA = "=HYPERLINK(1)"


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    """Grade once through the CLI: a correct, a buggy, one of the other assignment (ungradable by the
    default pack), an empty folder, and a file whose name a spreadsheet would run as a formula."""
    here = tmp_path_factory.mktemp("gradebook")
    folder = here / "class"
    folder.mkdir()
    for name in ("correct_student.py", "bug_dAL_sign.py", "conv_correct_vectorized.py"):
        shutil.copy(ROOT / "submissions" / name, folder / name)
    shutil.copy(ROOT / "submissions" / "bug_cost_sign.py", folder / "-2-3.py")  # a name is kept to [\w.-]: '-' may start it
    (folder / "empty_folder").mkdir()
    rubric = here / "small.toml"
    rubric.write_text(SMALL, encoding="utf-8")
    roster = here / "roster.csv"
    roster.write_text("\ufeffsubmission,Student,SIS Login ID,Email address\n"
                      "correct_student,\"Doe, Jane\",jdoe,jane@example.edu\n"
                      "BUG_DAL_SIGN,Roe,rroe,rroe@example.edu\n"
                      "absent,Nobody,nob,nobody@example.edu\n"
                      f"-2-3,{FORMULA},@SUM(A1),+A1+B1\n", encoding="utf-8")
    out, with_roster = here / "results", here / "with-roster"
    common = ["--rubric", str(rubric), "--seed", "11", "--device", "cpu", "--no-progress", "-j", "2"]
    assert main(["grade", str(folder), "--out", str(out), *common]) == Exit.NOT_GRADED
    assert main(["grade", str(folder), "--out", str(with_roster), "--roster", str(roster), *common]) == Exit.NOT_GRADED
    reports = {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in out.glob("*.json")}
    return {"out": out, "roster": with_roster, "reports": reports}


def read(path: Path) -> tuple[list[str], list[dict]]:
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames), list(reader)


def test_the_gradebook_has_a_row_per_submission_with_its_scores(batch):
    header, rows = read(batch["out"] / GRADEBOOK_NAME)
    units = packs.get(packs.DEFAULT).units
    assert header == [*CANVAS_IDENTIFIERS, "step_by_step: total", *(f"step_by_step: {u}" for u in units)]
    by_name = {row["SIS Login ID"].removeprefix("'"): row for row in rows}  # '-2-3 is defused (see below)
    assert set(by_name) == set(batch["reports"]) and len(rows) == len(batch["reports"])
    for name, report in batch["reports"].items():
        row = by_name[name]
        assert row["Student"] == row["SIS Login ID"] == csv_cell(name) and row["ID"] == row["SIS User ID"] == row["Section"] == ""
        assert float(row["step_by_step: total"]) == pytest.approx(report["score"])
        scores = {t["function"]: t["score"] for t in report["tests"]}
        for unit in units:
            assert float(row[f"step_by_step: {unit}"]) == pytest.approx(scores.get(unit, 0.0)), (name, unit)
    assert float(by_name["correct_student"]["step_by_step: total"]) == 100
    assert 0 < float(by_name["bug_dAL_sign"]["step_by_step: total"]) < 100


def test_the_ungradable_get_zero_and_no_reason(batch):
    _, rows = read(batch["out"] / GRADEBOOK_NAME)
    by_name = {row["SIS Login ID"]: row for row in rows}
    for name in ("conv_correct_vectorized", "empty_folder"):
        assert batch["reports"][name]["status"] == "error"
        assert {k: v for k, v in by_name[name].items() if k.startswith("step_by_step")} == \
            {k: "0.0" for k in by_name[name] if k.startswith("step_by_step")}
    text = (batch["out"] / GRADEBOOK_NAME).read_text(encoding="utf-8")
    assert "could not be graded" not in text and "none of the graded functions" not in text  # the reason stays in summary.csv
    assert "none of the graded functions" in (batch["out"] / "summary.csv").read_text(encoding="utf-8")


def test_a_name_a_spreadsheet_would_run_stays_text(batch):
    _, rows = read(batch["out"] / GRADEBOOK_NAME)
    names = [row["Student"] for row in rows]
    risky = [n for n in names if n.lstrip("'").startswith(("-", "+", "="))]
    assert risky == ["'-2-3"], names  # csv_cell's apostrophe: a spreadsheet shows it as text, not as -5
    _, rows = read(batch["roster"] / GRADEBOOK_NAME)
    row = rows[-1]  # a roster's cells are defused too
    assert (row["Student"], row["SIS Login ID"], row["Email address"]) == ("'" + FORMULA, "'@SUM(A1)", "'+A1+B1")
    assert float(row["step_by_step: total"]) == pytest.approx(batch["reports"]["-2-3"]["score"])


def test_a_roster_gives_the_lms_identifiers_in_its_order(batch, capsys):
    header, rows = read(batch["roster"] / GRADEBOOK_NAME)
    assert header[:3] == ["Student", "SIS Login ID", "Email address"] and header[3] == "step_by_step: total"
    assert [row["SIS Login ID"] for row in rows] == ["jdoe", "rroe", "nob", "'@SUM(A1)"]  # the roster's rows, in its order
    jane, roe, absent, _ = rows
    assert jane["Student"] == "Doe, Jane" and jane["Email address"] == "jane@example.edu"
    assert float(jane["step_by_step: total"]) == 100
    assert float(roe["step_by_step: total"]) == pytest.approx(batch["reports"]["bug_dAL_sign"]["score"])  # matched ignoring case
    assert all(absent[k] == "" for k in header[3:])  # no submission: empty cells, the LMS keeps what it had
    assert "submission" not in header


def test_a_roster_that_lacks_a_submission_is_said_on_stderr(tmp_path, capsys):
    from grader.report.gradebook import write_gradebook

    class Item:
        def __init__(self, name):
            self.name, self.path = name, Path(f"/class/{name}.py")

    report = {"status": "graded", "score": 5.0, "max_score": 100.0, "assignment": "step_by_step", "feedback": "",
              "tests": [{"function": "compute_cost", "score": 5.0}]}
    roster = Roster("r.csv", ("Email address",), (("alice", {"Email address": "a@x"}),))
    written = {}
    write_gradebook(tmp_path, [(Item("alice"), report), (Item("mallory"), report)], roster, lambda p, t: written.update({p: t}))
    assert "1 submission(s) not in the roster r.csv" in capsys.readouterr().err and "mallory" not in written[tmp_path / GRADEBOOK_NAME]


def test_a_grader_fault_leaves_the_cells_empty():
    from grader.exits import GRADER_FAULT

    class Item:
        name, path = "bob", Path("/class/bob.py")

    fault = {"status": "error", "score": 0.0, "max_score": 100.0, "assignment": "step_by_step",
             "feedback": f"{GRADER_FAULT} (boom)", "tests": []}
    text, _ = gradebook_csv([(Item(), fault)])
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["step_by_step: total"] == "" and row["Student"] == "bob"


def test_a_mixed_batch_gets_a_total_per_assignment():
    class Item:
        def __init__(self, name):
            self.name, self.path = name, Path(f"/class/{name}.py")

    step = {"status": "graded", "score": 40.0, "max_score": 100.0, "assignment": "step_by_step", "feedback": "", "tests": []}
    conv = {"status": "graded", "score": 60.0, "max_score": 100.0, "assignment": "conv_step_by_step", "feedback": "", "tests": []}
    text, _ = gradebook_csv([(Item("a"), step), (Item("b"), conv)])
    a, b = csv.DictReader(io.StringIO(text))
    assert a["step_by_step: total"] == "40.0" and a["conv_step_by_step: total"] == ""
    assert b["conv_step_by_step: total"] == "60.0" and b["step_by_step: total"] == ""


@pytest.mark.parametrize("text, said", [
    ("name,email\nalice,a@x\n", "needs a 'submission' column"),
    ("submission\nalice\n", "needs identifier columns"),
    ("submission,email,email\nalice,a,b\n", "distinct"),
    ("submission,email\nalice,a\nAlice,b\n", "line 3: submission 'Alice' is listed twice"),
])
def test_a_bad_roster_is_a_usage_error_before_grading(tmp_path, text, said, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(text, encoding="utf-8")
    out = tmp_path / "results"
    try:
        code = main(["grade", str(ROOT / "submissions" / "correct_student.py"), "--out", str(out), "--roster", str(roster)])
    except SystemExit as stop:
        code = stop.code
    err = capsys.readouterr().err
    assert code == Exit.USAGE and said in err.splitlines()[-1] and "Traceback" not in err
    assert not out.exists()  # refused before anything was graded


def test_read_roster_keeps_the_rosters_cells():
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "r.csv")
        path.write_text("submission, Email address \nalice , a@x.edu \n\n,skipped\n", encoding="utf-8")
        roster = read_roster(path)
    assert roster.columns == ("Email address",) and roster.rows == (("alice", {"Email address": "a@x.edu"}),)
    assert roster.find(["ALICE"]) == {"Email address": "a@x.edu"} and roster.find(["bob"]) is None
