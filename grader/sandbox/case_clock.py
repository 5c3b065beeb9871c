"""The per-case clock inside a job: SIGALRM where there is one, a timer thread where there is not.

Student code runs against it (child.py arms it for each statement and case); a stand-in's question to
the trusted grader stops it while the grader answers. Only the standard library here.
"""

from __future__ import annotations

import signal


class CaseTimeout(BaseException):
    """The per-case alarm: a BaseException, so that `except Exception` in student code does not eat it."""


def _alarm(seconds: float) -> None:
    if _timer is not None:
        _timer.arm(seconds)
    else:
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.0))


def _hold_alarm() -> float:
    """Stop the running case's clock while the trusted grader answers a stand-in's question, and return
    what was left of it (0: none ran). The grader may still be judging the check before this one (it
    starts each job early), and that wait is not the student's code's time; the job's total deadline,
    kept by the grader from the job's start, still bounds it. (The portable backend's jobs run only
    while the grader feeds them, so its timer thread runs on.)"""
    if _timer is not None:
        return 0.0
    return signal.setitimer(signal.ITIMER_REAL, 0)[0]


class TimerAlarm:
    """The per-case alarm where there is no SIGALRM (Windows, under the portable backend): a timer thread
    interrupts the main thread as a SIGINT whose handler raises CaseTimeout. It stops Python code only; a
    sleep or a long C call runs on until the trusted side's deadline ends the whole job."""

    def __init__(self):
        import _thread
        import threading

        self._interrupt, self._threading = _thread.interrupt_main, threading
        self._lock, self._armed, self._pending = threading.Lock(), 0, None
        signal.signal(signal.SIGINT, _on_alarm)

    def arm(self, seconds: float) -> None:
        with self._lock:
            self._armed += 1  # a timer armed before this call no longer fires
            if self._pending is not None:
                self._pending.cancel()
                self._pending = None
            if seconds > 0:
                self._pending = self._threading.Timer(seconds, self._fire, (self._armed,))
                self._pending.daemon = True
                self._pending.start()

    def _fire(self, armed: int) -> None:
        with self._lock:
            if armed == self._armed:
                self._interrupt(signal.SIGINT)


_timer: TimerAlarm | None = None


def use_timer() -> None:
    """The timer thread from now on (no SIGALRM here): set before the guard denies threading."""
    global _timer
    _timer = TimerAlarm()


def _on_alarm(signum, frame):
    raise CaseTimeout()
