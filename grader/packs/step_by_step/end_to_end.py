"""The end-to-end chain, run inside the sandbox on the student's own functions (served as source with
each end-to-end job: only NumPy and builtins here)."""


def end_to_end(namespace, args, out, fresh):
    X, Y, parameters, learning_rate = args
    out["stage"] = "L_model_forward"
    # Each stage's output is reported as it was when that stage returned: a later stage that writes into
    # it (an update that changes grads) must not make an earlier one look wrong.
    AL, caches = namespace["L_model_forward"](X, parameters)
    out["AL"] = fresh(AL)
    out["stage"] = "compute_cost"
    out["cost"] = namespace["compute_cost"](AL, Y)
    out["stage"] = "L_model_backward"
    grads = namespace["L_model_backward"](AL, Y, caches)
    out["grads"] = fresh(grads)
    out["stage"] = "update_parameters"
    out["parameters"] = namespace["update_parameters"](parameters, grads, learning_rate)
    out["stage"] = "done"
    return out
