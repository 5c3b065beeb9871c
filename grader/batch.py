"""Grade a class: parallel workers, one JSON per submission written as it finishes, resumable.

Nothing is lost: each report is written atomically (and fsynced) the moment it is done, a submission
whose grading raises anything still gets a report with status "error", and an interrupted batch is
finished by running the same command again: a submission whose report already records the same rubric
fingerprint, seed, grader version and digest of the submission's bytes is skipped. The digest, never a
modification time, decides: a corrected copy with an older mtime (`cp -p`, an unzip) is graded again.
summary.csv and the class report are rebuilt at the end from the reports of every submission in the
batch, so a resumed batch ends with exactly what an uninterrupted one would.

Autograd's answers (the `CaseSet`) are computed once per batch, here, and shared by the workers:
forked processes, each with its own `Grader` and sandbox (see batch_pool.py for why not threads).
"""

from __future__ import annotations

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
from dataclasses import dataclass
from pathlib import Path

from grader import build_version
from grader.errors import GraderError, GraderFault
from grader.exits import GRADER_FAULT, Exit, for_report_dict, plural, worst  # GRADER_FAULT reports are retried on a rerun
from grader.loader import SUFFIXES

SUMMARY_NAME = "summary.csv"
TABLE_LIMIT = 100  # print one line per submission up to this many
_UNSAFE = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class Item:
    index: int
    path: Path
    name: str  # unique in the batch: the report is <name>.json
    digest: str = ""  # of the submission's bytes, taken before grading ("" when unreadable: never resumed)

    @property
    def report_file(self) -> str:
        return f"{self.name}.json"


# --- what to grade --------------------------------------------------------------------------------
def expand(paths: list[str]) -> list[Path]:
    """Each path is a submission, or a folder whose entries (.py, .ipynb, or folders) each are one."""
    found: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise GraderError(f"no such path: {given}")
        entries = [path] if path.is_file() else [
            e for e in sorted(path.iterdir())
            if not e.name.startswith((".", "_")) and ((e.is_file() and e.suffix in SUFFIXES) or e.is_dir())]
        for entry in entries:
            if entry.resolve() not in seen:
                seen.add(entry.resolve())
                found.append(entry)
    return found


def _clean(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "submission"


def report_names(paths: list[Path]) -> list[str]:
    """A file name per submission, unique (ignoring case) and the same in every run over the same set.

    The stem when it is unique (alice.py -> alice); else the whole name (a.py, a.ipynb); else that
    with a hash of the resolved path (two folders both holding alice.py).
    """
    names = [_clean(p.stem if p.is_file() else p.name) for p in paths]
    rules = (lambda p: _clean(p.name),
             lambda p: f"{_clean(p.name)}-{hashlib.sha1(str(p.resolve()).encode()).hexdigest()[:8]}")
    for rule in rules:
        count = Counter(n.lower() for n in names)
        names = [rule(p) if count[n.lower()] > 1 else n for p, n in zip(paths, names)]
    return names


# --- files -----------------------------------------------------------------------------------------
def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a sibling temporary file, fsync it, rename it over `path`: a reader never sees half a file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _raise(error: OSError) -> None:
    raise error


def submission_digest(path: Path, skip: Path | None = None) -> str:
    """'sha256:...' of a submission's bytes: a file's, or every file in a folder with its relative path.

    Taken before grading, so an edit made while the batch runs leaves the older digest in the report and
    the next run grades again. `skip` (the output folder, should it sit inside a folder submission) is left
    out. An unreadable submission gets "" and is never resumed.
    """
    digest = hashlib.sha256()
    try:
        if path.is_file():
            digest.update(b"file\0" + path.read_bytes())
            return f"sha256:{digest.hexdigest()}"
        if not path.is_dir():
            return ""
        digest.update(b"folder\0")
        skipped = skip.resolve() if skip is not None else None
        for root, folders, files in os.walk(path, onerror=_raise):
            folders[:] = sorted(f for f in folders if skipped is None or Path(root, f).resolve() != skipped)
            for name in sorted(files):
                file = Path(root, name)
                data = file.read_bytes()
                digest.update(f"{file.relative_to(path).as_posix()}\0{len(data)}\0".encode("utf-8", "surrogateescape") + data)
        return f"sha256:{digest.hexdigest()}"
    except OSError:
        return ""


def previous_report(item: Item, out: Path, key: tuple[str, int, str]) -> dict | None:
    """The report already written for this submission, if it is a finished one under the same key.

    The key is the rubric's fingerprint, the seed, the grader build and the digest of the submission's
    bytes; modification times play no part.
    """
    file = out / item.report_file
    try:
        report = json.loads(file.read_text(encoding="utf-8"))
        found = (report["rubric"]["fingerprint"], report["seed"], report["versions"]["grader"])
        if (found != key or not item.digest or report.get("submission_digest") != item.digest
                or Path(report["submission"]).resolve() != item.path.resolve()
                or str(report.get("feedback", "")).startswith(GRADER_FAULT)):
            return None
        return report
    except (OSError, ValueError, KeyError, TypeError):
        return None


def summary_csv(rows: list[tuple[Item, dict]]) -> str:
    """One row per submission (from its slim report): its status, score and the score of every graded unit
    (of every assignment in the batch: a unit another assignment grades is left empty)."""
    from grader import packs, safe_text

    present = sorted({packs.of_report(report).name for _, report in rows})
    UNITS = packs.all_units(present)
    mixed = len(present) > 1  # then each row says which assignment graded it
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *(["assignment"] if mixed else []), "status", "score", "max_score", *UNITS, "path", "problem"])
    for item, report in rows:
        scores = {t["function"]: t["score"] for t in report["tests"]}
        units = packs.of_report(report).units
        row = [item.name, *([packs.of_report(report).name] if mixed else []), report["status"], report["score"], report["max_score"],
               *(scores.get(u, 0.0) if u in units else "" for u in UNITS), str(item.path), " ".join(report["feedback"].split())]
        writer.writerow([safe_text.csv_cell(cell) for cell in row])  # names and reasons are the students': no formulas
    return buffer.getvalue()


# --- the command -----------------------------------------------------------------------------------
def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def grade_paths(args) -> int:
    """`python -m grader grade PATHS --out DIR [-j N]`: grade what is not graded yet, then summarise."""
    from grader import packs
    from grader.class_report import slim
    from grader.cli import warn_public_seed
    from grader.rubric import load_rubric

    started = time.perf_counter()
    rubric = load_rubric(args.rubric, getattr(args, "assignment", None), default=packs.DEFAULT)  # "auto" only if asked
    jobs = args.jobs or default_jobs()
    if jobs < 1:
        raise GraderError(f"-j must be at least 1, not {jobs}")
    out = Path(args.out)
    paths = [p for p in expand(args.paths) if p.resolve() != out.resolve()]  # --out may sit among the submissions
    if not paths:
        raise GraderError(f"no submissions (.py, .ipynb or folders) in {', '.join(args.paths)}")
    items = [Item(i, p, n, submission_digest(p, skip=out)) for i, (p, n) in enumerate(zip(paths, report_names(paths)))]
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob(".*.tmp"):  # left by a batch killed while writing
            stale.unlink(missing_ok=True)
    except OSError as error:
        raise GraderError(f"cannot use the output folder {out}: {error}") from None
    key = (rubric.fingerprint(), args.seed, build_version())
    done: dict[int, dict] = {}  # item index -> slim report
    for item in items:
        report = previous_report(item, out, key)
        if report is not None:
            done[item.index] = slim(report)
    todo = [item for item in items if item.index not in done]
    warn_public_seed(args.seed, "grade")
    if todo:
        progress = ProgressBar(len(items), len(done), enabled=False if getattr(args, "no_progress", False) else None)
        _grade_all(todo, jobs, rubric, args, out, done, progress)
    rows = [(item, done[item.index]) for item in items]
    written = _write_summaries(out, rows, rubric, args.seed, getattr(args, "roster", None))
    return _print_results(rows, len(todo), time.perf_counter() - started, jobs, written)


def _grade_all(todo: list[Item], jobs: int, rubric, args, out: Path, done: dict, progress) -> None:
    from grader import packs
    from grader.batch_pool import ProcessPool
    from grader.grade import Grader, Graders
    from grader.loader import load_submission

    weak = "allow" if getattr(args, "allow_weak_sandbox", False) else "refuse"
    if rubric.assignment == packs.AUTO:  # read each submission once to know which assignments to prepare
        present = sorted({load_submission(item.path).pack for item in todo}, key=lambda n: (n != packs.DEFAULT, n))
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

    pool = ProcessPool(todo, jobs, make_grader, out, first, deadline=rubric.submission_deadline)
    with progress:
        try:
            pool.run(on_done, progress.refresh)
        except KeyboardInterrupt:
            progress.stop()
            finished = sum(1 for item in todo if item.index in done)
            print(f"grader: stopped after {finished} of {plural(len(todo), 'submission')}; their reports are in {out}. "
                  "Run the same command again to grade the rest.", file=sys.stderr)
            raise
    if pool.failure is not None:
        raise GraderFault(f"the batch stopped: {pool.failure}")


class ProgressBar:
    """rich's progress bar on standard error (done/total, rate, time left), drawn only on a terminal.

    Redrawn by the batch's own loop (after each submission, and when idle), never by a thread of rich's:
    workers are forked while it shows, and a fork must not copy a thread holding the console's lock.
    """

    def __init__(self, total: int, kept: int, enabled: bool | None = None, console=None, clock=None):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                                   TimeRemainingColumn)
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                return Text(f"{task.speed:.1f}/s" if task.speed else "--/s", style="progress.data.speed")

        console = console or Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self.errors = 0
        self.bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), Rate(),
                            TextColumn("time left"), TimeRemainingColumn(), TextColumn("{task.fields[note]}"),
                            console=console, disable=not self.enabled, auto_refresh=False, transient=True,
                            redirect_stdout=False, redirect_stderr=False, get_time=clock)
        note = f"({kept} kept from an earlier run)" if kept else ""
        self.task = self.bar.add_task("grading", total=total, completed=kept, note=note)  # kept ones are not in the rate

    def advance(self, error: bool = False) -> None:
        """One more submission finished in this run."""
        self.errors += bool(error)
        if error:
            self.bar.update(self.task, note=f"{self.errors} could not be graded")
        self.bar.advance(self.task)
        self.refresh()

    def refresh(self) -> None:
        if self.enabled:
            self.bar.refresh()

    def stop(self) -> None:
        """Take the bar off the screen (it leaves nothing behind)."""
        self.bar.stop()

    def __enter__(self) -> "ProgressBar":
        self.bar.start()
        self.refresh()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _write_summaries(out: Path, rows: list[tuple[Item, dict]], rubric, seed: int, roster=None) -> list[Path]:
    from grader.class_report import write_class_report
    from grader.gradebook import write_gradebook

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
    full, not_graded, faults = codes.count(Exit.FULL_MARKS), codes.count(Exit.NOT_GRADED), codes.count(Exit.GRADER_FAULT)
    parts = [f"{plural(len(codes), 'submission')}: {graded} graded ({full} with full marks)"]
    if not_graded:
        parts.append(f"{not_graded} could not be graded")
    if faults:
        parts.append(f"{faults} not graded because the grader failed (run the same command again to retry "
                     f"{'it' if faults == 1 else 'them'})")
    line = ", ".join(parts) + "."
    kept = len(codes) - fresh
    if fresh:
        rate = f", {fresh / seconds:.1f}/s" if seconds > 0 else ""
        line += f" This run took {seconds:.1f} s for {plural(fresh, 'submission')} ({plural(jobs, 'worker')}{rate})"
        line += f"; {kept} kept from an earlier run." if kept else "."
    elif kept:
        line += f" All {kept} were kept from an earlier run."
    return line


def _print_results(rows: list[tuple[Item, dict]], fresh: int, seconds: float, jobs: int, written: list[Path]) -> Exit:
    """One line per submission (only the problems beyond TABLE_LIMIT), the outcome line; the exit status."""
    from grader import safe_text
    from grader.feedback import points

    codes = [for_report_dict(report) for _, report in rows]
    problems = [(item, report) for (item, report), code in zip(rows, codes) if code >= Exit.NOT_GRADED]
    shown = rows if len(rows) <= TABLE_LIMIT else problems
    for item, report in shown:  # an entry's name is the student's: its controls are shown, never run
        print(f"{points(report['score']):>7s} / {points(report['max_score'])}  {report['status']:7s} "
              f"{safe_text.terminal(item.name, keep_newlines=False)}")
    if len(rows) > TABLE_LIMIT:
        print(safe_text.terminal(f"({len(rows) - len(shown)} more rows in {written[0]})", keep_newlines=False))
    print(outcome_line(codes, fresh, seconds, jobs))
    print(safe_text.terminal("Wrote " + ", ".join(str(path) for path in written[:-1]) + f" and {written[-1]}.", keep_newlines=False))
    return worst(codes)
