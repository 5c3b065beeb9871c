"""What grading each bundled example submission (submissions/*.py, *.ipynb) must give.

Plain data, no imports from the grader. `fails` is the exact set of graded units that must LOSE points:
function names from INTERFACE.md plus "end_to_end". It assumes:

- each function is graded in isolation: the graded functions it calls are replaced by correct stand-ins, so
  a bug in linear_backward fails linear_backward, not linear_activation_backward or L_model_backward;
- "end_to_end" runs the student's own L_model_forward -> compute_cost -> L_model_backward ->
  update_parameters on random networks, so it also fails for a bug in any function that chain calls
  (linear_forward, linear_activation_forward, linear_backward, linear_activation_backward), and whenever one
  of those functions is missing, hangs or crashes. The initialization functions are not in the chain;
- loading runs the kept top-level statements (imports, defs, class defs, simple assignments) one by one,
  each under its own time limit, so a statement that raises or hangs costs only itself.

`status` is "graded" for every file here: each of them loads far enough to be graded. The misconception
codes each must be diagnosed with are in tests/expected_diagnoses.py. `note` says what the mistake is, in the course's
notation: A[l], Z[l], W[l], b[l] of layer l (A[0] = X), m examples, dZ[l] etc. as the course defines them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FUNCTIONS = (
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
END_TO_END = "end_to_end"
UNITS = FUNCTIONS + (END_TO_END,)


@dataclass(frozen=True)
class Outcome:
    fails: frozenset[str]
    status: str = "graded"
    note: str = ""
    lost: dict[str, float] = field(default_factory=dict)  # exact points lost per unit (seed 0, default rubric), where pinned


def _fails(*units: str) -> frozenset[str]:
    return frozenset(units)


NONE = frozenset()

EXPECTED: dict[str, Outcome] = {
    # --- correct -------------------------------------------------------------------------------
    "correct_student.py": Outcome(NONE, note=(
        "Correct, course template style (np.dot, loops, # GRADED FUNCTION markers, asserts). Keeps the template's "
        "np.random.seed(1) / np.random.seed(3) inside the initialization functions: the init checks must accept that.")),
    "correct_keyword_calls.py": Outcome(NONE, note=(
        "Correct; calls its graded helpers with keyword arguments in an order of its own (the stand-ins must "
        "place them by parameter name), np.matmul, its own sigmoid/relu, a one-line update_parameters.")),
    "correct_vectorized_style.py": Outcome(NONE, note=(
        "Correct, own style: @, np.sum(..., keepdims=True), f-strings, relu/sigmoid inline (no dnn_utils), "
        "comprehensions; keeps float32 inputs float32.")),
    "correct_notebook.ipynb": Outcome(NONE, note=(
        "Correct course notebook: magics (%matplotlib inline, %load_ext autoreload, %autoreload 2, !pip list), "
        "get_ipython().run_line_magic, plt.rcParams, test cells calling testCases/public_tests, a training-and-plot cell, "
        "recorded outputs.")),
    "correct_update_shallow_copy.py": Outcome(NONE, note=(
        "parameters = params.copy() (shallow) then W[l] -= alpha dW[l]: right result, and the caller's arrays are "
        "changed in place. It was bug_update_in_place.py; since issue 10 not a bug: every notebook before 2021 "
        "updated the given dict (and this file's -= writes into its arrays); it earns a note, never a lost point.")),

    # --- one real mistake each -----------------------------------------------------------------------------------
    "bug_dW_missing_1_over_m.py": Outcome(_fails("linear_backward", END_TO_END), note=(
        "dW[l] = dZ[l] A[l-1].T without the 1/m (the derivative of the summed loss, not of the mean cost J).")),
    "bug_db_no_keepdims.py": Outcome(_fails("linear_backward", END_TO_END), note=(
        "db[l] = (1/m) np.sum(dZ[l], axis=1) without keepdims=True: shape (n_l,) instead of (n_l, 1).")),
    "bug_dW_transposed.py": Outcome(_fails("linear_backward", END_TO_END), note=(
        "dW[l] = (1/m) A[l-1] dZ[l].T: the transpose of dW[l], shape (n_(l-1), n_l); right shape only for square layers.")),
    "bug_dA_prev_divided_by_m.py": Outcome(_fails("linear_backward", END_TO_END), note=(
        "dA[l-1] = (1/m) W[l].T dZ[l]: dA_prev divided by m, although the course passes per-example (summed-loss) "
        "gradients between layers.")),
    "bug_cost_sign.py": Outcome(_fails("compute_cost", END_TO_END), note=(
        "J = (1/m) sum(y log a + (1-y) log(1-a)) without the leading minus: the cost is negative.")),
    "bug_cost_not_squeezed.py": Outcome(_fails("compute_cost", END_TO_END), note=(
        "J computed with np.dot(Y, log(AL).T) + ..., right value but not np.squeeze'd: shape (1, 1) instead of (). "
        "Fails only because the shape is checked strictly, as INTERFACE.md asks.")),
    "bug_dAL_sign.py": Outcome(_fails("L_model_backward", END_TO_END), note=(
        "dAL = Y/AL - (1-Y)/(1-AL): the minus sign dropped, so every gradient points uphill.")),
    "bug_relu_mask_from_dA.py": Outcome(_fails("linear_activation_backward", END_TO_END), note=(
        "ReLU backward written inline with the mask from the upstream gradient: dZ[dA <= 0] = 0 instead of dZ[Z <= 0] = 0.")),
    "bug_sigmoid_derivative_of_cache.py": Outcome(_fails("linear_activation_backward", END_TO_END), note=(
        "Sigmoid backward as if the activation cache held A: dZ = dA * Z * (1 - Z) instead of dA * s * (1 - s), "
        "s = sigmoid(Z).")),
    "bug_swapped_activation_backward.py": Outcome(_fails("linear_activation_backward", END_TO_END), note=(
        "relu and sigmoid backward swapped: the 'relu' branch calls sigmoid_backward and the 'sigmoid' branch relu_backward.")),
    "bug_dAL_every_layer.py": Outcome(_fails("L_model_backward", END_TO_END), note=(
        "The hidden layers get dAL instead of grads['dA' + str(l + 1)]: every layer is fed the output gradient.")),
    "bug_wrong_layer_cache.py": Outcome(_fails("L_model_backward", END_TO_END), note=(
        "Off by one in the backward loop: caches[l + 1] instead of caches[l] for layer l + 1 (ends up on the sigmoid "
        "layer's cache).")),
    "bug_legacy_grads_keys.py": Outcome(_fails("L_model_backward", END_TO_END), note=(
        "Pre-2019 course convention: grads keys dA1..dAL (grads['dA' + str(l + 1)] holds the gradient w.r.t. A[l]) "
        "instead of dA0..dA(L-1); values right, keys shifted by one. A legacy option may accept it, never silently.")),
    "bug_output_dA_prev_key.py": Outcome(_fails("L_model_backward", END_TO_END), note=(
        "The output layer's dA_prev stored as grads['dA' + str(L)] instead of grads['dA' + str(L - 1)]: KeyError "
        "'dA{L-1}' in the loop when L > 1; with L = 1, grads holds dA1, dW1, db1 (values right, the key one too high).")),
    "bug_forward_missing_bias.py": Outcome(_fails("linear_forward", END_TO_END), note=(
        "Z[l] = W[l] A[l-1] without + b[l].")),
    "bug_last_layer_loop_index.py": Outcome(_fails("L_model_forward", END_TO_END), note=(
        "Output layer computed with the loop variable after the loop: W[l], b[l] with l = L-1 instead of W[L], b[L] "
        "(a shape error, or NameError when L = 1).")),
    "correct_update_given_dict.py": Outcome(NONE, note=(
        "2019 notebook (v8a) exported: update_parameters(parameters, grads, learning_rate) writes into the given "
        "dict's arrays with -= and returns it, as the notebooks before 2021 allowed; a test cell at the end.")),
    "bug_update_returns_none.py": Outcome(_fails("update_parameters", END_TO_END), lost={"update_parameters": 8, END_TO_END: 10}, note=(
        "update_parameters rebinds the given dict's entries (allowed) but has no return statement: it returns None. "
        "The feedback must say None, and that the given dict did hold the right values.")),
    "bug_backward_writes_into_dA.py": Outcome(_fails("linear_activation_backward"), lost={"linear_activation_backward": 4.5}, note=(
        "The sigmoid branch of linear_activation_backward does dA *= s * (1 - s): the caller's dA is overwritten (a real "
        "bug: the caller still uses it). Only the 9 sigmoid cases of 20 lose points; the chain's own L_model_backward "
        "does not reuse dAL, so end_to_end passes.")),
    # --- issue 10: each notebook version graded by its own contract -------------------------------------------
    "correct_v3_template_style.py": Outcome(NONE, note=(
        "v3 (testCases_v2, dnn_utils_v2, the template's own comments) exported to .py: grads keys dA1..dAL as v3 asks, "
        "update_parameters rebinding the given dict's entries as the template did, get_ipython().magic, test cells.")),
    "correct_notebook_v5_legacy_keys.ipynb": Outcome(NONE, note=(
        "v5 notebook (testCases_v3, whose L_model_backward comment says Outputs: grads[\"dAL\"]): keys dA1..dAL are right "
        "there; np.matmul, '%s' % l keys, -= on the given dict, magics and test cells.")),
    "correct_notebook_v7.ipynb": Outcome(NONE, note=(
        "v7 notebook (testCases_v3 like v5, but the comment says grads[\"dAL-1\"]; the file name ends in v7): today's keys.")),
    "correct_testcases_v3_undecided.py": Outcome(NONE, note=(
        "testCases_v3 (v5, v6 or v7) with the template comments deleted: the version cannot be decided, so the keys "
        "dA1..dAL it uses are accepted with a note instead of costing points.")),
    "bug_v7_old_grads_keys.py": Outcome(_fails("L_model_backward", END_TO_END), lost={"L_model_backward": 14, END_TO_END: 10}, note=(
        "v6/v7 (testCases_v3 and the grads[\"dAL-1\"] comment) but the student kept the 2018 keys dA1..dAL: a mistake in "
        "that version, whatever the keys say (the version comes from imports and comments, never from the keys).")),
    "bug_v4_new_grads_keys.py": Outcome(_fails("L_model_backward", END_TO_END), lost={"L_model_backward": 14, END_TO_END: 10}, note=(
        "v3/v4 (testCases_v2 and the grads[\"dAL\"] comment) but grads stored under today's keys dA0..dA(L-1): wrong "
        "under that version's contract, values right; the feedback names the keys that version asks for.")),
    "correct_notebook_v4_run_magic.ipynb": Outcome(NONE, note=(
        "v4 notebook that gets its helpers with %run ../course_files/dnn_utils_v2.py and %run testCases_v2.py (no import "
        "of numpy at all: %run gave np too): each %run counts as importing that course module, with a load note.")),
    "correct_notebook_lost_import_cell.ipynb": Outcome(NONE, note=(
        "v1.1 notebook whose first cell (the imports) is gone: it uses np, copy and the course's helpers without any "
        "import; the grader supplies them with load notes instead of a NameError in two correct functions.")),
    "correct_helpers_import_fails.py": Outcome(NONE, note=(
        "The helper import asks dnn_utils_v2 for load_data, which it lacks: the whole import fails while loading, so it "
        "binds nothing, and the grader supplies the helpers up front (with a note); a %run of a file of the student's "
        "own is noted as not run.")),
    "broken_python2_notebook.ipynb": Outcome(
        _fails("initialize_parameters_deep", "L_model_forward", "compute_cost", "update_parameters", END_TO_END),
        lost={"initialize_parameters_deep": 5, "L_model_forward": 12, "compute_cost": 8, "update_parameters": 8, END_TO_END: 10},
        note=("A 2017 notebook run under a Python 2 kernel: xrange in initialize_parameters_deep, L = len(parameters) / 2 "
              "(a float in Python 3) in L_model_forward and update_parameters, a print statement inside compute_cost; test "
              "cells with print statements cost nothing. Load notes and each failing function's feedback say it is Python 2 "
              "and what to write instead.")),
    "correct_python2_exported_with_prose.py": Outcome(NONE, note=(
        "A .py export from a Python 2 kernel: top-level print statements after the definitions and a markdown cell "
        "exported as bare text. Each syntax error lies outside every function, so only those lines are lost (load "
        "notes); every function is right.")),
    # --- issue 10: diagnoses that claim no more than the evidence -----------------------------------------------
    "bug_old_keys_and_sigmoid_hidden.py": Outcome(_fails("L_model_backward", END_TO_END), lost={"L_model_backward": 14, END_TO_END: 10}, note=(
        "v8a copy with the 2018 keys dA1..dAL and sigmoid for every hidden layer: only the L = 1 networks come out right "
        "once shifted, so LEGACY_GRADS_KEYS (\"your numbers are right\") must not be named; the wrong activation is.")),
    "bug_db_squeezed.py": Outcome(_fails("linear_backward", END_TO_END), lost={"linear_backward": 12, END_TO_END: 10}, note=(
        "db = np.squeeze(np.sum(dZ, axis=1, keepdims=True)) / m: shape (n,), or () for one unit. A lost column shape "
        "(DB_NO_KEEPDIMS), never a wrong axis: the axis is right.")),
    "bug_db_squeezed_and_asserted.py": Outcome(_fails("linear_backward", END_TO_END), lost={"linear_backward": 12, END_TO_END: 10}, note=(
        "As bug_db_squeezed.py, plus assert isinstance(db, float), which stops every case but those of one-unit layers: "
        "the only readable cases have a one-unit db of shape (), which a squeeze and a sum over everything give alike, "
        "so no cause is named (and never a wrong axis).")),
    "partial_unfilled_template.py": Outcome(_fails("L_model_forward", "compute_cost", "update_parameters", END_TO_END),
                                            lost={"L_model_forward": 12, "compute_cost": 8, "update_parameters": 8, END_TO_END: 10}, note=(
        "Unfinished template: cost = None (np.squeeze(None) is an object array), an update loop that does nothing, and "
        "L_model_forward without its return. The feedback says None and 'unchanged'; no misconception is named.")),
    "bug_output_layer_inside_loop.py": Outcome(_fails("L_model_forward", END_TO_END), lost={"L_model_forward": 9.6, END_TO_END: 8}, note=(
        "The sigmoid call for layer L is indented into the loop (right only when L = 2, 4 of 20 networks): its refused "
        "call carries W[L], so no activation mistake may be blamed on the hidden layer it came after.")),
    "bug_update_sign.py": Outcome(_fails("update_parameters", END_TO_END), note=(
        "W[l] = W[l] + alpha dW[l], b[l] = b[l] + alpha db[l]: gradient ascent.")),
    "bug_init_zeros.py": Outcome(_fails("initialize_parameters_deep"), note=(
        "initialize_parameters_deep sets W[l] = zeros (symmetry is never broken); initialize_parameters is right.")),
    "bug_init_uniform.py": Outcome(_fails("initialize_parameters", "initialize_parameters_deep"),
                                   lost={"initialize_parameters": 5, "initialize_parameters_deep": 5}, note=(
        "W[l] = np.random.rand(...) * 0.01 (uniform on [0, 0.01), all positive) in both initialisations: the seeded one "
        "equals the course's rand draws exactly, the unseeded one fails the distribution check over all its cases.")),
    "bug_init_shape_swapped.py": Outcome(_fails("initialize_parameters_deep"), note=(
        "initialize_parameters_deep draws W[l] with shape (n_(l-1), n_l) instead of (n_l, n_(l-1)).")),

    # --- broken and hostile: everything else must still be graded -----------------------------------------------
    "hostile_infinite_loop.py": Outcome(_fails("linear_backward", END_TO_END), note=(
        "linear_backward never returns (while True: pass); must time out per call, the rest graded.")),
    "hostile_sleep_at_import.py": Outcome(_fails("compute_cost", END_TO_END), note=(
        "compute_cost's default argument is time.sleep(10**6), run when its def runs at load: with per-statement "
        "load limits only that def is lost. (A grader that loads the module as one unit would time out and fail "
        "every unit.)")),
    "hostile_exit.py": Outcome(_fails("L_model_forward", "initialize_parameters_deep", END_TO_END), note=(
        "L_model_forward calls os._exit(3), initialize_parameters_deep calls sys.exit(1); each fails only itself "
        "(and end_to_end, which starts with L_model_forward).")),
    "hostile_print_flood.py": Outcome(NONE, note=(
        "compute_cost prints ~200 MB per call, then returns the right value: output is capped, nothing loses points.")),
    "hostile_memory_hog.py": Outcome(_fails("update_parameters", END_TO_END), note=(
        "update_parameters first allocates np.ones((100000, 100000)) (80 GB); the memory limit makes it fail.")),
    "hostile_fork_bomb.py": Outcome(_fails("linear_forward", END_TO_END), note=(
        "linear_forward tries subprocess, multiprocessing and an unguarded os.fork() loop (bounded at 2**10); "
        "refused fork makes it raise. linear_activation_forward passes with its stand-in.")),
    "hostile_imports_torch.py": Outcome(_fails("L_model_backward", END_TO_END), note=(
        "Top-level import torch (denied, the module still loads); L_model_backward only tries to import the answer key "
        "or grader.oracle (import statement, bare __import__, sys.modules['importlib']) and raises when it cannot.")),
    "hostile_reads_standin_answers.py": Outcome(_fails("L_model_forward", END_TO_END), note=(
        "L_model_forward computes nothing: it searches the stand-in for linear_activation_forward (attributes, "
        "closure, gc.get_objects()) for the answers; none are in the sandbox, so it raises.")),
    "hostile_writes_files.py": Outcome(NONE, note=(
        "compute_cost tries to write /tmp/..., a file next to itself and to append to its own source (all in "
        "try/except), then returns the right value: nothing loses points; the source file must be unchanged.")),
    "broken_syntax_error.py": Outcome(_fails("compute_cost", END_TO_END), note=(
        "compute_cost has an unclosed parenthesis (np.sum(logprobs ...): the file does not parse as a whole; every "
        "other function must still be recovered and graded.")),
    "broken_raises_at_import.py": Outcome(NONE, note=(
        "Top-level statements before the defs raise at load (an unpack of a stand-in module's load_data(), "
        "SCALE = 1 / 0); all functions are correct and graded.")),
    "partial_missing_functions.py": Outcome(
        _fails("initialize_parameters", "initialize_parameters_deep", "compute_cost", "linear_backward",
               "linear_activation_backward", "L_model_backward", "update_parameters", END_TO_END),
        note="Only linear_forward, linear_activation_forward and L_model_forward are defined (all correct)."),
}

for _name, _outcome in EXPECTED.items():  # cheap guard against typos in this file
    assert _outcome.fails <= frozenset(UNITS), (_name, _outcome.fails - frozenset(UNITS))
    assert not _outcome.lost or set(_outcome.lost) == _outcome.fails, (_name, "lost must name exactly the failing units")
