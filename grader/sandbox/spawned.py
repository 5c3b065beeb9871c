"""One job of the portable sandbox backend (portable.py), as a freshly started interpreter.

`python -I spawned.py SETTINGS` (no fork, so it runs on Windows and macOS too): standard input carries the
job's data and then the stand-in answers, standard output the frames back. Both are moved off fds 0 and 1
before anything else, so that nothing printed to the standard streams can pass for a frame. It sets the
limits this OS offers, says which ones hold on one line (the trusted side sends the job only after that
line, so no student code runs without them), then hands over to child.main exactly as the zygote's job
does. `--probe SETTINGS` does the same up to that line, then says whether the memory limit really stops
an allocation. Only the standard library and NumPy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

FOLDER = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != FOLDER]  # Python 3.10's -I keeps it
os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def _load_harness():
    """The sandbox's own modules under the zygote's private package name (see zygote._load_harness):
    student code cannot import `wire`, `child` or `guard` by their plain names."""
    spec = importlib.util.spec_from_file_location(
        "_backprop_sandbox", os.path.join(FOLDER, "__init__.py"), submodule_search_locations=[FOLDER]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    from _backprop_sandbox import child  # noqa: PLC0415

    return child


def _memory_in_use() -> int | None:
    """This process's address space in bytes, where the OS tells it (Linux); None elsewhere."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return None


def apply_limits(limits: dict) -> list[str]:
    """Set every rlimit this OS offers (none on Windows); the names of those that were set."""
    try:
        import resource
    except ImportError:
        return []
    held = []

    def lower(name: str, which: str, value: int) -> None:
        kind = getattr(resource, which, None)
        if kind is None:
            return
        try:
            hard = resource.getrlimit(kind)[1]
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (value, value))
            held.append(name)
        except (OSError, ValueError):
            pass

    in_use = _memory_in_use()
    if in_use is not None:  # an address-space limit needs to know what is in use already
        lower("memory", "RLIMIT_AS", in_use + int(limits["memory_mb"]) * 2**20)
    lower("CPU", "RLIMIT_CPU", int(limits["total_seconds"]) + 2)
    lower("file size", "RLIMIT_FSIZE", int(limits["file_bytes"]))
    lower("open files", "RLIMIT_NOFILE", 64)
    lower("core", "RLIMIT_CORE", 0)
    return held


def _fits(size: int) -> bool:
    try:
        block = bytearray(size)
    except MemoryError:
        return False
    del block
    return True


def main(settings: dict, probe: bool = False) -> None:
    """One job: private pipe ends, the limits, a line saying which hold, then child.main; never returns.

    As a probe, after that line it waits for one byte (the trusted side may still have to confine it)
    and says whether the memory limit holds: an allocation past it fails and a smaller one does not
    (some systems accept an address-space limit and never enforce it)."""
    job_fd, answer_fd, result_fd = os.dup(0), os.dup(0), os.dup(1)
    if sys.platform == "win32":
        import msvcrt

        for fd in (job_fd, answer_fd, result_fd):
            msvcrt.setmode(fd, os.O_BINARY)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    os.close(devnull)
    child = _load_harness()  # NumPy is in memory before the memory limit is measured
    limits = settings["limits"]
    held = apply_limits(limits)
    os.write(result_fd, (json.dumps({"held": held}) + "\n").encode())
    if probe:
        os.read(job_fd, 1)
        size = int(limits["memory_mb"]) * 2**20
        os.write(result_fd, (json.dumps({"memory": _fits(size // 4) and not _fits(size * 2)}) + "\n").encode())
        return
    child.main(job_fd, result_fd, answer_fd, limits)


if __name__ == "__main__":
    main(json.loads(sys.argv[-1]), probe=sys.argv[1] == "--probe")
