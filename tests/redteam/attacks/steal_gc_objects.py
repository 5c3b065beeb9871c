# RED-TEAM ATTACK (issue 9): a submission that computes nothing and copies other checks' answers.
# Route: gc.unfreeze() then gc.get_objects(): every object of the process, the harness's included,
#   searched for case lists (lists of dicts with "args"), such as the fork server's table of all cases.
# Loot: L_model_backward is called with (AL, Y, caches), which is L_model_forward's answer on the same
#   network; update_parameters is called with (parameters, grads, lr), which holds L_model_backward's.
# Contained when: both functions score 0 (a batch once gave this file 26/100).
# attacked: L_model_forward, L_model_backward
# run: batch
import gc

import numpy as np


def _case_lists():
    gc.unfreeze()  # the fork server froze its objects out of get_objects()' sight: bring them back
    found = []
    for value in gc.get_objects():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "args" in value[0]:
            found.append(value)
    return found


def _same(a, b):
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)


def L_model_forward(X, parameters):
    for cases in _case_lists():
        for case in cases:
            args = case["args"]
            try:
                caches = args[2]
                if _same(caches[0][0][0], X) and _same(caches[0][0][1], parameters["W1"]) and 2 * len(caches) == len(parameters):
                    return args[0], caches
            except Exception:
                pass
    raise RuntimeError("no answers to copy")


def L_model_backward(AL, Y, caches):
    for cases in _case_lists():
        for case in cases:
            args = case["args"]
            try:
                params, grads = args[0], args[1]
                if "dW1" in grads and 2 * len(caches) == len(params) and all(
                        _same(params["W%d" % (l + 1)], caches[l][0][1]) for l in range(len(caches))):
                    return grads
            except Exception:
                pass
    raise RuntimeError("no answers to copy")
