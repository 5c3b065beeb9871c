"""Points, case counts, limits and rules for a grading run, with defaults summing to 100.

An instructor overrides any of it with a TOML file:

    [grading]
    cases = 30                    # per function, unless a function says otherwise
    legacy_grads_keys = true      # accept the pre-2019 dA1..dAL keys (said in the feedback)
    version = "v4"                # grade every submission as this notebook version (default "auto": recognise it)
    deny_imports = ["scipy"]      # added to the built-in denied modules
    assignment = "step_by_step"   # the assignment pack (default "auto": recognised from each submission)

    [limits]
    case_seconds = 2              # one call of a student function
    function_seconds = 60         # all the cases of one function, loading included
    load_seconds = 5              # one top-level statement while loading
    memory_mb = 1024
    submission_seconds = 600      # one submission in a batch, all checks: then its worker is stopped

    [functions.linear_backward]
    points = 15
    cases = 40
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from grader import packs
from grader.errors import GraderError
from grader.pack import Pack
from grader.sandbox.client import Limits
from grader.sandbox.guard import DEFAULT_DENIED

DEFAULT_CASES = 20
DEADLINE_MARGIN = 60.0  # seconds on top of the sandbox's own limits: the trusted side's share, a loaded machine


@dataclass(frozen=True)
class Unit:
    points: float
    cases: int = DEFAULT_CASES

    def __post_init__(self):
        object.__setattr__(self, "points", float(self.points))  # 8 and 8.0 are one rubric


def default_units(pack: Pack, cases: int = DEFAULT_CASES, functions: dict | None = None) -> dict[str, Unit]:
    """The pack's default points, `cases` cases each, with the rubric's [functions.NAME] tables applied."""
    units = {n: Unit(pack.default_points[n], cases) for n in pack.units if n in pack.default_points}
    for name, table in (functions or {}).items():
        if name in units:
            unit = units[name]
            units[name] = Unit(table.get("points", unit.points), table.get("cases", unit.cases))
    return units


@dataclass(frozen=True)
class Rubric:
    units: dict[str, Unit] = field(default_factory=lambda: default_units(packs.get(packs.DEFAULT)))
    limits: Limits = Limits()
    denied: tuple[str, ...] = DEFAULT_DENIED
    legacy_grads_keys: bool = False
    source: str = "default"
    submission_seconds: float | None = None  # None: `submission_deadline` derives one from the limits
    version: str = "auto"  # the notebook version to grade by; "auto" recognises each submission's own
    assignment: str = ""  # the pack to grade by; "auto" recognises each submission's; "": not said (the default pack)
    cases: int = DEFAULT_CASES  # [grading] cases, and [functions.NAME] below: kept to apply to any pack
    functions: dict = field(default_factory=dict)
    pack: str = packs.DEFAULT  # the pack `units` belong to

    def for_pack(self, pack: Pack) -> Rubric:
        """This rubric applied to `pack` (its default points, with this rubric's overrides)."""
        if pack.name == self.pack:
            return self
        return replace(self, units=default_units(pack, self.cases, self.functions), pack=pack.name)

    @property
    def submission_deadline(self) -> float:
        """Seconds a batch gives one submission before it stops that worker and reports the deadline.

        A backstop, not a limit students should meet: by default every check's own limit (loading
        included) in turn, one more load, and a margin, so only a grading that the sandbox's own
        deadlines failed to stop ever reaches it.
        """
        if self.submission_seconds is not None:
            return self.submission_seconds
        return len(self.units) * self.limits.total_seconds + self.limits.load_seconds + DEADLINE_MARGIN

    @property
    def max_score(self) -> float:
        return float(sum(u.points for u in self.units.values()))

    def fingerprint(self) -> str:
        """Changes whenever anything that affects a score changes (used to resume a batch)."""
        data = {
            "units": {k: asdict(v) for k, v in self.units.items()},
            "limits": asdict(self.limits),
            "denied": self.denied,
            "legacy": self.legacy_grads_keys,
        }
        if self.version != "auto":  # the default adds nothing, so existing fingerprints stay
            data["version"] = self.version
        if self.submission_seconds is not None:  # the default follows from the limits above
            data["submission_seconds"] = self.submission_seconds
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def case_count(self) -> int:
        return max(u.cases for u in self.units.values())


def _number(table: dict, key: str, where: str, kind=float, low: float = 0):
    value = table[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (kind is int and not isinstance(value, int))
        or value < low
    ):
        raise GraderError(
            f"rubric {where}.{key} must be a {'whole ' if kind is int else ''}number >= {low}, not {value!r}"
        )
    return kind(value)


def load_rubric(path: str | Path | None, assignment: str | None = None, default: str = packs.AUTO) -> Rubric:
    """The default rubric, or one read from a TOML file (any mistake in it is a one-line GraderError).

    The assignment is `assignment` (--assignment), else the rubric's `[grading] assignment`, else
    `default`: "auto" (recognise each submission's) where students check their own work, the default
    pack where an instructor grades, so that a submission of another assignment's functions (a public
    solution of another notebook) cannot choose what it is graded by unless the instructor says "auto"."""
    rubric = _load_rubric(path)
    assignment = assignment or rubric.assignment or default
    if assignment == rubric.assignment:
        return rubric
    pack = packs.resolve(assignment)
    unknown = set(rubric.functions) - set(pack.units) if assignment != packs.AUTO else set()
    if unknown:
        raise GraderError(f"rubric {path}: function(s) {', '.join(sorted(unknown))} are not graded in {pack.name}")
    return replace(rubric, assignment=assignment).for_pack(pack)


def _load_rubric(path: str | Path | None) -> Rubric:
    if path is None:
        return Rubric()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GraderError(f"no such rubric file: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise GraderError(f"cannot read rubric {path}: {error}") from None
    unknown = set(data) - {"grading", "limits", "functions"}
    if unknown:
        raise GraderError(
            f"rubric {path}: unknown section(s) {', '.join(sorted(unknown))}; use grading, limits, functions"
        )
    grading, limits_table, functions = data.get("grading", {}), data.get("limits", {}), data.get("functions", {})
    for section, table in (("grading", grading), ("limits", limits_table), ("functions", functions)):
        if not isinstance(table, dict):
            raise GraderError(f"rubric {path}: [{section}] must be a table, not {table!r}")
    unknown = set(grading) - {"cases", "legacy_grads_keys", "deny_imports", "version", "assignment"}
    if unknown:
        raise GraderError(
            f"rubric {path}: unknown [grading] key(s) {', '.join(sorted(unknown))}; "
            "known: assignment, cases, legacy_grads_keys, version, deny_imports"
        )
    assignment = grading.get("assignment", "")  # "": not said (load_rubric's caller decides)
    if not isinstance(assignment, str):
        raise GraderError(f'rubric {path}: grading.assignment must be a string such as "{packs.DEFAULT}" or "auto"')
    try:
        pack = packs.resolve(assignment)
    except GraderError as error:
        raise GraderError(f"rubric {path}: grading.assignment: {error}") from None
    known = packs.all_units() if assignment in ("", packs.AUTO) else pack.units
    cases = _number(grading, "cases", "grading", int, 1) if "cases" in grading else DEFAULT_CASES
    overrides: dict[str, dict] = {}
    for name, table in functions.items():
        if name not in known:
            raise GraderError(f"rubric {path}: unknown function {name!r}; known: {', '.join(known)}")
        if not isinstance(table, dict) or set(table) - {"points", "cases"}:
            raise GraderError(f"rubric {path}: [functions.{name}] takes only points and cases")
        overrides[name] = {}
        if "points" in table:
            overrides[name]["points"] = _number(table, "points", f"functions.{name}")
        if "cases" in table:
            overrides[name]["cases"] = _number(table, "cases", f"functions.{name}", int, 1)
    units = default_units(pack, cases, overrides)
    names = {
        "case_seconds": "case_seconds",
        "function_seconds": "total_seconds",
        "load_seconds": "load_seconds",
        "memory_mb": "memory_mb",
    }
    unknown = set(limits_table) - set(names) - {"submission_seconds"}
    if unknown:
        raise GraderError(
            f"rubric {path}: unknown limit(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(names)}, submission_seconds"
        )
    limits = replace(
        Limits(),
        **{
            names[k]: _number(limits_table, k, "limits", int if k == "memory_mb" else float, 0.01)
            for k in limits_table
            if k in names
        },
    )
    deadline = (
        _number(limits_table, "submission_seconds", "limits", float, 1)
        if "submission_seconds" in limits_table
        else None
    )
    deny = grading.get("deny_imports", [])
    if not isinstance(deny, list) or not all(isinstance(d, str) for d in deny):
        raise GraderError(f"rubric {path}: grading.deny_imports must be a list of module names")
    legacy = grading.get("legacy_grads_keys", False)
    if not isinstance(legacy, bool):
        raise GraderError(f"rubric {path}: grading.legacy_grads_keys must be true or false")
    version = grading.get("version", "auto")
    if not isinstance(version, str):
        raise GraderError(f'rubric {path}: grading.version must be a string such as "v4" or "auto"')
    if version != "auto":
        try:
            pack.check_version_name(version)
        except GraderError as error:
            raise GraderError(f"rubric {path}: grading.version: {error}") from None
    return Rubric(
        units,
        limits,
        tuple(dict.fromkeys(DEFAULT_DENIED + tuple(deny))),
        legacy,
        str(path),
        submission_seconds=deadline,
        version=version,
        assignment=assignment,
        cases=cases,
        functions=overrides,
        pack=pack.name,
    )
