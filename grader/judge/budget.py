"""What one submission may cost the trusted side: the data it takes from the submission's jobs, and the report.

Everything a job sends is the student's to size, and the trusted process kept all of it: arrays just
under the per-result cap on every case reached 3.2 GB for one submission, a dict of 200,000 small ints
per call 5.4 GB (3.4 MB on the wire, ten times that as Python objects), and `-j N` multiplies each. So
what a job sends is counted as it arrives, against caps that an honest submission is far below (its
jobs send 4 MB in all, at most 1 MB per check and 30 KB of header per frame; measured on the packs'
correct and buggy submissions), and a check's returned values are dropped once it is judged and
diagnosed. A submission over a cap gets a report that says which cap, and the batch goes on.

The caps are constants, not rubric limits: they protect the grader, not the grading, and an
instructor has no reason to lift them (a rubric's limits also name the cached answers it was made
with, and these must not).
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.sandbox.wire import RESULT_ELEMENTS

FRAME_HEADER_BYTES = 1 << 20  # a frame's JSON header (its structure; arrays travel beside it): honest, 30 KB at most
FRAME_ELEMENTS = (
    RESULT_ELEMENTS  # list, tuple and dict elements in one frame (one case's result): honest, a few hundred
)
JOB_BYTES = 64 << 20  # what one check's job may send in all: honest, 1 MB at most
JOB_ELEMENTS = 200_000  # list, tuple and dict elements one check's job may send in all
SUBMISSION_BYTES = 256 << 20  # what all of one submission's jobs may send: honest, 4 MB
SUBMISSION_ELEMENTS = 1_000_000
REPORT_BYTES = 2 << 20  # a submission's JSON report: per-case details beyond it are trimmed, saying so


def header_bytes(output_chars: int) -> int:
    """The cap on a frame's header: its structure, plus the output it may carry (a character is at
    most 6 bytes of JSON), so that a rubric's larger output_chars is never over it."""
    return FRAME_HEADER_BYTES + 6 * output_chars


def mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB"


@dataclass
class Budget:
    """One submission's allowance on the trusted side, shared by all its jobs (see `client._Job`)."""

    bytes_left: int = SUBMISSION_BYTES
    elements_left: int = SUBMISSION_ELEMENTS
    spent: str | None = None  # why the submission's budget ran out: the report says it, later checks do not run

    def take(self, size: int, elements: int) -> None:
        self.bytes_left -= size
        self.elements_left -= elements

    def over(self, size: int) -> str | None:
        """Why a frame of `size` bytes would take the submission past its budget, or None."""
        if size > self.bytes_left:
            return (
                f"your code's results for this submission came to more than the {mib(SUBMISSION_BYTES)} "
                "the grader keeps for one submission"
            )
        return None

    def spend(self, why: str) -> None:
        if self.spent is None:
            self.spent = why


def job_over_bytes() -> str:
    return f"this check's results came to more than the {mib(JOB_BYTES)} the grader keeps for one check"


def elements_over(where: str, cap: int) -> str:
    return f"{where} held more than the {cap:,} list, tuple and dict elements the grader decodes"
