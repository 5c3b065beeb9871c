"""What the three parts of a batch (batch.py, batch_pool.py, batch_resume.py) share: the item graded and
the way a report is written. Its own module so that the pool and the resume logic need not import the
command that imports them.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Item:
    index: int
    path: Path
    name: str  # unique in the batch: the report is <name>.json
    digest: str = ""  # of the submission's bytes, taken before grading ("" when unreadable: never resumed)
    shown: str = ""  # the path its report names, where not `path` (an archive's entry: ARCHIVE/ENTRY)
    refused: str = ""  # why it cannot be read at all (an archive over the limits): reported, never graded

    @property
    def report_file(self) -> str:
        return f"{self.name}.json"

    @property
    def submission(self) -> str:
        return self.shown or str(self.path)


def resolved(path: Path | str) -> Path:
    """`path` resolved; a link loop (which has no resolved path) made absolute instead."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a link loop
        return Path(os.path.abspath(path))


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a sibling temporary file, fsync it, rename it over `path`: a reader never sees half a file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
