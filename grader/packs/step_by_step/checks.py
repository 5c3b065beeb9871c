"""What each graded function is called with, what autograd says it must return, and its stand-ins.

A check sees its function in isolation: the graded functions it calls are replaced, inside the sandbox,
by stand-ins that hold nothing but the answers a correct helper gives on that case's own inputs (a
lookup table, no answer-key code). The end-to-end check runs the student's own chain instead.

Everything expected comes from `Oracle` (autograd); `CaseSet` computes it once per seed and case count,
to be shared by every submission graded with it.
"""

from __future__ import annotations

import numpy as np

from grader import END_TO_END
from grader.judge.compare import Mismatch, Tolerance, compare, describe, names
from grader.pack import CaseInput, Check
from grader.pack import CaseSet as _CaseSet

from . import dnn_utils, init_check
from .cases import LayerCase, NetworkCase, layer_cases, network_cases

CHAIN = ("L_model_forward", "compute_cost", "L_model_backward", "update_parameters")
LAYER_OUTPUTS = ("dA_prev", "dW", "db")


class InitCheck(Check):
    """Initialisation: shapes, zero biases, small random unequal weights, and the course's own draws
    (exact where seeded as the template does, a normal sample otherwise: grader/init_check.py)."""

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        shapes: dict = case.expected
        if not isinstance(value, dict):
            return [
                Mismatch(
                    "parameters",
                    "type",
                    f"parameters should be a dict with keys {', '.join(shapes)}, got {describe(value)}",
                )
            ]
        if set(value) != set(shapes):
            return [
                Mismatch(
                    "parameters",
                    "keys",
                    f"parameters should have exactly the keys {', '.join(shapes)}; got {names(value)}",
                )
            ]
        found = []
        for key, shape in shapes.items():
            got = value[key]
            path = f"parameters[{key!r}]"
            if not isinstance(got, np.ndarray):
                found.append(
                    Mismatch(
                        path, "type", f"{path} should be an array of shape {shape}, got {describe(got)}", list(shape)
                    )
                )
            elif got.shape != shape:
                found.append(
                    Mismatch(
                        path,
                        "shape",
                        f"{path} should have shape {shape}, got {tuple(got.shape)}",
                        list(shape),
                        list(got.shape),
                    )
                )
            elif got.dtype.kind != "f" or not np.all(np.isfinite(got)):
                found.append(
                    Mismatch(
                        path,
                        "dtype",
                        f"{path} should hold finite floats, got dtype {got.dtype}",
                        list(shape),
                        list(shape),
                    )
                )
            elif key.startswith("b") and np.any(got != 0):
                found.append(
                    Mismatch(
                        path,
                        "value",
                        f"{path} should be all zeros (b = np.zeros(({shape[0]}, 1)))",
                        list(shape),
                        list(shape),
                    )
                )
            elif key.startswith("W"):
                if not np.any(got):
                    found.append(
                        Mismatch(
                            path,
                            "value",
                            f"{path} is all zeros: every unit of the layer would learn the same thing; use np.random.randn(...) * 0.01",
                            list(shape),
                            list(shape),
                        )
                    )
                elif float(np.max(np.abs(got))) > 0.1:
                    found.append(
                        Mismatch(
                            path,
                            "value",
                            f"{path} should be small (np.random.randn(...) * 0.01); its largest entry is {float(np.max(np.abs(got))):.3g}",
                            list(shape),
                            list(shape),
                        )
                    )
                elif got.size > 1 and np.unique(got).size == 1:
                    found.append(
                        Mismatch(
                            path,
                            "value",
                            f"{path} holds one value copied everywhere: units must start different (random)",
                            list(shape),
                            list(shape),
                        )
                    )
                elif got.shape[0] > 1 and all(np.array_equal(got[0], row) for row in got[1:]):
                    found.append(
                        Mismatch(
                            path,
                            "value",
                            f"{path} gives every unit the same weights: each row must be drawn at random",
                            list(shape),
                            list(shape),
                        )
                    )
        if not found:
            seeded = init_check.seeded_match(self.function, case.args, value)
            if seeded and seeded[0] == "rand":
                found.append(init_check.uniform_mismatch(seeded[1]))
        return found

    def review(self, cases: list, inputs: list[CaseInput]) -> None:
        """The draws of all the cases together: normal, scaled by 0.01 (grader/init_check.py)."""
        init_check.review(self.function, cases, inputs)


class GradsCheck(Check):
    """L_model_backward: exactly dA0..dA{L-1}, dW1..dWL, db1..dbL, or dA1..dAL where the notebook version asks for them."""

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        return judge_grads("grads", value, case.expected, len(case.args[2]), tol, keys)


class EndToEndCheck(Check):
    """The student's own chain; the first stage that is wrong is the one reported."""

    def judge(self, case: CaseInput, value, tol: Tolerance, keys: str = "current") -> list[Mismatch]:
        if not isinstance(value, dict):
            return [Mismatch("end_to_end", "type", "the chain returned nothing to check")]
        for key, path in (("AL", "AL"), ("cost", "cost"), ("grads", "grads"), ("parameters", "parameters")):
            if key not in value:
                return []  # the stage raised: the error says so
            if key == "grads":
                found = judge_grads(path, value[key], case.expected[key], len(case.args[2]) // 2, tol, keys)
            else:
                found = compare(path, value[key], case.expected[key], tol)
            if found:
                return found
        return []


def uses_legacy_keys(grads, L: int) -> bool:
    """dA1..dAL and no dA0: the 2017-2018 notebooks' keys."""
    return isinstance(grads, dict) and from_legacy_keys(grads, L) is not grads


def judge_grads(path: str, grads, expected: dict, L: int, tol: Tolerance, keys: str) -> list[Mismatch]:
    """Compare a grads dict by the keys of the notebook version: 'current', 'legacy' or 'either'."""
    if keys in ("legacy", "either") and uses_legacy_keys(grads, L):
        grads = from_legacy_keys(grads, L)
    elif keys == "legacy" and isinstance(grads, dict) and set(grads) == set(expected):
        return [
            Mismatch(
                path,
                "keys",
                f"{path} should have the keys dA1..dA{L}, dW1..dW{L}, db1..db{L} of the notebook "
                f"version graded by (grads['dA' + str(l)] is the gradient of A[l-1]); got dA0..dA{L - 1}, "
                "the keys of the notebooks from 2018 on",
            )
        ]
    return compare(path, grads, expected, tol)


def from_legacy_keys(grads: dict, L: int) -> dict:
    """Map the pre-2019 convention (dA{l} is the gradient of A[l-1]) onto today's, if that is what it is."""
    legacy = {f"dA{l}" for l in range(1, L + 1)}
    if not legacy <= grads.keys() or "dA0" in grads:
        return grads
    return {(f"dA{int(k[2:]) - 1}" if k in legacy else k): v for k, v in grads.items()}


CHECKS: dict[str, Check] = {
    c.function: c
    for c in (
        InitCheck("initialize_parameters", ("n_x", "n_h", "n_y"), "parameters", "init"),
        InitCheck("initialize_parameters_deep", ("layer_dims",), "parameters", "init"),
        Check("linear_forward", ("A", "W", "b"), ("Z", "cache"), "layer"),
        Check("linear_activation_forward", ("A_prev", "W", "b", "activation"), ("A", "cache"), "layer"),
        Check("L_model_forward", ("X", "parameters"), ("AL", "caches"), "network"),
        Check("compute_cost", ("AL", "Y"), "cost", "network"),
        Check("linear_backward", ("dZ", "cache"), LAYER_OUTPUTS, "layer"),
        Check("linear_activation_backward", ("dA", "cache", "activation"), LAYER_OUTPUTS, "layer"),
        GradsCheck("L_model_backward", ("AL", "Y", "caches"), "grads", "network"),
        Check("update_parameters", ("parameters", "grads", "learning_rate"), "parameters", "network"),
        EndToEndCheck(END_TO_END, ("X", "Y", "parameters", "learning_rate"), "end_to_end", "network", CHAIN),
    )
}

# The order in which this pack's checks may share one walled process (grader/sandbox/shared.py): no
# check's data is, or opens, an answer of a check after it. The layer checks share their layers, each
# given what the ones before answered (linear_activation_forward's stand-in table holds linear_forward's
# Z, linear_activation_backward's cache holds it too); the network checks share their networks the same
# way (compute_cost is given L_model_forward's AL, L_model_backward its caches, update_parameters
# L_model_backward's grads), and no layer check's layer is a layer of a network (other draws). The
# end-to-end check reruns every one of those computations on the networks: it is not here, so it runs in
# a process of its own, as every check did before.
SHARED_ORDER = (
    "initialize_parameters",
    "initialize_parameters_deep",
    "linear_forward",
    "linear_activation_forward",
    "L_model_forward",
    "compute_cost",
    "linear_backward",
    "linear_activation_backward",
    "L_model_backward",
    "update_parameters",
)


# --- building the cases -------------------------------------------------------------------------
def _course_dZ(dA: np.ndarray, Z: np.ndarray, activation: str) -> list[np.ndarray]:
    """dZ as the course's own helper (dnn_utils, NumPy) computes it from dA, and for ReLU the common
    `dA * (Z > 0)` too (its zeros are -0.0 where dA < 0)."""
    if activation == "relu":
        return [dnn_utils.relu_backward(dA, Z), dA * (Z > 0)]
    return [dnn_utils.sigmoid_backward(dA, Z)]


def _course_dAL(AL: np.ndarray, Y: np.ndarray) -> list[np.ndarray]:
    """dAL as students write it: the template's np.divide form, and the same with operators."""
    return [-(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)), -(Y / AL - (1 - Y) / (1 - AL))]


def _entries(argument_sets: list[tuple], answer, label: str) -> list[tuple]:
    """One stand-in table entry per distinct set of arguments, all with the same answer.

    Autograd's own arguments come first; the others are what a correct caller computes in NumPy with the
    course's helpers (dZ, dAL), which can differ from autograd's in the last bit. Each is an argument the
    trusted side would accept anyway (standins.matches, float32 slack), with the same answer: listing it
    lets the sandbox open that answer itself instead of asking across the pipe, which saves a round trip
    per call for nearly every correct submission and changes no outcome."""
    from grader.sandbox import wire  # noqa: PLC0415

    seen, out = set(), []
    for args in argument_sets:
        key = wire.encode(tuple(args))
        if key not in seen:
            seen.add(key)
            out.append((args, answer, label))
    return out


def _layer_inputs(function: str, c: LayerCase, t: dict) -> tuple[tuple, object, dict]:
    lin = c.linear_cache
    if function == "linear_forward":
        return lin, (t["Z"], lin), {}
    if function == "linear_activation_forward":
        table = {"linear_forward": [(lin, (t["Z"], lin), "this layer")]}
        return lin + (c.activation,), (t["A"], (lin, t["Z"])), table
    if function == "linear_backward":
        return (c.dZ, lin), (t["linear.dA_prev"], t["linear.dW"], t["linear.db"]), {}
    if function == "linear_activation_backward":
        answer = (t["dA_prev"], t["dW"], t["db"])
        dZs = [t["dZ"], *_course_dZ(c.dA, c.Z, c.activation)]
        return (
            (c.dA, c.cache, c.activation),
            answer,
            {"linear_backward": _entries([(dZ, lin) for dZ in dZs], answer, "this layer")},
        )
    raise KeyError(function)


def _network_inputs(function: str, c: NetworkCase, T) -> tuple[tuple, object, dict]:
    L, p = c.L, c.parameters
    if function == "L_model_forward":
        caches = T.caches(p)
        table = {
            "linear_activation_forward": [
                ((T.A[l - 1], p[f"W{l}"], p[f"b{l}"], act), (T.A[l], caches[l - 1]), f"layer {l}")
                for l, act in zip(range(1, L + 1), c.activations)
            ],
            "linear_forward": [
                ((T.A[l - 1], p[f"W{l}"], p[f"b{l}"]), (T.Z[l], caches[l - 1][0]), f"layer {l}")
                for l in range(1, L + 1)
            ],
        }
        return (c.X, p), (T.AL, caches), table
    if function == "compute_cost":
        return (c.AL, c.Y), T.cost, {}
    if function == "L_model_backward":
        g = T.grads
        dA = {L: T.dAL, **{l: g[f"dA{l}"] for l in range(1, L)}}
        answers = {l: (g[f"dA{l - 1}"], g[f"dW{l}"], g[f"db{l}"]) for l in range(1, L + 1)}
        dAs = {l: [dA[l]] for l in range(1, L + 1)}
        dAs[L] += _course_dAL(c.AL, c.Y)
        table = {"linear_activation_backward": [], "linear_backward": []}
        for l, act in zip(range(1, L + 1), c.activations):
            cache = c.caches[l - 1]
            table["linear_activation_backward"] += _entries([(d, cache, act) for d in dAs[l]], answers[l], f"layer {l}")
            dZs = (
                [T.dZ[l]]
                + [dZ for d in dAs[l] for dZ in _course_dZ(d, cache[1], act)]
                + ([c.AL - c.Y] if l == L else [])
            )
            table["linear_backward"] += _entries([(dZ, cache[0]) for dZ in dZs], answers[l], f"layer {l}")
        return (c.AL, c.Y, c.caches), g, table
    if function == "update_parameters":
        return (p, T.grads, c.learning_rate), T.updated, {}
    if function == END_TO_END:
        expected = {"AL": T.AL, "cost": T.cost, "grads": T.grads, "parameters": T.updated}
        return (c.X, c.Y, p, c.learning_rate), expected, {}
    raise KeyError(function)


def _init_cases(function: str, seed: int, count: int) -> list[CaseInput]:
    rng = np.random.default_rng([seed, 3])
    out = []
    for index in range(count):
        if function == "initialize_parameters":
            n_x, n_h, n_y = (1, 1, 1) if index == 0 else (int(v) for v in rng.integers(1, 33, 3))
            shapes = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
            args, description = (n_x, n_h, n_y), f"n_x={n_x}, n_h={n_h}, n_y={n_y}"
        else:
            dims = [1, 1] if index == 0 else [int(v) for v in rng.integers(1, 33, int(rng.integers(2, 10)))]
            shapes = {}
            for l in range(1, len(dims)):
                shapes[f"W{l}"], shapes[f"b{l}"] = (dims[l], dims[l - 1]), (dims[l], 1)
            args, description = (dims,), f"layer_dims={dims}"
        out.append(CaseInput(index, "edge: all ones" if index == 0 else "random", description, args, shapes, {}, args))
    return out


class CaseSet(_CaseSet):
    """Every check's cases and autograd's answers for one seed: computed once, graded against many times."""

    def __init__(self, seed: int, counts: dict[str, int], oracle):
        n_network = max(counts.get(f, 0) for f in CHECKS if CHECKS[f].source == "network")
        n_layer = max(counts.get(f, 0) for f in CHECKS if CHECKS[f].source == "layer")
        nets = network_cases(seed, n_network)
        truths = [oracle.network(c) for c in nets]
        layers = layer_cases(seed, n_layer)
        layer_truths = [oracle.layer(c) for c in layers]
        inputs: dict[str, list[CaseInput]] = {}
        for function, check in CHECKS.items():
            count = counts.get(function, 0)
            if check.source == "init":
                inputs[function] = _init_cases(function, seed, count)
            elif check.source == "layer":
                inputs[function] = [
                    CaseInput(c.index, c.label, c.describe(), *_layer_inputs(function, c, t), case=c)
                    for c, t in zip(layers[:count], layer_truths)
                ]
            else:
                inputs[function] = [
                    CaseInput(c.index, c.label, c.describe(), *_network_inputs(function, c, T), case=(c, T))
                    for c, T in zip(nets[:count], truths)
                ]
        super().__init__(seed, oracle.device, inputs)


# The units whose arguments come from the seed alone and whose cases hold no stand-in answers: their
# sandbox jobs can run while autograd's answers are still being computed (grader.pack.PendingCaseSet).
EARLY = (
    "initialize_parameters",
    "initialize_parameters_deep",
    "linear_forward",
    "compute_cost",
    "linear_backward",
    END_TO_END,
)


class _NoAnswer:
    """Stands for autograd's answers when only the arguments are wanted: every answer is None."""

    def __getitem__(self, key):
        return None

    def __getattr__(self, name):
        return None


def early_jobs(seed: int, counts: dict[str, int]) -> dict[str, tuple[int, bytes]]:
    """{unit: (case count, encoded job cases)} for the EARLY units, from the seed alone (NumPy only):
    the same arguments as CaseSet's, built by the same functions with no answer at hand."""
    nothing = _NoAnswer()
    n_network = max(counts.get(f, 0) for f in EARLY if CHECKS[f].source == "network")
    n_layer = max(counts.get(f, 0) for f in EARLY if CHECKS[f].source == "layer")
    nets, layers = network_cases(seed, n_network), layer_cases(seed, n_layer)
    inputs: dict[str, list[CaseInput]] = {}
    for function in EARLY:
        count, check = counts.get(function, 0), CHECKS[function]
        if check.source == "init":
            inputs[function] = _init_cases(function, seed, count)
        elif check.source == "layer":
            inputs[function] = [
                CaseInput(c.index, c.label, "", *_layer_inputs(function, c, nothing)) for c in layers[:count]
            ]
        else:
            inputs[function] = [
                CaseInput(c.index, c.label, "", *_network_inputs(function, c, nothing)) for c in nets[:count]
            ]
        assert all(not case.standins for case in inputs[function]), f"{function} has stand-ins: it cannot run early"
    early = _CaseSet(seed, "cpu", inputs)
    return {unit: (len(cases), early.job_cases(unit)) for unit, cases in inputs.items() if unit in counts}


def grads_of(unit: str, case: CaseInput, value) -> tuple[object, int]:
    """The grads dict a check's returned value holds (L_model_backward's, or the chain's), and L."""
    if unit == END_TO_END:
        return (value.get("grads") if isinstance(value, dict) else None), len(case.args[2]) // 2
    return value, len(case.args[2])
