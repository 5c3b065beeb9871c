"""Where a submission's text shows which edition of a notebook it was written for: one shared reader.

Every pack with editions (pack 1's notebook versions, pack 2's) reads the same kind of evidence: a
table of (compiled pattern, the editions it suggests, what it is in words), each searched for once per
cell or file, and the first match named by its cell and line. Each pack keeps its own `Evidence` type
(its words for the editions differ), so the reader takes the constructor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

E = TypeVar("E")


def line_number(text: str, index: int) -> int:
    """The 1-based line of `text` that holds character `index`."""
    return text.count("\n", 0, index) + 1


def pattern_evidence(
    where: str,
    text: str,
    patterns: Iterable[tuple[re.Pattern[str], frozenset[str], str]],
    make: Callable[[str, str, frozenset[str]], E],
) -> list[E]:
    """One `make(where-and-line, what, editions)` for each pattern found in `text`, at its first match."""
    out = []
    for pattern, versions, what in patterns:
        match = pattern.search(text)
        if match:
            out.append(make(f"{where}, line {line_number(text, match.start())}", what, versions))
    return out
