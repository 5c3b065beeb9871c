"""Which edition of the convolution notebook a submission was written for, from what it contains.

One contract differs between editions (CONTRACT.md): the 2017 notebook's conv_single_step adds the bias
inside the sum, so its Z carries f*f*n_C_prev * b, and its conv_forward and chain follow; every later
edition adds b once. A copy says which edition it is in several ways, read here in order of trust
(each verified in the public copies of benchmarks/real_notebooks/conv_manifest.toml):

1. the file name: `Convolution model - Step by Step - v1` (spaces or `+`: 2017), `... - v2` (2018),
   `Convolution_model_Step_by_Step_v2a` (2019-2020), `Convolution_model_Step_by_Step_v1` (underscores: 2021);
2. the course's modules and markers: `from public_tests import *`, `# YOUR CODE STARTS HERE`, `# UNQ_C`
   (2021 only);
3. the template's own text, kept in markdown and comments: the hint "Do not add the bias yet" (2018 on),
   the stored Expected Output of conv_single_step, Z = -23.1602122025 and conv_forward's Z's mean =
   0.155859324889 (2017) against -6.99908945068 (2018 on).

Each piece narrows the candidates; a piece that contradicts what more trusted pieces decided is kept
as evidence and ignored. What the student's code computes never counts: a 2018 copy whose bias goes
inside the sum is a mistake in 2018, not evidence of 2017. Undecided copies are graded by the later
contract (every edition since 2018), with a notice when their values follow the 2017 one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError
from grader.judge.version_evidence import pattern_evidence
from grader.pack import Version
from grader.packs.conv_step_by_step.interface import BIAS_IN_SUM, BIAS_IN_SUM_VERSIONS, VERSIONS, YEARS

_LATER = frozenset(VERSIONS) - BIAS_IN_SUM_VERSIONS
_2017 = frozenset(BIAS_IN_SUM_VERSIONS)
_2021 = frozenset({"v1-2021"})

_FILE = (  # (pattern on the file's stem, versions, what it is)
    (
        re.compile(r"convolution[ +]model[ +]-[ +]step[ +]by[ +]step[ +]-[ +]v1\b", re.I),
        _2017,
        "the file name '... - Step by Step - v1' (2017)",
    ),
    (
        re.compile(r"convolution[ +]model[ +]-[ +]step[ +]by[ +]step[ +]-[ +]v2\b", re.I),
        frozenset({"v2-2018"}),
        "the file name '... - Step by Step - v2' (2018)",
    ),
    (
        re.compile(r"convolution_model_step_by_step_v2a\b", re.I),
        frozenset({"v2a-2019"}),
        "the file name ..._Step_by_Step_v2a (2019-2020)",
    ),
    (re.compile(r"convolution_model_step_by_step_v1\b", re.I), _2021, "the file name ..._Step_by_Step_v1 (2021)"),
)
_MARKERS = (
    (
        re.compile(r"^[ \t]*from[ \t]+public_tests[ \t]+import", re.M),
        _2021,
        "the course's test import from public_tests",
    ),
    (re.compile(r"#\s*YOUR CODE STARTS HERE"), _2021, "the template marker # YOUR CODE STARTS HERE"),
    (re.compile(r"^\s*#\s*UNQ_C\d+", re.M), _2021, "a # UNQ_C cell marker"),
)
_TEMPLATE = (
    (re.compile(r"Do not add the bias yet"), _LATER, "the template hint 'Do not add the bias yet' (2018 on)"),
    (re.compile(r"-23\.1602122025"), _2017, "the stored Expected Output Z = -23.1602122025 (2017)"),
    (re.compile(r"0\.155859324889"), _2017, "the stored Expected Output Z's mean = 0.155859324889 (2017)"),
    (re.compile(r"-6\.99908945068"), _LATER, "the stored Expected Output Z = -6.99908945068 (2018 on)"),
)


@dataclass(frozen=True)
class Evidence:
    where: str
    text: str
    versions: frozenset[str]
    used: bool = True

    def to_dict(self) -> dict:
        return {"where": self.where, "text": self.text, "suggests": name_of(self.versions), "used": self.used}


@dataclass(frozen=True)
class ConvVersion(Version):
    """The editions a submission may follow, why, and the rule its checks judge by (`grads_keys`)."""

    candidates: frozenset[str] = frozenset(VERSIONS)
    evidence: tuple[Evidence, ...] = field(default=())
    source: str = "none"  # "recognised", "rubric" (pinned), "none" (nothing to go on)

    @property
    def name(self) -> str:
        return name_of(self.candidates)

    @property
    def bias_in_sum(self) -> bool:
        return self.candidates <= _2017

    def because(self, brief: bool = False) -> str:
        if self.source == "rubric":
            return "pinned by the rubric"
        used = [e for e in self.evidence if e.used]
        if not used:
            return "nothing in the submission tells"
        shown = [e.text if brief else f"{e.where}: {e.text}" for e in used[:3]]
        return "recognised by " + "; ".join(shown) + (f"; and {len(used) - 3} more" if len(used) > 3 else "")

    def contract(self) -> str:
        if self.bias_in_sum:
            return "conv_single_step adds b inside the sum (Z = sum(a_slice_prev * W + b)), as the 2017 notebook does"
        return "conv_single_step adds b once (Z = sum(a_slice_prev * W) + b), as every notebook since 2018 does"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "candidates": [v for v in VERSIONS if v in self.candidates],
            "source": self.source,
            "contract": self.contract(),
            "because": self.because(),
            "evidence": [e.to_dict() for e in self.evidence],
        }


def make(candidates: frozenset[str], evidence: tuple[Evidence, ...] = (), source: str = "recognised") -> ConvVersion:
    rule = BIAS_IN_SUM if candidates <= _2017 else "current"
    return ConvVersion(grads_keys=rule, candidates=candidates, evidence=evidence, source=source)


def name_of(candidates: frozenset[str]) -> str:
    ordered = [v for v in VERSIONS if v in candidates]
    if not ordered or len(ordered) == len(VERSIONS):
        return "unknown"
    if len(ordered) == 1:
        return f"{ordered[0]} ({YEARS[ordered[0]]})"
    if set(ordered) == _LATER:
        return "2018 or later (v2, v2a or the 2021 v1)"
    return " or ".join(ordered)


def recognise(texts: list[tuple[str, str]], filename: str = "") -> ConvVersion:
    """The edition from a submission's cells (markdown included) or file, as written."""
    tiers: list[list[Evidence]] = [[], [], []]
    stem = Path(filename).stem if filename else ""
    for pattern, versions, what in _FILE:
        if pattern.search(stem):
            tiers[0].append(Evidence(Path(filename).name, what, versions))
    for where, text in texts:
        tiers[1] += pattern_evidence(where, text, _MARKERS, Evidence)
        tiers[2] += pattern_evidence(where, text, _TEMPLATE, Evidence)
    candidates = frozenset(VERSIONS)
    kept: list[Evidence] = []
    seen = set()
    for tier in tiers:
        for piece in tier:
            if (piece.text, piece.versions) in seen:
                continue
            seen.add((piece.text, piece.versions))
            narrowed = candidates & piece.versions
            if narrowed:
                candidates = narrowed
                kept.append(piece)
            else:
                kept.append(Evidence(piece.where, piece.text, piece.versions, used=False))
    return make(candidates, tuple(kept), "recognised" if kept else "none")


def pinned(version: str) -> ConvVersion:
    """The edition a rubric names (`[grading] version = "v1-2017"`); "2017" and the years also work."""
    aliases = {
        **{v: v for v in VERSIONS},
        "2017": "v1-2017",
        "2018": "v2-2018",
        "v2": "v2-2018",
        "2019": "v2a-2019",
        "2020": "v2a-2019",
        "v2a": "v2a-2019",
        "2021": "v1-2021",
    }
    if version not in aliases:
        raise GraderError(
            f"unknown notebook version {version!r} for conv_step_by_step; known: auto, {', '.join(VERSIONS)}"
        )
    return make(frozenset({aliases[version]}), source="rubric")


def for_submission(texts: list[tuple[str, str]], filename: str = "", version: str = "auto") -> ConvVersion:
    return recognise(texts, filename) if version == "auto" else pinned(version)


def version_line(data: dict) -> str:
    if not data:
        return ""
    return f"Notebook version: {data.get('name', 'unknown')} ({data.get('because', '')}); {data.get('contract', '')}."
