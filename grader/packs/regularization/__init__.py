"""Pack 3: "Regularization" (Deep Learning Specialization, course 2, week 1), written through
grader/autograd_pack.py alone: what is graded (below), the seeded cases (cases.py), the network and
cost in torch with the course's conventions (oracle.py), the misconceptions (misconceptions.py), the
course's helper module (reg_utils.py) and its contract (CONTRACT.md). The answer key is
reference/regularization.py, outside every install.

Points: the two L2 functions and the two dropout functions weigh alike, the backward ones more (they
are this grader's subject); the end-to-end check, the student's dropout forward into their dropout
backward, weighs 10.
"""

from __future__ import annotations

from pathlib import Path

from grader import END_TO_END
from grader.autograd_pack import AutogradPack, Graded, Randomness
from grader.judge.chain_check import Stage
from grader.packs.regularization.misconceptions import MISCONCEPTIONS

HERE = Path(__file__).parent
FORWARD, BACKWARD = "forward_propagation_with_dropout", "backward_propagation_with_dropout"
DRAWS = (
    "np.random.seed(1) at the top of the function, then D1 = np.random.rand(A1.shape[0], A1.shape[1]) after "
    "A1 = relu(Z1), then D2 = np.random.rand(A2.shape[0], A2.shape[1]) after A2 = relu(Z2), each D = D < keep_prob"
)


class RegularizationPack(AutogradPack):
    name = "regularization"
    title = "Regularization"
    graded = (
        Graded("compute_cost_with_regularization", ("A3", "Y", "parameters", "lambd"), "cost"),
        Graded("backward_propagation_with_regularization", ("X", "Y", "cache", "lambd"), "gradients"),
        Graded(
            FORWARD,
            ("X", "parameters", "keep_prob"),
            ("A3", "cache"),
            masks=("cache[1]", "cache[6]"),
            random=Randomness(seed=1, draws=DRAWS),
        ),
        Graded(BACKWARD, ("X", "Y", "cache", "keep_prob"), "gradients"),
    )
    stages = (Stage(FORWARD), Stage(BACKWARD))
    default_points = {
        "compute_cost_with_regularization": 20,
        "backward_propagation_with_regularization": 25,
        FORWARD: 20,
        BACKWARD: 25,
        END_TO_END: 10,
    }
    misconceptions = MISCONCEPTIONS
    course_modules = ("reg_utils",)
    course_module_file = HERE / "reg_utils.py"
    stand_in_modules = ("testCases", "public_tests", "test_utils", "sklearn", "scipy")
    short_names = {
        "compute_cost_with_regularization": "l2_cost",
        "backward_propagation_with_regularization": "l2_bwd",
        FORWARD: "drop_fwd",
        BACKWARD: "drop_bwd",
    }

    def cases(self, unit: str, seed: int, n: int, oracle) -> list:
        from grader.packs.regularization.cases import cases

        return cases(unit, seed, n, oracle)

    def make_oracle(self, device: str):
        from grader.packs.regularization.oracle import Oracle

        return Oracle(device)


PACK = RegularizationPack()
