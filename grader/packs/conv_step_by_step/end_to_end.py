"""Pack 2's end-to-end chain, run inside the sandbox (`Pack.end_to_end_file`): builtins only (it names no
module, so it runs in any scope it is given).

The student's own conv_forward -> pool_forward -> pool_backward -> conv_backward on one small network
with a given upstream gradient dA (chain.py). Each stage's output is recorded as it returned (`fresh`
copies it), and so are the two caches the backward stages read (so that a wrong cache is blamed on the
stage that made it), and `out["stage"]` names the stage running, so that a stage that raises, or one
that writes into what an earlier stage returned, is reported as itself.

The course's NumPy (1.x) stored a one-element array into one element of an array (`Z[i, h, w, c] =
conv_single_step(...)` with a (1, 1, 1) result), with a DeprecationWarning; NumPy 2 raises "setting an
array element with a sequence", which would cost the whole chain for conv_single_step's return shape,
already scored in conv_single_step's own check. So while conv_forward runs, a conv_single_step of the
student's that returns a one-element array is read as its one value, as NumPy 1.x did, and
`out["step_returned"]` records the shape it returned, for the feedback to say so.
"""


def _plain(value, depth=0):
    """Only what the wire carries back safely: arrays, numbers, strings, and tuples, lists, dicts of them."""
    if depth > 4:
        return False
    if isinstance(value, (tuple, list)):
        return len(value) <= 8 and all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= 8 and all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    if type(value).__module__ == "numpy":  # an array or a NumPy scalar: numbers only (no object arrays)
        return getattr(getattr(value, "dtype", None), "kind", "") in ("b", "i", "u", "f")
    return isinstance(value, (int, float, str, bool)) or value is None


def end_to_end(namespace, args, out, fresh):
    A_prev, W, b, hparameters, hparameters_pool, mode, dA = args
    step = namespace.get("conv_single_step")
    if callable(step):

        def conv_single_step(*a, **k):
            value = step(*a, **k)
            if type(value).__name__ == "ndarray" and value.ndim > 0 and value.size == 1:
                out["step_returned"] = tuple(int(n) for n in value.shape)
                return value.reshape(())[()]
            return value

        namespace["conv_single_step"] = conv_single_step
    out["stage"] = "conv_forward"
    try:
        Z, conv_cache = namespace["conv_forward"](A_prev, W, b, hparameters)
    finally:
        if callable(step):
            namespace["conv_single_step"] = step
    out["Z"] = fresh(Z)
    if _plain(conv_cache):
        out["conv_cache"] = fresh(conv_cache)
    out["stage"] = "pool_forward"
    A, pool_cache = namespace["pool_forward"](Z, hparameters_pool, mode)
    out["A"] = fresh(A)
    if _plain(pool_cache):
        out["pool_cache"] = fresh(pool_cache)
    out["stage"] = "pool_backward"
    dZ = namespace["pool_backward"](dA, pool_cache, mode)
    out["dZ"] = fresh(dZ)
    out["stage"] = "conv_backward"
    dA_prev, dW, db = namespace["conv_backward"](dZ, conv_cache)
    out["dA_prev"], out["dW"], out["db"] = fresh(dA_prev), fresh(dW), fresh(db)
    out["stage"] = "done"
    return out
