"""Evidence from the backward functions: which known mistake produced the gradients that came back.

Three sources, all from one case's own numbers: what a function returned (dA_prev, dW, db or the
grads dict), the arguments it passed to a stand-in that refused them (the call log), and, for a whole
network, each layer's step read on its own, fed the dA the student's own chain gave it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .checks import CaseInput, from_legacy_keys
from .evidence import OUTPUT_CODES, Hypothesis, StepFit, as_array, close, distinct, explain_output, explain_step

DAL_CAUSES = ("DAL_SIGN", "DAL_DIVIDED_BY_M", "DAL_IS_DZ", "DAL_EVERY_LAYER")
OUTPUT_NAMES = ("dA_prev", "dW", "db")


@dataclass
class CaseEvidence:
    """What one case shows: code -> the numbers that show it, and which codes it could have shown."""

    found: dict[str, str] = field(default_factory=dict)
    tested: set[str] = field(default_factory=set)
    contradicted: set[str] = field(default_factory=set)  # codes whose claim a fact of this case denies

    def add(self, code: str, detail: str) -> None:
        self.found.setdefault(code, detail)
        self.tested.add(code)

    def merge(self, other: CaseEvidence) -> None:
        for code, detail in other.found.items():
            self.add(code, detail)
        self.tested |= other.tested
        self.contradicted |= other.contradicted


def same(got, want) -> bool:
    """Equal within tolerance, through tuples, lists and strings (a cache, an argument list)."""
    if isinstance(want, np.ndarray):
        return close(got, want)
    if isinstance(want, (tuple, list)):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(map(same, got, want))
    return type(got) is type(want) and got == want


def name_at(name: str, layer: int | None) -> str:
    """dW -> dW2 in a network's layer 2; dA_prev -> dA1 there; unchanged for a single layer."""
    if layer is None:
        return name
    return f"dA{layer - 1}" if name == "dA_prev" else f"{name}{layer}"


def describe(code: str, layer: int | None, m: int, got=None, right=None, note: str = "", activation: str = "") -> str:
    """One line of evidence, in the course's names."""
    at = f"layer {layer}: " if layer is not None else ""
    n = lambda name: name_at(name, layer)  # noqa: E731
    shape = lambda v: tuple(np.shape(v))  # noqa: E731
    other = "sigmoid" if activation == "relu" else "relu"
    lines = {
        "DW_MISSING_1_OVER_M": f"{n('dW')} equals m times the right {n('dW')} (m = {m})",
        "DB_MISSING_1_OVER_M": f"{n('db')} equals m times the right {n('db')} (m = {m})",
        "DA_PREV_DIVIDED_BY_M": f"{n('dA_prev')} equals the right {n('dA_prev')} divided by m (m = {m})",
        "DW_TRANSPOSED": f"{n('dW')} has shape {shape(got)} and equals the right {n('dW')} (shape {shape(right)}) "
        "transposed",
        "DA_PREV_TRANSPOSED": f"{n('dA_prev')} has shape {shape(got)} and equals the right {n('dA_prev')} (shape "
        f"{shape(right)}) transposed",
        "DB_NO_KEEPDIMS": f"{n('db')} has shape {shape(got)} instead of {shape(right)}; its values are right",
        "DB_WRONG_AXIS": f"{n('db')} has shape {shape(got)} (expected {shape(right)}): it equals dZ summed over the "
        f"units of each example (or over everything), not over the m = {m} examples",
        "INPUT_MODIFIED_IN_PLACE": f"grads['{n('dA_prev')}'] holds the right {n('dA_prev')} with layer "
        f"{layer - 1 if layer else ''}'s ReLU mask applied: the layer below changed the "
        "array it was given in place",
        "DAL_SIGN": f"{at}the gradients are exactly those of -dAL, dAL with its sign flipped",
        "DAL_DIVIDED_BY_M": f"{at}the gradients are exactly those of dAL / m (m = {m})",
        "DAL_IS_DZ": f"{at}the gradients are exactly those of dAL = AL - Y",
        "DAL_EVERY_LAYER": f"{at}the gradients are exactly those computed from dAL instead of dA{layer}",
        "WRONG_LAYER_CACHE": f"{at}the gradients are exactly those computed with {note}",
        "RELU_MASK_FROM_DA": f"{at}{n('dZ')} equals {n('dA')} with its negative entries set to 0, instead of the "
        f"entries where {n('Z')} <= 0",
        "RELU_MASK_FROM_A": f"{at}{n('dZ')} equals {n('dA')} set to 0 where A_prev <= 0, instead of where Z <= 0",
        "SIGMOID_DERIVATIVE_OF_CACHE": f"{at}{n('dZ')} equals dA * Z * (1 - Z), with Z the activation cache itself",
        "WRONG_ACTIVATION_BACKWARD": f"{at}{n('dZ')} equals dA times {other}'s derivative, but this is a {activation} "
        "layer",
        "ACTIVATION_DERIVATIVE_MISSING": f"{at}{n('dZ')} equals {n('dA')} unchanged",
    }
    line = lines[code]
    if layer is not None and code in OUTPUT_CODES["dW"] | OUTPUT_CODES["db"] | OUTPUT_CODES["dA_prev"]:
        line = at + line
    return line


def _fit_evidence(fit: StepFit, got: dict, rights: dict, layer: int | None, m: int, activation: str) -> CaseEvidence:
    ev = CaseEvidence(tested=set(fit.tested))
    if not fit.explained:
        return ev
    if fit.cause:
        ev.add(fit.cause, describe(fit.cause, layer, m, note=fit.note, activation=activation))
    for name, codes in fit.slips.items():
        for code in codes:
            ev.add(code, describe(code, layer, m, got.get(name), rights.get(name), activation=activation))
    return ev


# --- single layers --------------------------------------------------------------------------------
def linear_backward(value, inp: CaseInput) -> CaseEvidence:
    dZ, (A_prev, _, _) = inp.args
    ev = CaseEvidence()
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        return ev
    m = A_prev.shape[1]
    for name, got, right in zip(OUTPUT_NAMES, value, inp.expected):
        if close(got, right):
            continue
        ev.tested |= OUTPUT_CODES[name] - {"INPUT_MODIFIED_IN_PLACE"}
        for code in explain_output(name, got, right, dZ, m) or ():
            ev.add(code, describe(code, None, m, got, right))
    return ev


def linear_activation_backward(value, calls: list, inp: CaseInput) -> CaseEvidence:
    dA, cache, activation = inp.args
    m = dA.shape[1]
    wrong = _refused(calls, "linear_backward")
    if wrong is not None:
        args = wrong.get("args") or ()
        got = {"dZ": args[0]} if args and as_array(args[0]) is not None else {}
    elif isinstance(value, (tuple, list)) and len(value) == 3:
        got = dict(zip(OUTPUT_NAMES, value))
    else:
        got = {}
    if not got:
        return CaseEvidence()
    fit = explain_step(got, Hypothesis(None, dA, cache, activation))
    return _fit_evidence(fit, got, dict(zip(OUTPUT_NAMES, inp.expected)), None, m, activation)


def _refused(calls: list, helper: str | None = None) -> dict | None:
    return next((c for c in calls if c.get("matched") is None and (helper is None or c.get("helper") == helper)), None)


# --- a whole network ------------------------------------------------------------------------------
def _dA_alternatives(c, T, layer: int, dA_in, cache, activation: str) -> list[Hypothesis]:
    """Wrong inputs a student may have fed layer `layer`'s step instead of the right ones."""
    out = []
    if layer == c.L:
        out += [
            Hypothesis("DAL_SIGN", -T.dAL, cache, activation),
            Hypothesis("DAL_IS_DZ", c.AL - c.Y, cache, activation),
        ]
        if c.m > 1:
            out.append(Hypothesis("DAL_DIVIDED_BY_M", T.dAL / c.m, cache, activation))
    else:
        out.append(Hypothesis("DAL_EVERY_LAYER", T.dAL, cache, activation))
    for k, other in enumerate(c.caches):
        if k != layer - 1:
            out.append(
                Hypothesis("WRONG_LAYER_CACHE", dA_in, other, activation, f"caches[{k}], the cache of layer {k + 1}")
            )
    return out


@dataclass
class BackwardReading:
    """A whole network's backward pass, read layer by layer (rows from L down to 1)."""

    evidence: CaseEvidence
    rows: list[dict]
    own_step_right: dict[int, bool | None]  # layer -> its own step was right given the dA it received
    codes: dict[int, set] = field(default_factory=dict)  # layer -> the mistakes seen in its step


def network_grads(grads, inp: CaseInput, keys: str = "current") -> BackwardReading | None:
    """Read the grads a student's L_model_backward returned (alone or in the end-to-end chain).

    `keys` is the convention of the notebook version graded by: where dA1..dAL are allowed ('legacy',
    'either') they are read the old way and are no mistake; where they are not, LEGACY_GRADS_KEYS is
    named only when every value is right once shifted (its explanation says so)."""
    c, T = inp.case
    L = c.L
    if not isinstance(grads, dict):
        return None
    ev = CaseEvidence()
    if set(grads) != set(T.grads):
        shifted = from_legacy_keys(grads, L)
        if keys != "current" and shifted is not grads:
            grads = shifted
        else:
            ev.tested.add("LEGACY_GRADS_KEYS")
            if shifted is not grads and set(shifted) == set(T.grads):
                if all(close(shifted[k], T.grads[k]) for k in T.grads):
                    ev.add(
                        "LEGACY_GRADS_KEYS",
                        f"grads has the keys dA1..dA{L}, and grads['dA{L}'] holds what belongs under "
                        f"grads['dA{L - 1}'] (the gradient of A{L - 1}); every value is right",
                    )
                else:
                    ev.contradicted.add("LEGACY_GRADS_KEYS")  # shifted keys, but not only that: some value is wrong too
                grads = shifted
    rows, own, codes = [], {}, {}
    right: dict[str, bool | None] = {}  # grads key -> whether it is right: layer l's dA is layer l+1's dA_prev
    for layer in range(L, 0, -1):
        activation = c.activations[layer - 1]
        cache = c.caches[layer - 1]
        names = {"dA_prev": f"dA{layer - 1}", "dW": f"dW{layer}", "db": f"db{layer}"}
        got = {name: grads[key] for name, key in names.items() if key in grads}
        rights = {name: T.grads[key] for name, key in names.items()}
        dA_in = T.dAL if layer == L else grads.get(f"dA{layer}")
        if layer < L and (as_array(dA_in) is None or np.shape(dA_in) != T.Z[layer].shape):
            dA_in = T.grads[f"dA{layer}"]
        dA_in = as_array(dA_in)
        if dA_in is None:  # autograd's own dAL not finite: nothing to read (the caller skips the case)
            raise TypeError("no finite dA enters this layer")
        below = T.Z[layer - 1] if layer > 1 else None
        fit = explain_step(
            got,
            Hypothesis(None, dA_in, cache, activation),
            functools.partial(_dA_alternatives, c, T, layer, dA_in, cache, activation),
            below,
        )
        step = _fit_evidence(fit, got, rights, layer, c.m, activation)
        ev.merge(step)
        own[layer] = (fit.explained and not fit.codes) if fit.explained else None
        codes[layer] = set(step.found)
        rows.append(_row(layer, L, grads, T, fit, right))
    return BackwardReading(ev, rows, own, codes)


def _known(got, want) -> bool | None:
    return None if got is None else close(got, want)


def _row(layer: int, L: int, grads: dict, T, fit: StepFit, right: dict[str, bool | None]) -> dict:
    """Layer `layer`'s row of the map; `right` keeps each grads key's answer for the rows after it."""

    def known(key: str) -> bool | None:
        if key not in right:
            right[key] = _known(grads.get(key), T.grads[key])
        return right[key]

    dW, db = known(f"dW{layer}"), known(f"db{layer}")
    if layer < L:
        dA = known(f"dA{layer}")
    elif fit.explained:
        dA = fit.cause not in DAL_CAUSES
    else:
        dA = True if (dW and db) else None
    dA_prev = known(f"dA{layer - 1}")
    if fit.explained and fit.dZ is not None:
        dZ = close(fit.dZ, T.dZ[layer])
    elif dW and db:
        dZ = True
    elif dW is False and db is False and dA_prev is False:
        dZ = False  # every output of the linear step is wrong: what they share is dZ
    else:
        dZ = None
    return {"layer": layer, "dA": dA, "dZ": dZ, "dW": dW, "db": db}


def network_calls(calls: list, inp: CaseInput) -> BackwardReading | None:
    """Read the call log of an L_model_backward that called a stand-in with arguments a correct one does not pass."""
    c, T = inp.case
    L = c.L
    wrong = _refused(calls)
    if wrong is None:
        return None
    helper, args = wrong.get("helper"), tuple(wrong.get("args") or ())
    done = [int(x["matched"].split()[-1]) for x in calls if x.get("helper") == helper and x.get("matched")]
    layer = min(done) - 1 if done else L
    if layer < 1:
        return None
    ev = CaseEvidence()
    activation, cache = c.activations[layer - 1], c.caches[layer - 1]
    dA_right = T.dAL if layer == L else T.grads[f"dA{layer}"]
    dA_ok: bool | None = None
    if helper == "linear_activation_backward" and len(args) >= 3:
        dA, passed_cache, passed_activation = args[:3]
        dA_ok = close(dA, dA_right)
        if not dA_ok:
            for h in _dA_alternatives(c, T, layer, dA_right, cache, activation):
                if h.cause in DAL_CAUSES and distinct(h.dA, dA_right):
                    ev.tested.add(h.cause)
                    if close(dA, h.dA):
                        ev.add(h.cause, _call_detail(h.cause, layer, c.m))
        _cache_evidence(ev, passed_cache, c.caches, layer, "")
        if passed_activation != activation and passed_activation in ("relu", "sigmoid") and same(passed_cache, cache):
            ev.add(
                "WRONG_ACTIVATION_BACKWARD",
                f"for layer {layer}, a {activation} layer, your L_model_backward passed "
                f"activation={passed_activation!r}",
            )
    elif helper == "linear_backward" and len(args) >= 2:
        dZ, passed_linear = args[:2]
        _cache_evidence(ev, passed_linear, [k[0] for k in c.caches], layer, "linear ")
        if as_array(dZ) is not None:
            fit = explain_step(
                {"dZ": dZ},
                Hypothesis(None, dA_right, cache, activation),
                [h for h in _dA_alternatives(c, T, layer, dA_right, cache, activation) if h.cause in DAL_CAUSES],
            )
            ev.merge(_fit_evidence(fit, {"dZ": dZ}, {}, layer, c.m, activation))
            dA_ok = fit.explained and fit.cause not in DAL_CAUSES
    rows: list[dict] = []
    for l in range(L, 0, -1):
        if l > layer:
            rows.append({"layer": l, "dA": True, "dZ": True, "dW": True, "db": True})
        else:  # the refused call computed nothing, and nothing below it ran
            rows.append({"layer": l, "dA": dA_ok if l == layer else None, "dZ": None, "dW": None, "db": None})
    own = {l: (True if l > layer else False if l == layer else None) for l in range(1, L + 1)}
    return BackwardReading(ev, rows, own, {layer: set(ev.found)})


def _call_detail(code: str, layer: int, m: int) -> str:
    return {
        "DAL_SIGN": f"the dA your L_model_backward passed for layer {layer} equals -dAL",
        "DAL_DIVIDED_BY_M": f"the dA your L_model_backward passed for layer {layer} equals dAL / m (m = {m})",
        "DAL_IS_DZ": f"the dA your L_model_backward passed for layer {layer} equals AL - Y",
        "DAL_EVERY_LAYER": f"the dA your L_model_backward passed for layer {layer} equals dAL, not dA{layer}",
    }[code]


def _cache_evidence(ev: CaseEvidence, passed, caches: list, layer: int, kind: str) -> None:
    if same(passed, caches[layer - 1]):
        return
    ev.tested.add("WRONG_LAYER_CACHE")
    for k, other in enumerate(caches):
        if k != layer - 1 and same(passed, other):
            where = f"caches[{k}][0]" if kind else f"caches[{k}]"
            ev.add(
                "WRONG_LAYER_CACHE",
                f"for layer {layer} your L_model_backward passed the {kind}cache {where}, "
                f"which belongs to layer {k + 1} (layer {layer}'s is in caches[{layer - 1}])",
            )
            return
