"""The class report's four pictures: what each one shows, and drawing them beside the rest of the report.

At the end of a batch every worker has finished and the cores are idle, while the pictures are most
of the report's tail: importing matplotlib (about 0.35 s of CPU) and drawing the four (0.4 to 0.7 s).
So a forked helper draws them while the parent writes the pages (`Drawing`); started early with
`prepare()` (at a batch's start, while the parent's own set-up leaves a core idle), the helper has
imported matplotlib before the batch needs it, and the tail waits only for the drawing.

The bytes are the same as drawn in one process (`pictures`): the same code draws the same figures
under matplotlib's defaults (`plots.draw`); every file is written by the parent through its own
`write`; and whatever the helper did not deliver (it failed, could not be started, or ran out of
time) the parent draws itself, so an error in drawing is raised where it always was.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from typing import Any

from grader.report.class_numbers import ClassStats, score_bins, unit_rows

PICTURE_NAME, PASS_RATES = "score_distribution.png", "pass_rates.png"
MISCONCEPTIONS, TIMES = "misconceptions.png", "grading_time.png"
ALT = {
    PICTURE_NAME: "Score distribution: submissions per score range",
    PASS_RATES: "Each function: full marks, and cases passed",
    MISCONCEPTIONS: "Misconceptions recognised, per function",
    TIMES: "Time per submission",
}
HELPER_SECONDS = 120.0  # a helper that has not delivered by then is given up on (drawing takes about a second)


def picture_jobs(stats: ClassStats) -> list[tuple[str, str, tuple]]:
    """(file name, the `plots` function that draws it, its arguments) for the four pictures, in page order:
    score histogram, pass rates, misconceptions per function, time per submission.

    Only graded submissions are in the first three; each assignment's shares are of its own submissions.
    The function is named, not imported, so that building the jobs does not import matplotlib."""
    bins = [(own.title or own.name, score_bins(own.scores, stats.max_score)[0]) for own in stats.assignments.values()]
    labels = score_bins([], stats.max_score)[1]
    rows = unit_rows(stats)
    full = [100 * u.full_marks / (u.submissions or 1) for _, _, u in rows]
    cases = [100 * u.case_fraction / (u.submissions or 1) for _, _, u in rows]
    ranked = sorted(stats.misconceptions.items(), key=lambda kv: (-kv[1].submissions, kv[0]))
    names = list(stats.units)
    where = [f for f in names if any(m.functions.get(f) for _, m in ranked)]
    where += sorted({f for _, m in ranked for f in m.functions} - set(where))
    matrix = [[m.functions.get(f, 0) for f in where] for _, m in ranked]
    return [
        (PICTURE_NAME, "score_histogram", (bins, labels, stats.max_score, len(stats.errors))),
        (PASS_RATES, "pass_rates", ([label for _, label, _ in rows], full, cases)),
        (MISCONCEPTIONS, "misconception_map", ([code for code, _ in ranked], where, matrix)),
        (TIMES, "grading_time", (stats.seconds,)),
    ]


def _draw(job: tuple[str, str, tuple]) -> bytes:
    from grader.report import plots

    _, make, args = job
    return plots.draw(getattr(plots, make), *args)


def pictures(stats: ClassStats) -> dict[str, bytes]:
    """The four pictures' PNG bytes by file name, drawn in this process."""
    return {job[0]: _draw(job) for job in picture_jobs(stats)}


def _can_fork() -> bool:
    """A fork is safe with no other thread running (a child could inherit a lock one holds) and where the
    fork start method exists (not on Windows)."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def _serve(jobs_in: Any, results_out: Any, parent_ends: tuple) -> None:
    """The helper: import matplotlib now, then draw the jobs it is sent and send each (file name, bytes)."""
    for end in parent_ends:  # so that the parent's end closing (or its death) reads here as EOF
        end.close()
    try:
        from grader.report import plots  # noqa: F401 - matplotlib's import, before the pictures are asked for

        for job in jobs_in.recv():
            results_out.send((job[0], _draw(job)))
    except BaseException:  # noqa: BLE001 - the parent draws what it did not get, and raises there
        pass
    finally:
        results_out.close()


class _Helper:
    """A forked process that imports matplotlib at once, then draws the one list of jobs it is sent."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        jobs_in, self._jobs = context.Pipe(duplex=False)
        self._results, results_out = context.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):  # the helper must not write out what is buffered here
            if stream is not None:
                stream.flush()
        self.process = context.Process(
            target=_serve,
            args=(jobs_in, results_out, (self._jobs, self._results)),
            name="class-report-pictures",
            daemon=True,
        )
        self.process.start()
        jobs_in.close()
        results_out.close()

    def draw(self, jobs: list) -> bool:
        """Send the jobs; False when the helper is gone."""
        try:
            self._jobs.send(jobs)
        except OSError:
            return False
        return True

    def results(self, seconds: float):
        """(file name, bytes) as each picture comes, until the helper is done, gone, or `seconds` passed."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and self._results.poll(left):
            try:
                yield self._results.recv()
            except (EOFError, OSError):  # done: it closed its end, or it died
                return

    def close(self, wait: float = 0.0) -> None:
        """Reap the helper, waiting `wait` seconds for it to exit of itself before ending it."""
        self._jobs.close()
        self.process.join(timeout=wait)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self._results.close()


_prepared: _Helper | None = None  # started by prepare(), taken by the next Drawing


def prepare() -> None:
    """Start the helper now, so that matplotlib is imported by the time a class report is written (call it
    where this process is busy with one core, with no other thread running; a no-op otherwise)."""
    global _prepared
    if _prepared is None and _can_fork():
        _prepared = _Helper()


class Drawing:
    """The pictures of one class report, drawn by a forked helper while this process writes the pages.

    The helper is the one `prepare()` started, or one started here; none where a fork is unsafe or
    unavailable (`_can_fork`), and then `finish` draws all four here, as before."""

    def __init__(self, stats: ClassStats):
        global _prepared
        self.jobs = picture_jobs(stats)
        self.drawn: dict[str, bytes] = {}
        self.delivered: list[str] = []  # the pictures the helper drew, in the order they came
        self.helper, _prepared = _prepared, None
        if self.helper is not None and not self.helper.process.is_alive():
            self.helper.close()
            self.helper = None
        if self.helper is None and _can_fork():
            self.helper = _Helper()
        if self.helper is not None and not self.helper.draw(self.jobs):
            self.close()

    def finish(self) -> dict[str, bytes]:
        """The four pictures' bytes by file name, in page order: the helper's, and any it did not deliver
        drawn here."""
        try:
            if self.helper is not None:
                for name, data in self.helper.results(HELPER_SECONDS):
                    self.drawn[name] = data
                    self.delivered.append(name)
                self.helper.close(wait=5)  # it has sent all it will: it is exiting
                self.helper = None
        finally:
            self.close()
        for job in self.jobs:
            if job[0] not in self.drawn:
                self.drawn[job[0]] = _draw(job)
        return {job[0]: self.drawn[job[0]] for job in self.jobs}

    def close(self) -> None:
        """End and reap the helper (done already when `finish` returns; at once when the page writing failed)."""
        if self.helper is not None:
            self.helper.close()
            self.helper = None
