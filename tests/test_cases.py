"""The case generator: reproducible, covering, and free of values that make a comparison meaningless."""

from __future__ import annotations

import numpy as np
import pytest

from grader.packs.step_by_step.cases import (
    MAX_L,
    MAX_M,
    MAX_WIDTH,
    RELU_MARGIN,
    SIGMOID_BOUND,
    LayerCase,
    NetworkCase,
    layer_cases,
    network_cases,
)

SWEEP = 400  # "a few hundred" cases for the coverage checks
SIGMOID_LOW, SIGMOID_HIGH = 1.0 / (1.0 + np.exp(SIGMOID_BOUND)), 1.0 / (1.0 + np.exp(-SIGMOID_BOUND))


@pytest.fixture(scope="module")
def networks() -> list[NetworkCase]:
    return network_cases(0, SWEEP)


@pytest.fixture(scope="module")
def layers() -> list[LayerCase]:
    return layer_cases(0, SWEEP)


# --- helpers --------------------------------------------------------------------------------------
def network_arrays(case: NetworkCase) -> dict[str, np.ndarray]:
    """Every array a network case carries, by a readable name."""
    out = {"X": case.X, "Y": case.Y, "AL": case.AL}
    out.update({f"parameters[{k!r}]": v for k, v in case.parameters.items()})
    for i, ((A_prev, W, b), Z) in enumerate(case.caches):
        out.update({f"caches[{i}].A_prev": A_prev, f"caches[{i}].W": W, f"caches[{i}].b": b, f"caches[{i}].Z": Z})
    return out


def layer_arrays(case: LayerCase) -> dict[str, np.ndarray]:
    return {name: getattr(case, name) for name in ("A_prev", "W", "b", "Z", "dA", "dZ")}


def assert_bit_identical(a: dict, b: dict, where: str):
    assert a.keys() == b.keys(), where
    for name in a:
        x, y = a[name], b[name]
        assert x.dtype == y.dtype == np.float64, f"{where}, {name}"
        assert x.shape == y.shape, f"{where}, {name}"
        assert np.array_equal(x, y), f"{where}, {name}: values differ"
        assert x.tobytes() == y.tobytes(), f"{where}, {name}: bytes differ"


def _relu(Z):
    return np.maximum(Z, 0.0)


def _sigmoid(Z):
    return 1.0 / (1.0 + np.exp(-Z))


# --- reproducibility ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_same_seed_bit_identical_networks(seed):
    first, second = network_cases(seed, 60), network_cases(seed, 60)
    assert len(first) == len(second) == 60
    for a, b in zip(first, second):
        where = f"seed {seed}, case {a.index} ({a.describe()})"
        assert (a.index, a.label, a.layer_dims, a.learning_rate) == (b.index, b.label, b.layer_dims, b.learning_rate), where
        assert_bit_identical(network_arrays(a), network_arrays(b), where)


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_same_seed_bit_identical_layers(seed):
    first, second = layer_cases(seed, 60), layer_cases(seed, 60)
    for a, b in zip(first, second):
        where = f"seed {seed}, case {a.index} ({a.describe()})"
        assert (a.index, a.label, a.activation) == (b.index, b.label, b.activation), where
        assert_bit_identical(layer_arrays(a), layer_arrays(b), where)


def test_prefix_stable_with_count():
    """Asking for more cases does not change the first ones."""
    for a, b in zip(network_cases(4, 10), network_cases(4, 30)):
        assert_bit_identical(network_arrays(a), network_arrays(b), f"case {a.index}")
    for a, b in zip(layer_cases(4, 10), layer_cases(4, 30)):
        assert_bit_identical(layer_arrays(a), layer_arrays(b), f"case {a.index}")


def test_different_seeds_differ():
    a, b = network_cases(0, 40), network_cases(1, 40)
    same = sum(x.layer_dims == y.layer_dims and x.X.shape == y.X.shape and np.array_equal(x.X, y.X) for x, y in zip(a, b))
    assert same == 0, f"{same} network cases identical across seeds 0 and 1"
    assert [c.layer_dims for c in a] != [c.layer_dims for c in b]
    la, lb = layer_cases(0, 40), layer_cases(1, 40)
    same = sum(x.A_prev.shape == y.A_prev.shape and np.array_equal(x.A_prev, y.A_prev) for x, y in zip(la, lb))
    assert same == 0, f"{same} layer cases identical across seeds 0 and 1"


def test_network_and_layer_streams_independent():
    """Same seed, different streams: the layer cases are not a re-slicing of the network draws."""
    n, l = network_cases(0, 1)[0], layer_cases(0, 1)[0]
    assert n.X.ravel()[:4].tobytes() != l.A_prev.ravel()[:4].tobytes()


# --- coverage -------------------------------------------------------------------------------------
def test_network_ranges_all_reachable(networks):
    """The random draws alone (the edge cases aside) reach every depth, width and the batch extremes."""
    random = [c for c in networks if c.label == "random"]
    assert len(random) >= SWEEP - 10
    Ls = {c.L for c in random}
    widths = {d for c in random for d in c.layer_dims[:-1]}  # n_x and every hidden width
    ms = [c.m for c in random]
    assert Ls == set(range(1, MAX_L + 1)), f"depths seen: {sorted(Ls)}"
    assert widths == set(range(1, MAX_WIDTH + 1)), f"missing widths: {sorted(set(range(1, MAX_WIDTH + 1)) - widths)}"
    assert min(ms) == 1 and max(ms) == MAX_M
    assert set(ms) <= set(range(1, MAX_M + 1))
    buckets = {(m - 1) // 16 for m in ms}
    assert buckets == set(range(MAX_M // 16)), "every batch-size band of 16 is drawn"
    assert len(set(ms)) >= 90, f"only {len(set(ms))} distinct batch sizes in {len(ms)} cases"
    assert all(c.layer_dims[-1] == 1 for c in networks), "the output layer has one unit"
    assert all(1 <= c.L <= MAX_L and max(c.layer_dims) <= MAX_WIDTH and 1 <= c.m <= MAX_M for c in networks)


def test_layer_ranges_all_reachable(layers):
    random = [c for c in layers if c.label == "random"]
    assert len(random) >= SWEEP - 10
    ns = {c.W.shape[0] for c in random}
    n_prevs = {c.W.shape[1] for c in random}
    ms = [c.m for c in random]
    assert ns == set(range(1, MAX_WIDTH + 1))
    assert n_prevs == set(range(1, MAX_WIDTH + 1))
    assert min(ms) == 1 and max(ms) == MAX_M and set(ms) <= set(range(1, MAX_M + 1))
    assert {c.activation for c in layers} == {"relu", "sigmoid"}
    counts = {a: sum(c.activation == a for c in layers) for a in ("relu", "sigmoid")}
    assert min(counts.values()) >= SWEEP // 4, counts


@pytest.mark.parametrize("seed", [0, 3, 99])
def test_network_edge_cases_present_in_small_count(seed):
    cases = network_cases(seed, 5)
    assert any(c.m == 1 for c in cases), "m = 1"
    assert any(all(d == 1 for d in c.layer_dims) and c.m > 1 for c in cases), "width 1 everywhere"
    assert any(c.L == 1 for c in cases), "L = 1"
    assert any(c.L == MAX_L and max(c.layer_dims) <= 2 for c in cases), "deep and narrow"
    assert any(c.L <= 2 and min(c.layer_dims[:-1]) == MAX_WIDTH and c.m == MAX_M for c in cases), "wide and shallow"


@pytest.mark.parametrize("seed", [0, 3, 99])
def test_layer_edge_cases_present_in_small_count(seed):
    cases = layer_cases(seed, 4)
    assert any(c.m == 1 for c in cases), "m = 1"
    assert any(c.W.shape[0] == 1 for c in cases), "one unit"
    assert any(c.W.shape[1] == 1 for c in cases), "one input feature"
    assert any(c.W.shape == (MAX_WIDTH, MAX_WIDTH) and c.m == MAX_M for c in cases), "wide"


# --- values that keep the comparison meaningful ---------------------------------------------------
def test_network_shapes(networks):
    for c in networks:
        where = f"case {c.index} ({c.describe()})"
        n, L, m = c.layer_dims, c.L, c.m
        assert c.X.shape == (n[0], m) and c.Y.shape == (1, m) and c.AL.shape == (1, m), where
        assert set(c.parameters) == {f"W{l}" for l in range(1, L + 1)} | {f"b{l}" for l in range(1, L + 1)}, where
        for l in range(1, L + 1):
            assert c.parameters[f"W{l}"].shape == (n[l], n[l - 1]), where
            assert c.parameters[f"b{l}"].shape == (n[l], 1), where
        assert len(c.caches) == L and c.activations == ("relu",) * (L - 1) + ("sigmoid",), where
        assert 0.0 < c.learning_rate <= 1.0, where
        for name, a in network_arrays(c).items():
            assert a.dtype == np.float64 and np.isfinite(a).all(), f"{where}, {name}"


def test_relu_inputs_clear_of_the_kink(networks, layers):
    for c in networks:
        for l, ((A_prev, W, b), Z) in enumerate(c.caches[:-1], start=1):
            for what, z in (("cached Z", Z), ("recomputed Z", W @ A_prev + b)):
                assert np.abs(z).min() >= RELU_MARGIN, f"case {c.index} ({c.describe()}), layer {l}, {what}"
    relu_layers = [c for c in layers if c.activation == "relu"]
    assert relu_layers
    for c in relu_layers:
        assert np.abs(c.Z).min() >= RELU_MARGIN, f"layer case {c.index} ({c.describe()})"
        assert np.abs(c.W @ c.A_prev + c.b).min() >= RELU_MARGIN, f"layer case {c.index} ({c.describe()})"


def test_relu_layers_are_not_all_dead(networks):
    """Both sides of the kink occur, so a wrong ReLU derivative cannot hide."""
    Zs = np.concatenate([Z.ravel() for c in networks for (_, Z) in c.caches[:-1]])
    assert (Zs > 0).mean() > 0.2 and (Zs < 0).mean() > 0.2


def test_sigmoid_outputs_clear_of_0_and_1(networks, layers):
    for c in networks:
        Z_L = c.caches[-1][1]
        where = f"case {c.index} ({c.describe()})"
        assert np.abs(Z_L).max() <= SIGMOID_BOUND, where
        assert c.AL.min() >= SIGMOID_LOW - 1e-12 and c.AL.max() <= SIGMOID_HIGH + 1e-12, where
        assert np.isfinite(np.log(c.AL)).all() and np.isfinite(np.log(1 - c.AL)).all(), where
    for c in layers:
        if c.activation == "sigmoid":
            assert np.abs(c.Z).max() <= SIGMOID_BOUND, f"layer case {c.index} ({c.describe()})"


def test_labels(networks):
    for c in networks:
        where = f"case {c.index} ({c.describe()})"
        assert set(np.unique(c.Y)) <= {0.0, 1.0}, where
        if c.m > 1:
            assert set(np.unique(c.Y)) == {0.0, 1.0}, f"both classes present: {where}"
    Ys = np.concatenate([c.Y.ravel() for c in networks])
    assert 0.4 < Ys.mean() < 0.6, f"labels unbalanced: {Ys.mean():.3f} ones"


def test_network_inputs_read_only(networks):
    for c in networks[:60]:
        for name, a in network_arrays(c).items():
            where = f"case {c.index} ({c.describe()}), {name}"
            assert not a.flags.writeable, where
            with pytest.raises(ValueError):
                a[(0,) * a.ndim] = 1.0
            assert not a.flags.writeable, where


def test_layer_inputs_read_only(layers):
    for c in layers[:60]:
        for name, a in layer_arrays(c).items():
            assert not a.flags.writeable, f"layer case {c.index}, {name}"
            with pytest.raises(ValueError):
                a[(0,) * a.ndim] = 1.0


def test_network_caches_consistent(networks):
    for c in networks:
        where = f"case {c.index} ({c.describe()})"
        A = c.X
        for l, ((A_prev, W, b), Z) in enumerate(c.caches, start=1):
            if l == 1:
                assert A_prev is c.X, f"{where}: caches[0] holds X itself"
            np.testing.assert_allclose(A_prev, A, rtol=0, atol=1e-9, err_msg=f"{where}, layer {l} A_prev")
            assert np.array_equal(W, c.parameters[f"W{l}"]) and np.array_equal(b, c.parameters[f"b{l}"]), f"{where}, layer {l}"
            np.testing.assert_allclose(Z, W @ A_prev + b, rtol=0, atol=1e-9, err_msg=f"{where}, layer {l} Z")
            A = _sigmoid(Z) if l == c.L else _relu(Z)
        np.testing.assert_allclose(c.AL, A, rtol=0, atol=1e-9, err_msg=f"{where}, AL")
        for l in range(1, c.L):  # the next layer's input is this layer's ReLU output
            np.testing.assert_allclose(c.caches[l][0][0], _relu(c.caches[l - 1][1]), rtol=0, atol=1e-9, err_msg=f"{where}, A{l}")


def test_layer_caches_consistent(layers):
    for c in layers:
        where = f"layer case {c.index} ({c.describe()})"
        n, n_prev = c.W.shape
        assert c.A_prev.shape == (n_prev, c.m) and c.b.shape == (n, 1), where
        assert c.Z.shape == c.dA.shape == c.dZ.shape == (n, c.m), where
        np.testing.assert_allclose(c.Z, c.W @ c.A_prev + c.b, rtol=0, atol=1e-9, err_msg=where)
        assert len(c.linear_cache) == 3 and all(x is y for x, y in zip(c.linear_cache, (c.A_prev, c.W, c.b))), where
        assert len(c.cache) == 2 and c.cache[1] is c.Z and c.cache[0][0] is c.A_prev, where
        assert c.activation in ("relu", "sigmoid"), where


def test_primary_draws_on_the_dyadic_grid(networks, layers):
    """Primary inputs are exact multiples of 2**-12, so every platform reads the same numbers."""
    grid = 2.0**12
    for c in networks[:80]:
        for name, a in [("X", c.X), *c.parameters.items()]:
            assert np.array_equal(a * grid, np.round(a * grid)), f"case {c.index}, {name}"
    for c in layers[:80]:
        for name in ("A_prev", "W", "b", "dA", "dZ"):
            a = getattr(c, name)
            assert np.array_equal(a * grid, np.round(a * grid)), f"layer case {c.index}, {name}"


def test_describe_names_the_shape(networks, layers):
    c = networks[7]
    assert str(list(c.layer_dims)) in c.describe() and f"m={c.m}" in c.describe()
    lc = layers[7]
    assert f"m={lc.m}" in lc.describe() and lc.activation in lc.describe()
