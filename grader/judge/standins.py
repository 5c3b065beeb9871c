"""The trusted side of the stand-ins for the graded helpers a checked function calls.

A call with the exact arguments of a correct call opens its sealed answer inside the sandbox
(`grader/sandbox/seal.py`); any other call comes here. Only a call that a correct caller makes on the
running case, within float32 slack, gets an answer, and the answer is that call's correct output.
"""

from __future__ import annotations

import numpy as np

from grader.judge.compare import Mismatch


def matches(got, want) -> bool:
    """Does an argument a student passed equal what a correct caller passes (within float32 slack)?"""
    if isinstance(want, np.ndarray):
        if (
            type(got) is np.ndarray
            and got.dtype == want.dtype
            and got.shape == want.shape
            and got.tobytes() == want.tobytes()
        ):
            return True  # the very values: the usual case, and a fast one
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return got.shape == want.shape and bool(np.all(np.abs(got - want) <= 1e-6 + 1e-5 * np.abs(want)))
    if isinstance(want, (tuple, list)):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(map(matches, got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(matches(got[k], want[k]) for k in want)
    return type(got) is type(want) and got == want


MAX_LOGGED = 500  # questions logged per case; the diagnosis reads a handful
MAX_LOGGED_ARGS = 20  # refused questions whose arguments are kept for it


class StandInAnswers:
    """Answers one job's questions; `calls[i]` is what case i called, and which layer each call matched."""

    def __init__(self, tables: list[dict]):
        self.tables = tables  # per case: {helper: [(args, answer, label)]}, as in CaseInput.standins
        self.calls: dict[int, list] = {}

    def __call__(self, question: dict, finished: int) -> dict:
        index, helper, args = question.get("i"), question.get("helper"), question.get("args")
        if index != finished or not 0 <= finished < len(self.tables) or not isinstance(args, tuple):
            return {"matched": None}  # only the running case may ask
        log = self.calls.setdefault(index, [])
        for want, answer, label in self.tables[index].get(helper, ()):
            if matches(args, want):
                if len(log) < MAX_LOGGED:  # a loop of questions is answered all the same, not all logged
                    log.append({"helper": helper, "matched": label})
                return {"matched": label, "answer": answer}
        if len(log) < MAX_LOGGED:
            refused = sum(c["matched"] is None for c in log)
            log.append({"helper": helper, "matched": None, **({"args": args} if refused < MAX_LOGGED_ARGS else {})})
        elif not any(c["matched"] is None for c in log):
            log[-1] = {"helper": helper, "matched": None}  # a refusal is never lost: it costs the case
        return {"matched": None}


def wrong_call(function: str, calls: list) -> Mismatch:
    """Say which call to a graded helper went wrong, after which correct ones."""
    wrong: dict = next((c for c in calls if c.get("matched") is None), {})
    helper = wrong.get("helper", "a helper")
    right = [f"{c['helper']} for {c['matched']}" for c in calls if c.get("matched")]
    after = f" (after correct calls: {', '.join(right)})" if right else " (it was the first call)"
    return Mismatch(
        helper,
        "call",
        f"your {function} called {helper} with arguments that a correct {function} does not pass on this case{after}",
    )
