"""The fork server's housekeeping of processes and descriptors (zygote.py): what `ps` calls each process,
orphans adopted and swept, inherited descriptors closed before a job, the address space a job starts with.

Runs in the zygote and, between fork and walls, in each job; never student code. Only the standard
library (and walls.py's libc handle).
"""

from __future__ import annotations

import os
import signal

from . import walls

PR_SET_CHILD_SUBREAPER, PR_SET_NAME = 36, 15


def name(name: bytes) -> None:
    """What `ps` and `top` show for this process: a reader sees the fork server and its jobs apart."""
    try:
        walls._libc.prctl(PR_SET_NAME, name, 0, 0, 0)
    except Exception:  # noqa: BLE001 - cosmetic
        pass


def become_subreaper() -> None:
    try:
        walls._libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:  # noqa: BLE001 - not Linux: the process group kill still applies
        pass


def _children() -> list[int]:
    me, found = str(os.getpid()), []
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat") as stat:
                        if stat.read().rsplit(")", 1)[1].split()[1] == me:
                            found.append(int(entry.name))
                except (OSError, IndexError):
                    pass
    except OSError:
        pass
    return found


def sweep() -> None:
    """Kill every process still our child: orphans of a job come to us (a subreaper). Only where a job
    could start one (no seccomp); under the namespace walls the job's pid namespace dies with it."""
    for _ in range(100):
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        left = _children()
        if not left:
            return
        for target in left:
            for kill in (os.killpg, os.kill):
                try:
                    kill(target, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.waitpid(target, 0)
            except ChildProcessError:
                pass


def close_all_but(keep: set[int]) -> None:
    """Every inherited descriptor but `keep` (closerange uses one close_range call where the kernel has it)."""
    low = 3
    for fd in sorted(keep) + [1 << 20]:
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


def vm_size(status: int) -> int:
    """Our address space now, from /proc/self/status opened before the walls (`status`, a descriptor that
    stays readable once the empty root hides /proc): a job's memory limit is what it starts with plus
    the rubric's allowance."""
    text = os.pread(status, 65536, 0).decode(errors="replace")
    return next((int(line.split()[1]) * 1024 for line in text.splitlines() if line.startswith("VmSize:")), 0)
