"""The trusted side of one running sandbox job: feed it, read it, judge every frame it sends, keep time.

`_Job` is what `Sandbox.submit` (client.py) returns and portable.py reuses: everything the job sends is
untrusted, so every frame's kind, length and content is checked here (frames.py) and decoded with
`wire`, never unpickled; a malformed frame ends that job with a clear reason. Nothing here ever blocks on
the job: every read and write waits in `select` against a deadline.
"""

from __future__ import annotations

import json
import os
import select
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from grader.errors import GraderFault
from grader.judge import budget as budgets
from grader.sandbox import frames, wire
from grader.sandbox.job_records import JobResult

if TYPE_CHECKING:
    from grader.sandbox.client import Sandbox, _Session

GRACE_SECONDS = 1.0  # beyond a limit the job enforces on itself, before we end it from outside
KINDS = (b"L", b"C", b"Q", b"E")  # all a job may send: its load report, a case's result, a stand-in's question,
# and, in a shared process only, the end of its check (see shared.py)


End = (
    int | socket.socket
)  # a pipe's fd (the zygote's jobs) or a socket (portable.py's relays: Windows selects only those)


def _send(end: End, data: bytes | bytearray) -> int:
    return end.send(data) if isinstance(end, socket.socket) else os.write(end, data)


def _recv(end: End, size: int) -> bytes:
    if not isinstance(end, socket.socket):
        return os.read(end, size)
    try:
        return end.recv(size)
    except ConnectionResetError:  # Windows' loopback sockets may end this way: the same as an end of file
        return b""


def _close(end: End) -> None:
    end.close() if isinstance(end, socket.socket) else os.close(end)


class _Job:
    """One running job, seen from the trusted side: feed it, read it, judge every frame, keep time.

    `job_w` and `ans_w` may be one end: the portable backend sends the job's data and then the answers
    down the same pipe."""

    def __init__(
        self,
        box: Sandbox,
        limits: dict,
        count: int,
        payload: bytes,
        job_w: End,
        res_r: End,
        ans_w: End,
        answer: Callable[[dict, int], dict] | None,
        session: _Session | None = None,
    ):
        self.box, self.limits, self.count, self.answer = box, limits, count, answer
        self.session = session  # the shared process this job runs in, if any (shared.py)
        self.ended = False  # its E frame came: every result in, the process fit for another check
        self.kept = False  # ... and it will serve the next one
        self.end_deadline: float | None = None
        self.out: dict[End, bytearray] = {job_w: bytearray(b"J" + _framed(payload))}
        self.res_r: End | None = res_r  # None once it is closed
        self.ans_w: End | None = ans_w
        self.buffer = bytearray()
        self.unread = 0  # bytes in `buffer` after the frame being taken: a check's E frame must be its last
        self.taken = self.elements = 0
        self.cap = min(int(limits["result_bytes"]) * (count + 2), budgets.JOB_BYTES)
        self.budget: budgets.Budget | None = getattr(box, "budget", None)
        self.result = JobResult()
        self.reason: str | None = None
        self.exit: dict | None = None
        self.started = time.monotonic()
        self.deadline = self.started + float(limits["total_seconds"]) + GRACE_SECONDS
        self.case_deadline: float | None = None
        for fd in (job_w, res_r, ans_w):
            fd.setblocking(False) if isinstance(fd, socket.socket) else os.set_blocking(fd, False)
        self._write(job_w)  # all of it, where the pipe is wide enough: the job starts before we collect

    def _stop(self, reason: str, detail: str = "") -> None:
        """End the job from outside, for `reason`; the first reason is the one reported."""
        self.kept = False  # a process stopped from outside serves no more checks
        if self.reason is None:
            self.reason = reason
            if detail:
                self.result.done["detail"] = detail
            self.box._kill()
        self.case_deadline = None

    def cancel(self) -> JobResult:
        """End the job now (the caller failed before collecting it) and wait until it is gone."""
        self._stop("cancelled")
        return self.collect()

    def collect(self) -> JobResult:
        """Feed the job, read what it sends, answer its questions, until it has ended; then judge it."""
        control = self.box._control
        if control is None:
            raise GraderFault("the sandbox's fork server is not running")
        killed_at: float | None = None
        try:
            self._drain(control)
            while (self.exit is None or self.res_r is not None) and not self.kept:
                now = time.monotonic()
                if self.reason is None and now >= self.deadline:
                    self._stop("timeout")
                elif self.reason is None and self.case_deadline is not None and now >= self.case_deadline:
                    index = len(self.result.cases)
                    self.result.cases[index] = {
                        "i": index,
                        "status": "timeout",
                        "seconds": float(self.limits["case_seconds"]),
                    }
                    self._stop("timeout")
                elif self.reason is None and self.end_deadline is not None and now >= self.end_deadline:
                    self._stop("corrupt", "no end of the check after its last result")
                if self.reason is not None and killed_at is None:
                    killed_at = now
                if killed_at is not None and now - killed_at > 10:
                    raise GraderFault("the sandbox's fork server did not end a job it was asked to kill")
                limit = (
                    killed_at + 10
                    if killed_at is not None
                    else min(filter(None, (self.deadline, self.case_deadline, self.end_deadline)))
                )
                readers = [fd for fd in (self.res_r,) if fd is not None] + ([control] if self.exit is None else [])
                writers = [fd for fd, data in self.out.items() if data]
                ready_r, ready_w, _ = select.select(
                    readers, writers, [], max(0.0, limit - now) if self.exit is None else 5.0
                )
                if not ready_r and not ready_w and self.exit is not None:
                    break  # the job is gone and its pipe is still open: something it left holds it
                for fd in ready_w:
                    self._write(fd)
                if control in ready_r:
                    self._control_message(control)
                if self.res_r in ready_r:
                    self._read()
        finally:
            self.box._in_flight = False
            if not self.kept:
                self._close_all()
        return self._finish()

    def _close_all(self) -> None:
        """Every end of this job's pipes; a shared process's too, which is then no longer the sandbox's."""
        session = self.session
        if session is not None:
            self._end_input()
            session.channel.close()
            if self.box._session is session:
                self.box._session = None
        for fd in [*self.out, self.res_r, self.ans_w]:
            if fd is not None:
                try:
                    _close(fd)
                except OSError:
                    pass
        self.out.clear()
        self.res_r = self.ans_w = None

    def _end_input(self) -> None:
        """A shared process's end of file on its job pipe: no more checks, so it exits."""
        session = self.session
        if session is not None and session.job_w is not None:
            self.out.pop(session.job_w, None)
            try:
                os.close(session.job_w)
            except OSError:
                pass
            session.job_w = None

    def _drain(self, control) -> None:
        """Take what the job sent while nobody was collecting (`submit`: the caller was judging the check
        before), before any deadline is looked at: a job that ended in time is never timed out for our
        lateness. One that is still running is held to its deadlines, counted from its start, as ever."""
        while (self.exit is None or self.res_r is not None) and not self.kept:
            readers = [fd for fd in (self.res_r,) if fd is not None] + ([control] if self.exit is None else [])
            ready, _, _ = select.select(readers, [], [], 0)
            if not ready:
                return
            if control in ready:
                self._control_message(control)
            if self.res_r in ready:
                self._read()
            if self.reason is not None:
                return

    def _write(self, fd: End) -> None:
        data = self.out[fd]
        try:
            data[: _send(fd, data)] = b""
        except BlockingIOError:
            return
        except OSError:  # the job is gone or closed its end: nobody to tell
            data.clear()
        if not data and fd != self.ans_w:
            if self.session is None or fd != self.session.job_w:
                _close(fd)  # a shared process keeps its job pipe for the next check's data
            del self.out[fd]

    def _control_message(self, control: socket.socket) -> None:
        try:
            message = control.recv(65536)
        except OSError:
            message = b""
        if not message:
            self.box.close()
            raise GraderFault("the sandbox's fork server stopped unexpectedly")
        reply = json.loads(message)
        if reply.get("op") != "exit":
            return
        if reply.get("wall_error"):
            raise GraderFault(
                f"the sandbox could not wall a job in ({reply['wall_error']}); nothing of the submission ran"
            )
        self.exit = reply

    def _read(self) -> None:
        if self.res_r is None:
            return
        try:
            chunk = _recv(self.res_r, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            _close(self.res_r)
            self.res_r = None
            return
        if self.reason is not None:
            return  # the job is being killed: nothing it says counts any more
        buffer = self.buffer
        buffer += chunk
        start = 0  # frames are taken from here on, and the buffer cut once: not a move of the rest per frame
        try:
            while len(buffer) - start >= 5 and self.reason is None:
                kind, size = bytes(buffer[start : start + 1]), wire._LEN.unpack_from(buffer, start + 1)[0]
                if kind not in KINDS or (kind == b"E" and self.session is None):
                    self._stop("corrupt", f"a frame of unknown kind {kind!r}")
                elif self.ended:
                    self._stop("corrupt", "a frame after the end of the check")
                elif size > self.limits["result_bytes"] + (1 << 20):
                    self._stop(
                        "overflow",
                        f"a frame of {size:,} bytes, over the {int(self.limits['result_bytes']):,} one result may have",
                    )
                elif self.taken + size > self.cap:
                    self._over(budgets.job_over_bytes())
                elif self.budget is not None and (why := self.budget.over(size)):
                    self._over(why, submission=True)
                elif len(buffer) - start >= 5 + size:
                    with memoryview(buffer) as view:
                        payload = bytes(view[start + 5 : start + 5 + size])
                    start += 5 + size
                    self.taken += size
                    self.unread = len(buffer) - start
                    self._frame(kind, payload)
                else:
                    break
        finally:
            del buffer[:start]
            self.unread = len(buffer)

    def _over(self, why: str, submission: bool = False) -> None:
        """A budget ran out (budget.py): the check ends here; with the submission's, so do the rest."""
        if submission and self.budget is not None:
            self.budget.spend(why)
        self._stop("budget", why)

    def _frame(self, kind: bytes, payload: bytes) -> None:
        """Check one complete frame against what may come at this point, field by field, and take it."""
        job_left = budgets.JOB_ELEMENTS - self.elements
        submission_left = self.budget.elements_left if self.budget is not None else job_left
        left = min(budgets.FRAME_ELEMENTS, job_left, submission_left)
        try:
            message, elements = wire.decode_counted(
                payload, max_elements=left, max_header=budgets.header_bytes(int(self.limits["output_chars"]))
            )
        except wire.WireTooLarge as error:
            if error.elements and left < budgets.FRAME_ELEMENTS:  # an allowance ran out, not the frame's own cap
                if left == submission_left < job_left:
                    return self._over(
                        budgets.elements_over("this submission's results", budgets.SUBMISSION_ELEMENTS), submission=True
                    )
                return self._over(budgets.elements_over("this check's results", budgets.JOB_ELEMENTS))
            return self._stop("overflow", f"a frame over the grader's caps ({error})")
        except (wire.WireError, RecursionError) as error:
            return self._stop("corrupt", f"a frame that is not valid data ({error})")
        self.elements += elements
        if self.budget is not None:
            self.budget.take(len(payload), elements)
        if not isinstance(message, dict):
            return self._stop("corrupt", "a frame that is not a record")
        output_chars = int(self.limits["output_chars"])
        try:
            if kind == b"L":
                message = frames.load_report(message, output_chars)
            elif kind == b"C":
                message = frames.case_result(message, output_chars)
            elif kind == b"E":
                message = frames.end_of_check(message)
            else:
                message = frames.question(message)
        except frames.FrameError as error:
            return self._stop("corrupt", f"a {kind.decode()} frame whose field is wrong: {error}")
        if kind == b"L":
            if self.result.load is not None:
                return self._stop("corrupt", "a second load report")
            self.result.load = message
        elif self.result.load is None:
            return self._stop("corrupt", "a result before the load report")
        elif kind == b"E":
            if len(self.result.cases) < self.count or any(
                c.get("status") == "timeout" for c in self.result.cases.values()
            ):
                return self._stop("corrupt", "an end of the check before its last result")
            return self._end(message["clean"])
        elif kind == b"C":
            if message["i"] != len(self.result.cases) or len(self.result.cases) >= self.count:
                return self._stop("corrupt", "a result for a case that is not the one running")
            self.result.cases[message["i"]] = message
        else:  # a stand-in's question
            if message["i"] != len(self.result.cases):
                return self._stop("corrupt", "a question for a case that is not the one running")
            reply = self.answer(message, len(self.result.cases)) if self.answer else None
            if self.ans_w is not None:
                self.out.setdefault(self.ans_w, bytearray())
                self.out[self.ans_w] += b"A" + _framed(wire.encode(reply or {"matched": None}))
        if kind == b"Q":
            return  # a question does not buy the running case more time
        if len(self.result.cases) < self.count:
            self.case_deadline = time.monotonic() + float(self.limits["case_seconds"]) + GRACE_SECONDS
        else:
            self.case_deadline = None
            if self.session is not None:  # its E frame comes next: the process's own cleaning, held to a case's time
                self.end_deadline = time.monotonic() + float(self.limits["case_seconds"]) + GRACE_SECONDS

    def _end(self, clean: bool) -> None:
        """A shared process's check is over, every result in: keep the process for the next check, or,
        when it is unfit or full, tell it to exit (end of file) and wait for that as for any job."""
        self.ended, self.end_deadline = True, None
        session = self.session
        if session is not None and clean and session.served < session.limit and not self.unread and self.exit is None:
            self.kept = True
        else:
            self._end_input()

    def _finish(self) -> JobResult:
        done = self.result.done
        exit = self.exit or ({"exit_code": 0} if self.kept else {})
        done.update(seconds=time.monotonic() - self.started, exit_code=exit.get("exit_code"), signal=exit.get("signal"))
        ran_all = len(self.result.cases) == self.count or any(
            c.get("status") == "timeout" for c in self.result.cases.values()
        )
        done["finished"] = (
            self.reason is None and exit.get("exit_code") == 0 and self.result.load is not None and ran_all
        )
        done["reason"] = None if done["finished"] else self.reason or "crash"
        return self.result


def _framed(payload: bytes) -> bytes:
    return wire._LEN.pack(len(payload)) + payload
