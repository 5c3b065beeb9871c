"""Issue 20: a submission's bytes are read under limits before anything else (grader/load/intake.py).

Each attack is a submission (or an entry of a class folder) built to stop, exhaust or fool the grader: a
FIFO, links to /dev/zero, out of the submission and to themselves, a 3 GB sparse file, folders nested
1,500 deep, 6,000 empty files, archives that bomb, slip out or carry links, notebooks whose cells are not
text, code nested past the parser. Each test proves what was contained: the call returns (a hang guard,
not a timed assert), nothing outside was read or written, the failure is the student's ("could not be
graded", exit 2, never 3), and the honest code beside it is graded as if alone.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.load import intake
from grader.frontends.batch import submission_digest
from grader.frontends.cli import main
from grader.exits import Exit
from grader.load.loader import load_submission

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
CORRECT = SUBMISSIONS / "correct_student.py"
SECRET = "TOP-SECRET-ANSWER-KEY-7f3a"

pytestmark = pytest.mark.timeout(120)  # a hang guard: a FIFO opened, /dev/zero read, would stop here


@pytest.fixture(scope="module")
def rubric(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rubric") / "small.toml"
    path.write_text("[grading]\ncases = 2\n", encoding="utf-8")
    return path


def common(rubric: Path, *more: str) -> list[str]:
    return ["--rubric", str(rubric), "--device", "cpu", *more]


def notebook(path: Path, *sources) -> Path:
    """A notebook of code cells whose sources are given as they are (any JSON value)."""
    nb = json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])))
    template = nb["cells"][0]
    nb["cells"] = [dict(template, id=f"c{k}", source=source) for k, source in enumerate(sources)]
    path.write_text(json.dumps(nb), encoding="utf-8")  # json escapes a lone surrogate as \\udXXX
    return path


def secret_outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    key = outside / "answer_key.py"
    key.write_text(f"ANSWER = {SECRET!r}\n", encoding="utf-8")
    return key


# --- the folder walk --------------------------------------------------------------------------------
def test_a_fifo_in_a_folder_is_never_opened_and_the_code_beside_it_is_graded(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "solution.py")
    os.mkfifo(folder / "pipe")  # an open() for reading would wait for a writer forever
    sub = load_submission(folder)
    assert sub.fatal is None and len(sub.defined) == len(load_submission(CORRECT).defined)
    assert any("pipe (a FIFO)" in p.message for p in sub.problems)
    assert submission_digest(folder).startswith("sha256:")  # the digest does not open it either
    with pytest.raises(OSError):  # no reader holds it open now (ENXIO): the grader never opened it
        os.close(os.open(folder / "pipe", os.O_WRONLY | os.O_NONBLOCK))


def test_a_link_to_dev_zero_and_a_link_out_of_the_submission_are_never_followed(tmp_path):
    key = secret_outside(tmp_path)
    folder = tmp_path / "bob"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "solution.py")
    (folder / "zero.py").symlink_to("/dev/zero")
    (folder / "key.py").symlink_to(key)
    sub = load_submission(folder)
    assert sub.fatal is None and sub.source_file == folder / "solution.py"
    assert all(SECRET not in text for _, text in sub.texts)
    notes = " ".join(p.message for p in sub.problems)
    assert "zero.py (a link to a device)" in notes and "key.py (a link to a file)" in notes
    before = submission_digest(folder)
    key.write_text("ANSWER = 'changed'\n", encoding="utf-8")
    assert submission_digest(folder) == before  # the outside file's bytes never entered the digest


def test_a_link_given_as_the_submission_is_refused_and_a_link_loop_is_the_students(tmp_path):
    key = secret_outside(tmp_path)
    (tmp_path / "linked.py").symlink_to(key)
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    linked, loop = load_submission(tmp_path / "linked.py"), load_submission(tmp_path / "loop.py")
    assert "symbolic link" in linked.fatal and not linked.texts
    folder = tmp_path / "only_a_link"
    folder.mkdir()
    (folder / "solution.py").symlink_to(key)
    inside = load_submission(folder)
    assert inside.fatal == ("the submission folder holds no .py or .ipynb file (solution.py is a link to a file, "
                            "never followed: submit the file itself)") and not inside.texts
    assert "a link loop" in loop.fatal
    assert intake.what(tmp_path / "loop.py") == "a link loop"


def test_a_3_gb_sparse_file_is_refused_by_its_size_before_a_byte_is_read(tmp_path):
    folder = tmp_path / "carol"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "solution.py")
    (folder / "data.bin").touch()
    os.truncate(folder / "data.bin", 3 * 1024 ** 3)
    sub = load_submission(folder)
    assert "data.bin is 3.0 GB, over the limit of 16.0 MB for one file" == sub.fatal
    assert submission_digest(folder) == ""  # never resumed: graded (refused) again each run
    (folder / "solution.py").unlink()
    os.rename(folder / "data.bin", folder / "solution.py")  # the same, as the one code file
    assert "over the limit" in load_submission(folder / "solution.py").fatal


def _unnest(folder: Path) -> None:
    """Take a chain of folders "d/d/d/..." down one level at a time (shutil.rmtree, pytest's too, recurses)."""
    while (folder / "d").is_dir():
        if (folder / "d" / "d").is_dir():
            os.rename(folder / "d" / "d", folder / "e")
        os.rmdir(folder / "d")
        if (folder / "e").is_dir():
            os.rename(folder / "e", folder / "d")


def test_folders_nested_1500_deep_are_refused_without_a_recursion(tmp_path):
    folder = tmp_path / "dave"
    folder.mkdir()
    fd = os.open(folder, os.O_RDONLY)
    for _ in range(1500):  # by folder descriptor: the whole path would pass PATH_MAX
        os.mkdir("d", dir_fd=fd)
        fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
    os.close(fd)
    shutil.copy(CORRECT, folder / "solution.py")
    try:
        sub = load_submission(folder)
        assert sub.fatal == f"the submission's folders are nested more than {intake.LIMITS.depth} deep, the limit"
        assert submission_digest(folder) == ""
    finally:
        _unnest(folder)


def test_6000_empty_files_are_refused_by_the_entry_count(tmp_path):
    folder = tmp_path / "erin"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "solution.py")
    for k in range(6000):
        (folder / f"f{k}").touch()
    assert load_submission(folder).fatal == f"the submission holds more than {intake.LIMITS.entries:,} files and folders, the limit"


def test_a_fifo_swapped_in_after_the_walk_is_refused_by_fstat(tmp_path):
    folder = tmp_path / "frank"
    folder.mkdir()
    (folder / "solution.py").write_text("x = 1\n", encoding="utf-8")
    tree = intake.survey(folder)
    (folder / "solution.py").unlink()
    os.mkfifo(folder / "solution.py")  # O_NONBLOCK: the open returns; fstat: not a regular file
    with pytest.raises(intake.Refused, match="a FIFO, not a file"):
        tree.read("solution.py")


# --- archives -------------------------------------------------------------------------------------
def test_a_zip_bomb_is_refused_by_its_ratio_and_nothing_is_written(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("alice.py", b"\0" * (40 * intake.MiB))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(intake.Refused, match=f"more than {intake.LIMITS.ratio} times its size"):
        intake.unpack(bomb, dest)
    assert not any(dest.iterdir())


def test_a_zip_slip_member_is_refused_and_nothing_lands_outside(tmp_path):
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as z:
        z.writestr("alice.py", "x = 1\n")
        z.writestr("../escaped.py", "x = 1\n")
    dest = tmp_path / "box" / "dest"
    dest.mkdir(parents=True)
    with pytest.raises(intake.Refused, match="leaves its folder"):
        intake.unpack(slip, dest)
    assert not (tmp_path / "box" / "escaped.py").exists() and not any(dest.iterdir())


def _tar(path: Path, members: list[tarfile.TarInfo], data: bytes = b"x = 1\n") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


def test_a_tar_with_a_symlink_member_is_refused_and_no_link_is_made(tmp_path):
    good = tarfile.TarInfo("alice.py")
    good.size = 6
    link = tarfile.TarInfo("key.py")
    link.type, link.linkname = tarfile.SYMTYPE, str(secret_outside(tmp_path))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(intake.Refused, match="a link"):
        intake.unpack(_tar(tmp_path / "evil.tgz", [good, link]), dest)
    assert not os.path.lexists(dest / "key.py")


def test_a_tar_with_an_absolute_path_is_refused_and_nothing_is_written_there(tmp_path):
    target = tmp_path / "absolute_written.py"
    member = tarfile.TarInfo(str(target))
    member.size = 6
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(intake.Refused, match="absolute path"):
        intake.unpack(_tar(tmp_path / "abs.tar.gz", [member]), dest)
    assert not target.exists() and not any(dest.rglob("*"))


def test_a_class_archive_unpacks_its_entries(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(CORRECT, "alice.py")
        z.writestr("bob/solution.py", CORRECT.read_bytes())
    dest = tmp_path / "dest"
    dest.mkdir()
    intake.unpack(archive, dest)
    assert (dest / "alice.py").read_bytes() == CORRECT.read_bytes() == (dest / "bob" / "solution.py").read_bytes()


# --- notebooks and source that do not parse: the student's, never the grader's -----------------------
@pytest.mark.parametrize("source, said", [(5, "the source of cell 2 is int, not text"),
                                          ({"a": 1}, "the source of cell 2 is dict, not text"),
                                          (["x = 1\n", 3], "the source of cell 2 is list, not text"),
                                          ("x = '\ud800'\n", "a lone surrogate")])
def test_a_notebook_cell_that_is_not_text_cannot_be_graded(tmp_path, source, said):
    path = notebook(tmp_path / "nb.ipynb", CORRECT.read_text(encoding="utf-8"), source)
    for assignment in (None, "auto"):  # --assignment auto once stopped the whole batch here
        sub = load_submission(path, assignment)
        assert said in sub.fatal and not sub.statements


def test_code_nested_past_the_parser_costs_only_its_function(tmp_path):
    deep = tmp_path / "deep.py"
    deep.write_text(CORRECT.read_text(encoding="utf-8") + "\n\ndef compute_cost(AL, Y):\n    return " + "-" * 20_000 + "1\n",  # past the parser, under the token cap (whole files past it are refused)
                    encoding="utf-8")
    sub = load_submission(deep)
    assert sub.fatal is None
    assert [p.function for p in sub.problems if "nested too deeply" in p.message] == ["compute_cost"]
    assert set(sub.defined) == set(load_submission(CORRECT).defined)


def test_a_bom_and_an_upper_case_suffix_read_as_python_reads_them(tmp_path):
    bom, upper = tmp_path / "bom.py", tmp_path / "Upper.PY"
    bom.write_bytes(b"\xef\xbb\xbf" + CORRECT.read_bytes())
    shutil.copy(CORRECT, upper)
    plain = load_submission(CORRECT)
    for path in (bom, upper):
        sub = load_submission(path)
        assert sub.fatal is None and sub.problems == plain.problems
        assert [s.source for s in sub.statements] == [s.source for s in plain.statements]
    nb = tmp_path / "nb.IPYNB"
    text = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CORRECT.read_text(encoding="utf-8"))]))
    nb.write_bytes(b"\xef\xbb\xbf" + text.encode())  # Python's json accepts a BOM in bytes; so do we
    assert set(load_submission(nb).defined) == set(plain.defined)


# --- the commands' exit statuses ----------------------------------------------------------------------
def test_check_says_2_for_what_cannot_be_read_and_grades_the_rest(tmp_path, rubric, capsys):
    fifo = tmp_path / "fifo_folder"
    fifo.mkdir()
    shutil.copy(CORRECT, fifo / "solution.py")
    os.mkfifo(fifo / "pipe")
    bad = notebook(tmp_path / "int.ipynb", CORRECT.read_text(encoding="utf-8"), 7)
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    sparse = tmp_path / "sparse.py"
    sparse.touch()
    os.truncate(sparse, 3 * 1024 ** 3)
    assert main(["check", str(fifo), *common(rubric)]) == Exit.FULL_MARKS
    for path in (bad, tmp_path / "loop.py", sparse):
        assert main(["check", str(path), "--json", *common(rubric)]) == Exit.NOT_GRADED, path.name
    capsys.readouterr()


def test_gradescope_run_with_a_fifo_and_a_dev_zero_link_grades_the_student(tmp_path, rubric, capsys):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(CORRECT, root / "submission" / "solution.py")
    os.mkfifo(root / "submission" / "pipe")
    (root / "submission" / "zero").symlink_to("/dev/zero")
    assert main(["gradescope", "run", "--root", str(root), *common(rubric, "--seed", "3")]) == Exit.FULL_MARKS
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == results["extra_data"]["max_score"] > 0
    (root / "submission" / "solution.py").unlink()
    (root / "submission" / "big.py").touch()
    os.truncate(root / "submission" / "big.py", 3 * 1024 ** 3)
    assert main(["gradescope", "run", "--root", str(root), *common(rubric, "--seed", "3")]) == Exit.NOT_GRADED
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert "over the limit of 16.0 MB" in results["tests"][0]["output"] and "course's side" not in results["output"]
    capsys.readouterr()


def test_the_trusted_side_never_recurses_on_what_the_parser_accepts(tmp_path):
    """An expression as deep as Python's parser takes (deeper than Python's own recursion limit) in a
    top-level assignment: the loader's walk over it is a loop, so it is kept, not a grader fault."""
    import ast
    import sys

    depth = next(n for n in (2000, 1500, 1200) if _parses("x = " + "-" * n + "1", ast))
    assert depth > sys.getrecursionlimit()
    path = tmp_path / "deep_assign.py"
    path.write_text(CORRECT.read_text(encoding="utf-8") + "\n\nY = " + "-" * depth + "1\n", encoding="utf-8")
    sub = load_submission(path)
    assert sub.fatal is None and not [p for p in sub.problems if p.kind == "syntax"]
    assert any(s.source.startswith("Y = --") for s in sub.statements)  # a simple assignment without a call: kept


def _parses(text: str, ast) -> bool:
    try:
        ast.parse(text)
        return True
    except (SyntaxError, RecursionError, MemoryError):
        return False


def test_a_folder_swapped_after_it_was_listed_is_refused(tmp_path):
    """The walk enters each folder by descriptor, without following a link, and checks it is the one it
    listed: a folder replaced by a link to the answer key's folder (a race) is refused, never read."""
    key = secret_outside(tmp_path)
    folder = tmp_path / "gina"
    (folder / "sub").mkdir(parents=True)
    listed = os.lstat(folder / "sub")
    (folder / "sub").rmdir()
    (folder / "sub").symlink_to(key.parent)
    with pytest.raises(intake.Refused, match="cannot be read"):
        intake._list(folder / "sub", listed, "sub")
    (folder / "sub").unlink()
    (folder / "sub").mkdir()  # a new folder by the same name: another inode
    with pytest.raises(intake.Refused, match="changed while it was being read"):
        intake._list(folder / "sub", os.lstat(key.parent), "sub")
