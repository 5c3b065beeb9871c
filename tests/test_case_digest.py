"""The cases for a seed, pinned by digest: a change in NumPy's generators or in ours shows here.

grader/cases.py draws every primary input (X, Y, W, b, dA, dZ, the learning rate) on a dyadic grid, so
that the same seed gives bit-identical inputs on every machine (README: "the same --seed always gives
the same cases and the same score"). Those draws, and the initialisation checks' arguments
(grader/checks.py), are what is pinned: they involve no floating-point rounding that could differ
between machines. Not pinned: the derived caches (Z, hidden A, AL), which go through BLAS sums and
`exp` before their rounding to 2**-40, and autograd's answers, which may differ in the last bits.

To change the cases deliberately (a new generator, a new NumPy that changes its streams), check that
the change is wanted (it changes every student's cases for a given seed, and so possibly their scores),
then print the new digests and paste them below:

    python -c "from tests.test_case_digest import digests; print(digests())"
"""

from __future__ import annotations

import hashlib

import numpy as np

from grader.packs.step_by_step.cases import LayerCase, NetworkCase, layer_cases, network_cases
from grader.packs.step_by_step.case_inputs import CaseSet
from grader.packs.step_by_step.oracle import Oracle

SEED, COUNT = 0, 20  # the public seed and the default rubric's case count

PINNED = {  # NumPy 2.4, PCG64; regenerate only deliberately (see above)
    "networks": "b5ac4c0c841a0acf491a6fd67dd066c9e7da58e4d4a703f123fd082b2de9efd6",
    "layers": "63403142f0da26e32eb6ff97b1d2c92e0f0a8b289070afc82e07ff94bbc55b6f",
    "initialize_parameters": "a6ad85cf71968cf23b77e049fd67d33ba69ad4b12465f33302af974e43ca64b6",
    "initialize_parameters_deep": "2f1e4f66b4cd364682305087425c8bda5f3f7e999bfd50e7d6fb4a7e9e700acb",
}


def _feed(h, *items) -> None:
    """Each item's type, shape and exact value, little-endian, so the digest means the same everywhere."""
    for item in items:
        if isinstance(item, np.ndarray):
            h.update(f"array {item.dtype.str} {item.shape}|".encode())
            h.update(np.ascontiguousarray(item, dtype=item.dtype.newbyteorder("<")).tobytes())
        elif isinstance(item, float):
            h.update(f"float {item.hex()}|".encode())
        else:
            h.update(f"{type(item).__name__} {item!r}|".encode())


def network_digest(cases: list[NetworkCase]) -> str:
    h = hashlib.sha256()
    for c in cases:
        _feed(h, c.index, c.label, c.layer_dims, c.learning_rate, c.X, c.Y)
        for key in sorted(c.parameters):
            _feed(h, key, c.parameters[key])
    return h.hexdigest()


def layer_digest(cases: list[LayerCase]) -> str:
    h = hashlib.sha256()
    for c in cases:
        _feed(h, c.index, c.label, c.activation, c.A_prev, c.W, c.b, c.dA, c.dZ)
    return h.hexdigest()


def init_digest(cases: list) -> str:
    """The initialisation checks' CaseSet inputs: arguments and expected shapes (no oracle involved)."""
    h = hashlib.sha256()
    for c in cases:
        _feed(h, c.index, c.label, c.description, c.args, sorted(c.expected.items()))
    return h.hexdigest()


def digests() -> dict[str, str]:
    init = ("initialize_parameters", "initialize_parameters_deep")
    case_set = CaseSet(SEED, {name: COUNT for name in init}, Oracle("cpu"))  # no network or layer cases: no autograd
    return {
        "networks": network_digest(network_cases(SEED, COUNT)),
        "layers": layer_digest(layer_cases(SEED, COUNT)),
        **{name: init_digest(case_set.inputs[name]) for name in init},
    }


def test_the_cases_of_the_public_seed_are_pinned():
    got = digests()
    changed = [name for name in PINNED if got[name] != PINNED[name]]
    assert not changed, (f"the cases for seed {SEED} changed ({', '.join(changed)}): NumPy {np.__version__} or the "
                         f"generator draws different inputs. If that is deliberate, see this file's docstring. {got}")


def test_the_digest_sees_one_bit():
    """The digest covers every pinned array: one ulp in one entry of the last case changes it."""
    nets = network_cases(SEED, 3)
    last = nets[-1]
    W = last.parameters["W1"].copy()
    W[-1, -1] = np.nextafter(W[-1, -1], np.inf)
    changed = NetworkCase(last.index, last.label, last.layer_dims, last.X, last.Y, {**last.parameters, "W1": W},
                          last.learning_rate)
    assert network_digest(nets[:-1] + [changed]) != network_digest(nets)
    layers = layer_cases(SEED, 3)
    dZ = layers[-1].dZ.copy()
    dZ[0, 0] = -dZ[0, 0]
    flipped = LayerCase(**{**layers[-1].__dict__, "dZ": dZ})
    assert layer_digest(layers[:-1] + [flipped]) != layer_digest(layers)
