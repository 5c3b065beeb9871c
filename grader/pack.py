"""What an assignment pack gives the engine, and the few types both sides share.

The engine (loading, sandbox, comparison, scoring, reports, batch, platforms, pytest) knows no
assignment. Everything one assignment knows lives in one folder, `grader/packs/<name>/`, whose
`__init__.py` defines `PACK`, an instance of a subclass of `Pack` below. The engine finds packs by
folder (`grader/packs/__init__.py`), never by importing a pack's module by name. docs/packs.md is the
guide to writing one.

A pack's parts, in the order a submission meets them:
- `functions`, `chain`, `default_points`: what is graded, and for how much;
- `translate_runs`, `supply_names`, `course_modules`, `stand_in_modules`: how a submission's imports of
  the course's own files are served (the sandbox serves `course_modules` from their source);
- `case_set`: the seeded cases and autograd's answers (the trusted side only), as `CaseInput`s;
- `checks`: per graded unit, a `Check` that says what the function is called with and judges what it
  returned; `end_to_end_file`: the code the sandbox runs for the end-to-end check;
- `version_for`, `diagnose`, `summarize`, `notices`, `judge_changes`: the course version a submission
  follows, the misconceptions behind wrong values, the feedback text, and what in-place changes cost;
- `layer_cells`, `explain_layer_map`, `version_line`: what the reports draw from a pack's own fields.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import END_TO_END
from grader.judge.compare import Mismatch, Tolerance, changed_inputs, compare, describe

if TYPE_CHECKING:
    from grader.judge.results import TestResult
    from grader.load.loader import Submission
    from grader.sandbox.client import JobResult


@dataclass(frozen=True)
class CaseInput:
    """One call to grade: its arguments, the stand-ins it may use, and (trusted side only) the answer."""

    index: int
    label: str
    description: str
    args: tuple
    expected: Any  # the pack's own answer type (arrays, dicts of arrays, a tuple)
    standins: dict = field(default_factory=dict)  # helper -> [(args, answer, label)]
    case: Any = None  # what the pack built the case from, for its diagnosis (each pack its own type)
    seed: int | None = None  # NumPy's global seed in the sandbox before this call (None: the job's own)

    def to_job(self, salt: bytes) -> dict:
        """What the sandbox gets: the arguments, and the stand-ins' answers sealed with their questions."""
        from grader.sandbox import seal, wire

        sealed: dict[str, dict[str, bytes]] = {}
        for helper, table in self.standins.items():
            sealed[helper] = {}
            for args, answer, label in table:
                key = seal.key_for(salt, wire.encode(tuple(args)))
                sealed[helper][seal.lookup_id(key)] = seal.xor(
                    wire.encode((label, seal.fold(answer, tuple(args)))), key
                )
        job: dict[str, Any] = {"args": list(self.args), "sealed": sealed}
        if self.seed is not None:
            job["seed"] = int(self.seed)
        return job


@dataclass(frozen=True)
class Check:
    """One graded unit: a function called on its cases (or, for END_TO_END, the pack's chain).

    `returns` names the returned tuple's items, or the one value's name. `requires` is filled in by the
    pack: the functions that must be defined for the check to run (the chain, for END_TO_END).
    """

    function: str
    arg_names: tuple[str, ...]
    returns: tuple[str, ...] | str
    source: str  # the pack's own kind of case ("layer", "network", "init", ...)
    chain: tuple[str, ...] = ()

    @property
    def unit(self) -> str:
        return self.function

    @property
    def requires(self) -> tuple[str, ...]:
        return self.chain if self.function == END_TO_END else (self.function,)

    def review(self, cases: list, inputs: list[CaseInput]) -> None:
        """A second look at all the judged cases together (most checks need none)."""

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        """`keys`: the version's own rule for keyed results (pack 1: which grads keys), if any."""
        if isinstance(self.returns, str):
            return compare(self.returns, value, case.expected, tol)
        names = self.returns
        if not isinstance(value, (tuple, list)) or len(value) != len(names):
            return [
                Mismatch(
                    "return value",
                    "type",
                    f"{self.function} should return a tuple ({', '.join(names)}), got {describe(value)}",
                )
            ]
        return [m for name, got, want in zip(names, value, case.expected) for m in compare(name, got, want, tol)]


class CaseSet:
    """Every check's cases and autograd's answers for one seed: computed once, graded against many times."""

    def __init__(self, seed: int, device: str, inputs: dict[str, list[CaseInput]]):
        self.seed, self.device, self.inputs = seed, device, inputs
        self._jobs: dict[str, bytes] = {}
        self._id = f"{seed}-{id(self)}"
        self._salt = os.urandom(16)  # stand-in answers are sealed afresh for every case set

    def key(self, function: str) -> str:
        """Names this case set's cases of `function` for a sandbox that keeps them between jobs."""
        return f"{self._id}:{function}"

    def job_cases(self, function: str) -> bytes:
        """The cases of one function, encoded once for every submission (no answers in them)."""
        if function not in self._jobs:
            from grader.sandbox import wire

            self._jobs[function] = wire.encode(
                {"salt": self._salt, "cases": [c.to_job(self._salt) for c in self.inputs[function]]}
            )
        return self._jobs[function]

    def early(self) -> dict[str, int]:
        """Units whose sandbox jobs may run before the answers are in: {unit: case count}. None here."""
        return {}

    def complete(self) -> CaseSet:
        """This case set with every answer in (it is one already)."""
        return self


class PendingCaseSet:
    """A case set whose answers are being computed in a thread (importing torch, then autograd), while
    the sandbox already runs the jobs that need none of them.

    Importing torch takes longer than grading a correct submission; where no answers were kept, a pack
    returns one of these from `case_set`, with `early` the encoded job cases of the units whose cases
    hold no stand-in answers and whose arguments come from the seed alone (NumPy). The grader runs
    those jobs first and judges them once `complete()` has the answers; everything else waits for it.
    A batch calls `complete()` before it forks its workers, so no thread is ever forked."""

    def __init__(
        self, seed: int, device: str, compute: Callable[[], tuple[CaseSet, str]], early: dict[str, tuple[int, bytes]]
    ):
        self.seed, self.device, self._early = seed, device, early
        self._done: tuple[CaseSet, str] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(compute,), name="autograd answers", daemon=True)
        self._thread.start()

    def _work(self, compute) -> None:
        import gc

        # torch's import makes a few hundred thousand objects, which live as long as the process: walking
        # them in collections, during the import and in the grading after it, cost more than the grading
        # itself (0.23 s of a cold check). So no collection while it runs, and they are frozen after.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._done = compute()
        except BaseException as error:  # noqa: BLE001 - raised again where the answers are needed
            self._error = error
        finally:
            gc.freeze()
            if enabled:
                gc.enable()

    def _finished(self) -> tuple[CaseSet, str]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._done is not None  # _work sets _done or _error
        return self._done

    def complete(self) -> CaseSet:
        return self._finished()[0]

    @property
    def how(self) -> str:
        return self._finished()[1]

    @property
    def inputs(self) -> dict[str, list[CaseInput]]:
        return self.complete().inputs

    def key(self, function: str) -> str:
        return self.complete().key(function)

    def early(self) -> dict[str, int]:
        return {unit: count for unit, (count, _) in self._early.items()} if self._done is None else {}

    def job_cases(self, function: str) -> bytes:
        if self._done is None and function in self._early:
            return self._early[function][1]
        return self.complete().job_cases(function)


@dataclass(frozen=True)
class Version:
    """The course version a submission follows. A pack without versions keeps this one: no name, no rule."""

    grads_keys: str = "current"  # the rule `Check.judge` receives as `keys`

    def to_dict(self) -> dict:
        return {}

    def keys_notice(self, legacy: bool) -> str | None:
        return None


class Pack:
    """One assignment. Subclass it in `grader/packs/<name>/__init__.py` and bind `PACK = YourPack()`."""

    name: str = ""  # the folder's name: --assignment NAME, [grading] assignment = "NAME"
    title: str = ""  # the course's own title of the assignment
    functions: tuple[str, ...] = ()  # the graded functions, in the notebook's order
    chain: tuple[str, ...] = ()  # what the end-to-end check runs, in order (empty: no end-to-end check)
    default_points: dict[str, float] = {}  # unit (a function, or END_TO_END) -> points; summing to 100
    course_modules: tuple[str, ...] = ()  # module names a submission imports the course's helpers by
    course_module_file: Path | None = None  # the one file served as all of `course_modules` (NumPy only)
    stand_in_modules: tuple[str, ...] = ()  # course test and data modules: they load as harmless stand-ins
    end_to_end_file: Path | None = None  # defines end_to_end(namespace, args, out, fresh); run in the sandbox
    layer_cells: tuple[str, ...] = ()  # the columns of a per-layer map, for packs whose feedback draws one
    chain_outputs: tuple[tuple[str, str, str], ...] = ()  # (key the chain records, its function, what it returns)
    short_names: dict[str, str] = {}  # unit -> a short column heading for the class report
    # the chain as grader.judge.chain_check.Stage's: chain_outputs, and the sandbox's code unless
    # end_to_end_file is given, are written from it
    stages: tuple = ()
    chain_args: tuple[
        str, ...
    ] = ()  # the order an end-to-end case's arguments come in (default: the stages' first use)

    def __init_subclass__(cls, **kwargs):
        """A pack that describes its chain as stages gets its `chain` and `chain_outputs` from them."""
        super().__init_subclass__(**kwargs)
        if cls.stages and all(s.takes and s.gives for s in cls.stages):
            from grader.judge.chain_check import chain_outputs  # cycle-ok: the engine's default for a pack

            cls.chain = tuple(s.function for s in cls.stages)
            cls.chain_outputs = chain_outputs(cls.stages)

    # --- what is graded ----------------------------------------------------------------------------
    @property
    def units(self) -> tuple[str, ...]:
        """The graded units in report order: the functions, then END_TO_END when there is a chain."""
        return self.functions + ((END_TO_END,) if self.chain else ())

    def checks(self) -> dict[str, Check]:
        """Every graded unit's check, by unit name (the functions, then END_TO_END if there is a chain)."""
        raise NotImplementedError

    def case_set(self, seed: int, counts: dict[str, int], device: str = "cpu", cache=None) -> tuple[CaseSet, str]:
        """The cases for `seed` (`counts[unit]` of each) and autograd's answers, with how they were had
        ("computed", "cached", ...). `cache`: the folder of grader/judge/answer_cache.py to keep answers in
        (None: its default). The default keeps and verifies the answers of any pack that defines
        `build_inputs` and `make_oracle` (grader/judge/kept_answers.py); a pack may override it instead."""
        if type(self).build_inputs is Pack.build_inputs:
            raise NotImplementedError(f"the pack {self.name!r} defines neither case_set nor build_inputs")
        from grader.judge.kept_answers import case_set_for  # cycle-ok: the engine's default for a pack

        return case_set_for(self, seed, counts, device, cache)

    def build_inputs(self, seed: int, counts: dict[str, int], oracle) -> dict[str, list[CaseInput]]:
        """Every unit's cases for `seed`, with the answers `oracle` gives (the real one from `make_oracle`,
        or one that replays kept answers: ask it the same questions in the same order). NumPy only."""
        raise NotImplementedError

    def make_oracle(self, device: str):
        """The object whose public methods answer `build_inputs`' questions with plain numeric data (arrays,
        numbers, tuples, lists and dicts of them), and whose `device` is the one it computes on. The only
        place a pack imports torch."""
        raise NotImplementedError

    def recognise(self, texts: list[str]) -> int:
        """How strongly a submission's texts look like this assignment: 0 is not at all. The default
        counts the graded functions the texts define."""
        return sum(any(f"def {name}(" in text or f"def {name} (" in text for text in texts) for name in self.functions)

    # --- loading -------------------------------------------------------------------------------------
    def translate_runs(self, text: str, filename: str) -> tuple[str, list[tuple[int, str]]]:
        """`%run` lines of the course's own files, rewritten as imports; (text, [(line, note)])."""
        return text, []

    def supply_names(self, sources: list[str]) -> tuple[list[str], list[str]]:
        """Statements to run first (imports the code uses but lost), and a note for each."""
        return [], []

    # --- judging -------------------------------------------------------------------------------------
    def version_for(self, texts: list[tuple[str, str]], filename: str, pinned: str, legacy_keys: bool) -> Version:
        """The course version to grade a submission by (`pinned`: the rubric's, or "auto")."""
        return Version()

    def check_version_name(self, name: str) -> None:
        """Raise GraderError if a rubric pins a version this pack does not know."""
        from grader.errors import GraderError

        raise GraderError(f"the assignment {self.name!r} has no versions to pin; leave grading.version out")

    def judge_changes(self, unit: str, names: tuple[str, ...], before: tuple, after) -> list[Mismatch]:
        """The in-place changes of a unit's arguments that cost points (by default: all of them)."""
        return changed_inputs(names, before, after)

    def notices(
        self,
        check: Check,
        inputs: list[CaseInput],
        test: TestResult,
        result: JobResult,
        sub: Submission,
        version: Version,
    ) -> list[str]:
        """Notes for a graded unit, after every case is judged: what was accepted and why."""
        return []

    def diagnose(self, test: TestResult, check: Check, inputs: list[CaseInput], version: Version) -> None:
        """Add the misconceptions the evidence shows to `test.diagnoses` (by default: none)."""

    def summarize(self, test: TestResult, check: Check) -> str:
        """The feedback text of one graded unit."""
        from grader.report.feedback import summarize

        return summarize(test, check, self.layer_cells, self.explain_layer_map, self.chain_outputs)

    # --- what reports draw ---------------------------------------------------------------------------
    def explain_layer_map(self, rows: list[dict] | None, codes: list[str]) -> str:
        return ""

    def version_line(self, data: dict) -> str:
        """One line about `report.notebook_version` for the terminal and Markdown reports."""
        return ""

    def job_extras(self) -> dict:
        """What every sandbox job of this pack carries besides the cases: served modules, the chain.

        Compiled here, once, and marshalled (as the submission's statements are): compiling them in
        every job cost up to 1.7 ms a job. Marshal goes from us to the job, never back."""
        import marshal

        extras: dict = {"stand_in_modules": list(self.stand_in_modules)}
        if self.course_module_file is not None:
            source = self.course_module_file.read_text(encoding="utf-8")
            extras["helpers"] = {
                "names": list(self.course_modules),
                "file": str(self.course_module_file),
                "code": marshal.dumps(compile(source, str(self.course_module_file), "exec")),
            }
        if self.end_to_end_file is not None:
            source = self.end_to_end_file.read_text(encoding="utf-8")
            extras["chain"] = marshal.dumps(compile(source, "grader-end-to-end", "exec"))
        elif self.stages:
            from grader.judge.chain_check import chain_source  # cycle-ok: the engine's default for a pack

            extras["chain"] = marshal.dumps(
                compile(chain_source(self.stages, self.chain_args), "grader-end-to-end", "exec")
            )
        return extras


Factory = Callable[[], Pack]
