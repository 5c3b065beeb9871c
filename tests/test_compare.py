"""The comparison helper: what it checks first, what it accepts, and that every conceptual error fails.

`compare` must report type, then shape, then dtype, then finiteness, then values; accept float32
arithmetic of the right computation; and reject each single mistake a student makes (a factor of m,
a sign, a transpose, a wrong axis), with a message that names the quantity and points at the worst entry.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.judge.compare import Mismatch, Tolerance, changed_inputs, compare, compare_array
from grader.sandbox.wire import Opaque

TOL = Tolerance()
RNG = np.random.default_rng(7)


def kinds(found: list[Mismatch]) -> list[str]:
    return [m.kind for m in found]


def layer(n=5, n_prev=4, m=6, rng=RNG):
    """A linear layer's backward pass in float64: (dZ, A_prev, W, dW, db, dA_prev)."""
    dZ = rng.standard_normal((n, m))
    A_prev = rng.standard_normal((n_prev, m))
    W = rng.standard_normal((n, n_prev))
    dW = dZ @ A_prev.T / m
    db = dZ.sum(axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dZ, A_prev, W, dW, db, dA_prev


# --- the order of the checks --------------------------------------------------------------------
def test_type_is_checked_before_anything_else():
    expected = np.zeros((2, 3))
    for got in ([[0, 0, 0], [0, 0, 0]], None, 0.0, Opaque("Tensor"), (np.zeros((2, 3)),)):
        found = compare("dW", got, expected, TOL)
        assert kinds(found) == ["type"], (got, found)
        assert found[0].path == "dW"
    assert "Tensor" in compare("dW", Opaque("Tensor"), expected, TOL)[0].message


def test_shape_before_dtype():
    found = compare("dW", np.zeros((3, 2), dtype=np.int64), np.zeros((2, 3)), TOL)
    assert kinds(found) == ["shape"]
    assert found[0].expected_shape == [2, 3] and found[0].got_shape == [3, 2]
    assert "(2, 3)" in found[0].message and "(3, 2)" in found[0].message


def test_dtype_before_nonfinite_and_values():
    for dtype in (np.int64, np.bool_, np.complex128):
        found = compare("dW", np.ones((2, 3), dtype=dtype), np.full((2, 3), 0.5), TOL)
        assert kinds(found) == ["dtype"], dtype
        assert str(np.dtype(dtype)) in found[0].message


def test_nonfinite_before_values_and_points_at_the_first_bad_entry():
    got = np.full((2, 3), 100.0)  # every value wrong too
    got[1, 2] = np.nan
    got[1, 0] = np.inf
    found = compare("dA_prev", got, np.zeros((2, 3)), TOL)
    assert kinds(found) == ["nonfinite"]
    assert found[0].index == [1, 0]
    assert "NaN or inf" in found[0].message


def test_nan_where_a_value_is_expected_never_passes():
    expected = np.ones((3, 3))
    got = expected.copy()
    got[2, 2] = np.nan
    assert kinds(compare("Z", got, expected, TOL)) == ["nonfinite"]


def test_values_last():
    found = compare("Z", np.full((2, 2), 3.0), np.ones((2, 2)), TOL)
    assert kinds(found) == ["value"]
    assert found[0].max_abs_error == pytest.approx(2.0)


# --- the 0-d cost -------------------------------------------------------------------------------
@pytest.mark.parametrize("got", [0.6931471805599453, np.float64(0.6931471805599453), np.array(0.6931471805599453),
                                 np.float32(0.6931472), np.array(0.6931472, dtype=np.float32)])
def test_zero_d_cost_accepts_a_float_a_numpy_scalar_and_a_0d_array(got):
    assert compare("cost", got, np.array(np.log(2.0)), TOL) == []


@pytest.mark.parametrize("shape", [(1, 1), (1,)])
def test_zero_d_cost_rejects_unsqueezed_shapes_and_says_np_squeeze(shape):
    got = np.full(shape, np.log(2.0))
    found = compare("cost", got, np.array(np.log(2.0)), TOL)
    assert kinds(found) == ["shape"]
    assert "np.squeeze" in found[0].message
    assert found[0].got_shape == list(shape) and found[0].expected_shape == []


def test_zero_d_cost_with_a_wrong_value_fails():
    found = compare("cost", 0.7, np.array(np.log(2.0)), TOL)
    assert kinds(found) == ["value"]
    assert found[0].index == []


def test_zero_d_cost_rejects_a_list_or_a_string():
    for got in ([0.69], "0.69"):
        assert kinds(compare("cost", got, np.array(np.log(2.0)), TOL)) == ["type"]


# --- float32 passes, every conceptual error fails -----------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_float32_arithmetic_of_the_right_computation_passes(seed):
    rng = np.random.default_rng(seed)
    n, n_prev, m = (int(v) for v in rng.integers(1, 33, 3))
    dZ, A_prev, W, dW, db, dA_prev = layer(n, n_prev, m, rng)
    dZ32, A32, W32 = dZ.astype(np.float32), A_prev.astype(np.float32), W.astype(np.float32)
    got = (W32.T @ dZ32, dZ32 @ A32.T / m, np.sum(dZ32, axis=1, keepdims=True) / m)
    assert all(x.dtype == np.float32 for x in got)
    assert compare("linear_backward", got, (dA_prev, dW, db), TOL) == []
    Z = W @ A_prev
    A = 1 / (1 + np.exp(-Z))
    A32 = (1 / (1 + np.exp(-(W32 @ A_prev.astype(np.float32))))).astype(np.float32)
    assert compare("A", A32, A, TOL) == []


def test_factor_of_m_fails():
    _, _, _, dW, db, _ = layer(m=2)
    assert kinds(compare("dW", dW * 2, dW, TOL)) == ["value"]  # the 1/m forgotten
    assert kinds(compare("db", db / 2, db, TOL)) == ["value"]  # divided twice


def test_factor_of_m_fails_even_in_float32():
    _, _, _, dW, _, _ = layer(m=2)
    assert kinds(compare("dW", (dW * 2).astype(np.float32), dW, TOL)) == ["value"]


def test_sign_fails():
    _, _, _, _, _, dA_prev = layer()
    assert kinds(compare("dA_prev", -dA_prev, dA_prev, TOL)) == ["value"]


def test_transpose_of_a_square_matrix_fails():
    _, _, _, dW, _, _ = layer(n=4, n_prev=4)
    assert not np.allclose(dW, dW.T)
    assert kinds(compare("dW", dW.T.copy(), dW, TOL)) == ["value"]


def test_wrong_axis_fails():
    dZ, *_ = layer(n=4, m=4)
    db = dZ.sum(axis=1, keepdims=True) / 4
    wrong = dZ.sum(axis=0, keepdims=True).T / 4  # summed over units, not examples: same shape
    assert wrong.shape == db.shape
    assert kinds(compare("db", wrong, db, TOL)) == ["value"]


def test_db_without_keepdims_is_a_shape_error():
    dZ, *_ = layer()
    db = dZ.sum(axis=1, keepdims=True) / dZ.shape[1]
    assert kinds(compare("db", db.reshape(-1), db, TOL)) == ["shape"]


def test_a_single_wrong_entry_fails():
    _, _, _, dW, _, _ = layer(n=8, n_prev=8)
    got = dW.copy()
    got[3, 5] += 1e-2 * np.max(np.abs(dW))
    assert kinds(compare("dW", got, dW, TOL)) == ["value"]


# --- containers ---------------------------------------------------------------------------------
def test_dict_key_mismatch_lists_missing_and_unexpected_keys():
    expected = {"dA0": np.ones((2, 1)), "dW1": np.ones((1, 2)), "db1": np.ones((1, 1))}
    got = {"dA1": np.ones((2, 1)), "dW1": np.ones((1, 2)), "db1": np.ones((1, 1)), "dZ1": np.ones((1, 1))}
    found = compare("grads", got, expected, TOL)
    assert kinds(found) == ["keys"]
    message = found[0].message
    assert "missing dA0" in message
    assert "unexpected dA1, dZ1" in message


def test_dict_values_are_compared_with_their_key_in_the_path():
    expected = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    got = {"W1": np.ones((2, 2)), "b1": np.ones((2, 1))}
    found = compare("parameters", got, expected, TOL)
    assert [m.path for m in found] == ["parameters['b1']"]


def test_tuples_and_lists_are_interchangeable_but_length_and_type_are_checked():
    A, W, b = np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 1))
    expected = (W @ A + b, (A, W, b))
    assert compare("linear_forward", [W @ A + b, [A, W, b]], expected, TOL) == []
    assert compare("caches", (expected,), [expected], TOL) == []
    assert kinds(compare("cache", (A, W), (A, W, b), TOL)) == ["length"]
    assert kinds(compare("cache", {"A": A}, (A, W, b), TOL)) == ["type"]
    assert kinds(compare("cache", np.stack([A[:, 0]] * 3), (A, W, b), TOL)) == ["type"]


def test_nested_paths_name_the_exact_item():
    A, W, b = np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 1))
    expected = (W @ A + b, (A, W, b))
    found = compare("out", (W @ A + b, (A, W.copy() * 2, b)), expected, TOL)
    assert [m.path for m in found] == ["out[1][1]"]


def test_several_wrong_items_are_all_reported():
    expected = (np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 1)))
    got = (np.ones((2, 2)) * 2, np.ones((2, 2)), np.ones((2,)))
    assert kinds(compare("out", got, expected, TOL)) == ["value", "shape"]


# --- changed_inputs -----------------------------------------------------------------------------
def test_changed_inputs_detects_an_array_modified_in_place():
    A, W, b = np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 1))
    after = (A.copy(), W.copy(), b.copy())
    after[1][0, 0] = 5.0
    found = changed_inputs(("A", "W", "b"), (A, W, b), after)
    assert [(m.path, m.kind) for m in found] == [("W", "mutated")]
    assert "in place" in found[0].message


def test_changed_inputs_detects_a_dict_entry_replaced():
    params = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    after = {"W1": np.ones((2, 2)) - 0.1, "b1": np.zeros((2, 1))}
    found = changed_inputs(("parameters", "grads", "learning_rate"), (params, {}, 0.1), (after, {}, 0.1))
    assert [m.path for m in found] == ["parameters"]


def test_changed_inputs_detects_a_key_added_and_a_list_changed():
    params = {"W1": np.ones((2, 2))}
    caches = [(np.ones(2), np.ones(2))]
    after_params = {"W1": np.ones((2, 2)), "extra": np.ones(1)}
    after_caches = [(np.ones(2), np.ones(2)), (np.ones(2), np.ones(2))]
    found = changed_inputs(("parameters", "caches"), (params, caches), (after_params, after_caches))
    assert [m.path for m in found] == ["parameters", "caches"]


def test_changed_inputs_ignores_untouched_arguments():
    A, W, b = np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 1))
    cache = ((A, W, b), np.ones((4, 2)))
    before = (np.ones((4, 2)), cache, "relu")
    after = (np.ones((4, 2)), ((A.copy(), W.copy(), b.copy()), np.ones((4, 2))), "relu")
    assert changed_inputs(("dA", "cache", "activation"), before, after) == []


def test_changed_inputs_with_nothing_sent_back_finds_nothing():
    before = (np.ones(2),)
    assert changed_inputs(("A",), before, None) == []


# --- Mismatch -----------------------------------------------------------------------------------
def test_mismatch_to_dict_drops_none_fields():
    m = Mismatch("dW", "type", "dW should be an array")
    assert m.to_dict() == {"path": "dW", "kind": "type", "message": "dW should be an array"}
    shaped = Mismatch("dW", "shape", "bad", [2, 3], [3, 2])
    assert shaped.to_dict() == {"path": "dW", "kind": "shape", "message": "bad", "expected_shape": [2, 3], "got_shape": [3, 2]}


def test_excerpts_and_index_point_at_the_largest_error():
    expected = np.arange(40, dtype=np.float64).reshape(5, 8) / 10
    got = expected.copy()
    got[0, 1] += 0.5
    got[3, 4] -= 2.0  # the largest error, flat index 28
    got[4, 7] += 1.0
    found = compare_array("dW", got, expected, TOL)
    assert found is not None and found.kind == "value"
    assert found.index == [3, 4]
    assert found.max_abs_error == pytest.approx(2.0)
    assert "(3, 4)" in found.message
    # a window around the worst entry, the worst one in the middle
    assert found.expected_excerpt == pytest.approx(expected.reshape(-1)[25:32].tolist())
    assert found.got_excerpt == pytest.approx(got.reshape(-1)[25:32].tolist())
    assert found.expected_excerpt[3] == pytest.approx(expected[3, 4])
    assert found.got_excerpt[3] == pytest.approx(got[3, 4])
    data = found.to_dict()
    assert data["index"] == [3, 4] and "max_rel_error" in data


def test_excerpt_at_the_start_of_an_array():
    expected = np.ones((1, 10))
    got = expected.copy()
    got[0, 0] = 4.0
    found = compare_array("Z", got, expected, TOL)
    assert found.index == [0, 0]
    assert found.got_excerpt[0] == 4.0


def test_tolerance_scales_with_the_largest_expected_magnitude():
    expected = np.array([1000.0, 1.0])
    tiny = expected + np.array([1e-3, 1e-3])  # float32-sized noise on the big entry's scale
    assert compare_array("Z", tiny, expected, TOL) is None
    assert compare_array("Z", expected * 1.01, expected, TOL) is not None
