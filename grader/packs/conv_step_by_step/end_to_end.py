"""Pack 2's end-to-end chain, run inside the sandbox (`Pack.end_to_end_file`): NumPy and builtins only.

The student's own conv_forward -> pool_forward -> pool_backward -> conv_backward on one small network
with a given upstream gradient dA (chain.py). Each stage's output is recorded as it returned (`fresh`
copies it), and `out["stage"]` names the stage running, so that a stage that raises, or one that writes
into what an earlier stage returned, is reported as itself.
"""


def end_to_end(namespace, args, out, fresh):
    A_prev, W, b, hparameters, hparameters_pool, mode, dA = args
    out["stage"] = "conv_forward"
    Z, conv_cache = namespace["conv_forward"](A_prev, W, b, hparameters)
    out["Z"] = fresh(Z)
    out["stage"] = "pool_forward"
    A, pool_cache = namespace["pool_forward"](Z, hparameters_pool, mode)
    out["A"] = fresh(A)
    out["stage"] = "pool_backward"
    dZ = namespace["pool_backward"](dA, pool_cache, mode)
    out["dZ"] = fresh(dZ)
    out["stage"] = "conv_backward"
    dA_prev, dW, db = namespace["conv_backward"](dZ, conv_cache)
    out["dA_prev"], out["dW"], out["db"] = fresh(dA_prev), fresh(dW), fresh(db)
    out["stage"] = "done"
    return out
