"""Pack 2's diagnosis: the misconceptions that the failing cases' own numbers show.

Two kinds of evidence, both exact comparisons with what a mistake would give (misconceptions.py):
- values: what the function returned equals, output by output, what the mistake returns on that case;
- calls: under isolation, a mistake in a loop often shows first as a call to a stand-in that a correct
  caller never makes (the case then returns nothing). The refused call's own arguments are the evidence:
  a window that only the mistake reads (the window at (h, w) where the stride puts it at (h*stride,
  w*stride)), or the window of every channel where max pooling reads one.

A misconception becomes a diagnosis of the unit when it holds on at least two thirds of the failing cases
where it can show at all (`Misconception.applies`), as in pack 1. Correct code fails no case, so it is
never diagnosed. The end-to-end check is diagnosed at its first wrong stage, with that stage's inputs.
"""

from __future__ import annotations

import numpy as np

from grader import END_TO_END
from grader.judge.compare import Mismatch
from grader.judge.results import CaseResult, Diagnosis, TestResult
from grader.pack import CaseInput, Check
from grader.packs.conv_step_by_step import misconceptions as M
from grader.packs.conv_step_by_step.checks import first_wrong_stage
from grader.packs.conv_step_by_step.interface import FUNCTIONS

MAJORITY = 2 / 3
# Not named from the chain: without stand-ins, pool_backward's average gradient is f*f times too large
# whether pool_backward forgets the 1/(f*f) or the student's distribute_value does (DISTRIBUTE_NOT_DIVIDED).
# pool_backward's own check, with a correct distribute_value standing in, tells the two apart.
CHAIN_AMBIGUOUS = frozenset({"AVG_POOL_GRADIENT_NOT_DIVIDED"})


def _windows_at(X: np.ndarray, f: int, n_H: int, n_W: int, step: int, channel=None) -> list[np.ndarray]:
    """Every example's window with corner (h * step, w * step), all channels or one."""
    out = []
    for i in range(X.shape[0]):
        for h in range(n_H):
            for w in range(n_W):
                window = X[i, h * step : h * step + f, w * step : w * step + f]
                out.extend([window] if channel is None else [window[..., c] for c in range(X.shape[3])])
    return out


def _among(x, windows: list[np.ndarray]) -> bool:
    x = np.asarray(x) if isinstance(x, np.ndarray) else None
    return x is not None and any(x.shape == w.shape and np.array_equal(x, w) for w in windows)


def _first_wrong_window(c, step: int):
    """The first window, in the loops' order (i, h, w, c), that corners (h * step, w * step) read and a
    correct loop does not."""
    n_H, n_W = c.dA.shape[1:3]
    right = _windows_at(c.A_prev, c.f, n_H, n_W, c.stride, channel=True)
    for window in _windows_at(c.A_prev, c.f, n_H, n_W, step, channel=True):
        if not _among(window, right):
            return window
    return None


def _same_window(x, window) -> bool:
    return window is not None and _among(x, [window])


def _refused(case: CaseResult, helper: str) -> list[tuple]:
    return [
        c["args"]
        for c in case.calls
        if c.get("matched") is None and c.get("helper") == helper and isinstance(c.get("args"), tuple)
    ]


def call_evidence(function: str, inp: CaseInput, case: CaseResult) -> tuple[list[str], str]:
    """Misconceptions shown by a refused stand-in call, and the words that say which call."""
    c = inp.case
    if function == "conv_forward":
        refused = _refused(case, "conv_single_step")
        if refused and refused[0]:
            n_H, n_W = M._conv_sizes(c)
            X = M._pad(c.A_prev, c.pad)
            a_slice = refused[0][0]
            windows = _windows_at(X, c.f, n_H, n_W, c.stride)
            if np.ndim(a_slice) == 2 and _among(a_slice, [w[..., k] for w in windows for k in range(w.shape[-1])]):
                return ["CONV_FORWARD_ONE_CHANNEL_SLICE"], (
                    f"it called conv_single_step with one channel of a window, of shape "
                    f"{tuple(np.shape(a_slice))}, where the filter needs all {c.A_prev.shape[3]}: "
                    "the call this mistake makes"
                )
            if not _among(a_slice, windows) and _among(a_slice, _windows_at(X, c.f, n_H, n_W, 1)):
                return ["CONV_FORWARD_NO_STRIDE"], (
                    "it called conv_single_step with a window of A_prev_pad whose corner is "
                    f"(h, w), which no output reads with stride {c.stride}: the call this mistake makes"
                )
    if function == "pool_backward" and c.mode == "max":
        refused = _refused(case, "create_mask_from_window")
        if refused and refused[0]:
            x = refused[0][0]
            n_H, n_W = c.dA.shape[1:3]
            if np.ndim(x) == 3 and _among(x, _windows_at(c.A_prev, c.f, n_H, n_W, c.stride)):
                return ["MAX_MASK_ALL_CHANNELS"], (
                    f"it called create_mask_from_window with a window of all {c.A_prev.shape[3]} "
                    f"channels (shape {tuple(np.shape(x))}): the call this mistake makes"
                )
            if np.ndim(x) == 2:
                for code, step, corner in (
                    ("POOL_BACKWARD_NO_STRIDE", 1, "(h, w)"),
                    ("POOL_BACKWARD_F_AS_STRIDE", c.f, "(h*f, w*f)"),
                ):
                    if code in M.distinct("pool_backward", c) and _same_window(x, _first_wrong_window(c, step)):
                        return [code], (
                            f"it called create_mask_from_window with a window whose corner is {corner}, which no "
                            f"output reads with stride {c.stride}: the first call this mistake makes that a correct "
                            "loop does not"
                        )
    return [], ""


def zero_pad_call(fn: str, inp: CaseInput, case: CaseResult) -> Mismatch | None:
    """What a refused zero_pad call's arguments show: the refusal alone says only 'arguments a correct
    caller does not pass'.

    A correct conv_forward pads A_prev; a correct conv_backward pads A_prev and the zeros dA_prev starts
    from. An array of A_prev's shape that is neither is a dA_prev started from something else
    (np.random.randn, np.empty, a copy of A_prev): what it held is added to every gradient.
    """
    refused = _refused(case, "zero_pad")
    if not refused or len(refused[0]) != 2 or inp.case is None or not hasattr(inp.case, "A_prev"):
        return None
    X, pad = refused[0]
    c = inp.case
    want = c.pad
    X = np.asarray(X) if isinstance(X, np.ndarray) else None
    if X is None:
        return Mismatch(
            "zero_pad call",
            "call",
            f"your {fn} passed zero_pad a {type(refused[0][0]).__name__} where it pads an array",
        )
    if X.shape != c.A_prev.shape:
        return Mismatch(
            "zero_pad call",
            "call",
            f"your {fn} passed zero_pad an array of shape {X.shape}; a correct {fn} pads "
            f"A_prev{' and the zeros dA_prev starts from' if fn == 'conv_backward' else ''}, of shape {c.A_prev.shape}",
            expected_shape=list(c.A_prev.shape),
            got_shape=list(X.shape),
        )
    if not (isinstance(pad, (int, np.integer)) and pad == want):
        return Mismatch(
            "zero_pad call", "call", f"your {fn} passed zero_pad pad = {pad!r}; hparameters['pad'] is {want} here"
        )
    if fn == "conv_backward" and not np.array_equal(X, c.A_prev) and np.any(X != 0):
        return Mismatch(
            "zero_pad call",
            "call",
            "your conv_backward passed zero_pad an array of A_prev's shape that is neither A_prev "
            "nor zeros: dA_prev (padded to dA_prev_pad) must start as np.zeros(A_prev.shape), since every window "
            "adds its share to it; whatever it held (np.random.randn, np.empty, a copy of A_prev) stays in the "
            "gradient. dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))",
        )
    return None


def _named(function: str, value) -> dict:
    names = FUNCTIONS[function].outputs
    if len(names) == 1:
        return {names[0]: value}
    return dict(zip(names, value)) if isinstance(value, (tuple, list)) and len(value) == len(names) else {}


def evidence(
    unit: str, inp: CaseInput, case: CaseResult, version: str = M.LATEST
) -> tuple[str, object, list[str], str]:
    """(function, its case, misconceptions shown, how) for one failing case of `unit`."""
    if unit == END_TO_END:
        stage = first_wrong_stage(case.mismatches)
        value = case.value if isinstance(case.value, dict) else {}
        if stage is None:
            return "", None, [], ""
        _, conv, pool = inp.case  # the stage as a case of its own, with autograd's inputs to it
        function, stage_case = stage, conv if stage in ("conv_forward", "conv_backward") else pool
        outputs = {
            "conv_forward": ("Z",),
            "pool_forward": ("A",),
            "pool_backward": ("dZ",),
            "conv_backward": ("dA_prev", "dW", "db"),
        }[stage]
        actual = dict(zip(FUNCTIONS[function].outputs, (value.get(k) for k in outputs)))
        if function in ("conv_forward", "pool_forward"):
            actual["cache"] = stage_case.cache  # the chain keeps the caches to itself; no prediction reads them
        found = [
            code
            for code in M.identify(
                function, stage_case, {k: v for k, v in actual.items() if v is not None}, version=version
            )
            if code not in CHAIN_AMBIGUOUS
        ]
        return function, stage_case, found, f"in the chain, {function} returned exactly what this mistake returns"
    found, how = call_evidence(unit, inp, case)
    if found:
        return unit, inp.case, found, how
    if case.value is None:
        return unit, inp.case, [], ""
    return (
        unit,
        inp.case,
        M.identify(unit, inp.case, _named(unit, case.value), version=version),
        "what it returned equals, output by output, what this mistake returns",
    )


def diagnose(test: TestResult, check: Check, inputs: list[CaseInput], version: str = M.LATEST) -> None:
    """Add to `test` (and to each case it holds on) every misconception the majority of its failing cases show."""
    failing = [(case, inp) for case, inp in zip(test.cases, inputs) if case.status == "failed"]
    if not failing:
        return
    if check.unit in ("conv_forward", "conv_backward"):
        for case, inp in failing:
            detail = zero_pad_call(check.unit, inp, case) if any(m.kind == "call" for m in case.mismatches) else None
            if detail is not None:
                case.mismatches.append(detail)
    shown: dict[str, list[tuple[CaseResult, str]]] = {}
    testable: dict[str, int] = {}
    for case, inp in failing:
        function, stage_case, found, how = evidence(check.unit, inp, case, version)
        calls_only = (
            set()
            if check.unit == END_TO_END or stage_case is None
            else {m.code for m in M.for_function(function) if m.compute is None and m.applies(stage_case)}
        )
        for code in M.distinct(function, stage_case, version=version) | calls_only if stage_case is not None else ():
            if not (check.unit == END_TO_END and code in CHAIN_AMBIGUOUS):
                testable[code] = testable.get(code, 0) + 1
        for code in found:
            shown.setdefault(code, []).append((case, how))
    for code, cases in shown.items():
        if len(cases) < MAJORITY * testable.get(code, len(cases)):
            continue
        m = M.BY_CODE[code]
        first, how = cases[0]
        message = (
            f"{m.explanation} Evidence: on {len(cases)} of the {testable.get(code, len(cases))} failing cases where "
            "this "
            f"mistake can show, {how} (the first: case {first.label!r})."
        )
        diagnosis = Diagnosis(code, m.title, message, m.expected)
        test.diagnoses.append(diagnosis)
        for case, _ in cases:
            case.diagnoses.append(diagnosis)
