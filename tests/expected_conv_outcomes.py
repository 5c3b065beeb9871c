"""What grading each of pack 2's example submissions (submissions/conv_*) must give, seed 0, default rubric.

Plain data, no imports from the grader. `failing[unit]` is how many of the unit's 20 cases must fail, and
`lost` the exact points lost, POINTS[unit] * failing / 20 (the default rubric of grader/packs/
conv_step_by_step/__init__.py: 20 cases a unit); a unit not listed loses nothing. `diagnoses[unit]` is the
exact set of misconception codes the unit must be diagnosed with. It assumes, as the pack does:

- each function is graded in isolation: conv_forward with correct stand-ins for zero_pad and
  conv_single_step, conv_backward for zero_pad, pool_backward for create_mask_from_window and
  distribute_value; so a mistake in a helper costs the helper's own unit and the end-to-end chain only;
- a call to a stand-in that a correct caller never makes fails the case (so a loop that forgets the
  stride fails there, before returning), and the diagnosis reads that call's arguments;
- "end_to_end" runs the student's own conv_forward -> pool_forward -> pool_backward -> conv_backward (and
  whatever helpers they call) on 20 small networks, max and average pooling alternating, pad >= 1, and
  reports the first wrong stage; the chain names no AVG_POOL_GRADIENT_NOT_DIVIDED (a distribute_value
  that does not divide gives the same numbers there).
Why each mistake shows on only some cases: a stride mistake cannot show with stride 1, dividing by m not
with m = 1, and so on (misconceptions.py, `applies`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEED = 0
CASES = 20
END_TO_END = "end_to_end"
POINTS = {
    "zero_pad": 6, "conv_single_step": 8, "conv_forward": 18, "pool_forward": 12,
    "conv_backward": 20, "create_mask_from_window": 5, "distribute_value": 5, "pool_backward": 14,
    END_TO_END: 12,
}


@dataclass(frozen=True)
class Outcome:
    failing: dict[str, int] = field(default_factory=dict)
    diagnoses: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""

    @property
    def lost(self) -> dict[str, float]:
        return {unit: round(POINTS[unit] * n / CASES, 4) for unit, n in self.failing.items()}


def _own(code: str, *units: str) -> dict[str, list[str]]:
    return {unit: [code] for unit in units}


EXPECTED: dict[str, Outcome] = {
    # --- correct ---------------------------------------------------------------------------------------
    "conv_correct_template_loops.py": Outcome(note=(
        "The course's loops and template lines, `Z = Z + float(b)` and the `[pad:-pad]` un-padding included: "
        "full marks (float(b) works through the pack's supplied float; no scored conv_backward case has pad 0).")),
    "conv_correct_vectorized.py": Outcome(note=(
        "np.pad, sliding windows and einsum; calls none of its own helpers: full marks.")),
    "conv_correct_notebook.ipynb": Outcome(note=(
        "The template-style file as the 2021 notebook's cells, with `from public_tests import *`, "
        "%matplotlib and the course's test cells: full marks.")),
    # --- one mistake each ------------------------------------------------------------------------------
    "conv_bug_zero_pad_all_axes.py": Outcome({"zero_pad": 17, END_TO_END: 20}, _own("ZERO_PAD_ALL_AXES", "zero_pad"), (
        "np.pad(X, pad): wrong on the 17 cases with pad > 0; in the chain the extra channels break the "
        "product in conv_single_step (an error, not a diagnosis).")),
    "conv_bug_conv_step_bias_in_sum.py": Outcome({"conv_single_step": 19, END_TO_END: 20}, _own("CONV_STEP_BIAS_IN_SUM", "conv_single_step"), (
        "b added to every product: shows wherever the window has more than one entry (19 cases); conv_forward "
        "itself is right (a correct conv_single_step stands in), the chain's Z is not.")),
    "conv_bug_conv_forward_no_stride.py": Outcome({"conv_forward": 9, END_TO_END: 11}, _own("CONV_FORWARD_NO_STRIDE", "conv_forward", END_TO_END), (
        "vert_start = h: in isolation its first call to conv_single_step reads a window no correct call reads "
        "(the evidence); in the chain its Z equals the prediction.")),
    "conv_bug_conv_forward_size_without_pad.py": Outcome({"conv_forward": 17, END_TO_END: 20}, _own("CONV_FORWARD_SIZE_WITHOUT_PAD", "conv_forward", END_TO_END), (
        "int((n_H_prev - f) / stride) + 1: too few rows and columns wherever pad > 0 changes the size.")),
    "conv_bug_conv_backward_no_stride.py": Outcome({"conv_backward": 9, END_TO_END: 10}, _own("CONV_BACKWARD_NO_STRIDE", "conv_backward", END_TO_END)),
    "conv_bug_conv_backward_divided_by_m.py": Outcome({"conv_backward": 13, END_TO_END: 13}, _own("CONV_BACKWARD_DIVIDED_BY_M", "conv_backward", END_TO_END), (
        "Right on the cases with m = 1.")),
    "conv_bug_conv_backward_da_prev_padded.py": Outcome({"conv_backward": 20, END_TO_END: 20}, _own("CONV_BACKWARD_DA_PREV_PADDED", "conv_backward", END_TO_END), (
        "Every scored case pads (pad >= 1), so dA_prev always has the wrong shape.")),
    "conv_bug_conv_backward_db_wrong_axes.py": Outcome({"conv_backward": 19, END_TO_END: 16}, _own("CONV_BACKWARD_DB_WRONG_AXES", "conv_backward", END_TO_END), (
        "db = np.sum(dZ, axis=(1, 2, 3), keepdims=True): right only when m = 1 and n_C = 1.")),
    "conv_bug_pool_forward_no_stride.py": Outcome({"pool_forward": 8, END_TO_END: 9}, _own("POOL_FORWARD_NO_STRIDE", "pool_forward", END_TO_END)),
    "conv_bug_pool_backward_no_stride.py": Outcome({"pool_backward": 8, END_TO_END: 9}, _own("POOL_BACKWARD_NO_STRIDE", "pool_backward", END_TO_END), (
        "Max mode: a refused create_mask_from_window call on an unstrided window; average mode: the values.")),
    "conv_bug_max_mask_all_channels.py": Outcome({"pool_backward": 10, END_TO_END: 4}, _own("MAX_MASK_ALL_CHANNELS", "pool_backward", END_TO_END), (
        "Every max-mode case of pool_backward fails: the (f, f, n_C) window is a call no correct caller makes, "
        "even with n_C = 1 (where the values would come out right); in the chain only n_C > 1 shows.")),
    "conv_bug_avg_pool_gradient_not_divided.py": Outcome({"pool_backward": 9, END_TO_END: 5}, _own("AVG_POOL_GRADIENT_NOT_DIVIDED", "pool_backward"), (
        "Average mode with f > 1. The chain fails too but names no misconception (see the module's docstring).")),
    "conv_bug_mask_column_max.py": Outcome({"create_mask_from_window": 14, END_TO_END: 7}, _own("MASK_COLUMN_MAX", "create_mask_from_window"), (
        "pool_backward is right in isolation (a correct mask stands in).")),
    "conv_bug_mask_is_max_value.py": Outcome({"create_mask_from_window": 20, END_TO_END: 10}, _own("MASK_IS_MAX_VALUE", "create_mask_from_window"), (
        "A number, not a mask, on every case; the chain fails on its 10 max-pooling cases.")),
    "conv_bug_distribute_not_divided.py": Outcome({"distribute_value": 18, END_TO_END: 5}, _own("DISTRIBUTE_NOT_DIVIDED", "distribute_value"), (
        "Right on 1x1 shapes and dz = 0; the chain's average-pooling cases with f > 1 fail, undiagnosed.")),
    # --- the misconceptions of issue 22's item 5, one each ---------------------------------------------
    "conv_bug_conv_step_bias_left_out.py": Outcome({"conv_single_step": 20, END_TO_END: 20}, _own("CONV_STEP_BIAS_LEFT_OUT", "conv_single_step"), (
        "Z without float(b): every case's bias is non-zero; the chain's Z is wrong, and conv_forward has no name for it.")),
    "conv_bug_conv_forward_bias_twice.py": Outcome({"conv_forward": 20, END_TO_END: 20}, _own("CONV_FORWARD_BIAS_TWICE", "conv_forward", END_TO_END)),
    "conv_bug_conv_forward_one_channel_slice.py": Outcome({"conv_forward": 20, END_TO_END: 20}, _own("CONV_FORWARD_ONE_CHANNEL_SLICE", "conv_forward"), (
        "a_prev_pad[..., c]: its first conv_single_step call passes an (f, f) channel of a window (the evidence, a "
        "refused call); in the chain the student's own conv_single_step gets that slice, with no prediction to match.")),
    "conv_bug_conv_backward_dw_not_accumulated.py": Outcome({"conv_backward": 19, END_TO_END: 20}, _own("CONV_BACKWARD_DW_NOT_ACCUMULATED", "conv_backward", END_TO_END), (
        "dW[:, :, :, c] = ...: right only where one example has one output position.")),
    "conv_bug_conv_backward_db_not_accumulated.py": Outcome({"conv_backward": 20, END_TO_END: 20}, _own("CONV_BACKWARD_DB_NOT_ACCUMULATED", "conv_backward", END_TO_END)),
    "conv_bug_conv_backward_da_prev_not_accumulated.py": Outcome({"conv_backward": 18, END_TO_END: 18}, _own("CONV_BACKWARD_DA_PREV_NOT_ACCUMULATED", "conv_backward", END_TO_END), (
        "Right where no two windows overlap and there is one filter.")),
    "conv_bug_pool_forward_f_as_stride.py": Outcome({"pool_forward": 12, END_TO_END: 13}, _own("POOL_FORWARD_F_AS_STRIDE", "pool_forward"), (
        "vert_start = h * f. In the chain its windows mostly run past A_prev (cut-off slices, predicted by no "
        "mistake), and where f = 1 it gives what leaving the stride out gives: neither is named there, so "
        "end_to_end names nothing (not POOL_FORWARD_NO_STRIDE).")),
    "conv_bug_pool_forward_all_channels.py": Outcome({"pool_forward": 18, END_TO_END: 10}, _own("POOL_FORWARD_ALL_CHANNELS", "pool_forward", END_TO_END)),
    "conv_bug_pool_backward_f_as_stride.py": Outcome({"pool_backward": 12, END_TO_END: 13}, _own("POOL_BACKWARD_F_AS_STRIDE", "pool_backward"), (
        "Max mode: the first refused create_mask_from_window call is the window at (h*f, w*f); average mode: the "
        "values. The chain names nothing, as for pool_forward above (issue 22 saw it named 'forgets the stride').")),
    "conv_bug_pool_backward_not_accumulated.py": Outcome({"pool_backward": 10, END_TO_END: 8}, _own("POOL_BACKWARD_NOT_ACCUMULATED", "pool_backward", END_TO_END), (
        "= instead of +=: only overlapping windows (stride < f) show it.")),
    "conv_bug_distribute_precedence.py": Outcome({"distribute_value": 16, END_TO_END: 5}, _own("DISTRIBUTE_PRECEDENCE", "distribute_value"), (
        "dz / n_H * n_W: right where n_W = 1; on square windows it gives dz, as DISTRIBUTE_NOT_DIVIDED does, and "
        "neither is named from those cases.")),
    # --- a cause only a refused call shows (issue 22, item 4) -----------------------------------------
    "conv_call_da_prev_randn.py": Outcome({"conv_backward": 20, END_TO_END: 20}, note=(
        "dA_prev = np.random.randn(...): every zero_pad(dA_prev, pad) call is refused, and the case says that the "
        "array is of A_prev's shape but neither A_prev nor zeros; no misconception is named (the values are random).")),
}


@dataclass(frozen=True)
class Edition:
    """An example of a pattern the real copies show (benchmarks/real_notebooks/conv_manifest.toml), graded
    through the engine: exact points lost, the notebook version recognised, and words its notes must hold."""

    lost: dict[str, float] = field(default_factory=dict)
    version: str = "unknown"
    says: dict[str, str] = field(default_factory=dict)  # unit (or "load") -> words of its feedback or load notes
    blamed: dict[str, str] = field(default_factory=dict)  # unit -> the path its first value mismatch names
    rubric_version: str = "auto"


EDITIONS: dict[str, Edition] = {
    "conv_edition_2017_notebook.ipynb": Edition(version="v1-2017 (2017)", says={
        "conv_single_step": "Graded as the v1-2017 (2017) notebook", END_TO_END: "Graded as the v1-2017 (2017) notebook"}),
    "conv_numpy1_aliases.py": Edition(says={"load": "np.float (removed in NumPy 1.24), np.int (removed in NumPy 1.24)"}),
    "conv_chain_step_returns_array.py": Edition(lost={"conv_single_step": 8.0}, says={
        END_TO_END: "Your conv_single_step returns an array of shape (1, 1, 1), not a scalar"}),
    "conv_chain_pool_cache_wrong.py": Edition(lost={"pool_forward": 10.8, END_TO_END: 10.8}, says={
        END_TO_END: "Fix pool_forward's cache first"}, blamed={END_TO_END: "pool_cache[0]"}),
    # still unfair (CONTRACT.md): right under the course's NumPy, a ValueError under NumPy >= 1.24, and no
    # removed name can give it back; pinned here so that a fix shows, and so that the chain names the cause
    "conv_numpy1_ragged_bias_sum.py": Edition(lost={"conv_single_step": 8.0, END_TO_END: 12.0}, says={
        "conv_single_step": "refuse to make an array of a ragged list", END_TO_END: "refuse to make an array of a ragged list"}),
    # the 2018-on example of the bias inside the sum, pinned to 2017 by a rubric: right by that contract
    "conv_bug_conv_step_bias_in_sum.py": Edition(version="v1-2017 (2017)", rubric_version="v1-2017"),
}
