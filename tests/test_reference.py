"""The answer key equals autograd, on hundreds of random networks and layers, for every graded function.

One comparison helper, `assert_same`, in the style of tinygrad's test_ops: type, then exact shape,
then dtype, then values, with a label saying which function, case and output failed. Its tolerances
are tight (both sides are float64): `test_mutations_are_rejected` proves that each single conceptual
error a student makes (a factor of m, a sign, a transpose, an axis) fails it, and fails the grader's own
check of that function too.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import reference
from grader.packs.step_by_step.cases import layer_cases, network_cases
from grader.packs.step_by_step.checks import CHECKS, CaseInput
from grader.judge.compare import Tolerance
from grader.packs.step_by_step.oracle import Oracle

R = reference.deep_nn

SEED = 2024
N_NETWORKS = 500
N_LAYERS = 500
RTOL = 1e-10
ATOL = 1e-10  # relative to the largest |expected| entry of the same array
# The cases' caches are rounded to a 2**-40 grid (grader/cases.py), while Oracle.network differentiates
# its own unrounded forward pass: small hidden activations then carry up to ~1e-9 relative error into
# dW. Fed the oracle's own caches, the reference meets RTOL; fed the case's caches, this.
CASE_CACHE_RTOL = 1e-8


# --- the comparison helper ------------------------------------------------------------------------
def assert_same(actual, expected, where: str, rtol: float = RTOL) -> None:
    """Structure (type, length, exact keys), then per array: type, exact shape, dtype, values."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a dict, got {type(actual).__name__}"
        missing, extra = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
        assert not missing and not extra, f"{where}: keys differ; missing {missing}, unexpected {extra}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}[{key!r}]", rtol)
        return
    if isinstance(expected, (tuple, list)):
        kind = type(expected).__name__
        assert isinstance(actual, type(expected)), f"{where}: expected a {kind}, got {type(actual).__name__}"
        assert len(actual) == len(expected), f"{where}: expected a {kind} of length {len(expected)}, got {len(actual)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{i}]", rtol)
        return
    expected = np.asarray(expected)
    if expected.ndim == 0:  # a 0-d value: a NumPy scalar or a 0-d array, not a Python float or a list
        assert isinstance(actual, (np.ndarray, np.generic)), f"{where}: expected a 0-d NumPy value, got {type(actual).__name__}"
    else:
        assert isinstance(actual, np.ndarray), f"{where}: expected a numpy.ndarray, got {type(actual).__name__}"
    assert actual.shape == expected.shape, f"{where}: shape {actual.shape}, expected {expected.shape}"
    assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype}, expected {expected.dtype}"
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=ATOL * scale, err_msg=where)


def label(function: str, case) -> str:
    return f"{function}, case {case.index} ({case.describe()})"


# --- fixtures: one Oracle, the cases and their truths, computed once ------------------------------
@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle("cpu")


@pytest.fixture(scope="module")
def networks(oracle):
    cases = network_cases(SEED, N_NETWORKS)
    return [(case, oracle.network(case)) for case in cases]


@pytest.fixture(scope="module")
def layers(oracle):
    cases = layer_cases(SEED, N_LAYERS)
    return [(case, oracle.layer(case)) for case in cases]


def _other(activation: str) -> str:
    return "sigmoid" if activation == "relu" else "relu"


def layer_backward_truth(oracle: Oracle, case, activation: str) -> tuple:
    """(dA_prev, dW, db) for the case's cache and upstream dA under `activation`."""
    dZ = oracle.activation(case.Z, activation, case.dA)["dZ"]
    t = oracle.linear(case.A_prev, case.W, case.b, dZ)
    return t["dA_prev"], t["dW"], t["db"]


# --- single-layer functions -----------------------------------------------------------------------
def test_linear_forward(layers):
    for case, truth in layers:
        out = R.linear_forward(case.A_prev, case.W, case.b)
        assert_same(out, (truth["Z"], (case.A_prev, case.W, case.b)), label("linear_forward", case) + ", (Z, cache)")


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_linear_activation_forward(oracle, layers, activation):
    for case, truth in layers:
        A = oracle.activation(truth["Z"], activation)["A"]
        out = R.linear_activation_forward(case.A_prev, case.W, case.b, activation)
        expected = (A, ((case.A_prev, case.W, case.b), truth["Z"]))
        assert_same(out, expected, label("linear_activation_forward", case) + f", activation={activation!r}, (A, cache)")


def test_linear_backward(layers):
    for case, truth in layers:
        out = R.linear_backward(case.dZ, case.linear_cache)
        expected = (truth["linear.dA_prev"], truth["linear.dW"], truth["linear.db"])
        assert_same(out, expected, label("linear_backward", case) + ", (dA_prev, dW, db)")


def test_linear_activation_backward(layers):
    seen = set()
    for case, truth in layers:
        expected = (truth["dA_prev"], truth["dW"], truth["db"])
        out = R.linear_activation_backward(case.dA, case.cache, case.activation)
        assert_same(out, expected, label("linear_activation_backward", case) + ", (dA_prev, dW, db)")
        seen.add(case.activation)
    assert seen == {"relu", "sigmoid"}


def test_linear_activation_backward_other_activation(oracle, layers):
    """The same caches under the other activation too, so each case exercises both backward rules."""
    for case, _ in layers[:250]:
        activation = _other(case.activation)
        expected = layer_backward_truth(oracle, case, activation)
        out = R.linear_activation_backward(case.dA, case.cache, activation)
        assert_same(out, expected, label("linear_activation_backward", case) + f", activation={activation!r}")


# --- whole-network functions ----------------------------------------------------------------------
def test_L_model_forward(networks):
    for case, truth in networks:
        out = R.L_model_forward(case.X, case.parameters)
        assert_same(out, (truth.AL, truth.caches(case.parameters)), label("L_model_forward", case) + ", (AL, caches)")


def test_compute_cost(oracle, networks):
    for case, truth in networks:
        where = label("compute_cost", case)
        cost = R.compute_cost(case.AL, case.Y)
        assert np.shape(cost) == (), f"{where}: cost shape {np.shape(cost)}, expected ()"
        assert_same(cost, oracle.cost(case.AL, case.Y), where + ", cost")
        assert_same(R.compute_cost(truth.AL, case.Y), truth.cost, where + ", cost of the forward pass")


def test_L_model_backward(networks):
    for case, truth in networks:
        where = label("L_model_backward", case)
        L = case.L
        expected_keys = {f"dA{l}" for l in range(L)} | {f"dW{l}" for l in range(1, L + 1)} | {f"db{l}" for l in range(1, L + 1)}
        assert set(truth.grads) == expected_keys, f"{where}: the oracle's own keys"
        # on the oracle's own forward pass: exactly the quantities autograd differentiated
        grads = R.L_model_backward(truth.AL, case.Y, truth.caches(case.parameters))
        assert isinstance(grads, dict) and set(grads) == expected_keys, f"{where}: keys {sorted(grads)}"
        assert_same(grads, truth.grads, where + ", grads")
        # on what a grader feeds: the case's (read-only, rounded) caches
        grads = R.L_model_backward(case.AL, case.Y, case.caches)
        assert_same(grads, truth.grads, where + " (case caches), grads", rtol=CASE_CACHE_RTOL)


def test_update_parameters(networks):
    for case, truth in networks:
        where = label("update_parameters", case)
        params = {k: v.copy() for k, v in case.parameters.items()}  # writable, so a mutation would go unnoticed otherwise
        grads = {k: v.copy() for k, v in truth.grads.items()}
        before_params, before_grads = copy.deepcopy(params), copy.deepcopy(grads)
        out = R.update_parameters(params, grads, case.learning_rate)
        assert_same(out, truth.updated, where + ", parameters")
        assert out is not params, f"{where}: returned its input dict"
        for k in params:
            assert np.array_equal(params[k], before_params[k]), f"{where}: modified its input params[{k!r}]"
            assert out[k] is not params[k], f"{where}: returned its input array {k!r}"
        for k in grads:
            assert np.array_equal(grads[k], before_grads[k]), f"{where}: modified grads[{k!r}]"


def test_update_parameters_arbitrary_grads(oracle, networks):
    """With grads unrelated to the network (so a step that reads the wrong key cannot pass)."""
    rng = np.random.default_rng(SEED)
    for case, _ in networks[:200]:
        grads = {"d" + k: rng.standard_normal(v.shape) for k, v in case.parameters.items()}
        out = R.update_parameters(case.parameters, grads, case.learning_rate)  # read-only input: must not write
        assert_same(out, oracle.update(case.parameters, grads, case.learning_rate), label("update_parameters", case) + ", parameters")


# --- initialization -------------------------------------------------------------------------------
def _check_init(params: dict, layer_dims, where: str) -> None:
    L = len(layer_dims) - 1
    expected_keys = {f"W{l}" for l in range(1, L + 1)} | {f"b{l}" for l in range(1, L + 1)}
    assert isinstance(params, dict) and set(params) == expected_keys, f"{where}: keys {sorted(params)}"
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        assert isinstance(W, np.ndarray) and W.shape == (layer_dims[l], layer_dims[l - 1]), f"{where}, W{l}: {getattr(W, 'shape', W)}"
        assert isinstance(b, np.ndarray) and b.shape == (layer_dims[l], 1), f"{where}, b{l}: {getattr(b, 'shape', b)}"
        assert W.dtype == np.float64 and b.dtype == np.float64, f"{where}, layer {l}"
        assert not b.any(), f"{where}, b{l}: not zeros"
        assert np.abs(W).max() <= 0.06, f"{where}, W{l}: not small (randn * 0.01)"
        assert (W != 0).all(), f"{where}, W{l}: not random"
        if W.shape[0] > 1:
            assert len({row.tobytes() for row in W}) == W.shape[0], f"{where}, W{l}: two units start equal (symmetry not broken)"
        if W.size > 1:
            assert len(np.unique(W)) == W.size, f"{where}, W{l}: repeated weights"
    Ws = np.concatenate([params[f"W{l}"].ravel() for l in range(1, L + 1)])
    if Ws.size >= 500:  # randn * 0.01: standard deviation 0.01
        assert 0.008 < Ws.std() < 0.012 and abs(Ws.mean()) < 0.002, f"{where}: std {Ws.std():.4g}, mean {Ws.mean():.3g}"


@pytest.mark.parametrize("dims", [(2, 4, 1), (3, 2, 1), (1, 1, 1), (32, 32, 1), (5, 7, 3)])
def test_initialize_parameters(dims):
    np.random.seed(sum(dims))
    params = R.initialize_parameters(*dims)
    _check_init(params, dims, f"initialize_parameters{dims}")
    again = R.initialize_parameters(*dims)
    assert not np.array_equal(again["W1"], params["W1"]), "successive calls draw new weights"


def test_initialize_parameters_deep(networks):
    np.random.seed(SEED)
    dims_seen = [case.layer_dims for case, _ in networks[:100]] + [(32, 32, 32, 32, 1), (5, 4, 3, 2, 1), (1, 1)]
    for dims in dims_seen:
        params = R.initialize_parameters_deep(list(dims))
        _check_init(params, dims, f"initialize_parameters_deep({list(dims)})")
    a, b = R.initialize_parameters_deep([4, 3, 1]), R.initialize_parameters_deep([4, 3, 1])
    assert not np.array_equal(a["W1"], b["W1"]), "successive calls draw new weights"


# --- the tolerances are tight: every single conceptual error is rejected ---------------------------
def _first(items, predicate, what):
    found = [x for x in items if predicate(x)]
    assert found, f"no case for {what}"
    return found


def _replace(d: dict, key: str, value) -> dict:
    out = dict(d)
    out[key] = value
    return out


def _mutations_backward(case, grads):
    """Each single conceptual error in L_model_backward, applied to a correct answer."""
    m, L = case.m, case.L
    W = [k for k in grads if k.startswith("dW")]
    yield "dW multiplied by m (forgot 1/m)", {k: (v * m if k.startswith("d") and k[1] in "Wb" else v) for k, v in grads.items()}
    yield "dW multiplied by m (one layer)", _replace(grads, f"dW{L}", grads[f"dW{L}"] * m)
    yield "db multiplied by m", _replace(grads, "db1", grads["db1"] * m)
    yield "dA divided by m (the 'mean cost' mistake)", _replace(grads, "dA0", grads["dA0"] / m)
    yield "sign of dW flipped", _replace(grads, f"dW{L}", -grads[f"dW{L}"])
    yield "sign of db flipped", _replace(grads, f"db{L}", -grads[f"db{L}"])
    yield "sign of dA flipped", _replace(grads, f"dA{L - 1}", -grads[f"dA{L - 1}"])
    yield "db summed over axis 0", _replace(grads, f"db{L}", np.sum(grads[f"db{L}"] * m, axis=0) / m)
    yield "db summed over every axis", _replace(grads, "db1", np.sum(grads["db1"]))
    yield "db without keepdims", _replace(grads, "db1", grads["db1"].ravel())
    yield "dW in float32", _replace(grads, W[0], grads[W[0]].astype(np.float32))
    yield "dW rounded through float32", _replace(grads, W[0], grads[W[0]].astype(np.float32).astype(np.float64))
    yield "legacy keys dA1..dAL", {(f"dA{int(k[2:]) + 1}" if k.startswith("dA") else k): v for k, v in grads.items()}
    yield "dA0 missing", {k: v for k, v in grads.items() if k != "dA0"}
    yield "dW as a list", _replace(grads, "dW1", grads["dW1"].tolist())


# Representations the grader accepts on purpose while assert_same does not (compare.py: float32 arithmetic
# is fine; a list for a tuple and a Python float for a 0-d cost are what students write).
GRADER_ACCEPTS = {"dW in float32", "dW rounded through float32", "caches as a tuple", "as a list", "a Python float"}


def grader_mismatches(function: str, actual, expected, args: tuple = ()) -> list:
    """What the grader's own check for `function` finds wrong, with the tolerance grader/judge/grade.py grades with."""
    return CHECKS[function].judge(CaseInput(0, "mutation", "", args, expected), actual, Tolerance())


def test_mutations_are_rejected(oracle, networks, layers):
    """Each single conceptual error fails assert_same (its tolerances are tight enough to matter) and fails
    the grader's own check of that function (grader/checks.py and grader/judge/compare.py, as grading runs them)."""
    tried: set[str] = set()

    def rejected(function, name, actual, expected, where, args=()):
        with pytest.raises(AssertionError):
            assert_same(actual, expected, where)
        found = grader_mismatches(function, actual, expected, args)
        if name in GRADER_ACCEPTS:
            assert not found, f"{where}: the grader should accept this representation, but says: {found[0].message}"
        else:
            assert found, f"{where}: the grader's {function} check accepts this mistake"
        tried.add(name)

    def accepted(function, actual, expected, where, args=()):  # the premise: the right answer passes both
        assert_same(actual, expected, where)
        found = grader_mismatches(function, actual, expected, args)
        assert not found, f"{where}: the grader rejects the right answer: {found[0].message}"

    # L_model_backward, on networks where every quantity is nonzero and m > 1
    usable = _first(
        networks,
        lambda ct: ct[0].m > 1 and all(np.abs(g).max() > 0 for g in ct[1].grads.values()),
        "L_model_backward mutations",
    )[:40]
    for case, truth in usable:
        args = (truth.AL, case.Y, truth.caches(case.parameters))
        grads = R.L_model_backward(*args)
        accepted("L_model_backward", grads, truth.grads, "the unmutated answer", args)
        for name, wrong in _mutations_backward(case, grads):
            rejected("L_model_backward", name, wrong, truth.grads, f"{name}, case {case.index}", args)

    # compute_cost: 1/m dropped, sign flipped, a (1, 1) array instead of 0-d, a Python float
    for case, truth in usable:
        cost = R.compute_cost(case.AL, case.Y)
        expected = oracle.cost(case.AL, case.Y)
        accepted("compute_cost", cost, expected, f"compute_cost, case {case.index}")
        for name, wrong in [
            ("1/m dropped", cost * case.m),
            ("sign flipped", -cost),
            ("not squeezed", np.reshape(cost, (1, 1))),
            ("a Python float", float(cost)),
            ("log base 10", cost / np.log(10)),
        ]:
            rejected("compute_cost", name, wrong, expected, f"compute_cost {name}, case {case.index}")

    # L_model_forward: the last layer's activation swapped, a cache's Z replaced by A
    for case, truth in usable[:20]:
        AL, caches = R.L_model_forward(case.X, case.parameters)
        expected = (truth.AL, truth.caches(case.parameters))
        accepted("L_model_forward", (AL, caches), expected, f"L_model_forward, case {case.index}")
        (A_prev, W, b), Z = caches[-1]
        for name, wrong in [
            ("relu output layer", (np.maximum(Z, 0), caches)),
            ("A cached for Z", (AL, caches[:-1] + [((A_prev, W, b), AL)])),
            ("caches as a tuple", (AL, tuple(caches))),
            ("caches out of order", (AL, caches[1:] + caches[:1]) if case.L > 1 else (AL, [])),
        ]:
            rejected("L_model_forward", name, wrong, expected, f"L_model_forward {name}, case {case.index}")

    # linear_backward: a transpose of a square dW, the factor of m, a sign, the db axis
    square = _first(layers, lambda ct: ct[0].W.shape[0] == ct[0].W.shape[1] > 1 and ct[0].m > 1, "square layers")
    for case, truth in square:
        dA_prev, dW, db = R.linear_backward(case.dZ, case.linear_cache)
        expected = (truth["linear.dA_prev"], truth["linear.dW"], truth["linear.db"])
        accepted("linear_backward", (dA_prev, dW, db), expected, f"linear_backward, case {case.index}")
        assert not np.allclose(dW, dW.T), "a symmetric dW proves nothing"
        for name, wrong in [
            ("dW transposed", (dA_prev, dW.T, db)),
            ("dW times m", (dA_prev, dW * case.m, db)),
            ("dA_prev divided by m", (dA_prev / case.m, dW, db)),
            ("dW sign flipped", (dA_prev, -dW, db)),
            ("db summed over axis 0", (dA_prev, dW, np.sum(case.dZ, axis=0, keepdims=True) / case.m)),
            ("dA_prev = W dZ instead of W.T dZ", (np.dot(case.W, case.dZ), dW, db)),
            ("as a list", [dA_prev, dW, db]),
        ]:
            rejected("linear_backward", name, wrong, expected, f"linear_backward {name}, case {case.index}")

    # linear_activation_backward: the derivative of the other activation
    for case, truth in layers[:100]:
        if case.m > 1 and np.abs(truth["dW"]).max() > 0:
            wrong = R.linear_activation_backward(case.dA, case.cache, _other(case.activation))
            rejected("linear_activation_backward", "other activation", wrong, (truth["dA_prev"], truth["dW"], truth["db"]),
                     f"other activation, case {case.index}")

    # update_parameters: + instead of -, the gradient's sign, a missing learning rate
    for case, truth in usable[:20]:
        params = {k: v.copy() for k, v in case.parameters.items()}
        lr = case.learning_rate
        accepted("update_parameters", R.update_parameters(params, truth.grads, lr), truth.updated, f"update_parameters, case {case.index}")
        plus = {k: v + lr * truth.grads["d" + k] for k, v in params.items()}
        no_lr = {k: v - truth.grads["d" + k] for k, v in params.items()}
        unchanged = params
        for name, wrong in [("+ instead of -", plus), ("no learning rate", no_lr), ("no step", unchanged)]:
            if name == "no learning rate" and lr == 1.0:
                continue
            rejected("update_parameters", name, wrong, truth.updated, f"update_parameters {name}, case {case.index}")
    assert GRADER_ACCEPTS < tried, sorted(GRADER_ACCEPTS - tried)  # every exception above was exercised
