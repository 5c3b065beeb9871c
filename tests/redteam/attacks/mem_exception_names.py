# RED-TEAM ATTACK (issue 20, items 3 and 5): exception classes with 2 MB names.
# Route: linear_activation_backward raises an exception whose class is named by 2 MB of text on every
#   case (messages are capped, type names were not: 132 MB of JSON report, read back on every
#   resume); linear_backward one named by 200 KB, with 200 KB messages and a traceback of 100 frames
#   of 1 KB lines. The job's own error formatter is replaced first, so that all of it leaves the job.
# Contained when: the report stays small (every name, message and traceback capped on the trusted
#   side), both functions and the end-to-end check score 0, the rest is graded as correct, and the
#   honest submission graded next is unchanged.
# attacked: linear_activation_backward, linear_backward
# run: batch
import sys


def _unformat():
    for module in list(sys.modules.values()):
        space = getattr(module, "__dict__", {})
        if {"run_case", "_error", "load"} <= set(space):
            space["_error"] = lambda exc: {"type": type(exc).__name__, "message": "m" * (200 << 10),
                                           "traceback": [["f" * 1000, 1, "g" * 1000, "t" * 1000]] * 100}


def linear_activation_backward(dA, cache, activation):
    _unformat()
    raise type("Boom" * (1 << 19), (Exception,), {})("a name of 2 MB")


def linear_backward(dZ, cache):
    _unformat()
    raise type("Bang" * (50 << 10), (Exception,), {})("a name of 200 KB")


# __HONEST_REST__
