"""The workers of a batch: forked processes, each with its own Grader, fed one submission at a time.

Why processes and not threads: the grading process's own share of the work (decoding what the sandbox
sends back, comparing arrays, diagnosing) is a third of the CPU today and grows as the sandbox gets
faster; threads would serialise it on the GIL and cap a batch at one core's worth of it. Forked after
autograd's answers are computed, every worker shares the one `CaseSet` (copy-on-write), and a worker
that dies takes down only the submission it held: that one gets an error report, a fresh worker (with a
fresh sandbox uid) takes its place, and the batch goes on.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import signal
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from grader.batch import GRADER_FAULT, Item, write_atomic
from grader.class_report import slim


def fault_report(template, item: Item, error: str) -> dict:
    """An error report for a submission whose grading failed in the grader, not in the student's code."""
    from grader.results import make_report_dict

    report = template.new_report(str(item.path))
    report.submission_digest = item.digest
    report.fatal = f"{GRADER_FAULT} ({' '.join(error.split())[:300]}); it is retried when the batch is run again"
    return make_report_dict(report)


_interrupted = False  # set in a worker by Ctrl-C: its sandbox died of the same signal, not of the submission


def _on_interrupt(signum, frame) -> None:
    global _interrupted
    _interrupted = True


def grade_one(worker: int, grader, item: Item, make_grader, template, parent: int):
    """(report dict or None, grader to keep). A fault is retried once with a fresh grader; None: the batch is gone."""
    from grader.results import make_report_dict

    error = ""
    for _attempt in range(2):
        try:
            if grader is None:
                grader = make_grader(worker)
            report = grader.grade(item.path)
            report.submission_digest = item.digest  # taken by the batch before this grading began
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
    process: multiprocessing.Process
    conn: Connection
    item: Item | None = None


class ProcessPool:
    """Feeds `items` to `jobs` forked workers; calls `on_done(item, slim_report)` for each, in the parent."""

    def __init__(self, items: list[Item], jobs: int, make_grader, out, template):
        self.pending = deque(items)
        self.jobs = max(1, min(jobs, len(items)))
        self.make_grader, self.out, self.template = make_grader, out, template
        self.context = multiprocessing.get_context("fork")
        self.next_id = 0
        self.workers: list[Worker] = []
        self.failure: str | None = None

    def _start(self) -> Worker:
        parent_end, child_end = self.context.Pipe()
        inherited = [parent_end] + [w.conn for w in self.workers]
        process = self.context.Process(target=_serve, name=f"grader-worker-{self.next_id}", daemon=True,
                                       args=(self.next_id, child_end, inherited, self.make_grader, self.out, self.template, os.getpid()))
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
        worker.item = item
        return True

    def _replace(self, worker: Worker, on_done) -> None:
        """A worker died: its submission gets an error report, a new worker takes its place."""
        worker.process.join(timeout=5)
        worker.conn.close()
        self.workers.remove(worker)
        if worker.item is not None:
            code = worker.process.exitcode
            why = f"the worker grading it died ({'signal ' + signal.Signals(-code).name if code and code < 0 else f'exit code {code}'})"
            report = fault_report(self.template, worker.item, why)
            write_atomic(self.out / worker.item.report_file, json.dumps(report, indent=2) + "\n")
            on_done(worker.item, slim(report))
        if self.pending and self.failure is None:
            self._add_worker()

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
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.5))
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
                        if not self._feed(worker):
                            self._replace(worker, on_done)
                    elif worker.process.sentinel in ready:
                        self._replace(worker, on_done)
        finally:
            gc.unfreeze()
        if self.pending and self.failure is None:  # every new worker died before it could take a submission
            self.failure = f"grading workers keep dying before they start; {len(self.pending)} submissions were not graded"
        for worker in self.workers:  # each was sent None when the work ran out; interrupted, they are left to exit
            worker.process.join(timeout=10)
