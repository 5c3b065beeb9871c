"""Grade many submissions: one JSON report each, and summary.csv with a row per submission."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from grader.errors import GraderError
from grader.loader import SUFFIXES
from grader.rubric import UNITS


def expand(paths: list[str]) -> list[Path]:
    """Each path is a submission, or a folder whose entries (.py, .ipynb, or folders) each are one."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise GraderError(f"no such path: {given}")
        if path.is_file():
            found.append(path)
            continue
        for entry in sorted(path.iterdir()):
            if entry.name.startswith((".", "_")):
                continue
            if (entry.is_file() and entry.suffix in SUFFIXES) or entry.is_dir():
                found.append(entry)
    return found


def write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def summary_row(name: str, report: dict) -> dict:
    row = {"submission": name, "status": report["status"], "score": report["score"], "max_score": report["max_score"]}
    scores = {t["function"]: t["score"] for t in report.get("tests", [])}
    row.update({unit: scores.get(unit, 0.0) for unit in UNITS})
    return row


def grade_paths(args) -> int:
    from grader.cli import _make_grader
    from grader.results import make_report_dict

    submissions = expand(args.paths)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with _make_grader(args) as grader:
        for path in submissions:
            report = make_report_dict(grader.grade(path))
            name = path.stem if path.is_file() else path.name
            write_atomic(out / f"{name}.json", json.dumps(report, indent=2) + "\n")
            rows.append(summary_row(name, report))
            print(f"{report['score']:7.2f} / {report['max_score']:g}  {report['status']:7s} {name}")
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["submission", "status", "score", "max_score", *UNITS])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} reports and summary.csv to {out}")
    return 0
