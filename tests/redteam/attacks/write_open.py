# RED-TEAM ATTACK (issue 9): write files with the builtin open().
# Route: open(path, "w") in /tmp, /var/tmp, /dev/shm, $HOME, the scratch folder's parent, next to the
#   harness's code and NumPy's, and in the folders on the grader's command line (found through
#   /proc/<ancestor>/cmdline): the submissions folder and the reports folder.
# Contained when: no such file exists after grading, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import os
import sys

import numpy as np

def _ancestors():
    pids, pid = [], os.getppid()
    while pid > 1 and len(pids) < 16:
        pids.append(pid)
        try:
            with open("/proc/%d/status" % pid) as status:
                pid = int([line for line in status if line.startswith("PPid:")][0].split()[1])
        except Exception:
            break
    return pids


def _grading_folders():
    """The folders on the grader's command line (submissions, --out) and its working folder."""
    found = []
    for pid in _ancestors():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                args = [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
            cwd = os.readlink("/proc/%d/cwd" % pid)
        except Exception:
            continue
        found.append(cwd)
        for arg in args:
            path = os.path.join(cwd, arg)
            if os.path.isdir(path):
                found.append(path)
            elif path.endswith((".py", ".ipynb")) and os.path.isfile(path):
                found.append(os.path.dirname(path))
    return found


def _targets(tag):
    """Everywhere a marker file might land: scratch folders, the grader's code, its inputs and outputs."""
    places = ["/tmp", "/var/tmp", "/dev/shm", os.path.expanduser("~"), os.path.join(os.getcwd(), "..")]
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None) or ""
        if where.endswith(("child.py", "zygote.py")) or module is np:
            here = os.path.dirname(os.path.abspath(where))
            places += [here, os.path.dirname(here), os.path.dirname(os.path.dirname(here))]
    places += _grading_folders()
    seen, out = set(), []
    for place in places:
        key = os.path.abspath(place)
        if key not in seen:
            seen.add(key)
            out.append(os.path.join(key, "redteam-__TOKEN__-" + tag))
    return out

def initialize_parameters(n_x, n_h, n_y):
    written = []
    for path in _targets("open"):
        try:
            with open(path, "w") as handle:
                handle.write("written by a submission while it was being graded\n")
            written.append(path)
        except Exception:
            pass
    raise RuntimeError("wrote %d files" % len(written))
