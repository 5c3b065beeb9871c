"""The end-to-end check from the chain's description: the code the sandbox runs, its judge, and where
the first wrong stage is.

A pack describes its chain as stages, each a graded function with the names its arguments are taken by
and the names it gives back (`Stage("forward_propagation_with_dropout", ("X", "parameters",
"keep_prob"), ("A3", "cache"), judged=("A3",))`). The chain's own inputs are the names no earlier stage
gives. From that, `chain_source` writes the `end_to_end(namespace, args, out, fresh)` that pack 1 and
pack 2 wrote by hand: one line per call, unpacking exactly as the course's code does (so a function
that returns None fails as "cannot unpack non-iterable NoneType object", which the feedback explains),
`out["stage"]` naming the stage running, and every judged output recorded through `fresh` as it returns.
`ChainCheck` judges the judged outputs stage by stage and reports only the first wrong stage: every
later one was computed from it.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

from grader import END_TO_END
from grader.errors import GraderFault
from grader.judge.compare import Mismatch, Tolerance, compare
from grader.pack import CaseInput, Check


@dataclass(frozen=True)
class Stage:
    function: str
    takes: tuple[str, ...] = ()  # the names its arguments are, in order (the chain's inputs, or earlier outputs)
    gives: tuple[str, ...] | str = ()  # the names of what it returns (a tuple's items, or the one value)
    judged: tuple[str, ...] | None = None  # the outputs compared with autograd's (None: all of them)
    copied: bool = True  # recorded through `fresh` (False: as returned, for a last stage nothing runs after)

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.gives,) if isinstance(self.gives, str) else tuple(self.gives)

    @property
    def compared(self) -> tuple[str, ...]:
        return self.outputs if self.judged is None else tuple(self.judged)

    def returns_text(self) -> str:
        """What the chain expects back, in words, for "returned None, where the chain expects (A3, cache)"."""
        return "" if isinstance(self.gives, str) else f"({', '.join(self.gives)})"


def chain_inputs(stages: tuple[Stage, ...]) -> tuple[str, ...]:
    """The names the chain is given: those no earlier stage gives, in order of first use."""
    given: set[str] = set()
    found: list[str] = []
    for stage in stages:
        found += [n for n in stage.takes if n not in given and n not in found]
        given |= set(stage.outputs)
    return tuple(found)


def _name(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or name in ("namespace", "args", "out", "fresh"):
        raise GraderFault(f"the chain names {name!r}, which is not a plain Python name")
    return name


def chain_source(stages: tuple[Stage, ...], inputs: tuple[str, ...] = ()) -> str:
    """The sandbox's end_to_end function for these stages (NumPy and builtins only; it uses neither).
    `inputs`: the order the case's arguments come in (default: `chain_inputs`); it records what is judged."""
    if sorted(inputs) != sorted(chain_inputs(stages)):
        if inputs:
            raise GraderFault(f"the chain's inputs are {', '.join(chain_inputs(stages))}, not {', '.join(inputs)}")
        inputs = chain_inputs(stages)
    lines = [
        "def end_to_end(namespace, args, out, fresh):",
        f"    {', '.join(map(_name, inputs))}{',' if len(inputs) == 1 else ''} = args",
    ]
    for stage in stages:
        outputs = [_name(n) for n in stage.outputs]
        target = outputs[0] if isinstance(stage.gives, str) else ", ".join(outputs) + ("," if len(outputs) == 1 else "")
        lines += [
            f"    out['stage'] = {stage.function!r}",
            f"    {target} = namespace[{stage.function!r}]({', '.join(map(_name, stage.takes))})",
        ]
        lines += [f"    out[{n!r}] = fresh({n})" if stage.copied else f"    out[{n!r}] = {n}" for n in stage.compared]
    lines += ["    out['stage'] = 'done'", "    return out", ""]
    return "\n".join(lines)


def chain_outputs(stages: tuple[Stage, ...]) -> tuple[tuple[str, str, str], ...]:
    """`Pack.chain_outputs` for the feedback: (the first key each stage records, its function, what it returns)."""
    return tuple((stage.outputs[0], stage.function, stage.returns_text()) for stage in stages)


def staged(m: Mismatch, function: str) -> Mismatch:
    """The mismatch, its message naming the stage it came from."""
    return Mismatch(
        m.path,
        m.kind,
        f"{function}: {m.message}",
        m.expected_shape,
        m.got_shape,
        m.max_abs_error,
        m.max_rel_error,
        m.index,
        m.expected_excerpt,
        m.got_excerpt,
    )


@dataclass(frozen=True)
class ChainCheck(Check):
    """The student's own chain: stages judged in order, only the first wrong one reported."""

    stages: tuple[Stage, ...] = ()
    masks: frozenset = frozenset()

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        if not isinstance(value, dict):
            return [Mismatch(END_TO_END, "type", "the chain returned nothing to check")]
        for stage in self.stages:
            for name in stage.compared:
                if name not in value:
                    return []  # that stage raised: the error says so
                found = compare(name, value[name], case.expected[name], tol, self.masks)
                if found:
                    return self.blame(stage, name, found, value, case, tol)
        return []

    def blame(
        self, stage: Stage, name: str, found: list[Mismatch], value: dict, case: CaseInput, tol: Tolerance
    ) -> list[Mismatch]:
        """What the first wrong output `name` costs: its mismatches, named by its stage. A pack may blame
        another stage (pack 2: a backward stage that read a wrong cache is not judged on it)."""
        return [staged(m, stage.function) for m in found]


def first_wrong_stage(stages: tuple[Stage, ...], mismatches: list[Mismatch]) -> Stage | None:
    """The stage whose output the chain check found wrong (its mismatches' paths start with the output's name)."""
    for m in mismatches:
        head = m.path.split("[")[0]
        for stage in stages:
            if head in stage.compared:
                return stage
    return None
