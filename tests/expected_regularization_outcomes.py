"""What grading each of pack 3's example submissions (submissions/reg_*) must give, seed 0, default rubric.

Plain data, no imports from the grader. `failing[unit]` is how many of the unit's 20 cases must fail, and
`lost` the exact points lost, POINTS[unit] * failing / 20; a unit not listed loses nothing.
`diagnoses[unit]` is the exact set of misconception codes the unit must be diagnosed with. The end-to-end
check runs the student's own forward_propagation_with_dropout into their backward_propagation_with_dropout
and reports its first wrong stage, so a dropout mistake costs its own function and the chain; the L2
functions are not in the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEED = 0
CASES = 20
END_TO_END = "end_to_end"
COST, L2_BACKWARD = "compute_cost_with_regularization", "backward_propagation_with_regularization"
FORWARD, BACKWARD = "forward_propagation_with_dropout", "backward_propagation_with_dropout"
POINTS = {COST: 20, L2_BACKWARD: 25, FORWARD: 20, BACKWARD: 25, END_TO_END: 10}


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
    "reg_correct_template.py": Outcome(note="The course's template filled in, np.random.seed(1) line included: full marks."),
    "reg_correct_layers.py": Outcome(note=(
        "Loops over layers, integer masks, np.random.rand(*shape) and no seed line of its own: full marks, "
        "because the grader seeds NumPy with the course's seed before each case.")),
    "reg_correct_notebook.ipynb": Outcome(note="The template as the 2021 notebook's cells, with its imports and test cells: full marks."),
    "reg_bug_l2_missing_in_dW2.py": Outcome({L2_BACKWARD: 20}, _own("L2_MISSING_IN_DW", L2_BACKWARD)),
    "reg_bug_cost_l2_not_halved.py": Outcome({COST: 20}, _own("L2_COST_NOT_HALVED", COST)),
    "reg_bug_dropout_backward_no_mask.py": Outcome({BACKWARD: 18, END_TO_END: 19}, _own("DROPOUT_BACKWARD_NO_MASK", BACKWARD, END_TO_END), (
        "Right where no neuron was dropped (every mask all True): 2 of the function's cases, 1 of the chain's.")),
    "reg_bug_dropout_backward_not_scaled.py": Outcome({BACKWARD: 20, END_TO_END: 20}, _own("DROPOUT_BACKWARD_NOT_SCALED", BACKWARD, END_TO_END)),
    "reg_bug_dropout_forward_not_scaled.py": Outcome({FORWARD: 20, END_TO_END: 20}, _own("DROPOUT_FORWARD_NOT_SCALED", FORWARD, END_TO_END)),
    "reg_bug_dropout_mask_inverted.py": Outcome({FORWARD: 20, END_TO_END: 20}, _own("DROPOUT_MASK_INVERTED", FORWARD, END_TO_END)),
}
