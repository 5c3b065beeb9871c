"""results/gradebook.csv: the batch's scores in a form a learning-management system imports.

One header row, then one row per student; no other rows (Moodle's CSV import stops at a row whose
identifier matches no user, so Canvas's optional "Points Possible" row is left out: create the
assignment with its points in the LMS first, then import into it by its column's name).

Columns, in order:
- the student's identifier columns. Without a roster they are Canvas's own, `Student`, `ID`,
  `SIS User ID`, `SIS Login ID`, `Section`, with the submission's name (`alice.py` -> `alice`) as both
  `Student` and `SIS Login ID` (Canvas matches on it; in Moodle map it to "username"). With
  `--roster FILE`, a CSV with a `submission` column, every other column of the roster instead, in the
  roster's order (a Canvas export's `Student,ID,SIS User ID,SIS Login ID,Section`; Moodle's
  `Email address` or `ID number`), so that the LMS matches on what it issued.
- per assignment in the batch: `<assignment>: total`, then `<assignment>: <unit>` for each graded unit
  (Canvas offers each column it does not know as a new assignment; Moodle lets each be mapped or ignored).

What goes in a cell, and why:
- a graded submission: its points (a number).
- a submission that could not be graded (nothing gradable, another assignment, unreadable): 0 in every
  column of its assignment, as in summary.csv: it was handed in and earns nothing until fixed; the
  reason is in summary.csv and the class report, never here (an LMS shows every cell to the student).
- a submission the grader failed on (exit 3): empty cells: not the student's doing, and an empty cell
  leaves the LMS's grade as it was; rerun the batch to fill them.
- a roster student with no submission: a row with empty cells (the course's rule for missing work is
  the instructor's to apply); a submission not in the roster: left out, and named on standard error.

Every cell goes through safe_text.csv_cell: names come from students' file names.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.exits import Exit, for_report_dict
from grader.safe_text import csv_cell

GRADEBOOK_NAME = "gradebook.csv"
CANVAS_IDENTIFIERS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
KEY = "submission"  # the roster's column naming each student's submission


@dataclass(frozen=True)
class Roster:
    """A roster CSV: identifier columns (every column but `submission`) by submission name."""

    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, dict[str, str]], ...]  # (submission name, its identifier cells), the roster's order

    def find(self, names: list[str]) -> dict[str, str] | None:
        """The first roster row whose submission is one of `names` (ignoring case)."""
        wanted = {n.lower() for n in names if n}
        return next((cells for name, cells in self.rows if name.lower() in wanted), None)


def read_roster(path: str | Path) -> Roster:
    """Read and check a roster; any mistake is a one-line GraderError (a usage error)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's export may start with a BOM
    except FileNotFoundError:
        raise GraderError(f"no such roster file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GraderError(f"cannot read roster {path}: {error}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if KEY not in header:
        raise GraderError(
            f"roster {path}: needs a '{KEY}' column naming each student's submission (alice for alice.py); "
            f"its columns are {', '.join(repr(h) for h in header) or 'none'}"
        )
    columns = tuple(h for h in header if h != KEY)
    if not columns or any(not h for h in columns) or len(set(header)) != len(header):
        raise GraderError(f"roster {path}: besides '{KEY}' it needs identifier columns with distinct, non-empty names")
    rows, seen = [], set()
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        name = row.get(KEY, "")
        if not name:
            continue
        if name.lower() in seen:
            raise GraderError(f"roster {path}, line {number}: submission {name!r} is listed twice")
        seen.add(name.lower())
        rows.append((name, {c: row.get(c, "") for c in columns}))
    return Roster(str(path), columns, tuple(rows))


def _columns(present: list[str]) -> list[tuple[str, str | None]]:
    """(heading, unit or None for the total) per assignment present, in the packs' order."""
    from grader import packs

    out: list[tuple[str, str | None]] = []
    for name in present:
        out.append((f"{name}: total", None))
        out += [(f"{name}: {unit}", unit) for unit in packs.get(name).units]
    return out


def _cells(report: dict, assignment: str, present: list[str]) -> list[object]:
    """The score cells of one submission: its own assignment's filled, any other's empty."""
    from grader import packs

    code = for_report_dict(report)
    scores = {t["function"]: round(float(t["score"]), 4) for t in report.get("tests", [])}
    cells: list[object] = []
    for name in present:
        units = packs.get(name).units
        if name != assignment or code is Exit.GRADER_FAULT:
            cells += [""] * (1 + len(units))
        elif code is Exit.NOT_GRADED:
            cells += [0.0] * (1 + len(units))
        else:
            cells += [round(float(report["score"]), 4)] + [scores.get(u, 0) for u in units]
    return cells


def gradebook_csv(rows: list[tuple], roster: Roster | None = None) -> tuple[str, list[str]]:
    """The gradebook's text from (batch Item, slim report) pairs, and the submissions a roster lacks."""
    from grader import packs

    order = {name: i for i, name in enumerate(packs.names())}
    present = sorted({packs.of_report(report).name for _, report in rows}, key=lambda n: order.get(n, len(order)))
    headings = [heading for heading, _ in _columns(present)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, what spreadsheets and both LMSs read
    identifiers = list(roster.columns) if roster else list(CANVAS_IDENTIFIERS)
    writer.writerow([csv_cell(h) for h in identifiers + headings])
    missing: list[str] = []
    by_student: dict[int, list[object]] = {}
    for item, report in rows:
        cells = _cells(report, packs.of_report(report).name, present)
        if roster is None:
            writer.writerow([csv_cell(v) for v in [item.name, "", "", item.name, ""] + cells])
            continue
        path = Path(item.path)
        found = roster.find([item.name, path.stem if path.suffix else path.name])
        if found is None:
            missing.append(item.name)
            continue
        by_student[id(found)] = cells
    if roster is not None:
        for _, found in roster.rows:
            cells = by_student.get(id(found), [""] * len(headings))
            writer.writerow([csv_cell(found[c]) for c in roster.columns] + [csv_cell(v) for v in cells])
    return buffer.getvalue(), missing


def write_gradebook(out: Path, rows: list[tuple], roster: Roster | None, write) -> Path:
    """Write out/gradebook.csv with `write(path, text)` (atomic); name on stderr what the roster lacks."""
    text, missing = gradebook_csv(rows, roster)
    write(out / GRADEBOOK_NAME, text)
    if missing and roster is not None:  # only a roster leaves submissions out
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        print(
            f"grader: warning: {len(missing)} submission(s) not in the roster {roster.source}, left out of "
            f"{out / GRADEBOOK_NAME}: {shown}",
            file=sys.stderr,
        )
    return out / GRADEBOOK_NAME
