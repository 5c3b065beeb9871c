"""The numbers behind a diagnosis: does what came back equal what a known mistake computes?

A mistake is recognised only when the value the student returned matches, within the grader's
tolerance, the value that mistake produces on the same case, and that value is clearly different from
the right one (so a mistake that makes no difference on a case, such as 1/m with m = 1, is never
"recognised" there). One backward layer step is explained by `explain_step`: first a hypothesis about
what entered the step (the right dA and cache, or a known wrong one, or a known wrong activation
derivative), then, output by output, the known slips of the linear part (a factor m, a transpose,
a lost keepdims).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from grader.judge.compare import Tolerance

TOL = Tolerance()
_SEPARATION = 10.0  # a hypothesis must differ from the right answer by this many tolerances


def _floats(value) -> np.ndarray | None:
    """A float64 view of a returned number or array, finite or not; None if it is not one."""
    if type(value) is np.ndarray and value.dtype == np.float64:  # most of what is read: nothing to convert
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (np.ndarray, np.generic, float, int)):
        array = np.asarray(value)
    elif isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return None
    else:
        return None
    if array.dtype.kind not in "fiu":
        return None
    return array.astype(np.float64, copy=False)  # read, never written: no copy of what is float64 already


def as_array(value) -> np.ndarray | None:
    """A float64 view of a returned number or array, or None if it is not one or holds NaN or inf."""
    array = _floats(value)
    return (
        array if array is not None and np.isfinite(array).all() else None
    )  # the method: np.all's dispatch was most of this call


def close(got, want, scale: float = 1.0) -> bool:
    """Same shape and within the grader's tolerance of `want` (the value a hypothesis predicts); never
    when either holds NaN or inf.

    The diagnosis asks this about 1,700 times per submission, so the finiteness of each side is not
    tested apart (that was a third of the call): a NaN or inf in `want` makes its largest magnitude
    non-finite, and one in `got` fails the comparison itself. The slack is built in place, in the
    order TOL.slack adds it up, so every answer is the one the separate tests gave."""
    g, w = _floats(got), _floats(want)
    if g is None or w is None or g.shape != w.shape:
        return False
    slack = np.abs(w)  # TOL.slack(w), without its cache: `w` is a fresh array at every call
    top = float(slack.max()) if w.size else 0.0
    if not math.isfinite(top):
        return False
    slack *= TOL.rtol
    slack += TOL.atol + TOL.atol_scale * top
    if scale != 1.0:
        slack *= scale
    return bool((np.abs(g - w) <= slack).all())


def distinct(a, b) -> bool:
    """Clearly different: another shape, or values well outside the tolerance."""
    return not close(a, b, _SEPARATION)


def sigmoid(Z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-Z))


def activate(Z: np.ndarray, activation: str) -> np.ndarray:
    return sigmoid(Z) if activation == "sigmoid" else np.maximum(0.0, Z)


def dZ_right(dA: np.ndarray, Z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "sigmoid":
        s = sigmoid(Z)
        return dA * s * (1 - s)
    return dA * (Z > 0)


def dZ_mistakes(dA: np.ndarray, Z: np.ndarray, A_prev: np.ndarray, activation: str) -> list[tuple[str, np.ndarray]]:
    """What a known wrong activation derivative computes for dZ, from the same dA and cache."""
    if dA.shape != Z.shape:
        return []
    out = [("ACTIVATION_DERIVATIVE_MISSING", dA)]
    if activation == "relu":
        out.append(("RELU_MASK_FROM_DA", dA * (dA > 0)))
        masked = _broadcast(dA, A_prev > 0)  # A_prev of shape (1, m) broadcasts without an error
        if masked is not None:
            out.append(("RELU_MASK_FROM_A", masked))
        out.append(("WRONG_ACTIVATION_BACKWARD", dZ_right(dA, Z, "sigmoid")))
    else:
        out.append(("SIGMOID_DERIVATIVE_OF_CACHE", dA * Z * (1 - Z)))
        out.append(("WRONG_ACTIVATION_BACKWARD", dZ_right(dA, Z, "relu")))
    return out


def _broadcast(dA: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    try:
        shape = np.broadcast_shapes(dA.shape, mask.shape)
    except ValueError:
        return None
    return dA * mask if shape == dA.shape else None


def linear_step(dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    m = A_prev.shape[1]
    return {"dA_prev": W.T @ dZ, "dW": dZ @ A_prev.T / m, "db": dZ.sum(axis=1, keepdims=True) / m}


# --- the linear part's slips, one output at a time ------------------------------------------------
def _output_candidates(
    name: str, right: np.ndarray, dZ: np.ndarray | None, m: int, below_Z=None
) -> list[tuple[tuple, np.ndarray]]:
    shapes: list[tuple[tuple, np.ndarray]] = [((), right)]
    if name == "dW":
        shapes.append((("DW_TRANSPOSED",), right.T))
    elif name == "db":
        shapes.append((("DB_NO_KEEPDIMS",), right.reshape(-1)))
        if right.size == 1:  # one unit: np.squeeze, or a sum without keepdims, leaves shape () with the right value
            shapes.append((("DB_NO_KEEPDIMS",), right.reshape(())))
        if dZ is not None:
            over_units = dZ.sum(axis=0, keepdims=True) / m
            shapes += [
                (("DB_WRONG_AXIS",), over_units),
                (("DB_WRONG_AXIS",), over_units.reshape(-1)),
                (("DB_WRONG_AXIS",), np.asarray(dZ.sum() / m)),
            ]
    elif name == "dA_prev":
        shapes.append((("DA_PREV_TRANSPOSED",), right.T))
        if below_Z is not None and below_Z.shape == right.shape:
            shapes.append((("INPUT_MODIFIED_IN_PLACE",), right * (below_Z > 0)))
    scales = {
        "dW": ("DW_MISSING_1_OVER_M", m),
        "db": ("DB_MISSING_1_OVER_M", m),
        "dA_prev": ("DA_PREV_DIVIDED_BY_M", 1.0 / m),
    }
    out = list(shapes)
    if m > 1 and name in scales:
        code, factor = scales[name]
        out += [(codes + (code,), value * factor) for codes, value in shapes]
    return out


def explain_output(
    name: str, got, right: np.ndarray, dZ: np.ndarray | None, m: int, below_Z=None
) -> tuple[str, ...] | None:
    """() if right; the codes of the slips that turn `right` into `got`; None if no known slip does.

    Readings that give the same numbers on this case count once, as the simplest; two different
    readings as simple as each other that give the same numbers say nothing (a one-unit db of shape ()
    is the sum over the examples, squeezed, and the sum over everything alike).
    """
    if close(got, right):
        return ()
    candidates = _output_candidates(name, right, dZ, m, below_Z)[1:]
    if not any(close(got, value) for _, value in candidates):
        return None  # no slip gives these numbers: what follows could only say so again, at O(k^2) closes
    kept: list[tuple[tuple, np.ndarray]] = []
    ambiguous: list[np.ndarray] = []
    for codes, value in sorted(candidates, key=lambda cv: len(cv[0])):
        if not distinct(value, right):
            continue
        twin = next((other_codes for other_codes, other in kept if not distinct(value, other)), None)
        if twin is None:
            kept.append((codes, value))
        elif len(twin) == len(codes) and set(twin) != set(codes):
            ambiguous.append(value)
    if any(close(got, value) for value in ambiguous):
        return None
    fits = [codes for codes, value in kept if close(got, value)]
    return fits[0] if len(fits) == 1 else None


OUTPUT_CODES = {
    "dW": {"DW_TRANSPOSED", "DW_MISSING_1_OVER_M"},
    "db": {"DB_NO_KEEPDIMS", "DB_WRONG_AXIS", "DB_MISSING_1_OVER_M"},
    "dA_prev": {"DA_PREV_TRANSPOSED", "DA_PREV_DIVIDED_BY_M", "INPUT_MODIFIED_IN_PLACE"},
}


# --- one backward layer step ----------------------------------------------------------------------
@dataclass(frozen=True)
class Hypothesis:
    """What entered one layer's backward step: dA, the cache and the activation it used."""

    cause: str | None  # None: the right inputs; else the code of the mistake that changes them
    dA: np.ndarray
    cache: tuple  # ((A_prev, W, b), Z)
    activation: str
    note: str = ""  # a few words for the evidence line ("the cache of layer 3")


@dataclass
class StepFit:
    """How a layer's returned gradients came about, if a known mistake (or none) explains them."""

    cause: str | None = None
    slips: dict[str, tuple] = field(default_factory=dict)  # output -> codes of the linear slips
    dZ: np.ndarray | None = None  # the dZ this reading says the step computed
    note: str = ""
    explained: bool = False
    tested: set[str] = field(default_factory=set)

    @property
    def codes(self) -> set[str]:
        found = {c for codes in self.slips.values() for c in codes}
        return found | ({self.cause} if self.cause else set())


def _fit(
    h: Hypothesis, dZ: np.ndarray, got: dict, below_Z, predicted: dict | None = None, right: frozenset = frozenset()
) -> dict[str, tuple] | None:
    """The slips that turn this reading's outputs into `got`, or None. `predicted`: its outputs where the
    caller has them already (`_predict`); `right`: the outputs the caller found close to them."""
    (A_prev, W, _), _ = h.cache
    m = A_prev.shape[1]
    if dZ.shape != (W.shape[0], m):
        return None
    if not predicted:
        predicted = linear_step(dZ, A_prev, W)
    slips: dict[str, tuple] = {}
    for name, value in got.items():
        if name in right:  # what explain_output and the dZ test below would find again: no slip
            slips[name] = ()
            continue
        if name == "dZ":
            if not close(value, dZ):
                return None
            slips[name] = ()
            continue
        codes = explain_output(name, value, predicted[name], dZ, m, below_Z)
        if codes is None:
            return None
        slips[name] = codes
    return slips


def explain_step(
    got: dict,
    right: Hypothesis,
    others: Sequence[Hypothesis] | Callable[[], Sequence[Hypothesis]] = (),
    below_Z=None,
) -> StepFit:
    """Explain a layer's outputs (any of dZ, dA_prev, dW, db) by the right inputs or one known mistake.

    `others` are wrong inputs a student may have used (dAL with the wrong sign, another layer's cache),
    or a function that makes them: called only when the right inputs do not explain the outputs (most
    layers of a failing case are right, and the mistakes are then never tried).
    A reading that needs a mistake must reproduce at least one output exactly, must differ from the
    right computation on this case, and must be the only mistake that fits; otherwise nothing is said.
    """
    (A_prev, W, _), Z = right.cache
    right_dZ = dZ_right(right.dA, Z, right.activation)
    right_outputs = _predict(right_dZ, A_prev, W)
    fit = StepFit()
    found_right = set()
    for name in got:
        if close(got[name], right_outputs[name]):
            found_right.add(name)
        else:
            fit.tested |= OUTPUT_CODES.get(name, set())
    slips = _fit(right, right_dZ, got, below_Z, right_outputs, frozenset(found_right))
    if slips is not None:  # the right inputs (with slips of the linear part, if any) explain it all
        fit.slips, fit.dZ, fit.explained = slips, right_dZ, True
        return fit
    readings = [
        (Hypothesis(code, right.dA, right.cache, right.activation), dZ)
        for code, dZ in dZ_mistakes(right.dA, Z, A_prev, right.activation)
    ]
    for h in others() if callable(others) else others:
        _, Zh = h.cache
        if h.dA.shape == Zh.shape:
            readings.append((h, dZ_right(h.dA, Zh, h.activation)))
    fits = []
    for h, dZ in readings:
        if h.cause is None:  # only the right reading has none, and it was tried above
            continue
        (A_h, W_h, _), _ = h.cache
        predicted = _predict(dZ, A_h, W_h)
        if not predicted or not any(distinct(predicted[name], right_outputs[name]) for name in got):
            continue  # impossible here, or it changes nothing that came back on this case
        fit.tested.add(h.cause)
        exact = frozenset(name for name in got if close(got[name], predicted[name]))
        if not exact:
            continue  # it reproduces no output exactly, so it cannot be the reading (below), whatever its slips
        slips = _fit(h, dZ, got, below_Z, predicted, exact)
        if slips is not None:  # every output explained, and those in `exact` with no slip
            fits.append((h, slips, dZ))
    causes = {h.cause for h, _, _ in fits}
    if len(causes) == 1:
        h, slips, dZ = fits[0]
        fit.cause, fit.slips, fit.dZ, fit.note, fit.explained = h.cause, slips, dZ, h.note, True
    else:
        fit.tested -= causes  # two mistakes give the same numbers here: this case cannot tell them apart
    return fit


def _predict(dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    if dZ.shape[0] != W.shape[0] or dZ.shape[1] != A_prev.shape[1]:
        return {}
    return {"dZ": dZ, **linear_step(dZ, A_prev, W)}
