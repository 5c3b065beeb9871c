"""The CUDA oracle agrees with the CPU oracle (float64 on both): skipped where there is no CUDA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.packs.step_by_step.cases import layer_cases, network_cases
from grader.packs.step_by_step.oracle import Oracle, resolve_device

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available on this machine"),
]

SEED = 77
RTOL = 1e-12
ATOL = 1e-12  # relative to the largest |expected| entry of the same array


def assert_close(actual, expected, where: str) -> None:
    assert isinstance(actual, np.ndarray), f"{where}: {type(actual).__name__}, not a numpy.ndarray"
    assert actual.shape == expected.shape, f"{where}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype == np.float64, f"{where}: dtype {actual.dtype}, {expected.dtype}"
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL * scale, err_msg=where)


@pytest.fixture(scope="module")
def oracles():
    return Oracle("cpu"), Oracle("cuda")


def test_resolve_device_picks_cuda():
    assert resolve_device("cuda") == "cuda"
    assert resolve_device("auto") == "cuda"
    assert Oracle("cuda").device == "cuda"
    assert Oracle("auto").device == "cuda"


def test_network_cpu_equals_cuda(oracles):
    cpu, cuda = oracles
    for case in network_cases(SEED, 150):
        a, b = cpu.network(case), cuda.network(case)
        where = f"case {case.index} ({case.describe()})"
        assert_close(b.AL, a.AL, f"{where}, AL")
        assert_close(b.cost, a.cost, f"{where}, cost")
        assert_close(b.dAL, a.dAL, f"{where}, dAL")
        for l in range(case.L + 1):
            assert_close(b.A[l], a.A[l], f"{where}, A{l}")
        for l in range(1, case.L + 1):
            assert_close(b.Z[l], a.Z[l], f"{where}, Z{l}")
            assert_close(b.dZ[l], a.dZ[l], f"{where}, dZ{l}")
        assert set(b.grads) == set(a.grads) and set(b.updated) == set(a.updated), where
        for k in a.grads:
            assert_close(b.grads[k], a.grads[k], f"{where}, grads[{k!r}]")
        for k in a.updated:
            assert_close(b.updated[k], a.updated[k], f"{where}, updated[{k!r}]")


def test_layer_cpu_equals_cuda(oracles):
    cpu, cuda = oracles
    for case in layer_cases(SEED, 150):
        a, b = cpu.layer(case), cuda.layer(case)
        where = f"layer case {case.index} ({case.describe()})"
        assert set(a) == set(b), where
        for k in a:
            assert_close(b[k], a[k], f"{where}, {k}")


def test_cost_and_update_cpu_equals_cuda(oracles):
    cpu, cuda = oracles
    rng = np.random.default_rng(SEED)
    for case in network_cases(SEED + 1, 40):
        where = f"case {case.index} ({case.describe()})"
        assert_close(cuda.cost(case.AL, case.Y), cpu.cost(case.AL, case.Y), f"{where}, cost")
        grads = {"d" + k: rng.standard_normal(v.shape) for k, v in case.parameters.items()}
        a = cpu.update(case.parameters, grads, case.learning_rate)
        b = cuda.update(case.parameters, grads, case.learning_rate)
        for k in a:
            assert_close(b[k], a[k], f"{where}, updated[{k!r}]")
