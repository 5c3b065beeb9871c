"""Exit statuses a script can trust, the same for `check`, `grade`, the platform commands and pytest.

    0  every graded submission has full marks
    1  graded, but points were lost
    2  a submission could not be graded (nothing gradable in it, an unreadable file): the student's to fix
    3  the grader failed (a sandbox that would not start or died, a bug): not the student's doing; rerun
    4  usage error: a bad option, a missing path, a bad rubric, CUDA asked for but absent

3 and 4 are the numbers pytest gives an internal error and a usage error, so `pytest --submission` and
`backprop-grader check` mean the same by the same number. A batch (`grade`) exits with the worst status
of its submissions: 0 < 1 < 2 < 3.
"""

from __future__ import annotations

from enum import IntEnum

GRADER_FAULT = "The grader failed on this submission"  # the feedback of a report the grader, not the student, spoiled


class Exit(IntEnum):
    FULL_MARKS = 0
    LOST_POINTS = 1
    NOT_GRADED = 2
    GRADER_FAULT = 3
    USAGE = 4


MEANING = {
    Exit.FULL_MARKS: "full marks",
    Exit.LOST_POINTS: "points lost",
    Exit.NOT_GRADED: "could not be graded",
    Exit.GRADER_FAULT: "the grader failed",
    Exit.USAGE: "usage error",
}


def for_report(status: str, score: float, max_score: float, feedback: str = "") -> Exit:
    """The status of one report (JSON fields, or a Report's properties)."""
    if status == "error":
        return Exit.GRADER_FAULT if str(feedback).startswith(GRADER_FAULT) else Exit.NOT_GRADED
    return Exit.FULL_MARKS if score >= max_score else Exit.LOST_POINTS


def for_report_dict(report: dict) -> Exit:
    return for_report(report["status"], report["score"], report["max_score"], report.get("feedback", ""))


def worst(codes) -> Exit:
    """A batch's status: its worst submission's (FULL_MARKS for an empty batch)."""
    return max(codes, default=Exit.FULL_MARKS)


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 submission', '2 submissions', '0 submissions'."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
