"""The workers of a batch: forked processes, each with its own Grader, fed one submission at a time.

Why processes and not threads: the grading process's own share of the work (decoding what the sandbox
sends back, comparing arrays, diagnosing) is a third of the CPU today and grows as the sandbox gets
faster; threads would serialise it on the GIL and cap a batch at one core's worth of it. Forked after
autograd's answers are computed, every worker shares the one `CaseSet` (copy-on-write), and a worker
that dies takes down only the submission it held: that one gets an error report, a fresh worker (with a
fresh sandbox uid) takes its place, and the batch goes on.

A submission that holds its worker past the rubric's `submission_deadline` (a backstop behind the
sandbox's own limits) is treated the same way: the worker is stopped (SIGTERM, which closes its sandbox;
SIGKILL after a grace period, after which the sandbox ends on the closed pipe), the submission gets a
report saying it ran past its deadline, and a fresh worker takes the next one. That report counts as
graded under the same key (content digest, rubric, seed, grader build), so a resumed batch does not wait
on the same file again; deleting the report, or changing the file, grades it again.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from grader.exits import GRADER_FAULT
from grader.frontends.batch_items import Item, write_atomic
from grader.report.class_report import slim

PAST_DEADLINE = "This submission ran past its deadline"  # such reports count as graded on a resumed batch
TERM_GRACE = 10.0  # seconds a stopped worker gets to close its sandbox before SIGKILL
POLL_SECONDS = 0.5
STALL_SECONDS = 1.0  # a normal submission takes 0.1-0.3 s a worker, 1 s on a loaded machine; None: never grow


def fault_report(template, item: Item, error: str) -> dict:
    """An error report for a submission whose grading failed in the grader, not in the student's code."""
    from grader.judge.results import make_report_dict

    report = template.new_report(item.submission)
    report.submission_digest = item.digest
    report.fatal = f"{GRADER_FAULT} ({' '.join(error.split())[:300]}); it is retried when the batch is run again"
    return make_report_dict(report)


def deadline_report(template, item: Item, seconds: float) -> dict:
    """An error report for a submission whose grading was stopped at the batch's per-submission deadline."""
    from grader.judge.results import make_report_dict

    report = template.new_report(item.submission)
    report.submission_digest = item.digest
    report.fatal = (
        f"{PAST_DEADLINE} of {seconds:g} s in the batch and was stopped, so it scores 0. "
        "It is not graded again under the same rubric, seed and grader; delete its report to retry it."
    )
    return make_report_dict(report)


_interrupted = False  # set in a worker by Ctrl-C: its sandbox died of the same signal, not of the submission


def _on_interrupt(signum, frame) -> None:
    global _interrupted
    _interrupted = True


_held = None  # the grader this worker holds, so that the batch's SIGTERM takes its sandbox down with it


def _on_terminate(signum, frame) -> None:
    """The batch stops this worker (its submission ran past the deadline): close the sandbox, then end."""
    _close_quietly(_held)
    os._exit(128 + signum)


def grade_one(worker: int, grader, item: Item, make_grader, template, parent: int):
    """(report dict or None, grader to keep). A fault is retried once with a fresh grader; None: the batch is gone."""
    from grader.judge.results import make_report_dict

    global _held
    error = ""
    for _attempt in range(2):
        try:
            if grader is None:
                grader = _held = make_grader(worker)
            report = grader.grade(item.path)
            report.submission_digest = item.digest  # taken by the batch before this grading began
            report.submission = item.submission  # an archive's entry is named ARCHIVE/ENTRY, not its temporary copy
            return make_report_dict(report), grader
        except Exception as caught:  # noqa: BLE001 - anything: the submission still gets a report
            error = f"{type(caught).__name__}: {caught}"
            _close_quietly(grader)
            grader = None
            if _interrupted or os.getppid() != parent:  # the batch was interrupted: leave this one to the next run
                return None, None
    return fault_report(template, item, error), None


def _close_quietly(grader) -> None:
    if grader is not None:
        try:
            grader.close()
        except Exception:  # noqa: BLE001 - a broken grader is being thrown away anyway
            pass


def _serve(worker: int, conn: Connection, siblings: list[Connection], make_grader, out, template, parent: int) -> None:
    """A worker's life: take an item, grade it, write its report, send back its slim; stop on None or EOF."""
    signal.signal(signal.SIGINT, _on_interrupt)  # Ctrl-C is the batch's to handle; a worker just ends with it
    signal.signal(signal.SIGTERM, _on_terminate)
    for other in siblings:  # the batch's ends of the pipes: holding a copy would hide the batch's death
        other.close()
    grader = None
    try:
        while True:
            try:
                item = conn.recv()
            except (EOFError, OSError):
                return
            if item is None:
                return
            report, grader = grade_one(worker, grader, item, make_grader, template, parent)
            if report is None:
                return
            try:
                write_atomic(out / item.report_file, json.dumps(report, indent=2) + "\n")
            except OSError as error:
                conn.send(("failed", item.index, f"cannot write {out / item.report_file}: {error}"))
                return
            conn.send(("done", item.index, slim(report)))
    except (BrokenPipeError, EOFError, OSError):
        return
    finally:
        _close_quietly(grader)


@dataclass
class Worker:
    id: int
    process: multiprocessing.process.BaseProcess  # a fork context's Process
    conn: Connection
    item: Item | None = None
    started: float = 0.0  # time.monotonic() when it took its item


class ProcessPool:
    """Feeds `items` to `jobs` forked workers; calls `on_done(item, slim_report)` for each, in the parent.

    Why it grows: a submission that hangs (a loop spinning to its time limits, a sleep or `input()` at
    load) holds its worker for seconds while its core idles, and the class's batch waits behind one
    student's code. A worker on its item longer than `STALL_SECONDS` counts as stalled; while fewer than
    `jobs` workers are busy and not stalled and items are pending, an extra worker starts (a new id, so a
    new sandbox uid). When a worker finishes and `jobs` others busy and not stalled would remain, it is
    retired instead of fed. Bound: never more than `jobs` extra, so at most 2 x `jobs` workers (and
    sandboxes) alive, twice the memory of `jobs`; a stalled one mostly sleeps or is cut off by its limits,
    so the CPU in use stays near `jobs` cores. Only the order in which reports are done changes; each
    report, and summary.csv (by item), are the same.
    """

    def __init__(self, items: list[Item], jobs: int, make_grader, out, template, deadline: float | None = None):
        self.pending = deque(items)
        self.deadline = deadline  # seconds per submission; None: no deadline
        self.jobs = max(1, min(jobs, len(items)))
        self.make_grader, self.out, self.template = make_grader, out, template
        self.context = multiprocessing.get_context("fork")
        self.next_id = 0
        self.workers: list[Worker] = []
        self.failure: str | None = None
        self.stall = STALL_SECONDS  # read here, so that a test can patch the module's constant

    def _start(self) -> Worker:
        parent_end, child_end = self.context.Pipe()
        inherited = [parent_end] + [w.conn for w in self.workers]
        process = self.context.Process(
            target=_serve,
            name=f"grader-worker-{self.next_id}",
            daemon=True,
            args=(self.next_id, child_end, inherited, self.make_grader, self.out, self.template, os.getpid()),
        )
        process.start()
        child_end.close()
        self.next_id += 1  # a replacement never reuses a sandbox uid that a dead worker's jobs may still hold
        return Worker(self.next_id - 1, process, parent_end)

    def _feed(self, worker: Worker) -> bool:
        """Send the next item (or None when there is none); False when the worker is gone."""
        item = self.pending.popleft() if self.pending and self.failure is None else None
        try:
            worker.conn.send(item)
        except OSError:
            if item is not None:
                self.pending.appendleft(item)
            return False
        worker.item, worker.started = item, time.monotonic()
        return True

    def _replace(self, worker: Worker, on_done, report: dict | None = None) -> None:
        """A worker died (or was stopped): its submission gets an error report, a new worker takes its place."""
        worker.process.join(timeout=5)
        worker.conn.close()
        self.workers.remove(worker)
        if worker.item is not None:
            if report is None:
                code = worker.process.exitcode
                how = f"signal {signal.Signals(-code).name}" if code and code < 0 else f"exit code {code}"
                why = f"the worker grading it died ({how})"
                report = fault_report(self.template, worker.item, why)
            write_atomic(self.out / worker.item.report_file, json.dumps(report, indent=2) + "\n")
            on_done(worker.item, slim(report))
        if self.pending and self.failure is None:
            self._add_worker()

    def _overdue(self) -> list[Worker]:
        if self.deadline is None:
            return []
        now = time.monotonic()
        return [w for w in self.workers if w.item is not None and now - w.started > self.deadline]

    def _wait_seconds(self) -> float:
        """Until the next poll, or sooner when a submission's deadline (or a worker's stall) falls first."""
        now = time.monotonic()
        busy = [w.started for w in self.workers if w.item is not None]
        wait_for = POLL_SECONDS
        if self.deadline is not None and busy:
            wait_for = min(wait_for, min(busy) + self.deadline - now)
        if self.stall is not None and self.pending:
            coming = [started + self.stall - now for started in busy if started + self.stall > now]
            wait_for = min([wait_for, *coming])
        return max(0.0, wait_for)

    def _fluent(self, now: float) -> list[Worker]:
        """The busy workers not stalled: on their item no longer than the stall threshold."""
        return [w for w in self.workers if w.item is not None and (self.stall is None or now - w.started <= self.stall)]

    def _grow(self) -> None:
        """Start extra workers while stalled ones leave fewer than `jobs` grading, at most 2 x `jobs` in all."""
        while self.stall is not None and self.pending and self.failure is None and len(self.workers) < 2 * self.jobs:
            if len(self._fluent(time.monotonic())) >= self.jobs:
                return
            self._add_worker()

    def _retire(self, worker: Worker) -> bool:
        """True (and the worker ended) when `jobs` other busy workers are not stalled: an extra one goes."""
        if not self.pending or self.failure is not None or len(self._fluent(time.monotonic())) < self.jobs:
            return False
        try:
            worker.conn.send(None)
        except OSError:
            pass
        worker.process.join(timeout=10)
        worker.conn.close()
        self.workers.remove(worker)
        return True

    def _stop(self, worker: Worker, on_done) -> None:
        """A submission ran past its deadline: stop its worker and sandbox, report it, carry on without it."""
        try:
            worker.process.terminate()  # SIGTERM: the worker closes its sandbox and exits
            worker.process.join(TERM_GRACE)
            if worker.process.is_alive():  # stuck where signals wait: its sandbox ends on the closed pipe
                worker.process.kill()
        except (OSError, ValueError):
            pass
        if worker.item is not None and self.deadline is not None:  # as _overdue found it
            self._replace(worker, on_done, deadline_report(self.template, worker.item, self.deadline))
        else:
            self._replace(worker, on_done)

    def _add_worker(self) -> None:
        worker = self._start()
        self.workers.append(worker)
        if not self._feed(worker):
            self.workers.remove(worker)

    def run(self, on_done, on_idle) -> None:
        gc.collect()
        gc.freeze()  # keep the case set's pages shared: the collector would otherwise touch them in every worker
        try:
            for _ in range(self.jobs):
                self._add_worker()
            while any(w.item is not None for w in self.workers):
                busy = [w for w in self.workers if w.item is not None]
                ready = set(
                    wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=self._wait_seconds())
                )
                if not ready:
                    on_idle()
                for worker in busy:
                    if worker.conn in ready:
                        try:
                            kind, _index, payload = worker.conn.recv()
                        except (EOFError, OSError):
                            self._replace(worker, on_done)
                            continue
                        item, worker.item = worker.item, None
                        if kind == "failed":
                            self.failure = payload
                        else:
                            on_done(item, payload)
                        if self._retire(worker):
                            continue
                        if not self._feed(worker):
                            self._replace(worker, on_done)
                    elif worker.process.sentinel in ready:
                        self._replace(worker, on_done)
                for worker in self._overdue():
                    self._stop(worker, on_done)
                self._grow()
        finally:
            gc.unfreeze()
        if self.pending and self.failure is None:  # every new worker died before it could take a submission
            self.failure = (
                f"grading workers keep dying before they start; {len(self.pending)} submissions were not graded"
            )
        for worker in self.workers:  # each was sent None when the work ran out; interrupted, they are left to exit
            worker.process.join(timeout=10)
