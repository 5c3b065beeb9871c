"""Grade a class: parallel workers, one JSON per submission written as it finishes, resumable.

Nothing is lost: each report is written atomically (and fsynced) the moment it is done, a submission
whose grading raises anything still gets a report with status "error", and an interrupted batch is
finished by running the same command again: a submission whose report already records the same rubric
fingerprint, seed, grader version and digest of the submission's bytes is skipped. The digest, never a
modification time, decides: a corrected copy with an older mtime (`cp -p`, an unzip) is graded again.
summary.csv and the class report are rebuilt at the end from every report in the output folder graded
under the same rubric, seed and build (the batch's own, and those an earlier run left there), so a resumed
batch ends with exactly what an uninterrupted one would, and grading one late file into a class's folder
adds its row to the class instead of replacing the class by it.

Every entry of a folder given to grade gets a report and a row: a .txt, a FIFO, a link, a folder too deep
are "could not be graded", with the reason (grader/load/intake.py reads every submission's bytes under limits).
A .zip, .tar, .tar.gz or .tgz (an LMS's "download all") is unpacked under limits into a private temporary
folder and graded as a folder given to grade; its submissions' reports name them "ARCHIVE/ENTRY".

Autograd's answers (the `CaseSet`) are computed once per batch, here, and shared by the workers:
forked processes, each with its own `Grader` and sandbox (see batch_pool.py for why not threads).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from grader import build_version
from grader.errors import GraderError, GraderFault
from grader.exits import GRADER_FAULT, Exit, for_report_dict, plural, worst  # noqa: F401 - GRADER_FAULT: tests take it from here
from grader.frontends.batch_items import Item, resolved, write_atomic
from grader.frontends.batch_progress import ProgressBar
from grader.load import intake

SUMMARY_NAME = "summary.csv"
TABLE_LIMIT = 100  # print one line per submission up to this many
_UNSAFE = re.compile(r"[^\w.-]+")


# --- what to grade --------------------------------------------------------------------------------
def _where(path: Path) -> Path:
    """An entry's absolute path, its own last link not followed (a link loop has no resolved path)."""
    return path.parent.resolve() / path.name


def expand(paths: list[str]) -> list[Path]:
    """Each path is a submission, or a folder each of whose entries is one (hidden ones, named . or _, aside).

    Every other entry is kept, whatever it is (a .txt, a FIFO, a link, an archive): each gets a report."""
    found: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not os.path.lexists(path):
            raise GraderError(f"no such path: {given}")
        if path.is_dir():
            try:
                entries = [e for e in sorted(path.iterdir()) if not e.name.startswith((".", "_"))]
            except OSError as error:
                raise GraderError(f"cannot read the folder {given}: {error.strerror}") from None
        else:
            entries = [path]
        for entry in entries:
            if _where(entry) not in seen:
                seen.add(_where(entry))
                found.append(entry)
    return found


def gather(paths: list[str], out: Path, scratch: Callable[[], Path]) -> list[tuple[Path, str, str]]:
    """(path, shown, refused) of every submission: expand's, with each archive unpacked into a folder of
    `scratch()` (a private temporary folder, made only when there is an archive) and its entries in its
    place, shown as ARCHIVE/ENTRY."""
    found: list[tuple[Path, str, str]] = []
    for path in expand(paths):
        if _where(path) == resolved(out):  # --out may sit among the submissions
            continue
        if not (intake.is_archive(path.name) and intake.what(path) is None and path.is_file()):
            found.append((path, "", ""))
            continue
        folder = scratch() / _clean(path.name)
        folder.mkdir()
        try:
            intake.unpack(path, folder)
        except intake.Refused as error:
            found.append((path, "", f"the archive {path.name} could not be unpacked: {error}"))
            continue
        members = expand([str(folder)])
        found += [(member, str(path / member.name), "") for member in members]
        if not members:
            found.append((path, "", f"the archive {path.name} holds no submissions"))
    return found


def _clean(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "submission"


def report_names(paths: list[Path], shown: list[str] | None = None) -> list[str]:
    """A file name per submission, unique (ignoring case) and the same in every run over the same set.

    The stem when it is unique (alice.py -> alice); else the whole name (a.py, a.ipynb); else that
    with a hash of the resolved path, or of `shown` where given (two folders both holding alice.py).
    """
    shown = shown or [""] * len(paths)
    names = [_clean(p.name if p.is_dir() else p.stem) for p in paths]
    rules = (
        lambda p, s: _clean(p.name),
        lambda p, s: f"{_clean(p.name)}-{hashlib.sha1(str(s or resolved(p)).encode()).hexdigest()[:8]}",
    )
    for rule in rules:
        count = Counter(n.lower() for n in names)
        names = [rule(p, w) if count[n.lower()] > 1 else n for p, w, n in zip(paths, shown, names)]
    return names


# --- files -----------------------------------------------------------------------------------------
def submission_digest(path: Path, skip: Path | None = None) -> str:
    """'sha256:...' of a submission's bytes: a file's, or every file in a folder with its relative path.

    Taken before grading, so an edit made while the batch runs leaves the older digest in the report and
    the next run grades again. `skip` (the output folder, should it sit inside a folder submission) is left
    out. Read under intake's limits, links never followed; one that cannot be read gets "" and is never resumed.
    """
    return intake.digest(path, skip)


def summary_csv(rows: list[tuple[Item, dict]]) -> str:
    """One row per submission (from its slim report): its status, score and the score of every graded unit
    (of every assignment in the batch: a unit another assignment grades is left empty)."""
    from grader import packs, safe_text

    present = sorted({packs.of_report(report).name for _, report in rows})
    UNITS = packs.all_units(present)
    mixed = len(present) > 1  # then each row says which assignment graded it
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["submission", *(["assignment"] if mixed else []), "status", "score", "max_score", *UNITS, "path", "problem"]
    )
    for item, report in rows:
        scores = {t["function"]: t["score"] for t in report["tests"]}
        units = packs.of_report(report).units
        row = [
            item.name,
            *([packs.of_report(report).name] if mixed else []),
            report["status"],
            report["score"],
            report["max_score"],
            *(scores.get(u, 0.0) if u in units else "" for u in UNITS),
            item.submission,
            " ".join(report["feedback"].split()),
        ]
        writer.writerow([safe_text.csv_cell(cell) for cell in row])  # names and reasons are the students': no formulas
    return buffer.getvalue()


# --- the command -----------------------------------------------------------------------------------
def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def grade_paths(args) -> int:
    """`backprop-grader grade PATHS --out DIR [-j N]`: grade what is not graded yet, then summarise."""
    from grader import packs
    from grader.frontends.batch_resume import other_reports, previous_report, resume_keys
    from grader.frontends.cli_options import warn_public_seed
    from grader.judge.rubric import load_rubric
    from grader.report.class_report import slim

    started = time.perf_counter()
    rubric = load_rubric(args.rubric, getattr(args, "assignment", None), default=packs.DEFAULT)  # "auto" only if asked
    jobs = args.jobs or default_jobs()
    if jobs < 1:
        raise GraderError(f"-j must be at least 1, not {jobs}")
    from grader.report.class_pictures import prepare

    prepare()  # matplotlib imported in a helper while this process reads the case set with one core busy
    out = Path(args.out)
    with contextlib.ExitStack() as held:

        def scratch() -> Path:  # 0700, removed when the batch ends: an archive's entries, unpacked
            return Path(held.enter_context(tempfile.TemporaryDirectory(prefix="grader-archives-")))

        found = gather(args.paths, out, scratch)
        if not found:
            raise GraderError(f"no submissions (.py, .ipynb, folders or archives) in {', '.join(args.paths)}")
        names = report_names([path for path, _, _ in found], [shown for _, shown, _ in found])
        items = [
            Item(i, path, name, "" if refused else submission_digest(path, skip=out), shown, refused)
            for i, ((path, shown, refused), name) in enumerate(zip(found, names))
        ]
        try:
            out.mkdir(parents=True, exist_ok=True)
            for stale in out.glob(".*.tmp"):  # left by a batch killed while writing
                stale.unlink(missing_ok=True)
        except OSError as error:
            raise GraderError(f"cannot use the output folder {out}: {error}") from None
        keys = resume_keys(rubric, args.seed)
        done: dict[int, dict] = {}  # item index -> slim report
        for item in items:
            report = previous_report(item, out, keys)
            if report is not None:
                done[item.index] = slim(report)
        todo = [item for item in items if item.index not in done]
        warn_public_seed(args.seed, "grade")
        if todo:
            progress = ProgressBar(
                len(items), len(done), enabled=False if getattr(args, "no_progress", False) else None
            )
            _grade_all(todo, jobs, rubric, args, out, done, progress)
    rows = [(item, done[item.index]) for item in items]
    others, left_out = other_reports(out, rows, keys)
    every = sorted(rows + others, key=lambda row: row[0].name.lower()) if others else rows  # the folder's whole class
    written = _write_summaries(out, every, rubric, args.seed, getattr(args, "roster", None))
    return _print_results(rows, len(todo), time.perf_counter() - started, jobs, written, len(others), left_out)


def _grade_all(todo: list[Item], jobs: int, rubric, args, out: Path, done: dict, progress) -> None:
    from grader import packs
    from grader.frontends.batch_pool import ProcessPool
    from grader.judge.grade import Grader, Graders
    from grader.load.loader import load_submission

    weak = "allow" if getattr(args, "allow_weak_sandbox", False) else "refuse"
    refused = [item for item in todo if item.refused]
    todo = [item for item in todo if not item.refused]

    def assignment_of(item: Item) -> str:
        try:
            return load_submission(item.path).pack
        except Exception:  # noqa: BLE001 - whatever a submission is, its own grading reports it, not the batch
            return packs.DEFAULT

    if rubric.assignment == packs.AUTO:  # read each submission once to know which assignments to prepare
        present = sorted(
            {assignment_of(item) for item in todo} or {packs.DEFAULT}, key=lambda n: (n != packs.DEFAULT, n)
        )
    else:
        present = [packs.resolve(rubric.assignment).name]
    shared, first = {}, None
    for name in present:  # autograd's answers, once per assignment
        grader = Grader(rubric, seed=args.seed, device=args.device, worker=0, weak_sandbox=weak, pack=packs.get(name))
        try:
            grader.walls()  # refuse here, once, on a machine that cannot wall student code in
        finally:
            grader.sandbox.close()
        shared[name], first = grader.case_set.complete(), first or grader  # no thread may be running at the fork

    def make_grader(worker: int):  # runs in a worker, after the fork
        return Graders(rubric, shared, args.seed, args.device, worker, weak)

    def on_done(item: Item, report: dict) -> None:
        done[item.index] = report
        progress.advance(report["status"] == "error")

    for item in refused:  # an archive that could not be unpacked: its report says why, nothing is graded
        on_done(item, _refused_report(first, item, out))
    if not todo:
        return
    pool = ProcessPool(todo, jobs, make_grader, out, first, deadline=rubric.submission_deadline)
    with progress:
        try:
            pool.run(on_done, progress.refresh)
        except KeyboardInterrupt:
            progress.stop()
            finished = sum(1 for item in todo if item.index in done)
            print(
                f"grader: stopped after {finished} of {plural(len(todo), 'submission')}; their reports are in {out}. "
                "Run the same command again to grade the rest.",
                file=sys.stderr,
            )
            raise
    if pool.failure is not None:
        raise GraderFault(f"the batch stopped: {pool.failure}")


def _refused_report(template, item: Item, out: Path) -> dict:
    """Write and return (slim) the report of a submission that cannot be read at all (item.refused)."""
    from grader.judge.results import make_report_dict
    from grader.report.class_report import slim

    report = template.new_report(item.submission)
    report.fatal = f"This submission could not be graded: {item.refused}."
    data = make_report_dict(report)
    write_atomic(out / item.report_file, json.dumps(data, indent=2) + "\n")
    return slim(data)


def _write_summaries(out: Path, rows: list[tuple[Item, dict]], rubric, seed: int, roster=None) -> list[Path]:
    from grader.report.class_report import write_class_report
    from grader.report.gradebook import write_gradebook

    write_atomic(out / SUMMARY_NAME, summary_csv(rows))
    gradebook = write_gradebook(out, rows, roster, write_atomic)
    context = f"Seed {seed}, rubric {rubric.source} (fingerprint `{rubric.fingerprint()}`), grader {build_version()}."
    entries = [(item.name, report, out / item.report_file) for item, report in rows]
    return [out / SUMMARY_NAME, gradebook] + write_class_report(out, entries, context, write_atomic)


def outcome_line(codes: list[Exit], fresh: int, seconds: float, jobs: int) -> str:
    """What became of the batch, counted so that every submission is in exactly one group.

    A submission that could not be graded was not graded: '3 submissions: 2 graded, 1 could not be graded'.
    """
    graded = sum(code in (Exit.FULL_MARKS, Exit.LOST_POINTS) for code in codes)
    full, not_graded, faults = (
        codes.count(Exit.FULL_MARKS),
        codes.count(Exit.NOT_GRADED),
        codes.count(Exit.GRADER_FAULT),
    )
    parts = [f"{plural(len(codes), 'submission')}: {graded} graded ({full} with full marks)"]
    if not_graded:
        parts.append(f"{not_graded} could not be graded")
    if faults:
        parts.append(
            f"{faults} not graded because the grader failed (run the same command again to retry "
            f"{'it' if faults == 1 else 'them'})"
        )
    line = ", ".join(parts) + "."
    kept = len(codes) - fresh
    if fresh:
        rate = f", {fresh / seconds:.1f}/s" if seconds > 0 else ""
        line += f" This run took {seconds:.1f} s for {plural(fresh, 'submission')} ({plural(jobs, 'worker')}{rate})"
        line += f"; {kept} kept from an earlier run." if kept else "."
    elif kept:
        line += f" All {kept} were kept from an earlier run."
    return line


def _print_results(
    rows: list[tuple[Item, dict]],
    fresh: int,
    seconds: float,
    jobs: int,
    written: list[Path],
    others: int = 0,
    left_out: list[str] | None = None,
) -> Exit:
    """One line per submission (only the problems beyond TABLE_LIMIT), the outcome line; the exit status
    (of this run's submissions; `others` reports of earlier runs are in the summaries, `left_out` are not)."""
    from grader import safe_text
    from grader.report.feedback import points

    codes = [for_report_dict(report) for _, report in rows]
    problems = [(item, report) for (item, report), code in zip(rows, codes) if code >= Exit.NOT_GRADED]
    shown = rows if len(rows) <= TABLE_LIMIT else problems
    for item, report in shown:  # an entry's name is the student's: its controls are shown, never run
        print(
            f"{points(report['score']):>7s} / {points(report['max_score'])}  {report['status']:7s} "
            f"{safe_text.terminal(item.name, keep_newlines=False)}"
        )
    if len(rows) > TABLE_LIMIT:
        print(safe_text.terminal(f"({len(rows) - len(shown)} more rows in {written[0]})", keep_newlines=False))
    print(outcome_line(codes, fresh, seconds, jobs))
    folder = written[0].parent
    if others:
        print(
            safe_text.terminal(
                f"The summaries also hold {plural(others, 'report')} already in {folder} "
                "(same rubric, seed and grader).",
                keep_newlines=False,
            )
        )
    if left_out:
        print(
            safe_text.terminal(
                f"Left out of the summaries: {', '.join(left_out)} (they stay in {folder}).", keep_newlines=False
            )
        )
    print(
        safe_text.terminal(
            "Wrote " + ", ".join(str(path) for path in written[:-1]) + f" and {written[-1]}.", keep_newlines=False
        )
    )
    return worst(codes)
