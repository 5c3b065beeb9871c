"""A one-line progress bar for batch grading: done/total, rate and time left, on a terminal only.

An instructor watching a 2,000-submission batch wants to know when it ends; a log file or a CI job
does not want carriage returns. So the bar draws only when its stream is a TTY, redraws at most a few
times a second (drawing must never cost grading time), and leaves nothing behind when it closes.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

REDRAW_SECONDS = 0.1


def format_seconds(seconds: float) -> str:
    """12s, 3m05s, 1h02m: short enough for one line."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Counts submissions as they finish; `skipped` ones (already graded) count as done but not in the rate."""

    def __init__(self, total: int, skipped: int = 0, stream: TextIO | None = None, enabled: bool | None = None,
                 clock=time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.total, self.skipped = total, skipped
        self.graded = 0  # finished in this run
        self.errors = 0
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None
        self._width = 0

    @property
    def done(self) -> int:
        return self.skipped + self.graded

    def rate(self) -> float | None:
        """Submissions per second graded in this run, or None before the first one."""
        elapsed = self._clock() - self._started
        return self.graded / elapsed if self.graded and elapsed > 0 else None

    def eta(self) -> float | None:
        rate = self.rate()
        return (self.total - self.done) / rate if rate else None

    def line(self, width: int = 80) -> str:
        """The text of the bar, fitted to `width` columns."""
        rate, eta = self.rate(), self.eta()
        counts = f"{self.done}/{self.total}"
        tail = f" {rate:.1f}/s" if rate else " --/s"
        tail += f"  ETA {format_seconds(eta)}" if eta is not None else "  ETA --"
        if self.skipped:
            tail += f"  ({self.skipped} already graded)"
        if self.errors:
            tail += f"  {self.errors} error{'s' if self.errors != 1 else ''}"
        room = width - len(counts) - len(tail) - len("grading [] ") - 1
        if room >= 10:
            bar_width = min(room, 40)
            filled = bar_width * self.done // self.total if self.total else bar_width
            bar = f"[{'#' * filled}{'.' * (bar_width - filled)}] "
        else:
            bar = ""
        return f"grading {bar}{counts}{tail}"[: max(width - 1, 1)]

    def advance(self, error: bool = False) -> None:
        """One more submission finished in this run."""
        self.graded += 1
        self.errors += bool(error)
        self.draw()

    def draw(self, force: bool = False) -> None:
        """Redraw, at most every REDRAW_SECONDS unless forced; a no-op when disabled."""
        if not self.enabled:
            return
        now = self._clock()
        if not force and self._drawn_at is not None and now - self._drawn_at < REDRAW_SECONDS:
            return
        self._drawn_at = now
        text = self.line(shutil.get_terminal_size((80, 24)).columns)
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar so that what is printed next starts on a clean line."""
        if self.enabled and self._drawn_at is not None:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._drawn_at = None

    def __enter__(self) -> "Progress":
        self.draw(force=True)
        return self

    def __exit__(self, *exc) -> None:
        self.close()
