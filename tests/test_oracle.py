"""The oracle itself, checked against finite differences.

Every test calls `Oracle` and compares its answers with a model written here in plain NumPy: its forward
values with the NumPy forward pass, its gradients with central finite differences of that forward pass,
on tiny networks and layers, for the course's convention (INTERFACE.md): dA and dZ are derivatives of
the SUMMED loss, dW and db of the MEAN cost. Nothing here comes from `reference/`, and no expected
value is computed with torch: a mistake in how the oracle composes torch's operations cannot be shared
by the check.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.packs.step_by_step.cases import make_layer_case, make_network_case, network_cases
from grader.errors import GraderError
from grader.packs.step_by_step.oracle import NetworkTruth, Oracle, resolve_device

FD_STEP = 1e-6
FD_RTOL, FD_ATOL = 1e-6, 1e-8

# Tiny networks (few enough entries to difference every one) covering the shapes that matter:
# L = 1, width 1, m = 1, and a few deeper ones.
TINY_NETWORKS = [
    ((3, 1), 4),
    ((2, 1), 1),
    ((1, 1, 1, 1), 3),
    ((3, 4, 2, 1), 5),
    ((2, 3, 3, 2, 1), 6),
    ((4, 2, 1), 1),
]


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle("cpu")


@pytest.fixture(scope="module")
def tiny_cases():
    rng = np.random.default_rng(20240611)
    return [make_network_case(rng, i, dims, m, label="tiny") for i, (dims, m) in enumerate(TINY_NETWORKS)]


# --- an independent NumPy model of the course's network ------------------------------------------
def _np_sigmoid(Z):
    return 1.0 / (1.0 + np.exp(-Z))


def _np_act(Z, l, L):
    return _np_sigmoid(Z) if l == L else np.maximum(Z, 0.0)


def _np_losses_from_AL(AL, Y):
    return -(Y * np.log(AL) + (1.0 - Y) * np.log(1.0 - AL))


def _np_losses_from_A(A, parameters, start: int, Y):
    """Per-example losses of the network's tail, given A[start] (A[0] is X)."""
    L = len(parameters) // 2
    for l in range(start + 1, L + 1):
        A = _np_act(parameters[f"W{l}"] @ A + parameters[f"b{l}"], l, L)
    return _np_losses_from_AL(A, Y)


def _np_losses_from_Z(Z, parameters, l: int, Y):
    L = len(parameters) // 2
    return _np_losses_from_A(_np_act(Z, l, L), parameters, l, Y)


def _np_forward(X, parameters):
    L = len(parameters) // 2
    As, Zs = [X], [None]
    for l in range(1, L + 1):
        Zs.append(parameters[f"W{l}"] @ As[-1] + parameters[f"b{l}"])
        As.append(_np_act(Zs[-1], l, L))
    return As, Zs


def central_diff(f, x, h: float = FD_STEP) -> np.ndarray:
    """d f / d x by central differences, entry by entry; f maps an array like x to a float."""
    x = np.array(x, dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        orig = x[idx]
        x[idx] = orig + h
        plus = f(x)
        x[idx] = orig - h
        minus = f(x)
        x[idx] = orig
        grad[idx] = (plus - minus) / (2.0 * h)
    return grad


def _with(parameters, key, value):
    new = dict(parameters)
    new[key] = value
    return new


def numeric_network_grads(case, reduce):
    """Finite-difference gradients of reduce(per-example losses) w.r.t. every quantity the oracle returns."""
    X, Y, P = case.X, case.Y, case.parameters
    L = len(P) // 2
    As, Zs = _np_forward(X, P)
    out = {"A": {}, "Z": {}, "W": {}, "b": {}}
    for l in range(0, L):
        out["A"][l] = central_diff(lambda A, l=l: reduce(_np_losses_from_A(A, P, l, Y)), As[l])
    for l in range(1, L + 1):
        out["Z"][l] = central_diff(lambda Z, l=l: reduce(_np_losses_from_Z(Z, P, l, Y)), Zs[l])
        out["W"][l] = central_diff(lambda W, l=l: reduce(_np_losses_from_A(X, _with(P, f"W{l}", W), 0, Y)), P[f"W{l}"])
        out["b"][l] = central_diff(lambda b, l=l: reduce(_np_losses_from_A(X, _with(P, f"b{l}", b), 0, Y)), P[f"b{l}"])
    out["AL"] = central_diff(lambda AL: reduce(_np_losses_from_AL(AL, Y)), As[L])
    return out


def summed(losses):
    return float(np.sum(losses))


def mean(losses):
    return float(np.sum(losses) / losses.shape[1])


def _close(actual, expected, what):
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=FD_RTOL, atol=FD_ATOL, err_msg=what)


# --- small single layers -------------------------------------------------------------------------
SMALL_LAYER_SHAPES = [(1, 1, 1), (2, 3, 4), (3, 2, 5), (1, 4, 3), (4, 1, 2), (3, 3, 1), (5, 4, 6)]


def small_layer_cases(seed: int) -> list:
    """Layers small enough to difference every entry."""
    rng = np.random.default_rng(seed)
    return [
        make_layer_case(rng, 2 * i + j, n, n_prev, m, activation, label="small")
        for i, (n, n_prev, m) in enumerate(SMALL_LAYER_SHAPES)
        for j, activation in enumerate(("relu", "sigmoid"))
    ]


# --- Oracle.network against NumPy finite differences ---------------------------------------------
def test_network_forward_matches_numpy(oracle, tiny_cases):
    for case in tiny_cases:
        truth = oracle.network(case)
        assert isinstance(truth, NetworkTruth)
        As, Zs = _np_forward(case.X, case.parameters)
        for l in range(1, case.L + 1):
            _close(truth.Z[l], Zs[l], f"Z{l}, {case.describe()}")
        for l in range(0, case.L + 1):
            _close(truth.A[l], As[l], f"A{l}, {case.describe()}")
        _close(truth.AL, As[-1], f"AL, {case.describe()}")
        assert truth.cost.shape == ()
        _close(truth.cost, np.asarray(mean(_np_losses_from_AL(As[-1], case.Y))), f"cost, {case.describe()}")


def test_network_grads_match_finite_differences(oracle, tiny_cases):
    """dA_l, dZ_l, dAL: summed loss. dW_l, db_l: mean cost. updated: params - lr * d(mean cost)."""
    for case in tiny_cases:
        truth = oracle.network(case)
        fd_sum = numeric_network_grads(case, summed)
        fd_mean = numeric_network_grads(case, mean)
        L, where = case.L, case.describe()
        assert set(truth.grads) == {f"dA{l}" for l in range(L)} | {f"dW{l}" for l in range(1, L + 1)} | {f"db{l}" for l in range(1, L + 1)}
        for l in range(L):
            _close(truth.grads[f"dA{l}"], fd_sum["A"][l], f"dA{l}, {where}")
        for l in range(1, L + 1):
            _close(truth.dZ[l], fd_sum["Z"][l], f"dZ{l}, {where}")
            _close(truth.grads[f"dW{l}"], fd_mean["W"][l], f"dW{l}, {where}")
            _close(truth.grads[f"db{l}"], fd_mean["b"][l], f"db{l}, {where}")
            for p in "Wb":
                step = case.parameters[f"{p}{l}"] - case.learning_rate * fd_mean[p][l]
                _close(truth.updated[f"{p}{l}"], step, f"updated {p}{l}, {where}")
        _close(truth.dAL, fd_sum["AL"], f"dAL, {where}")
        assert truth.Z[0] is None and truth.dZ[0] is None


def test_convention_dA_not_divided_by_m_dW_db_are(oracle, tiny_cases):
    """Fails if someone 'fixes' the oracle to compare dA against the gradient of the mean cost J.

    With m > 1, dA (and dZ, dAL) must equal m * dJ/dA and must NOT equal dJ/dA; dW and db must equal
    dJ/dW, dJ/db and must NOT equal the summed-loss gradient.
    """
    checked = {"dA": 0, "dAL": 0, "dW": 0, "db": 0}
    for case in tiny_cases:
        if case.m == 1:
            continue
        truth = oracle.network(case)
        fd_mean = numeric_network_grads(case, mean)
        fd_sum = numeric_network_grads(case, summed)
        m, where = case.m, case.describe()
        pairs = [("dA", f"dA{l}", truth.grads[f"dA{l}"], fd_mean["A"][l], fd_sum["A"][l]) for l in range(case.L)]
        pairs.append(("dAL", "dAL", truth.dAL, fd_mean["AL"], fd_sum["AL"]))
        pairs += [(f"d{p}", f"d{p}{l}", truth.grads[f"d{p}{l}"], fd_mean[p][l], fd_sum[p][l]) for l in range(1, case.L + 1) for p in "Wb"]
        for kind, name, got, d_mean, d_sum in pairs:
            if kind in ("dA", "dAL"):  # summed loss: m times the mean cost's gradient
                _close(got, m * d_mean, f"{name} = m * dJ/d{name[1:]}, {where}")
                wrong, why = d_mean, "was divided by m"
            else:  # mean cost
                _close(got, d_mean, f"{name} = dJ/d{name[1:]}, {where}")
                wrong, why = d_sum, "is not divided by m"
            if np.abs(got).max() > 1e-6:  # a dead ReLU path proves nothing either way
                assert not np.allclose(got, wrong, rtol=1e-3, atol=0), f"{name} {why} ({where})"
                checked[kind] += 1
    assert min(checked.values()) >= 3, checked


# --- the single-layer oracle ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_layers():
    return small_layer_cases(99)


def test_layer_matches_finite_differences(oracle, small_layers):
    for case in small_layers:
        truth = oracle.layer(case)
        g = {"relu": lambda Z: np.maximum(Z, 0.0), "sigmoid": _np_sigmoid}[case.activation]
        m, A, W, b, where = case.m, case.A_prev, case.W, case.b, case.describe()
        _close(truth["Z"], W @ A + b, f"Z, {where}")
        _close(truth["A"], g(case.Z), f"A, {where}")
        # linear_backward: the upstream dZ is a derivative of the summed loss; pass it through <dZ, Z>.
        lin = lambda A_, W_, b_: float(np.sum(case.dZ * (W_ @ A_ + b_)))  # noqa: E731
        _close(truth["linear.dA_prev"], central_diff(lambda x: lin(x, W, b), A), f"linear.dA_prev, {where}")
        _close(truth["linear.dW"], central_diff(lambda x: lin(A, x, b), W) / m, f"linear.dW, {where}")
        _close(truth["linear.db"], central_diff(lambda x: lin(A, W, x), b) / m, f"linear.db, {where}")
        # the activation's backward from the cached Z, and the whole layer
        _close(truth["dZ"], central_diff(lambda Z: float(np.sum(case.dA * g(Z))), case.Z), f"dZ, {where}")
        full = lambda A_, W_, b_: float(np.sum(case.dA * g(W_ @ A_ + b_)))  # noqa: E731
        _close(truth["dA_prev"], central_diff(lambda x: full(x, W, b), A), f"dA_prev, {where}")
        _close(truth["dW"], central_diff(lambda x: full(A, x, b), W) / m, f"dW, {where}")
        _close(truth["db"], central_diff(lambda x: full(A, W, x), b) / m, f"db, {where}")


def test_layer_convention(oracle, small_layers):
    """linear: dA_prev is the plain pass-through (not / m); dW, db are divided by m."""
    checked = 0
    for case in small_layers:
        if case.m == 1:
            continue
        truth, m = oracle.layer(case), case.m
        lin = lambda A_, W_: float(np.sum(case.dZ * (W_ @ A_ + case.b)))  # noqa: E731
        fd_A = central_diff(lambda x: lin(x, case.W), case.A_prev)
        fd_W = central_diff(lambda x: lin(case.A_prev, x), case.W)
        assert not np.allclose(truth["linear.dA_prev"], fd_A / m, rtol=1e-3, atol=0), case.describe()
        assert not np.allclose(truth["linear.dW"], fd_W, rtol=1e-3, atol=0), case.describe()
        checked += 1
    assert checked >= 4


def test_cost_and_update_match_numpy(oracle):
    for case in network_cases(5, 30):
        where = case.describe()
        cost = oracle.cost(case.AL, case.Y)
        assert isinstance(cost, np.ndarray) and cost.shape == () and cost.dtype == np.float64, where
        _close(cost, np.asarray(mean(_np_losses_from_AL(case.AL, case.Y))), f"cost, {where}")
        rng = np.random.default_rng(case.index)
        grads = {"d" + k: rng.standard_normal(v.shape) for k, v in case.parameters.items()}
        updated = oracle.update(case.parameters, grads, case.learning_rate)
        assert set(updated) == set(case.parameters)
        for k, v in case.parameters.items():
            np.testing.assert_allclose(updated[k], v - case.learning_rate * grads["d" + k], rtol=1e-14, atol=1e-15, err_msg=f"{k}, {where}")


def test_outputs_are_float64_numpy_and_inputs_untouched(oracle):
    case = network_cases(8, 6)[3]
    before = {k: v.copy() for k, v in case.parameters.items()}
    truth = oracle.network(case)
    for k, v in case.parameters.items():
        assert np.array_equal(v, before[k])
    arrays = [truth.AL, truth.cost, truth.dAL, *truth.grads.values(), *truth.updated.values(), *truth.A, *truth.Z[1:], *truth.dZ[1:]]
    for a in arrays:
        assert isinstance(a, np.ndarray) and a.dtype == np.float64
        assert a.flags.writeable  # fresh copies, never views of torch storage shared with anything
    for k, v in case.parameters.items():
        assert truth.updated[k].shape == v.shape
        assert truth.grads["d" + k].shape == v.shape
    assert truth.AL.shape == (1, case.m) and truth.dAL.shape == (1, case.m)


# --- resolve_device -------------------------------------------------------------------------------
def test_resolve_device_cpu_and_auto():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device() == resolve_device("auto")
    assert Oracle("cpu").device == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available on this machine")
def test_resolve_device_cuda_without_cuda_raises_clearly():
    with pytest.raises(GraderError, match="CUDA is not available") as info:
        resolve_device("cuda")
    message = str(info.value)
    assert "cpu" in message  # tells the user what to use instead
    with pytest.raises(GraderError, match="CUDA is not available"):
        Oracle("cuda")


@pytest.mark.parametrize("name", ["gpu", "CUDA", "", "tpu", "mps", "cpu "])
def test_resolve_device_unknown_name_raises(name):
    with pytest.raises(GraderError, match="unknown device") as info:
        resolve_device(name)
    assert repr(name) in str(info.value)
