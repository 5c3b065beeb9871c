"""Evidence from the forward pass, the cost, the update and initialisation.

Each function compares what came back (or what was passed to a refusing stand-in) with what a known
mistake computes on the same case, using only that case's inputs and autograd's truth.
"""

from __future__ import annotations

import numpy as np

from .checks import CaseInput
from .evidence import activate, as_array, close, distinct
from .evidence_backward import CaseEvidence, same

OTHER = {"relu": "sigmoid", "sigmoid": "relu"}


# --- initialisation -------------------------------------------------------------------------------
def init(value, inp: CaseInput) -> CaseEvidence:
    ev = CaseEvidence()
    if not isinstance(value, dict):
        return ev
    found = {k: value.get(k) for k in inp.expected if k.startswith("W")}
    weights = {k: w for k, w in found.items() if isinstance(w, np.ndarray)}
    if len(weights) == len(found) and all(
        w.shape == tuple(inp.expected[k]) and w.dtype.kind == "f" for k, w in weights.items()
    ):
        ev.tested.add("INIT_UNIFORM")
        if weights and all(np.all((w > 0) & (w < 0.01)) for w in weights.values()):
            count = sum(w.size for w in weights.values())
            entries = "the only entry" if count == 1 else f"all {count} entries"
            ev.add(
                "INIT_UNIFORM",
                f"{entries} of {', '.join(weights)} lie in (0, 0.01), as np.random.rand(...) * 0.01 draws them",
            )
    for key, shape in inp.expected.items():
        got = value.get(key)
        if not key.startswith("W") or not isinstance(got, np.ndarray):
            continue
        if got.shape == tuple(reversed(shape)) and shape[0] != shape[1]:
            ev.add(
                "INIT_SHAPE_TRANSPOSED",
                f"{key} has shape {got.shape}, (n[l-1], n[l]), instead of {tuple(shape)}, (n[l], n[l-1])",
            )
        elif got.shape == tuple(shape):
            ev.tested.add("INIT_WEIGHTS_ZERO")
            if got.size and not np.any(got):
                ev.add("INIT_WEIGHTS_ZERO", f"{key} of shape {tuple(shape)} is all zeros")
    return ev


# --- forward --------------------------------------------------------------------------------------
def linear_forward(value, inp: CaseInput) -> CaseEvidence:
    A, W, b = inp.args
    ev = CaseEvidence()
    Z = value[0] if isinstance(value, (tuple, list)) and value else None
    if Z is not None and not close(Z, inp.expected[0]) and distinct(W @ A, inp.expected[0]):
        ev.tested.add("FORWARD_MISSING_BIAS")
        if close(Z, W @ A):
            ev.add("FORWARD_MISSING_BIAS", "Z equals np.dot(W, A), without b")
    return ev


def linear_activation_forward(value, inp: CaseInput) -> CaseEvidence:
    A_prev, W, b, activation = inp.args
    ev = CaseEvidence()
    A = value[0] if isinstance(value, (tuple, list)) and value else None
    right = inp.expected[0]
    if A is None or close(A, right):
        return ev
    Z = inp.expected[1][1]
    for code, wrong, detail in (
        (
            "FORWARD_MISSING_BIAS",
            activate(W @ A_prev, activation),
            f"A equals {activation}(np.dot(W, A_prev)), without b",
        ),
        (
            "WRONG_ACTIVATION_FORWARD",
            activate(Z, OTHER[activation]),
            f"A equals {OTHER[activation]}(Z), but activation={activation!r}",
        ),
    ):
        if distinct(wrong, right):
            ev.tested.add(code)
            if close(A, wrong):
                ev.add(code, detail)
    return ev


def _forward(c, drop_bias=False, activations=None, last_from=None) -> np.ndarray | None:
    """AL of the case's network computed the way a mistaken L_model_forward does, or None if it cannot run."""
    p, A = c.parameters, c.X
    activations = activations or c.activations
    for l in range(1, c.L + 1):
        k = last_from if (l == c.L and last_from) else l
        W, b = p[f"W{k}"], p[f"b{k}"]
        if W.shape[1] != A.shape[0]:
            return None
        Z = W @ A + (0 if drop_bias else b)
        A = activate(Z, activations[l - 1])
    return A


def forward_mistakes(c) -> list[tuple[str, np.ndarray | None, str]]:
    L = c.L
    hidden = ("relu",) * (L - 1)
    out = [
        (
            "FORWARD_MISSING_BIAS",
            _forward(c, drop_bias=True),
            "AL equals the forward pass with Z = W A, without b, in every layer",
        ),
        (
            "WRONG_ACTIVATION_FORWARD",
            _forward(c, activations=hidden + ("relu",)),
            "AL equals the forward pass with ReLU in the output layer too",
        ),
        (
            "WRONG_ACTIVATION_FORWARD",
            _forward(c, activations=("sigmoid",) * L),
            "AL equals the forward pass with sigmoid in every layer",
        ),
        (
            "WRONG_ACTIVATION_FORWARD",
            _forward(c, activations=("sigmoid",) * (L - 1) + ("relu",)),
            "AL equals the forward pass with the activations swapped (sigmoid hidden, ReLU out)",
        ),
    ]
    if L >= 2:
        out.append(
            (
                "LAST_LAYER_LOOP_INDEX",
                _forward(c, last_from=L - 1),
                f"AL equals the output of W{L - 1}, b{L - 1} applied again in place of W{L}, b{L}",
            )
        )
    return out


def network_AL(AL, inp: CaseInput) -> CaseEvidence:
    c, T = inp.case
    ev = CaseEvidence()
    if AL is None or close(AL, T.AL):
        return ev
    fits: dict[str, str] = {}
    for code, wrong, detail in forward_mistakes(c):
        if wrong is None or not distinct(wrong, T.AL):
            continue
        ev.tested.add(code)
        if close(AL, wrong):
            fits.setdefault(code, detail)
    if len(fits) == 1:
        ev.add(*fits.popitem())
    else:  # two mistakes that give the same AL: this case cannot tell them apart
        ev.tested -= set(fits)
    return ev


def network_forward_calls(calls: list, inp: CaseInput) -> CaseEvidence:
    """The arguments an L_model_forward passed to a refusing stand-in, read against layer l's right ones."""
    c, T = inp.case
    ev = CaseEvidence()
    wrong = next((x for x in calls if x.get("matched") is None), None)
    if wrong is None:
        return ev
    helper, args = wrong.get("helper"), tuple(wrong.get("args") or ())
    layer = 1 + sum(1 for x in calls if x.get("helper") == helper and x.get("matched"))
    if layer > c.L or len(args) < 3:
        return ev
    p = c.parameters
    W, b = args[1], args[2]
    if layer == c.L and c.L >= 2 and not same(W, p[f"W{layer}"]):
        ev.tested.add("LAST_LAYER_LOOP_INDEX")
        if same(W, p[f"W{layer - 1}"]) and same(b, p[f"b{layer - 1}"]):
            ev.add(
                "LAST_LAYER_LOOP_INDEX",
                f"for layer {layer}, the output layer, your L_model_forward passed "
                f"W{layer - 1} and b{layer - 1}, the parameters of layer {layer - 1}",
            )
    if helper == "linear_activation_forward" and len(args) >= 4 and same(W, p[f"W{layer}"]) and same(b, p[f"b{layer}"]):
        expected = c.activations[layer - 1]  # only a call that is layer `layer`'s in every other way says so
        if args[3] != expected and args[3] in OTHER:
            ev.add(
                "WRONG_ACTIVATION_FORWARD",
                f"for layer {layer}, a {expected} layer, your L_model_forward passed activation={args[3]!r}",
            )
    return ev


# --- cost -----------------------------------------------------------------------------------------
def cost(value, AL: np.ndarray, Y: np.ndarray, right) -> CaseEvidence:
    ev = CaseEvidence()
    got = as_array(value)
    if got is None or close(got, right):
        return ev
    m = Y.shape[1]
    if got.shape != () and got.size == 1:
        ev.tested.add("COST_NOT_0D")
        got = got.reshape(())
        if close(got, right):
            ev.add("COST_NOT_0D", f"the cost has shape {np.shape(value)} instead of (); its value is right")
            return ev
    positive, negative = -np.sum(Y * np.log(AL)) / m, -np.sum((1 - Y) * np.log(1 - AL)) / m
    for code, wrong, detail in (
        ("COST_SIGN", -right, f"the cost equals -J = {float(-right):.6g} instead of J = {float(right):.6g}"),
        ("COST_MISSING_1_OVER_M", right * m, f"the cost equals m J (m = {m})"),
        ("COST_EXTRA_1_OVER_M", right / m, f"the cost equals J / m (m = {m})"),
        ("COST_MISSING_TERM", positive, "the cost equals -(1/m) Σ y log a alone, without the (1-y) log(1-a) term"),
        ("COST_MISSING_TERM", negative, "the cost equals -(1/m) Σ (1-y) log(1-a) alone, without the y log a term"),
    ):
        if distinct(wrong, right):
            ev.tested.add(code)
            if close(got, wrong):
                ev.add(code, detail)
                if np.shape(value) != ():
                    ev.add("COST_NOT_0D", f"the cost has shape {np.shape(value)} instead of ()")
    return ev


# --- update ---------------------------------------------------------------------------------------
def update(value, parameters: dict, grads: dict, learning_rate: float, right: dict) -> CaseEvidence:
    ev = CaseEvidence()
    if not isinstance(value, dict) or set(value) != set(right):
        return ev
    wrong = [k for k in right if not close(value[k], right[k])]
    if not wrong:
        return ev
    ev.tested |= {"UPDATE_SIGN", "UPDATE_SKIPS_LAYER"}
    uphill = {k: parameters[k] + learning_rate * grads["d" + k] for k in right}
    if all(close(value[k], uphill[k]) for k in wrong) and any(distinct(uphill[k], right[k]) for k in wrong):
        ev.add(
            "UPDATE_SIGN",
            f"{', '.join(wrong[:3])}{'...' if len(wrong) > 3 else ''} equal W + α dW and b + α db (α = "
            f"{learning_rate:g})",
        )
    elif (
        len(wrong) < len(right)
        and all(close(value[k], parameters[k]) for k in wrong)
        and any(distinct(parameters[k], right[k]) for k in wrong)
    ):
        layers = sorted({int(k[1:]) for k in wrong})
        ev.add(
            "UPDATE_SKIPS_LAYER",
            f"the parameters of layer{'s' if len(layers) > 1 else ''} {', '.join(map(str, layers))} "
            f"came back unchanged; the other layers were updated right",
        )
    return ev


# --- any function ---------------------------------------------------------------------------------
def mutated(mismatches: list) -> CaseEvidence:
    ev = CaseEvidence()
    changed = [m.path for m in mismatches if m.kind == "mutated"]
    if changed:
        ev.add("INPUT_MODIFIED_IN_PLACE", f"after the call, the caller's {', '.join(changed)} had been changed")
    return ev
