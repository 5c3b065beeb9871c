"""The batch's progress bar: done of total, the rate, the time left, and how many could not be graded.

Its own module so that the batch command (batch.py) reads as the flow of a batch; drawn by rich.
"""

from __future__ import annotations


class ProgressBar:
    """rich's progress bar on standard error (done/total, rate, time left), drawn only on a terminal.

    Redrawn by the batch's own loop (after each submission, and when idle), never by a thread of rich's:
    workers are forked while it shows, and a fork must not copy a thread holding the console's lock.
    """

    def __init__(self, total: int, kept: int, enabled: bool | None = None, console=None, clock=None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                return Text(f"{task.speed:.1f}/s" if task.speed else "--/s", style="progress.data.speed")

        console = console or Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self.errors = 0
        self.bar = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TextColumn("time left"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
            disable=not self.enabled,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            get_time=clock,
        )
        note = f"({kept} kept from an earlier run)" if kept else ""
        self.task = self.bar.add_task(
            "grading", total=total, completed=kept, note=note
        )  # kept ones are not in the rate

    def advance(self, error: bool = False) -> None:
        """One more submission finished in this run."""
        self.errors += bool(error)
        if error:
            self.bar.update(self.task, note=f"{self.errors} could not be graded")
        self.bar.advance(self.task)
        self.refresh()

    def refresh(self) -> None:
        if self.enabled:
            self.bar.refresh()

    def stop(self) -> None:
        """Take the bar off the screen (it leaves nothing behind)."""
        self.bar.stop()

    def __enter__(self) -> ProgressBar:
        self.bar.start()
        self.refresh()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
