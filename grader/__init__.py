"""Autograder for the course assignment "Building your Deep Neural Network: Step by Step".

Student code runs in a sandbox; its answers are compared with PyTorch autograd in float64.
Kept light on purpose: importing `grader` must not import torch.
"""

__version__ = "0.1.0"

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
END_TO_END = "end_to_end"


def check(function, namespace=None, **options):
    """Grade one function from inside a notebook: `check(linear_backward)`."""
    from grader.notebook import check as _check

    return _check(function, namespace, **options)
