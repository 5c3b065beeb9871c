"""What was wrong in a call a stand-in refused: each argument compared with what a correct caller passes.

A refused call only says "wrong arguments"; a student needs to know which one and by how much. The
correct arguments are the stand-in's own table (trusted side), so each argument the student passed is
compared with the same helper as any returned array, giving shapes, largest errors and an excerpt.
"""

from __future__ import annotations

from dataclasses import replace

from grader.judge.compare import Mismatch, compare

from .checks import CaseInput

ARG_NAMES = {
    "linear_forward": ("A", "W", "b"),
    "linear_activation_forward": ("A_prev", "W", "b", "activation"),
    "linear_backward": ("dZ", "cache"),
    "linear_activation_backward": ("dA", "cache", "activation"),
}
ORDER = {"linear_forward": 1, "linear_activation_forward": 1, "linear_backward": -1, "linear_activation_backward": -1}


def _intended(calls: list, helper: str, table: list) -> tuple | None:
    """The table entry the refused call was meant to be: the next layer after the matched ones."""
    labels = [
        label for _, _, label in table
    ]  # a layer may have several entries (case_inputs._entries): its first is autograd's
    distinct = list(dict.fromkeys(labels))
    done = [c["matched"] for c in calls if c.get("helper") == helper and c.get("matched") in labels]
    if len(distinct) == 1:
        return table[0]
    step = ORDER.get(helper, 1)
    order = distinct if step > 0 else distinct[::-1]  # forward: layer 1 first; backward: layer L first
    following = [label for label in order if label not in done]
    if not following:
        return None
    return table[labels.index(following[0])]


def refused_call_mismatches(calls: list, inp: CaseInput) -> list[Mismatch]:
    """The arguments of the first refused call that differ from a correct caller's, one Mismatch each."""
    wrong = next((c for c in calls if c.get("matched") is None), None)
    if wrong is None:
        return []
    helper, args = wrong.get("helper"), tuple(wrong.get("args") or ())
    table = inp.standins.get(helper) or []
    entry = _intended(calls, helper, table)
    if entry is None:
        return []
    want_args, _, label = entry
    names = ARG_NAMES.get(helper, tuple(f"argument {i}" for i in range(len(want_args))))
    if len(args) != len(want_args):
        return [
            Mismatch(
                f"{helper} call",
                "call",
                f"{helper} takes {len(want_args)} arguments here ({', '.join(names)}); your call passed {len(args)}",
            )
        ]
    where = "" if label == "this layer" else f" for {label}"
    found = []
    for name, got, want in zip(names, args, want_args):
        found += [
            replace(m, message=f"in the call to {helper}{where}, the argument {m.message}")
            for m in compare(name, got, want)
        ]
    return found
