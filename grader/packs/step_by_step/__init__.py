"""Pack 1: "Building your Deep Neural Network: Step by Step" (Deep Learning Specialization, course 1, week 4).

Moved here from the engine unchanged (benchmarks/pack_identity.py shows every report identical before
and after): the cases and their autograd oracle (cases.py, oracle.py, answers.py for the answer cache),
the checks and stand-in tables (checks.py), the evidence, misconceptions and layer map behind the
feedback (evidence*.py, misconceptions.py, diagnose.py, call_details.py, layer_map.py), the notebook
versions (versions.py), what may change in place (inplace.py), initialisation's draws (init_check.py),
and the course's helper module with how submissions reach it (dnn_utils.py, course_names.py).
"""

from __future__ import annotations

from pathlib import Path

from grader import END_TO_END
from grader.judge.chain_check import Stage
from grader.pack import Check, Pack, Version

from . import course_names, layer_map

HERE = Path(__file__).resolve().parent
GRADED_FUNCTIONS = (
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
DEFAULT_POINTS: dict[str, float] = {
    "initialize_parameters": 5,
    "initialize_parameters_deep": 5,
    "linear_forward": 8,
    "linear_activation_forward": 8,
    "L_model_forward": 12,
    "compute_cost": 8,
    "linear_backward": 12,
    "linear_activation_backward": 10,
    "L_model_backward": 14,
    "update_parameters": 8,
    END_TO_END: 10,
}


class StepByStep(Pack):
    name = "step_by_step"
    title = "Building your Deep Neural Network: Step by Step"
    functions = GRADED_FUNCTIONS
    default_points = DEFAULT_POINTS
    course_modules = course_names.COURSE_HELPERS
    course_module_file = HERE / "dnn_utils.py"
    stand_in_modules = course_names.COURSE_STAND_INS
    # The end-to-end chain; each stage's output is recorded as it was when that stage returned, so that a
    # later stage that writes into it (an update that changes grads) cannot make an earlier one look wrong.
    stages = (
        Stage("L_model_forward", ("X", "parameters"), ("AL", "caches"), judged=("AL",)),
        Stage("compute_cost", ("AL", "Y"), "cost", copied=False),
        Stage("L_model_backward", ("AL", "Y", "caches"), "grads"),
        Stage("update_parameters", ("parameters", "grads", "learning_rate"), "parameters", copied=False),
    )
    chain_args = ("X", "Y", "parameters", "learning_rate")
    layer_cells = layer_map.CELLS
    short_names = {
        "initialize_parameters": "init",
        "initialize_parameters_deep": "init_deep",
        "linear_forward": "lin_fwd",
        "linear_activation_forward": "act_fwd",
        "L_model_forward": "L_fwd",
        "compute_cost": "cost",
        "linear_backward": "lin_bwd",
        "linear_activation_backward": "act_bwd",
        "L_model_backward": "L_bwd",
        "update_parameters": "update",
        END_TO_END: "e2e",
    }

    def checks(self) -> dict[str, Check]:
        from .checks import CHECKS

        return CHECKS

    def case_set(self, seed, counts, device="cpu", cache=None):
        from .answers import case_set_for

        return case_set_for(seed, counts, device, cache, pending=True)

    def translate_runs(self, text, filename):
        return course_names.translate_runs(text, filename)

    def supply_names(self, sources):
        return course_names.supply(sources)

    def version_for(self, texts, filename, pinned, legacy_keys) -> Version:
        from .versions import for_submission

        return for_submission(texts, filename, pinned, legacy_keys)

    def check_version_name(self, name: str) -> None:
        from .versions import pinned

        pinned(name)

    def judge_changes(self, unit, names, before, after):
        from .inplace import judge_changes

        return judge_changes(unit, names, before, after)[0]

    def notices(self, check, inputs, test, result, sub, version) -> list[str]:
        from .checks import grads_of, uses_legacy_keys
        from .inplace import change_notes

        notices = []
        if check.unit in ("L_model_backward", END_TO_END):
            legacy = any(
                uses_legacy_keys(*grads_of(check.unit, case, outcome.value))
                for case, outcome in zip(inputs, test.cases)
            )
            notice = version.keys_notice(legacy)
            if notice:
                notices.append(notice)
        return notices + change_notes(
            check.unit, check.arg_names, inputs, result.cases, sub.sources.get(check.function)
        )

    def diagnose(self, test, check, inputs, version) -> None:
        from .diagnose import diagnose

        diagnose(test, check, inputs, version.grads_keys)

    def summarize(self, test, check) -> str:
        from grader.report.feedback import summarize

        return summarize(test, check, self.layer_cells, layer_map.explain, self.chain_outputs)

    def explain_layer_map(self, rows, codes) -> str:
        return layer_map.explain(rows, codes)

    def version_line(self, data: dict) -> str:
        from .versions import version_line

        return version_line(data)


PACK = StepByStep()
