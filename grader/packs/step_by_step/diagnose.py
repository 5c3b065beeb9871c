"""Misconceptions recognised from evidence, and the layer map of the backward chain.

For every failing case, the evidence modules say which known mistakes reproduce what came back (and
which ones could have been recognised there at all). A mistake becomes a diagnosis of the test only
when it holds on at least two thirds of the failing cases where it was testable; correct code has no
failing cases, so it never gets one. The catalogue (grader/misconceptions.py) supplies the words.
"""

from __future__ import annotations

import numpy as np

from grader import END_TO_END
from grader.judge.results import CaseResult, TestResult

from . import evidence_backward as back
from . import evidence_forward as fwd
from . import layer_map
from .call_details import refused_call_mismatches
from .checks import CaseInput, Check
from .evidence_backward import CaseEvidence
from .misconceptions import CATALOGUE, make_diagnosis

MAJORITY = 2 / 3
SOLE = frozenset({"LEGACY_GRADS_KEYS"})  # explanations that say nothing else is wrong ("only the keys are shifted")
BACKWARD_MAP_UNITS = ("L_model_backward", END_TO_END)


def _stage(case: CaseResult) -> str | None:
    """The first stage of the end-to-end chain that came back wrong (the check reports only that one)."""
    for m in case.mismatches:
        if m.kind == "mutated":
            continue
        head = m.path.split("[")[0]
        if head in ("AL", "cost", "grads", "parameters"):
            return head
    return None


def case_evidence(
    unit: str, case: CaseResult, inp: CaseInput, keys: str = "current"
) -> tuple[CaseEvidence, back.BackwardReading | None]:
    """What this failing case shows, and for the backward chain its layer-by-layer reading."""
    ev = fwd.mutated(case.mismatches)
    value, reading = case.value, None
    if unit in ("initialize_parameters", "initialize_parameters_deep"):
        ev.merge(fwd.init(value, inp))
    elif unit == "linear_forward":
        ev.merge(fwd.linear_forward(value, inp))
    elif unit == "linear_activation_forward":
        ev.merge(fwd.linear_activation_forward(value, inp))
    elif unit == "L_model_forward":
        ev.merge(fwd.network_forward_calls(case.calls, inp))
        if isinstance(value, (tuple, list)) and value:
            ev.merge(fwd.network_AL(value[0], inp))
    elif unit == "compute_cost":
        c, T = inp.case
        ev.merge(fwd.cost(value, c.AL, c.Y, T.cost))
    elif unit == "linear_backward":
        ev.merge(back.linear_backward(value, inp))
    elif unit == "linear_activation_backward":
        ev.merge(back.linear_activation_backward(value, case.calls, inp))
    elif unit == "L_model_backward":
        reading = back.network_calls(case.calls, inp) or back.network_grads(value, inp, keys)
    elif unit == "update_parameters":
        parameters, grads, learning_rate = inp.args
        ev.merge(fwd.update(value, parameters, grads, learning_rate, inp.expected))
    elif unit == END_TO_END and isinstance(value, dict):
        reading = _end_to_end(case, inp, value, ev, keys)
    if reading is not None:
        ev.merge(reading.evidence)
    return ev, reading


def _end_to_end(
    case: CaseResult, inp: CaseInput, value: dict, ev: CaseEvidence, keys: str = "current"
) -> back.BackwardReading | None:
    c, T = inp.case
    stage = _stage(case)
    if stage == "AL":
        ev.merge(fwd.network_AL(value.get("AL"), inp))
    elif stage == "cost":
        ev.merge(fwd.cost(value.get("cost"), c.AL, c.Y, T.cost))
    elif stage == "grads":
        return back.network_grads(value.get("grads"), inp, keys)
    elif stage == "parameters":
        ev.merge(fwd.update(value.get("parameters"), c.parameters, T.grads, c.learning_rate, T.updated))
    return None


def diagnose(test: TestResult, check: Check, inputs: list[CaseInput], keys: str = "current") -> None:
    """Attach diagnoses (to the test and to each case that shows them) and the layer map, in place.

    `keys`: the grads keys of the notebook version graded by (see grader/versions.py)."""
    by_index = {inp.index: inp for inp in inputs}
    found: dict[int, CaseEvidence] = {}
    maps: dict[int, back.BackwardReading] = {}
    for case in test.cases:
        if case.status != "failed" or case.index not in by_index:
            continue  # a crash, a timeout or a pass shows no numbers to read
        if any(m.kind == "call" for m in case.mismatches):
            case.mismatches += refused_call_mismatches(case.calls, by_index[case.index])
        try:
            with np.errstate(all="ignore"):  # a student's huge or odd numbers must not print warnings
                ev, reading = case_evidence(check.unit, case, by_index[case.index], keys)
        except (ValueError, TypeError, IndexError, KeyError, AttributeError, ArithmeticError):
            continue  # odd values we cannot read: say nothing rather than something wrong
        found[case.index] = ev
        if reading is not None and check.unit in BACKWARD_MAP_UNITS:
            maps[case.index] = reading
    unread = sum(1 for c in test.cases if not c.passed and c.index not in found)
    fired = _majority(found, unread)
    if check.unit in BACKWARD_MAP_UNITS and keys == "current":
        fired = _output_key(test, by_index, found, fired)
    for case in test.cases:
        seen = found.get(case.index)
        if seen:
            case.diagnoses = [make_diagnosis(code, seen.found[code]) for code in fired if code in seen.found]
    test.diagnoses = [make_diagnosis(code, _summary(code, found, test)) for code in fired]
    chosen = layer_map.choose(maps, fired)
    if chosen is not None:
        test.layer_map = layer_map.annotate(*chosen, fired)


def _output_key(test: TestResult, by_index: dict, found: dict[int, CaseEvidence], fired: list[str]) -> list[str]:
    """OUTPUT_DA_PREV_KEY: the output layer's dA_prev stored as grads['dA' + str(L)], which two kinds of case show.

    With one layer the grads are right but keyed dA1, as the pre-2019 keys would be (LEGACY_GRADS_KEYS);
    with more, the loop raises KeyError 'dA{L-1}', which those keys never cause. Only both together tell
    the two apart, so both must be there, and together they must make two thirds of the failing cases.
    """
    one_layer = [i for i, ev in found.items() if "LEGACY_GRADS_KEYS" in ev.found and by_index[i].case[0].L == 1]
    missing = []
    for case in test.cases:
        if case.passed or case.index not in by_index or not case.error:
            continue
        L = by_index[case.index].case[0].L
        if (
            L > 1
            and case.error.get("type") == "KeyError"
            and case.error.get("message", "").strip() in (f"'dA{L - 1}'", f'"dA{L - 1}"')
        ):
            missing.append(case.index)
    failing = sum(1 for c in test.cases if not c.passed)
    if not one_layer or not missing or len(one_layer) + len(missing) < MAJORITY * failing:
        return fired
    L = by_index[missing[0]].case[0].L
    said = (
        f"the {len(one_layer)} one-layer case{'s' if len(one_layer) != 1 else ''} returned grads with the keys dA1, "
        "dW1, "
        f"db1 and every value right under dA0, dW1, db1; the {len(missing)} case{'s' if len(missing) != 1 else ''} "
        "with "
        f"more layers raised KeyError for grads['dA{{L-1}}'] (case {missing[0]}: 'dA{L - 1}' with L = {L}), which the "
        f"pre-2019 keys never cause"
    )
    for case in test.cases:
        if case.index in one_layer:
            case.diagnoses = [d for d in case.diagnoses if d.code != "LEGACY_GRADS_KEYS"]
            found[case.index].found.pop("LEGACY_GRADS_KEYS", None)
            found[case.index].add("OUTPUT_DA_PREV_KEY", said)
        elif case.index in missing:
            found.setdefault(case.index, CaseEvidence()).add("OUTPUT_DA_PREV_KEY", said)
    return ["OUTPUT_DA_PREV_KEY"] + [code for code in fired if code != "LEGACY_GRADS_KEYS"]


def _majority(found: dict[int, CaseEvidence], unread: int = 0) -> list[str]:
    """Codes that hold on at least two thirds of the failing cases where they were testable, most common first.

    A code that a fact of any failing case contradicts is never named (its explanation would claim
    more than the evidence: "your numbers are right" while a number is wrong), nor one that claims to
    be the only problem (SOLE) unless it shows in every failing case, read or not (`unread`: those
    that raised an error or ran out of time); beside such cases, one case alone names nothing."""
    hits: dict[str, int] = {}
    tested: dict[str, int] = {}
    denied = set().union(*(ev.contradicted for ev in found.values())) if found else set()
    for ev in found.values():
        for code in ev.found:
            hits[code] = hits.get(code, 0) + 1
        for code in ev.tested | set(ev.found):
            tested[code] = tested.get(code, 0) + 1
    order = list(CATALOGUE)
    enough = 2 if unread else 1  # beside cases that crashed, one reading is not enough to be sure
    failing = len(found) + unread
    denied |= {code for code in SOLE if hits.get(code, 0) < failing}  # "only ..." must hold in every failing case
    fired = [
        code for code in hits if hits[code] >= MAJORITY * tested[code] and hits[code] >= enough and code not in denied
    ]
    return sorted(fired, key=lambda code: (-hits[code], order.index(code)))


def _summary(code: str, found: dict[int, CaseEvidence], test: TestResult) -> str:
    shown = [index for index, ev in sorted(found.items()) if code in ev.found]
    testable = sum(1 for ev in found.values() if code in ev.tested)
    unread = sum(1 for c in test.cases if not c.passed and c.index not in found)
    first = next(c for c in test.cases if c.index == shown[0])
    others = (
        f" ({unread} other failing case{'s' if unread != 1 else ''} raised an error or ran out of time)"
        if unread
        else ""
    )
    return (
        f"it fits {len(shown)} of the {testable} failing case{'s' if testable != 1 else ''} where it could be "
        f"checked{others}; "
        f"in case {first.index} ({first.description}), {found[shown[0]].found[code]}."
    )
