"""Pack 2: "Convolution model: Step by Step" (Deep Learning Specialization, course 4, week 1).

Written only through the pack API of grader/pack.py. What is here: the course's contract as verified in
public copies of the notebook (CONTRACT.md), the graded functions' interface (interface.py), seeded
cases (cases.py, chain.py; NumPy only), PyTorch float64 answers (oracle.py, the only torch import, reached
only from `make_oracle`; its answers are kept by grader/judge/kept_answers.py), the checks and stand-in
tables (checks.py, case_inputs.py), the end-to-end chain the sandbox runs (end_to_end.py), the
misconceptions (catalogue.py, told apart by misconceptions.py) and their evidence (diagnosis.py),
the notebook editions (versions.py: the 2017 one adds the bias inside conv_single_step's sum; its answers
are kept beside the current ones, case_inputs.VersionedInput) and the notes that name the real mistake
(notices.py).
The answer key is reference/conv_model.py, outside every install.

Two decisions where the course's own code meets today's NumPy or a case the course never poses:

- `float(b)`. The course passes conv_single_step a bias of shape (1, 1, 1) and its template says
  `Z = Z + float(b)`, which NumPy 2 refuses. The cases keep the course's b (another shape would break
  the `b[0, 0, 0]` that copies also write), and course_float.py gives a submission that calls float()
  NumPy 1.x's float() of a one-element array (`supply_names`), with a load note that says so.
- pad 0 in conv_backward. The template un-pads with `da_prev_pad[pad:-pad, pad:-pad, :]`, empty when
  pad = 0; the course never calls conv_backward with pad 0, so no scored case of conv_backward or of the
  end-to-end chain has it (conv_forward and zero_pad do: the course's own test of conv_forward has pad 0).

Points: the course grades the four forward functions and calls the backward half "OPTIONAL / UNGRADED".
This grader is about backpropagation, so the backward half weighs as much as the forward half (44 each),
and the end-to-end chain, which needs both, weighs 12; within each half the larger functions, which call
the smaller ones, weigh more. A rubric's [functions.NAME] tables change any of it.
"""

from __future__ import annotations

from pathlib import Path

from grader import END_TO_END
from grader.pack import CaseInput, Check, Pack, Version
from grader.packs.conv_step_by_step import course_float
from grader.packs.conv_step_by_step.checks import CHECKS, STAGES
from grader.packs.conv_step_by_step.interface import LATEST, ORDER

HERE = Path(__file__).parent

POINTS: dict[str, float] = {
    "zero_pad": 6,
    "conv_single_step": 8,
    "conv_forward": 18,
    "pool_forward": 12,  # graded by the course: 44
    "conv_backward": 20,
    "create_mask_from_window": 5,
    "distribute_value": 5,
    "pool_backward": 14,  # optional: 44
    END_TO_END: 12,
}


class ConvPack(Pack):
    name = "conv_step_by_step"
    title = "Convolution model: Step by Step"
    functions = ORDER
    stages = STAGES  # gives the pack its chain and chain_outputs; the sandbox runs end_to_end.py
    default_points = POINTS
    stand_in_modules = ("public_tests", "test_utils")  # the 2021 notebook's `from public_tests import *`
    end_to_end_file = HERE / "end_to_end.py"
    short_names = {
        "zero_pad": "pad",
        "conv_single_step": "step",
        "conv_forward": "conv_fwd",
        "pool_forward": "pool_fwd",
        "conv_backward": "conv_bwd",
        "create_mask_from_window": "mask",
        "distribute_value": "distrib",
        "pool_backward": "pool_bwd",
    }

    def checks(self) -> dict[str, Check]:
        return dict(CHECKS)

    def build_inputs(self, seed: int, counts: dict[str, int], oracle) -> dict[str, list[CaseInput]]:
        """The cases, with answers from the oracle or from the answer cache (grader/judge/kept_answers.py)."""
        from grader.packs.conv_step_by_step.case_inputs import build

        return build(seed, counts, oracle)

    def make_oracle(self, device: str):
        from grader.packs.conv_step_by_step.oracle import ConvOracle, resolve_device

        return ConvOracle(resolve_device(device))

    def supply_names(self, sources: list[str]) -> tuple[list[str], list[str]]:
        return course_float.supply(sources)

    def version_for(self, texts, filename, pinned, legacy_keys) -> Version:
        from grader.packs.conv_step_by_step.versions import for_submission

        return for_submission(texts, filename, pinned)

    def check_version_name(self, name: str) -> None:
        from grader.packs.conv_step_by_step.versions import pinned

        pinned(name)

    def version_line(self, data: dict) -> str:
        from grader.packs.conv_step_by_step.versions import version_line

        return version_line(data)

    def notices(self, check: Check, inputs: list, test, result, sub, version: Version) -> list[str]:
        from grader.packs.conv_step_by_step.notices import notices

        return notices(check, inputs, test, version)

    def diagnose(self, test, check: Check, inputs: list, version: Version) -> None:
        from grader.packs.conv_step_by_step.case_inputs import under
        from grader.packs.conv_step_by_step.diagnosis import diagnose
        from grader.packs.conv_step_by_step.interface import BIAS_IN_SUM

        rule = version.grads_keys
        diagnose(test, check, under(inputs, rule), "v1-2017" if rule == BIAS_IN_SUM else LATEST)


PACK = ConvPack()
