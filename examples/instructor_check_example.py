"""An instructor's own check, scored alongside the graded functions.

Run it with the plugin:

    pytest --submission=path/to/student.ipynb examples/instructor_check_example.py

`submission` runs the student's functions in the sandbox (each call is a fresh, limited process);
`grader_cases` holds the oracle's cases for the seed (`--grader-seed`). The check is worth the points
of its marker: all of them when it passes, none when it fails, and they are added to the maximum.
"""

import pytest

LEARNING_RATE = 1e-3  # small enough that one correct step of gradient descent always lowers the cost


@pytest.mark.points(5)
def test_one_step_of_gradient_descent_lowers_the_cost(submission, grader_cases):
    """The student's own chain, used the way the course uses it: forward, cost, backward, update."""
    for case in grader_cases["end_to_end"][:3]:
        X, Y, parameters, _ = case.args
        AL, caches = submission.L_model_forward(X, parameters)
        cost = submission.compute_cost(AL, Y)
        grads = submission.L_model_backward(AL, Y, caches)
        updated = submission.update_parameters(parameters, grads, LEARNING_RATE)
        new_cost = submission.compute_cost(submission.L_model_forward(X, updated)[0], Y)
        assert float(new_cost) < float(cost), (
            f"on the case with {case.description}, one step of gradient descent (learning rate "
            f"{LEARNING_RATE}) changed the cost from {float(cost):.6f} to {float(new_cost):.6f}: "
            "it should go down")
