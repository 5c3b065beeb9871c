"""Pack 2's `CaseInput`s: each case's arguments, autograd's answer, and the stand-in tables that isolate it.

A checked function that calls a graded helper gets, inside the sandbox, a stand-in that answers only the
calls a correct caller makes on that case (grader/judge/standins.py), with the helper's correct output:

- conv_forward: `zero_pad(A_prev, pad)`, and `conv_single_step(a_slice_prev, W[:, :, :, c], b_c)` for every
  example, output position and filter, with the bias in both forms the notebooks pass it: `b[:, :, :, c]`
  (or `b[..., c]`, the same (1, 1, 1) array) and `b[0, 0, 0, c]` (a NumPy scalar);
- conv_backward: `zero_pad(A_prev, pad)` and `zero_pad(dA_prev, pad)` of the zeros it starts from;
- pool_backward: `create_mask_from_window(a_prev[vert_start:vert_end, horiz_start:horiz_end, c])` in max
  mode, `distribute_value(dA[i, h, w, c], (f, f))` in average mode.

Identical calls are listed once. Every answer is autograd's (oracle.py): the conv_single_step answers are
entries of the oracle's Z, the masks and shares its create_mask_from_window and distribute_value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grader import END_TO_END
from grader.pack import CaseInput
from grader.packs.conv_step_by_step import cases as C
from grader.packs.conv_step_by_step.chain import chain_cases
from grader.packs.conv_step_by_step.interface import BIAS_IN_SUM, FUNCTIONS, scored_cases


@dataclass(frozen=True)
class VersionedInput(CaseInput):
    """A case whose answer differs by notebook version: `by_rule[rule]` is the answer under that version's
    rule (interface.BIAS_IN_SUM: the 2017 notebook's), `expected` the current one. Only the trusted side
    holds it: the sandbox gets `to_job`, which carries no answer."""

    by_rule: dict = field(default_factory=dict)

    def under(self, rule: str) -> CaseInput:
        """This case as a plain CaseInput whose answer is the one of `rule` ("current": as it is)."""
        if rule not in self.by_rule:
            return self
        case = self.by_rule.get(rule + ":case", self.case)  # the chain's stage cases under that rule
        return CaseInput(self.index, self.label, self.description, self.args, self.by_rule[rule], self.standins, case)


def under(inputs: list[CaseInput], rule: str) -> list[CaseInput]:
    return [inp.under(rule) if isinstance(inp, VersionedInput) else inp for inp in inputs]


def _describe(function: str, case) -> str:
    if hasattr(case, "describe"):
        return case.describe()
    if function == "zero_pad":
        return f"X {case.X.shape}, pad {case.pad}"
    if function == "conv_single_step":
        return f"a_slice_prev {case.a_slice_prev.shape}, b (1, 1, 1)"
    if function == "create_mask_from_window":
        return f"x {case.x.shape}"
    return f"dz {float(case.dz):g}, shape {case.shape}"


def _corners(n_H: int, n_W: int, stride: int):
    for h in range(n_H):
        for w in range(n_W):
            yield h, w, h * stride, w * stride


def conv_forward_table(case: C.ConvCase, Z: np.ndarray, A_prev_pad: np.ndarray) -> dict:
    """Every call a correct conv_forward makes on `case`; `Z` and `A_prev_pad` are autograd's."""
    f, pad, stride = case.f, case.pad, case.stride
    steps: dict = {}
    m, n_H, n_W, n_C = Z.shape
    for i in range(m):
        for h, w, vs, hs in _corners(n_H, n_W, stride):
            a_slice = np.ascontiguousarray(A_prev_pad[i, vs : vs + f, hs : hs + f, :])
            for c in range(n_C):
                answer, label = np.float64(Z[i, h, w, c]), f"example {i}, output ({h}, {w}), filter {c}"
                for bias in (np.ascontiguousarray(case.b[:, :, :, c]), case.b[0, 0, 0, c]):
                    key = (a_slice.tobytes(), c, np.ndim(bias))
                    steps.setdefault(key, ((a_slice, np.ascontiguousarray(case.W[:, :, :, c]), bias), answer, label))
    return {"zero_pad": [((case.A_prev, pad), A_prev_pad, "A_prev")], "conv_single_step": list(steps.values())}


def conv_backward_table(case: C.ConvCase, A_prev_pad: np.ndarray, zeros_pad: np.ndarray) -> dict:
    zeros = np.zeros(case.A_prev.shape)
    return {
        "zero_pad": [((case.A_prev, case.pad), A_prev_pad, "A_prev"), ((zeros, case.pad), zeros_pad, "dA_prev (zeros)")]
    }


def pool_backward_table(case: C.PoolCase, oracle) -> dict:
    """In max mode the masks of every window, in average mode the shares of every dA entry."""
    f, stride = case.f, case.stride
    m, n_H, n_W, n_C = case.dA.shape
    masks: dict = {}
    shares: dict = {}
    for i in range(m):
        for h, w, vs, hs in _corners(n_H, n_W, stride):
            for c in range(n_C):
                label = f"example {i}, output ({h}, {w}), channel {c}"
                if case.mode == "max":
                    x = np.ascontiguousarray(case.A_prev[i, vs : vs + f, hs : hs + f, c])
                    if x.tobytes() not in masks:
                        mask = oracle.create_mask_from_window(C.WindowCase(0, label, x))["mask"]
                        masks[x.tobytes()] = ((x,), mask, label)
                else:
                    dz = case.dA[i, h, w, c]
                    if dz not in shares:
                        share = oracle.distribute_value(C.DistributeCase(0, label, dz, (f, f)))["a"]
                        shares[dz] = ((dz, (f, f)), share, label)
    return (
        {"create_mask_from_window": list(masks.values())}
        if case.mode == "max"
        else {"distribute_value": list(shares.values())}
    )


def function_inputs(function: str, seed: int, n: int, oracle) -> list[CaseInput]:
    spec = FUNCTIONS[function]
    out: list[CaseInput] = []
    for case in scored_cases(function, seed, n):
        answers = oracle.answers(function, case)
        expected = tuple(answers[name] for name in spec.outputs) if len(spec.outputs) > 1 else answers[spec.outputs[0]]
        if function == "conv_single_step":
            expected = np.asarray(expected, dtype=np.float64)  # 0-d: compare accepts a float or a NumPy scalar
        elif function in ("conv_forward", "pool_forward"):
            expected = (answers[spec.outputs[0]], case.cache)
        standins: dict = {}
        if function in ("conv_forward", "conv_backward"):
            A_prev_pad = oracle.zero_pad(C.PadCase(0, "", case.A_prev, case.pad))["X_pad"]
            if function == "conv_forward":
                standins = conv_forward_table(case, answers["Z"], A_prev_pad)
            else:
                zeros_pad = oracle.zero_pad(C.PadCase(0, "", np.zeros(case.A_prev.shape), case.pad))["X_pad"]
                standins = conv_backward_table(case, A_prev_pad, zeros_pad)
        elif function == "pool_backward":
            standins = pool_backward_table(case, oracle)
        if function == "conv_single_step":
            by_rule = {BIAS_IN_SUM: np.asarray(oracle.under("v1-2017", function, case)["Z"], dtype=np.float64)}
            out.append(
                VersionedInput(
                    case.index,
                    case.label,
                    _describe(function, case),
                    spec.arguments(case),
                    expected,
                    standins,
                    case,
                    by_rule=by_rule,
                )
            )
            continue
        out.append(
            CaseInput(case.index, case.label, _describe(function, case), spec.arguments(case), expected, standins, case)
        )
    return out


def chain_inputs(seed: int, n: int, oracle) -> list[CaseInput]:
    """The end-to-end cases; `case` holds the chain case and the per-stage cases diagnosis reads:
    (chain, ConvCase with autograd's dZ, PoolCase of autograd's Z)."""
    out: list[CaseInput] = []
    for chain in chain_cases(seed, n):
        expected = oracle.end_to_end(chain)
        conv = C.ConvCase(chain.index, chain.label, chain.A_prev, chain.W, chain.b, chain.hparameters, expected["dZ"])
        pool = C.PoolCase(chain.index, chain.label, expected["Z"], chain.hparameters_pool, chain.mode, chain.dA)
        old = oracle.under("v1-2017", END_TO_END, chain)  # the 2017 notebook's chain: its Z carries f*f*n_C_prev * b
        old_pool = C.PoolCase(chain.index, chain.label, old["Z"], chain.hparameters_pool, chain.mode, chain.dA)
        by_rule = {BIAS_IN_SUM: old, BIAS_IN_SUM + ":case": (chain, conv, old_pool)}
        out.append(
            VersionedInput(
                chain.index,
                chain.label,
                chain.describe(),
                chain.args,
                expected,
                {},
                (chain, conv, pool),
                by_rule=by_rule,
            )
        )
    return out


def build(seed: int, counts: dict[str, int], oracle) -> dict[str, list[CaseInput]]:
    """Every requested unit's cases with the answers `oracle` gives (`ConvPack.build_inputs`: autograd's,
    or kept ones replayed through the same questions by grader/judge/kept_answers.py)."""
    inputs = {}
    for unit, n in counts.items():
        if unit == END_TO_END:
            inputs[unit] = chain_inputs(seed, n, oracle)
        elif unit in FUNCTIONS:
            inputs[unit] = function_inputs(unit, seed, n, oracle)
    return inputs
