# RED-TEAM ATTACK (issue 9): import the sandbox's own modules by their plain names and rewire them.
# Route: `import wire, seal, child, guard, zygote` (the harness puts its folder on sys.path), then
#   __import__, then sys.modules under those names or any other (a private package name is still a
#   key of sys.modules); with the wire module in hand, replace wire.same, the child's test of whether
#   a function changed its arguments, so that linear_forward can wreck its input and keep its points.
# Contained when: no harness module is reachable by those names (linear_activation_forward reports
#   which were, and scores 0 either way) and linear_forward, which zeroes its argument A, scores 0.
# attacked: linear_forward, linear_activation_forward
# run: batch
import sys

import numpy as np

LEAK = "REDTEAM" + "-LEAK: "
HARNESS = {"wire": "write_frame", "seal": "key_for", "child": "run_case", "guard": "install", "zygote": "serve"}


def _harness():
    reached = {}
    for name, attribute in HARNESS.items():
        for route in ("import", "__import__", "sys.modules"):
            try:
                if route == "import":
                    exec("import %s as module" % name, globals(), scope := {})
                    module = scope["module"]
                elif route == "__import__":
                    module = __import__(name)
                else:
                    module = sys.modules[name]
            except Exception:
                continue
            if attribute in getattr(module, "__dict__", {}):  # the real module, not a harmless stand-in
                reached[name] = (route, module)
                break
    return reached


def _any_wire():
    for module in list(sys.modules.values()):
        if {"write_frame", "same", "encode"} <= set(getattr(module, "__dict__", {})):
            yield module


def linear_forward(A, W, b):
    for wire in _any_wire():
        wire.same = lambda before, after: True
    Z = np.dot(W, A) + b
    cache = (A.copy(), W, b)
    A[...] = 0.0  # destroys the caller's array: the in-place check must cost every point
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    reached = _harness()
    if reached:
        raise RuntimeError(LEAK + "harness modules reachable: " + ", ".join("%s by %s" % (n, r) for n, (r, _) in sorted(reached.items())))
    raise RuntimeError("no harness module reachable")
