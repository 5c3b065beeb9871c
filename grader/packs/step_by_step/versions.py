"""Which version of the notebook a submission was written for, recognised from what it contains.

Each version is right by its own contract (INTERFACE.md, "Versions"): the 2017-2018 notebooks store
the gradient of A[l-1] as grads['dA' + str(l)] (keys dA1..dAL), later ones as grads['dA' + str(l-1)]
(dA0..dA(L-1)). A copy says which version it is in several ways, read here in order of trust:

1. an explicit marker: a `### v1.2` code cell (2021 and later), a file name ending in the version;
2. the course modules it imports (or `%run`s): `testCases_v2` (v3, v4), `testCases_v3` (v5, v6, v7:
   one name for two editions), `testCases_v4` (v8), `testCases_v4a` (v8a), `public_tests` (v1.x),
   `dnn_utils_v2` (v3 to v8a); the unsuffixed `testCases`/`dnn_utils` also appear in pre-v3 copies;
3. the template's own comments in L_model_backward: `Outputs: "grads["dAL"]` (up to v5) against
   `"grads["dAL-1"]` (v6 on), and the loop's `grads["dA" + str(l + 1)]` (up to v7) against `str(l)]`;
   the 2021 template's markers and its public test calls (`L_model_backward_test(L_model_backward)`).

The signature `update_parameters(params, ...)` (v1.x) against `(parameters, ...)` would be a clue too,
but students rewrite signatures, and it alone would decide between pre-v3 and v1.x: not used.

Each piece narrows the set of candidate versions; a piece that contradicts what more trusted pieces
already decided is recorded and ignored (students edit comments, not imports). The keys a student
used never count: a v8 copy with the old keys is a mistake in v8, not evidence of v5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError
from grader.judge.version_evidence import line_number, pattern_evidence
from grader.pack import Version

VERSIONS = ("pre-v3", "v3", "v4", "v5", "v6", "v7", "v8", "v8a", "v1.x")
LEGACY_KEYS = frozenset({"pre-v3", "v3", "v4", "v5"})  # grads['dA' + str(l)] is the gradient of A[l-1]
YEARS = {
    "pre-v3": "2017",
    "v3": "2017",
    "v4": "2017-2018",
    "v5": "2018",
    "v6": "2018",
    "v7": "2018-2019",
    "v8": "2019-2020",
    "v8a": "2020",
    "v1.x": "2021 and later",
}
KEYS_TEXT = {"legacy": "dA1..dAL", "current": "dA0..dA(L-1)", "either": "dA1..dAL or dA0..dA(L-1)"}
_UP_TO_V5 = frozenset({"pre-v3", "v3", "v4", "v5"})
_PRE_2021 = frozenset(VERSIONS) - {"v1.x"}


def _set(*names: str) -> frozenset[str]:
    return frozenset(names)


_MODULES = {  # a course module imported or %run -> the versions that shipped it
    "testCases_v2": _set("v3", "v4"),
    "testCases_v3": _set("v5", "v6", "v7"),
    "testCases_v4": _set("v8"),
    "testCases_v4a": _set("v8a"),
    "public_tests": _set("v1.x"),
    "testCases": _set("pre-v3", "v1.x"),
    "dnn_utils_v2": _set("v3", "v4", "v5", "v6", "v7", "v8", "v8a"),
    "dnn_utils": _set("pre-v3", "v1.x"),
}
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import|import[ \t]+([\w.]+)"
    r"|%run[ \t]+(?:-\w+[ \t]+)*['\"]?([^\s'\"]+?)(?:\.py)?['\"]?[ \t]*$)",
    re.M,
)
_COMMENTS = (  # (pattern, versions, what it is)
    (re.compile(r'Outputs:\s*"grads\["dAL"\]'), _UP_TO_V5, 'the template comment Outputs: "grads["dAL"] ...'),
    (
        re.compile(r'Outputs:\s*"grads\["dAL-1"\]'),
        frozenset(VERSIONS) - _UP_TO_V5,
        'the template comment Outputs: "grads["dAL-1"] ...',
    ),
    (
        re.compile(r'Outputs:\s*"grads\["dA"\s*\+\s*str\(l\s*\+\s*1\)\]'),
        _PRE_2021 - {"v8", "v8a"},
        'the loop\'s template comment Outputs: "grads["dA" + str(l + 1)] ...',
    ),
    (
        re.compile(r'Outputs:\s*"grads\["dA"\s*\+\s*str\(l\)\]'),
        _set("v8", "v8a", "v1.x"),
        'the loop\'s template comment Outputs: "grads["dA" + str(l)] ...',
    ),
    (re.compile(r"#\s*YOUR CODE STARTS HERE"), _set("v1.x"), "the template marker # YOUR CODE STARTS HERE"),
    (re.compile(r"^\s*#\s*UNQ_C\d+", re.M), _set("v1.x"), "a # UNQ_C cell marker"),
)
_TEST_CALLS = re.compile(
    r"^[ \t]*(?:initialize_parameters(?:_deep)?|linear_(?:activation_)?(?:forward|backward)"
    r"|L_model_(?:forward|backward)|compute_cost|update_parameters)_test\(\s*\w+\s*\)",
    re.M,
)
_VERSION_CELL = re.compile(r"^\s*###\s*v(1\.\d+)\s*$")
_FILE_VERSION = re.compile(r"(?:^|[\s_+\-])v(\d+a?)$", re.I)


@dataclass(frozen=True)
class Evidence:
    where: str
    text: str
    versions: frozenset[str]
    used: bool = True  # False: it contradicted more trusted evidence and was ignored

    def to_dict(self) -> dict:
        return {"where": self.where, "text": self.text, "suggests": name_of(self.versions), "used": self.used}


@dataclass(frozen=True)
class NotebookVersion(Version):
    """The versions a submission may have been written for, why, and the grads keys that follow."""

    candidates: frozenset[str] = frozenset()
    evidence: tuple[Evidence, ...] = ()
    source: str = "recognised"  # "recognised", "rubric" (pinned), "none" (nothing to go on)
    accept_either: bool = False  # the rubric's legacy_grads_keys: both key conventions, whatever the version
    grads_keys: str = field(init=False, default="current")  # follows from the two above (__post_init__)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grads_keys", self._grads_keys())

    @property
    def name(self) -> str:
        return name_of(self.candidates)

    def _grads_keys(self) -> str:
        """'legacy' (dA1..dAL), 'current' (dA0..dA(L-1)) or 'either' (could not be decided, or the rubric
        says so)."""
        if self.accept_either:
            return "either"
        if self.candidates <= LEGACY_KEYS:
            return "legacy"
        if not self.candidates & LEGACY_KEYS:
            return "current"
        return "either"

    def because(self, brief: bool = False) -> str:
        """Why: the evidence used (where it is, unless `brief`), or that the rubric pinned it."""
        if self.source == "rubric":
            return "pinned by the rubric"
        used = [e for e in self.evidence if e.used]
        if not used:
            return "nothing in the submission tells"
        shown = [e.text if brief else f"{e.where}: {e.text}" for e in used[:3]]
        return "recognised by " + "; ".join(shown) + (f"; and {len(used) - 3} more" if len(used) > 3 else "")

    def keys_notice(self, used_legacy: bool) -> str | None:
        """What the L_model_backward and end_to_end feedback says about the keys, when it matters."""
        keys = self.grads_keys
        if keys == "legacy":
            return (
                f"Graded as the {self.name} notebook ({self.because(brief=True)}), whose grads keys are dA1..dAL: "
                "grads['dA' + str(l)] holds the gradient of A[l-1]."
            )
        if keys == "either" and used_legacy:
            why = (
                "the rubric accepts both key conventions"
                if self.accept_either
                else f"the notebook version could not be decided ({self.name}; {self.because(brief=True)})"
            )
            return (
                f"Your grads use the keys dA1..dAL of the 2017-2018 notebooks; {why}, so they are read that way "
                "(grads['dA' + str(l)] as the gradient of A[l-1]). Today's notebook uses dA0..dA(L-1)."
            )
        return None

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "candidates": [v for v in VERSIONS if v in self.candidates],
            "source": self.source,
            "grads_keys": KEYS_TEXT[self.grads_keys],
            "because": self.because(),
            "evidence": [e.to_dict() for e in self.evidence],
        }


def version_line(data: dict) -> str:
    """One line for the terminal and Markdown reports, from a report's notebook_version."""
    if not data:
        return ""
    return (
        f"Notebook version: {data.get('name', 'unknown')} ({data.get('because', '')}); grads keys graded as "
        f"{data.get('grads_keys', '')}."
    )


def name_of(candidates: frozenset[str]) -> str:
    """'v3 or v4', 'v5 to v7', 'v1.x (2021 and later)', 'unknown'."""
    ordered = [v for v in VERSIONS if v in candidates]
    if not ordered or len(ordered) == len(VERSIONS):
        return "unknown"
    if len(ordered) == 1:
        return f"{ordered[0]} ({YEARS[ordered[0]]})"
    first, last = VERSIONS.index(ordered[0]), VERSIONS.index(ordered[-1])
    if len(ordered) == 2:
        return f"{ordered[0]} or {ordered[1]}"
    if last - first + 1 == len(ordered):
        return f"{ordered[0]} to {ordered[-1]}"
    return ", ".join(ordered)


# --- reading a submission -----------------------------------------------------------------------------
def _module_evidence(where: str, text: str) -> list[Evidence]:
    out = []
    for match in _IMPORT.finditer(text):
        module = next(g for g in match.groups() if g)
        base = Path(module.replace("\\", "/")).name if match.group(3) else module.rsplit(".", 1)[-1]
        if base in _MODULES:
            line = line_number(text, match.start())
            out.append(Evidence(f"{where}, line {line}", _line_at(text, match.start()), _MODULES[base]))
    return out


def _line_at(text: str, index: int) -> str:
    start, end = text.rfind("\n", 0, index) + 1, text.find("\n", index)
    line = text[start : end if end >= 0 else None].strip()
    return line if len(line) <= 80 else line[:77] + "..."


def recognise(texts: list[tuple[str, str]], filename: str = "") -> NotebookVersion:
    """The notebook version from a submission's cells or file (as written, magics and comments included)."""
    tiers: list[list[Evidence]] = [[], [], []]
    stem = Path(filename).stem if filename else ""
    found = _FILE_VERSION.search(stem.replace("+", " "))
    if found and f"v{found.group(1).lower()}" in VERSIONS:
        version = f"v{found.group(1).lower()}"
        tiers[0].append(Evidence(Path(filename).name, f"the file name ends in {version}", _set(version)))
    for where, text in texts:
        cell = _VERSION_CELL.match(text.strip()) if text.strip().count("\n") == 0 else None
        if cell:
            tiers[0].append(Evidence(where, f"the version cell ### v{cell.group(1)}", _set("v1.x")))
        tiers[1] += _module_evidence(where, text)
        tiers[2] += pattern_evidence(
            where,
            text,
            _COMMENTS + ((_TEST_CALLS, _set("v1.x"), "a call of the 2021 public tests (..._test(function))"),),
            Evidence,
        )
    candidates = frozenset(VERSIONS)
    kept: list[Evidence] = []
    for tier in tiers:
        for piece in _distinct(tier):
            narrowed = candidates & piece.versions
            if narrowed:
                candidates = narrowed
                kept.append(piece)
            else:
                kept.append(Evidence(piece.where, piece.text, piece.versions, used=False))
    return NotebookVersion(candidates, tuple(kept), "recognised" if kept else "none")


def _distinct(pieces: list[Evidence]) -> list[Evidence]:
    """One piece per kind of evidence (the first place it appears): a repeated import says nothing new."""
    seen, out = set(), []
    for piece in pieces:
        key = (piece.text, piece.versions)
        if key not in seen:
            seen.add(key)
            out.append(piece)
    return out


def pinned(version: str) -> NotebookVersion:
    """The version a rubric names (`[grading] version = "v4"`); "v1.0", "v1.2" ... count as v1.x."""
    name = "v1.x" if re.fullmatch(r"v1\.(x|\d+)", version) else version
    if name not in VERSIONS:
        raise GraderError(
            f"unknown notebook version {version!r}; known: auto, {', '.join(VERSIONS)} (or v1.0, v1.1, v1.2)"
        )
    return NotebookVersion(_set(name), source="rubric")


def for_submission(
    texts: list[tuple[str, str]], filename: str = "", version: str = "auto", legacy_grads_keys: bool = False
) -> NotebookVersion:
    """The version to grade by: the rubric's pin, or what the submission shows; the rubric's
    legacy_grads_keys accepts both key conventions on top of either."""
    found = recognise(texts, filename) if version == "auto" else pinned(version)
    if legacy_grads_keys:
        return NotebookVersion(found.candidates, found.evidence, found.source, accept_either=True)
    return found
