"""Pack 1's `CaseInput`s: each check's arguments, autograd's answer, and the stand-in tables that isolate it.

A check sees its function in isolation: the graded functions it calls are replaced, inside the sandbox,
by stand-ins that hold nothing but the answers a correct helper gives on that case's own inputs (a
lookup table, no answer-key code). `CaseSet` computes them once per seed and case count, to be shared by
every submission graded with it; `early_jobs` builds the arguments of the units that need no answer.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from grader import END_TO_END
from grader.pack import CaseInput
from grader.pack import CaseSet as _CaseSet

from . import dnn_utils
from .cases import LayerCase, NetworkCase, layer_cases, network_cases
from .checks import CHECKS


class _Answers(Protocol):
    """Autograd's answers for a layer (a dict), or `_NoAnswer` where only the arguments are wanted."""

    def __getitem__(self, key: str) -> Any: ...


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


def _layer_inputs(function: str, c: LayerCase, t: _Answers) -> tuple[tuple, object, dict]:
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
        table: dict[str, list[tuple]] = {
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
        assert c.AL is not None, "a drawn network case carries its AL"
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
            args: tuple = (n_x, n_h, n_y)
            description = f"n_x={n_x}, n_h={n_h}, n_y={n_y}"
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
