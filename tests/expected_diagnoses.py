"""Which misconception codes grading each example must diagnose (across all its tests), and no others.

Plain data. Paths are relative to the repository root. Every code of grader/misconceptions.py appears
at least once: tests/test_diagnose.py checks that, so a new catalogue entry needs an example here.
"""

from __future__ import annotations

NONE: frozenset[str] = frozenset()


def codes(*names: str) -> frozenset[str]:
    return frozenset(names)


# The bundled examples: each bug_* file has one mistake; the correct ones must get no diagnosis at all.
SUBMISSIONS: dict[str, frozenset[str]] = {
    "submissions/correct_student.py": NONE,
    "submissions/correct_vectorized_style.py": NONE,
    "submissions/correct_keyword_calls.py": NONE,
    "submissions/correct_notebook.ipynb": NONE,
    "reference/deep_nn.py": NONE,
    "submissions/bug_cost_not_squeezed.py": codes("COST_NOT_0D"),
    "submissions/bug_cost_sign.py": codes("COST_SIGN"),
    "submissions/bug_dAL_every_layer.py": codes("DAL_EVERY_LAYER"),
    "submissions/bug_dAL_sign.py": codes("DAL_SIGN"),
    "submissions/bug_dA_prev_divided_by_m.py": codes("DA_PREV_DIVIDED_BY_M"),
    "submissions/bug_dW_missing_1_over_m.py": codes("DW_MISSING_1_OVER_M"),
    "submissions/bug_dW_transposed.py": codes("DW_TRANSPOSED"),
    "submissions/bug_db_no_keepdims.py": codes("DB_NO_KEEPDIMS"),
    "submissions/bug_forward_missing_bias.py": codes("FORWARD_MISSING_BIAS"),
    "submissions/bug_init_shape_swapped.py": codes("INIT_SHAPE_TRANSPOSED"),
    "submissions/bug_init_zeros.py": codes("INIT_WEIGHTS_ZERO"),
    "submissions/bug_init_uniform.py": codes("INIT_UNIFORM"),
    "submissions/bug_last_layer_loop_index.py": codes("LAST_LAYER_LOOP_INDEX"),
    "submissions/bug_legacy_grads_keys.py": codes("LEGACY_GRADS_KEYS"),
    "submissions/bug_relu_mask_from_dA.py": codes("RELU_MASK_FROM_DA"),
    "submissions/bug_sigmoid_derivative_of_cache.py": codes("SIGMOID_DERIVATIVE_OF_CACHE"),
    "submissions/bug_swapped_activation_backward.py": codes("WRONG_ACTIVATION_BACKWARD"),
    "submissions/correct_update_shallow_copy.py": NONE,  # updating the given parameters is allowed (issue 10)
    "submissions/bug_update_sign.py": codes("UPDATE_SIGN"),
    "submissions/correct_update_given_dict.py": NONE,
    "submissions/bug_backward_writes_into_dA.py": codes("INPUT_MODIFIED_IN_PLACE"),
    "submissions/correct_v3_template_style.py": NONE,
    "submissions/correct_notebook_v5_legacy_keys.ipynb": NONE,
    "submissions/correct_notebook_v7.ipynb": NONE,
    "submissions/correct_testcases_v3_undecided.py": NONE,
    "submissions/bug_v7_old_grads_keys.py": codes("LEGACY_GRADS_KEYS"),
    "submissions/correct_notebook_v4_run_magic.ipynb": NONE,
    "submissions/correct_notebook_lost_import_cell.ipynb": NONE,
    "submissions/correct_helpers_import_fails.py": NONE,
    "submissions/correct_python2_exported_with_prose.py": NONE,
    "submissions/bug_old_keys_and_sigmoid_hidden.py": codes("WRONG_ACTIVATION_BACKWARD"),
    "submissions/bug_db_squeezed.py": codes("DB_NO_KEEPDIMS"),
    "submissions/bug_wrong_layer_cache.py": codes("WRONG_LAYER_CACHE"),
    "submissions/bug_output_dA_prev_key.py": codes("OUTPUT_DA_PREV_KEY"),
}

# Mistakes the bundled examples do not cover, one (or, for the last, two) per file; the first line of
# each file says which.
MISTAKES: dict[str, frozenset[str]] = {
    "tests/data/mistakes/backward_relu_output.py": codes("WRONG_ACTIVATION_BACKWARD"),
    "tests/data/mistakes/cost_mean_over_m.py": codes("COST_EXTRA_1_OVER_M"),
    "tests/data/mistakes/cost_missing_term.py": codes("COST_MISSING_TERM"),
    "tests/data/mistakes/cost_sum_not_mean.py": codes("COST_MISSING_1_OVER_M"),
    "tests/data/mistakes/dAL_is_AL_minus_Y.py": codes("DAL_IS_DZ"),
    "tests/data/mistakes/dAL_over_m.py": codes("DAL_DIVIDED_BY_M"),
    "tests/data/mistakes/dA_prev_transposed.py": codes("DA_PREV_TRANSPOSED"),
    "tests/data/mistakes/db_axis0.py": codes("DB_WRONG_AXIS"),
    "tests/data/mistakes/db_missing_1_over_m.py": codes("DB_MISSING_1_OVER_M"),
    "tests/data/mistakes/forward_relu_output.py": codes("WRONG_ACTIVATION_FORWARD"),
    "tests/data/mistakes/relu_backward_in_place.py": codes("INPUT_MODIFIED_IN_PLACE"),
    "tests/data/mistakes/relu_derivative_missing.py": codes("ACTIVATION_DERIVATIVE_MISSING"),
    "tests/data/mistakes/relu_mask_from_A_prev.py": codes("RELU_MASK_FROM_A"),
    "tests/data/mistakes/update_skips_last_layer.py": codes("UPDATE_SKIPS_LAYER"),
    "tests/data/mistakes/dW_missing_1_over_m_and_db_no_keepdims.py": codes("DW_MISSING_1_OVER_M", "DB_NO_KEEPDIMS"),
}

# Real mistakes outside the catalogue: they must fail, and the grader must not name a cause for them.
UNKNOWN: dict[str, frozenset[str]] = {
    "tests/data/unknown_mistakes/cost_log10.py": NONE,
    "tests/data/unknown_mistakes/dAL_second_term_sign.py": NONE,
    "tests/data/unknown_mistakes/dW_doubled.py": NONE,
    "tests/data/unknown_mistakes/forward_minus_bias.py": NONE,
    "tests/data/unknown_mistakes/relu_mask_half.py": NONE,
    "tests/data/unknown_mistakes/update_double_step.py": NONE,
    "submissions/bug_update_returns_none.py": NONE,  # the feedback says None, and what the given dict held
    "submissions/bug_v4_new_grads_keys.py": NONE,  # the keys mismatch names the keys of the version graded by
    "submissions/broken_python2_notebook.ipynb": NONE,  # Python 2: load notes and notices, no misconception
    "submissions/partial_unfilled_template.py": NONE,
    "submissions/bug_db_squeezed_and_asserted.py": NONE,  # the only readable cases have one-unit layers: ambiguous
    "submissions/bug_output_layer_inside_loop.py": NONE,
}

EXPECTED_DIAGNOSES: dict[str, frozenset[str]] = {**SUBMISSIONS, **MISTAKES, **UNKNOWN}
