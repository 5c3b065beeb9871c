# RED-TEAM ATTACK (issue 9): look for other checks' cases in the harness's module globals.
# Route: every module in sys.modules (the fork server is __main__; child, wire, seal, guard are there
#   too), then everything their globals reach through gc.get_referents (functions' defaults and
#   closures, class attributes, containers), up to a bound; case lists are copied as in
#   steal_stack_frames.py.
# Contained when: L_model_forward and L_model_backward score 0.
# attacked: L_model_forward, L_model_backward
# run: batch
import gc
import sys

import numpy as np


def _case_lists():
    found, seen = [], set()
    todo = [vars(module) for module in list(sys.modules.values()) if hasattr(module, "__dict__")]
    while todo and len(seen) < 300000:
        value = todo.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, list) and value and isinstance(value[0], dict) and "args" in value[0]:
            found.append(value)
            continue
        if isinstance(value, (np.ndarray, str, bytes, int, float)):
            continue
        todo.extend(gc.get_referents(value))
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
