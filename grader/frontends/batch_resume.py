"""Which reports a batch keeps: its own, when a rerun finds them finished under the same key, and the
others already in the output folder, which summary.csv and the class report include.

The key of a report is the rubric's fingerprint for the assignment it was graded by (so a resumed
--assignment auto batch keeps each assignment's reports), the seed, the grader build, and the digest of
the submission's bytes; modification times play no part. A report in the output folder under another
key (another rubric, seed or build) stays there, is left out of the summaries, and the batch says so.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from grader import build_version
from grader.exits import GRADER_FAULT
from grader.frontends.batch_items import Item, resolved
from grader.load import intake

REPORT_BYTES = 1 << 30  # a report of ours is read whole (never a FIFO, never through a link), up to this size
Keys = dict  # assignment -> (rubric fingerprint, seed, grader build): the resume key of each assignment


def resume_keys(rubric, seed: int) -> Keys:
    """The key a report must carry to be kept, for each assignment this batch may grade by: with
    --assignment auto, each submission's own (a conv submission is graded by the conv rubric)."""
    from grader import packs

    present = packs.all_packs() if rubric.assignment == packs.AUTO else [packs.resolve(rubric.assignment)]
    return {pack.name: (rubric.for_pack(pack).fingerprint(), seed, build_version()) for pack in present}


def _key_of(report: dict, keys: Keys | tuple) -> tuple | None:
    """The key `report` must match: the one of the assignment it was graded by."""
    if isinstance(keys, tuple):
        return keys
    return keys.get(report.get("assignment") or "step_by_step")


def previous_report(item: Item, out: Path, key: Keys | tuple) -> dict | None:
    """The report already written for this submission, if it is a finished one under the same key.

    The key is the rubric's fingerprint (for the assignment the report was graded by), the seed, the
    grader build and the digest of the submission's bytes; modification times play no part.
    """
    file = out / item.report_file
    try:
        report = json.loads(intake.read_file(file, REPORT_BYTES).decode("utf-8"))
        found = (report["rubric"]["fingerprint"], report["seed"], report["versions"]["grader"])
        if (
            found != _key_of(report, key)
            or not item.digest
            or report.get("submission_digest") != item.digest
            or resolved(report["submission"]) != resolved(item.submission)
            or str(report.get("feedback", "")).startswith(GRADER_FAULT)
        ):
            return None
        return report
    except (intake.Refused, OSError, ValueError, KeyError, TypeError):
        return None


def other_reports(out: Path, rows: list[tuple[Item, dict]], keys: Keys) -> tuple[list[tuple[Item, dict]], list[str]]:
    """The reports in `out` of submissions this run did not grade, under the same key (an earlier run's,
    in the same class), and what was left out and why: summary.csv and the class report are the folder's."""
    from grader.report.class_report import slim

    ours = {item.report_file for item, _ in rows}
    graded = {resolved(item.submission) for item, _ in rows}
    kept: list[tuple[Item, dict]] = []
    left: Counter = Counter()
    for file in sorted(out.glob("*.json")):
        if file.name in ours:
            continue
        try:
            report = json.loads(intake.read_file(file, REPORT_BYTES).decode("utf-8"))
            found = (report["rubric"]["fingerprint"], report["seed"], report["versions"]["grader"])
            submission = str(report["submission"])
            light = slim(report)
        except (intake.Refused, OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not a report of ours
        wanted = _key_of(report, keys)
        if wanted is None or found[0] != wanted[0]:
            left["of another rubric" if wanted is not None else "of another assignment"] += 1
        elif found[1] != wanted[1]:
            left["of another seed"] += 1
        elif found[2] != wanted[2]:
            left["of another grader build"] += 1
        elif resolved(submission) in graded:
            left["of a submission graded again under another name"] += 1
        else:
            kept.append((Item(-1, Path(submission), file.stem, str(report.get("submission_digest", ""))), light))
    notes = [f"{count} {'report' if count == 1 else 'reports'} {why}" for why, count in sorted(left.items())]
    return kept, notes
