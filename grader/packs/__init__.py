"""The assignment packs: each sub-folder here that defines `PACK` is one (see grader/pack.py).

Found by folder, so that the engine never imports a pack by name and adding an assignment touches no
engine module. `DEFAULT` is the assignment a rubric without `[grading] assignment` meant before packs
existed; a submission is otherwise matched to the pack whose graded functions it defines.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from grader.errors import GraderError
from grader.pack import Pack

DEFAULT = "step_by_step"  # what every rubric and report meant before there was a second assignment
AUTO = "auto"


@cache
def names() -> tuple[str, ...]:
    """Every pack's name, the default first: each sub-folder that defines PACK (importing one is cheap:
    a pack imports torch only to compute answers)."""
    found = [
        m.name
        for m in pkgutil.iter_modules(__path__)
        if m.ispkg and not m.name.startswith("_") and hasattr(importlib.import_module(f"{__name__}.{m.name}"), "PACK")
    ]
    return tuple(sorted(found, key=lambda n: (n != DEFAULT, n)))


@cache
def get(name: str) -> Pack:
    """The pack called `name`; a GraderError naming the known ones otherwise."""
    if name not in names():
        raise GraderError(f"unknown assignment {name!r}; known: {', '.join(names())}")
    pack = getattr(importlib.import_module(f"{__name__}.{name}"), "PACK", None)
    if not isinstance(pack, Pack) or pack.name != name:
        raise GraderError(f"grader/packs/{name} does not define PACK, a Pack named {name!r}")
    return pack


def of_report(report) -> Pack:
    """The pack a report (a Report or its JSON dict) was graded by; reports from before packs: the default."""
    name = report.get("assignment") if isinstance(report, dict) else getattr(report, "assignment", "")
    return get(name or DEFAULT)


def all_packs() -> list[Pack]:
    return [get(name) for name in names()]


def all_functions() -> tuple[str, ...]:
    """Every pack's graded functions (a submission is read before its assignment is known)."""
    return tuple(dict.fromkeys(f for pack in all_packs() for f in pack.functions))


def all_units(present: list[str] | None = None) -> tuple[str, ...]:
    """The graded units of the packs named in `present` (default: all), the default pack's first."""
    return tuple(
        dict.fromkeys(u for pack in all_packs() if present is None or pack.name in present for u in pack.units)
    )


def recognise(texts: list[str]) -> Pack:
    """The pack whose graded functions the texts define most of (ties and nothing: the default)."""
    scored = [(pack.recognise(texts), pack.name == DEFAULT, pack) for pack in all_packs()]
    best = max(scored, key=lambda s: (s[0], s[1]))
    return best[2] if best[0] > 0 else get(DEFAULT)


def resolve(name: str | None, texts: list[str] | None = None) -> Pack:
    """The pack to grade by: the one named, else recognised from `texts`, else the default."""
    if name and name != AUTO:
        return get(name)
    return recognise(texts) if texts else get(DEFAULT)
