"""A pack that writes only what is about its assignment: the engine derives the rest.

An instructor subclasses `AutogradPack` and gives, as data and a few functions:
- `graded`: each graded function, its arguments' names, what it returns, which returned items are
  boolean or integer masks (compared exactly), and whether it draws random numbers (`Randomness`);
- `stages`: the end-to-end chain, as the graded functions in order (`Stage(function, judged=...)`; the
  names it passes along are the functions' own argument and return names);
- `cases(unit, seed, n, oracle)`: a seeded case generator (NumPy; it may ask the oracle for a forward's
  values, a cache, to build a backward case), returning `Case(label, description, args)`;
- `make_oracle(device)`: an object whose `answer(function, args, seed)` gives what a correct function
  returns (built on grader/judge/autograd_answers.py: the torch forward and cost written once, and the course's
  conventions as a table);
- `misconceptions`: `grader.judge.misconception_data.Misconception`s, each with its wrong formula.

From that the engine makes the checks and their judges (grader/judge/chain_check.py for the chain, with its
first-wrong-stage feedback), keeps and verifies the answers (grader/judge/kept_answers.py), seeds NumPy in the
sandbox before every case (the course's own seed where it fixes one, else one drawn from the grading
seed: the same --seed, the same score), writes the sandbox's end-to-end code, and names misconceptions
only when the evidence holds. docs/packs.md is the tutorial.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, cast

from grader import END_TO_END
from grader.judge.chain_check import ChainCheck, Stage, chain_inputs, first_wrong_stage
from grader.judge.compare import Mismatch, Tolerance, compare, describe
from grader.judge.misconception_data import Evidence, Misconception, diagnose, make_diagnosis
from grader.pack import CaseInput, Check, Pack, Version

if TYPE_CHECKING:
    from grader.judge.results import CaseResult


@dataclass(frozen=True)
class Randomness:
    """How a graded function draws random numbers, as the course's template does."""

    seed: int | None  # the seed the template sets inside the function (np.random.seed(1)); None: it sets none
    draws: (
        str  # the course's draws in order, in the course's code ("D1 = np.random.rand(A1.shape[0], A1.shape[1]) ...")
    )


@dataclass(frozen=True)
class Graded:
    function: str
    args: tuple[str, ...]
    returns: tuple[str, ...] | str
    masks: tuple[str, ...] = ()  # returned items that are boolean or integer arrays ("cache[1]"), compared exactly
    random: Randomness | None = None


@dataclass(frozen=True)
class Case:
    label: str
    description: str
    args: dict  # argument name -> value (for END_TO_END: the chain's inputs)
    extra: dict = field(default_factory=dict)  # anything else the pack keeps for itself
    standins: dict = field(
        default_factory=dict
    )  # helper -> [(args, answer, label)]: graded helpers it may call (Pack's rule)


@dataclass(frozen=True)
class GradedCheck(Check):
    """The plain check, with the returned items that are masks compared exactly."""

    masks: frozenset = frozenset()

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        if isinstance(self.returns, str):
            return compare(self.returns, value, case.expected, tol, self.masks)
        names = self.returns
        if not isinstance(value, (tuple, list)) or len(value) != len(names):
            return [
                Mismatch(
                    "return value",
                    "type",
                    f"{self.function} should return a tuple ({', '.join(names)}), got {describe(value)}",
                )
            ]
        return [
            m for name, got, want in zip(names, value, case.expected) for m in compare(name, got, want, tol, self.masks)
        ]


def derived_seed(seed: int, unit: str, index: int) -> int:
    """NumPy's seed for one case where the course fixes none: from the grading seed, the unit and the case."""
    return int.from_bytes(hashlib.sha256(f"{int(seed)}:{unit}:{index}".encode()).digest()[:4], "little")


class AutogradPack(Pack):
    """A pack described as data (module docstring); subclass it and bind `PACK = YourPack()`."""

    graded: tuple[Graded, ...] = ()
    stages: tuple[Stage, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()

    def __init_subclass__(cls, **kwargs):
        """The functions from `graded`; each stage's names from its function's (then Pack's: chain, chain_outputs)."""
        by_name = {g.function: g for g in cls.graded}
        cls.functions = tuple(by_name)
        cls.stages = tuple(
            replace(s, takes=s.takes or by_name[s.function].args, gives=s.gives or by_name[s.function].returns)
            for s in cls.stages
        )
        super().__init_subclass__(**kwargs)

    # --- what the instructor writes ----------------------------------------------------------------
    def cases(self, unit: str, seed: int, n: int, oracle) -> list[Case]:
        raise NotImplementedError

    # --- derived -------------------------------------------------------------------------------------
    @property
    def by_function(self) -> dict[str, Graded]:
        return {g.function: g for g in self.graded}

    def checks(self) -> dict[str, Check]:
        out: dict[str, Check] = {
            g.function: GradedCheck(g.function, g.args, g.returns, "case", masks=frozenset(g.masks))
            for g in self.graded
        }
        if self.stages:
            masks = frozenset(m for g in self.graded for m in g.masks)
            out[END_TO_END] = ChainCheck(
                END_TO_END,
                self.chain_args or chain_inputs(self.stages),
                "end_to_end",
                "chain",
                self.chain,
                stages=self.stages,
                masks=masks,
            )
        return out

    def case_seed(self, seed: int, unit: str, index: int) -> int:
        """The course's own seed where the function (or the chain's first random stage) sets one; else derived."""
        functions = self.chain if unit == END_TO_END else (unit,)
        for function in functions:
            random = self.by_function[function].random
            if random is not None:
                return random.seed if random.seed is not None else derived_seed(seed, unit, index)
        return derived_seed(seed, unit, index)

    def build_inputs(self, seed: int, counts: dict[str, int], oracle) -> dict[str, list[CaseInput]]:
        inputs: dict[str, list[CaseInput]] = {}
        for g in self.graded:
            rows = []
            for i, case in enumerate(self.cases(g.function, seed, counts.get(g.function, 0), oracle)):
                s = self.case_seed(seed, g.function, i)
                args = tuple(case.args[name] for name in g.args)
                rows.append(
                    CaseInput(
                        i,
                        case.label,
                        case.description,
                        args,
                        oracle.answer(g.function, args, s),
                        case.standins,
                        case,
                        s,
                    )
                )
            inputs[g.function] = rows
        if self.stages:
            names, rows = self.chain_args or chain_inputs(self.stages), []
            for i, case in enumerate(self.cases(END_TO_END, seed, counts.get(END_TO_END, 0), oracle)):
                s = self.case_seed(seed, END_TO_END, i)
                values, expected, per_stage = dict(case.args), {}, {}
                for stage in self.stages:
                    args = tuple(values[name] for name in stage.takes)
                    right = oracle.answer(stage.function, args, s)
                    per_stage[stage.function] = (dict(zip(self.by_function[stage.function].args, args)), right)
                    values.update(zip(stage.outputs, (right,) if isinstance(stage.gives, str) else tuple(right)))
                    expected.update({name: values[name] for name in stage.compared})
                rows.append(
                    CaseInput(
                        i,
                        case.label,
                        case.description,
                        tuple(case.args[n] for n in names),
                        expected,
                        {},
                        {"case": case, "stages": per_stage},
                        s,
                    )
                )
            inputs[END_TO_END] = rows
        return inputs

    # --- diagnosis and notices -----------------------------------------------------------------------
    def _evidence(self, check: Check, case, inp: CaseInput) -> tuple[str, Evidence] | None:
        """The function a failing case is evidence about, and what it shows (None: nothing to read)."""
        if check.unit != END_TO_END:
            g = self.by_function[check.unit]
            if case.value is None:
                return None
            return g.function, Evidence(
                case.label, case.description, case.value, dict(zip(g.args, inp.args)), inp.expected, inp.seed
            )
        stage = first_wrong_stage(self.stages, case.mismatches)
        record = case.value if isinstance(case.value, dict) else {}
        if stage is None or any(name not in record for name in stage.compared):
            return None
        args, right = inp.case["stages"][stage.function]
        value = (
            record[stage.outputs[0]] if isinstance(stage.gives, str) else tuple(record.get(n) for n in stage.outputs)
        )
        return stage.function, Evidence(case.label, case.description, value, args, right, inp.seed, stage.compared)

    def diagnose(self, test, check: Check, inputs: list[CaseInput], version: Version) -> None:
        by_index = {inp.index: inp for inp in inputs}
        groups: dict[str, list[tuple[CaseResult, Evidence]]] = {}
        for case in test.cases:
            if case.status == "failed" and case.index in by_index:
                found = self._evidence(check, case, by_index[case.index])
                if found is not None:
                    groups.setdefault(found[0], []).append((case, found[1]))
        read = sum(len(g) for g in groups.values())
        unread = sum(1 for c in test.cases if not c.passed) - read
        masks = frozenset(m for g in self.graded for m in g.masks)
        for function, pairs in groups.items():
            evidence = [ev for _, ev in pairs]
            mine = tuple(m for m in self.misconceptions if m.function == function)
            stage = function if check.unit == END_TO_END else ""
            for m, fits, testable in diagnose(
                mine, self.by_function[function].returns, evidence, unread, Tolerance(), masks
            ):
                diagnosis = make_diagnosis(m, fits, testable, evidence, unread, stage)
                test.diagnoses.append(diagnosis)
                for i in fits:
                    pairs[i][0].diagnoses.append(diagnosis)

    def notices(self, check: Check, inputs, test, result, sub, version: Version) -> list[str]:
        """For a function that draws random numbers and returned wrong values: how the grader seeds it,
        and, where the returned masks differ from the course's draws, what the course draws."""
        functions = self.chain if check.unit == END_TO_END else (check.unit,)
        random = [(f, self.by_function[f]) for f in functions if self.by_function[f].random is not None]
        failing = [c for c in test.cases if c.status == "failed"]  # wrong values (a crash is about something else)
        if not random or not failing:
            return []
        out = []
        for function, g in random:
            drawn = cast(Randomness, g.random)  # `random` kept only the functions whose random is set
            seeded = (
                f"np.random.seed({drawn.seed}), the course's own seed, so the course's draws come out "
                "whether or not your code sets that seed itself"
                if drawn.seed is not None
                else "a seed drawn from the grading seed (--seed), so every run draws the same"
            )
            differ = [c for c in failing if any(m.path in g.masks for m in c.mismatches)]
            text = f"{function} draws random numbers: the grader runs each case after {seeded}."
            if differ:
                text += (
                    f" On {len(differ)} of the failing cases your masks ({', '.join(g.masks)}) differ from the "
                    f"course's draws, which are, in this order: {drawn.draws}. Other draws (another order, another "
                    "shape, another function of np.random) give other masks, and every value after them differs."
                )
            out.append(text)
        return out
