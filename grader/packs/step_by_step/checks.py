"""What each graded function is called with, how its answer is judged against autograd's, and the order
in which the checks may share one walled process (`SHARED_ORDER`, read by grader/judge/grade.py).

A check sees its function in isolation: the graded functions it calls are replaced, inside the sandbox,
by stand-ins (case_inputs.py builds them and the cases); the end-to-end check runs the student's own
chain instead.
"""

from __future__ import annotations

import numpy as np

from grader import END_TO_END
from grader.judge.compare import Mismatch, Tolerance, compare, describe, names
from grader.pack import CaseInput, Check

from . import init_check

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
            elif got.dtype.kind != "f" or not np.isfinite(got).all():
                found.append(
                    Mismatch(
                        path,
                        "dtype",
                        f"{path} should hold finite floats, got dtype {got.dtype}",
                        list(shape),
                        list(shape),
                    )
                )
            elif key.startswith("b") and (got != 0).any():
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
                largest = float(np.abs(got).max()) if got.size else 0.0  # finite: tested above
                if not largest:
                    found.append(
                        Mismatch(
                            path,
                            "value",
                            f"{path} is all zeros: every unit of the layer would learn the same thing; use "
                            "np.random.randn(...) * 0.01",
                            list(shape),
                            list(shape),
                        )
                    )
                elif largest > 0.1:
                    found.append(
                        Mismatch(
                            path,
                            "value",
                            f"{path} should be small (np.random.randn(...) * 0.01); its largest entry is {largest:.3g}",
                            list(shape),
                            list(shape),
                        )
                    )
                elif got.size > 1 and (got == got.flat[0]).all():  # np.unique(got).size == 1, without a sort
                    found.append(
                        Mismatch(
                            path,
                            "value",
                            f"{path} holds one value copied everywhere: units must start different (random)",
                            list(shape),
                            list(shape),
                        )
                    )
                elif got.shape[0] > 1 and (got[1:] == got[0]).all():  # every row equal to the first
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
    """L_model_backward: exactly dA0..dA{L-1}, dW1..dWL, db1..dbL, or dA1..dAL where the notebook version
    asks for them."""

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


def grads_of(unit: str, case: CaseInput, value) -> tuple[object, int]:
    """The grads dict a check's returned value holds (L_model_backward's, or the chain's), and L."""
    if unit == END_TO_END:
        return (value.get("grads") if isinstance(value, dict) else None), len(case.args[2]) // 2
    return value, len(case.args[2])
