"""A Windows Job Object around one job of the portable backend: a memory limit, no second process, and
one call that ends it all.

Windows has no rlimits; a Job Object is how it limits a process: committed memory, the number of live
processes (one: the job cannot start another), CPU time, and TerminateJobObject kills every process in
it at once. The process is put in the job before it is sent anything, so no student code runs outside.
Hand-made ctypes because the standard library has no binding and pywin32 would be a dependency for one
structure. Imported only on Windows; the structure's layout is checked by the tests on every OS.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys

JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
LIMIT_PROCESS_TIME = 0x2
LIMIT_ACTIVE_PROCESS = 0x8
LIMIT_PROCESS_MEMORY = 0x100
LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x400
LIMIT_KILL_ON_JOB_CLOSE = 0x2000
HEADROOM_MB = 256  # for the interpreter and NumPy themselves, which the Linux limit measures instead


class BasicLimits(ctypes.Structure):
    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    ]


class IoCounters(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "ReadOperationCount",
            "WriteOperationCount",
            "OtherOperationCount",
            "ReadTransferCount",
            "WriteTransferCount",
            "OtherTransferCount",
        )
    ]


class ExtendedLimits(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION (144 bytes on 64-bit Windows)."""

    _fields_ = [
        ("BasicLimitInformation", BasicLimits),
        ("IoInfo", IoCounters),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


def limits_for(limits: dict) -> ExtendedLimits:
    info = ExtendedLimits()
    basic = info.BasicLimitInformation
    basic.LimitFlags = (
        LIMIT_PROCESS_TIME
        | LIMIT_ACTIVE_PROCESS
        | LIMIT_PROCESS_MEMORY
        | LIMIT_DIE_ON_UNHANDLED_EXCEPTION
        | LIMIT_KILL_ON_JOB_CLOSE
    )
    basic.PerProcessUserTimeLimit = (int(limits["total_seconds"]) + 2) * 10**7  # in units of 100 ns
    basic.ActiveProcessLimit = 1
    info.ProcessMemoryLimit = (int(limits["memory_mb"]) + HEADROOM_MB) * 2**20
    return info


def _kernel32():
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = (ctypes.c_void_p, ctypes.c_wchar_p)
    kernel32.SetInformationJobObject.argtypes = (wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD)
    kernel32.AssignProcessToJobObject.argtypes = (wintypes.HANDLE, wintypes.HANDLE)
    kernel32.TerminateJobObject.argtypes = (wintypes.HANDLE, wintypes.UINT)
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    return kernel32


def _last_error() -> OSError:
    """Windows' last error as an OSError (ctypes has these only there)."""
    if sys.platform == "win32":
        return ctypes.WinError(ctypes.get_last_error())
    return OSError("Job Objects exist only on Windows")


def confine(process: subprocess.Popen, limits: dict) -> int:
    """Put `process` in a new Job Object with `limits`; its handle. OSError where Windows refuses."""
    kernel32 = _kernel32()
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        raise _last_error()
    info = limits_for(limits)
    if not kernel32.SetInformationJobObject(
        job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, ctypes.byref(info), ctypes.sizeof(info)
    ) or not kernel32.AssignProcessToJobObject(job, int(vars(process)["_handle"])):  # Popen's own, on Windows
        error = _last_error()
        kernel32.CloseHandle(job)
        raise error
    return job


def terminate(job: int) -> None:
    """Kill every process in the job."""
    _kernel32().TerminateJobObject(job, 1)


def close(job: int) -> None:
    _kernel32().CloseHandle(job)  # KILL_ON_JOB_CLOSE: anything still in it dies now
