# RED-TEAM ATTACK (issue 20, item 3): printed output as large as a result may be.
# Route: update_parameters prints 200 MB on every case (the job keeps the first 4,000 characters),
#   after replacing the job's output capture so that it hands back 500 KB of text (more would be a
#   frame over the trusted side's cap on a header, which ends the check).
# Contained when: the trusted side cuts every output to the rubric's output_chars, the report stays
#   small, update_parameters scores 0, the rest is graded as correct, and the honest submission
#   graded next is unchanged.
# attacked: update_parameters
# run: batch
import sys


def _uncapture():
    kind = type(sys.stdout)
    if hasattr(kind, "take"):
        kind.take = lambda self: ("o" * (500 << 10), 500 << 10)


def update_parameters(parameters, grads, learning_rate):
    _uncapture()
    chunk = "p" * (1 << 20)
    for _ in range(200):
        print(chunk)
    return {}


# __HONEST_REST__
