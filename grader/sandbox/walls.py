"""The kernel's walls around one sandboxed job: namespaces and an empty root, or Landlock and seccomp.

Why hand-made system calls: Python 3.11's `os` has no unshare, mount, pivot_root, capset, Landlock or
seccomp, and no library on PyPI wraps them all without compiling code; a few ctypes calls to libc are
the smallest dependable way. Only the standard library here (the zygote imports this).

Two ways to wall a job in, tried in this order (`choose`):
- "namespaces": a new mount, network, IPC, UTS and pid namespace (plus a user namespace when we are not
  root, which is what lets a normal user make the others). The root becomes an empty read-only tmpfs
  (pivot_root, the old root detached), so no file of the host is visible at all; the network namespace
  has no interface but a down loopback. The fork server enters these once (zygote.py); each job is
  then pid 1 of a pid namespace of its own, so it sees no other process and everything it starts dies
  with it, and has an IPC namespace of its own. As root the job then runs as a private uid; as a normal
  user it runs as uid 0 of its own user namespace with every capability dropped, so it can change
  nothing it shares with the server's other jobs (the empty root, the network, the host name).
- "landlock": where namespaces are refused, a Landlock domain with no rule (no file may be opened,
  no TCP port bound or connected, no signal or abstract socket outside the domain).
Every mode adds a seccomp filter (no sockets, ptrace, process_vm_*, new processes, namespaces, mounts,
bpf, perf, io_uring, keyrings, System V IPC, message queues) and no_new_privs where the kernel has
seccomp: it needs neither namespaces nor Landlock, so "none" (neither is there; as root, a chroot into an
empty folder and a private uid) still gets it, and with it the only network wall that mode has.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 0x4000, 1 << 18
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 24, 47, 4
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
CAPABILITY_V3 = 0x20080522

_ARCH = platform.machine()
# name: (x86_64, aarch64) system call numbers
_SYSCALLS = {
    "pivot_root": (155, 41),
    "landlock_create_ruleset": (444, 444),
    "landlock_restrict_self": (446, 446),
}
_DENIED = {  # what a sandboxed job never needs, with numbers for x86_64 and aarch64
    "socket": (41, 198),
    "socketpair": (53, 199),
    "connect": (42, 203),
    "bind": (49, 200),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "fork": (57, None),
    "vfork": (58, None),
    "clone": (56, 220),
    "clone3": (435, 435),
    "unshare": (272, 97),
    "setns": (308, 268),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "setsid": (112, 157),
    "setpgid": (109, 154),
    "kcmp": (312, 272),
    "pidfd_open": (434, 434),
    "pidfd_getfd": (438, 438),
    "open_by_handle_at": (304, 265),
    "fanotify_init": (300, 262),
    "mknodat": (259, 33),
    "mknod": (133, None),
    # System V IPC and POSIX message queues: objects that would outlive the job where no IPC namespace
    # is its own (Landlock does not cover them)
    "shmget": (29, 194),
    "shmat": (30, 196),
    "shmctl": (31, 195),
    "shmdt": (67, 197),
    "semget": (64, 190),
    "semop": (65, 193),
    "semctl": (66, 191),
    "semtimedop": (220, 192),
    "msgget": (68, 186),
    "msgsnd": (69, 189),
    "msgrcv": (70, 188),
    "msgctl": (71, 187),
    "mq_open": (240, 180),
    "mq_unlink": (241, 181),
    "mq_timedsend": (242, 182),
    "mq_timedreceive": (243, 183),
    "mq_notify": (244, 184),
    "mq_getsetattr": (245, 185),
}
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}

_libc = ctypes.CDLL(None, use_errno=True)


class WallError(OSError):
    """A wall could not be put up; the job must not run without it."""


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise WallError(errno, f"{what}: {os.strerror(errno)}")
    return result


def _number(name: str, table: dict = _SYSCALLS) -> int | None:
    numbers = table[name]
    return numbers[0] if _ARCH == "x86_64" else numbers[1] if _ARCH == "aarch64" else None


# --- namespaces and an empty root ---------------------------------------------------------------
def enter_namespaces() -> None:
    """Leave every namespace of the host (run in the process that will fork the job)."""
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID
    if uid != 0:
        flags |= CLONE_NEWUSER
    _check(_libc.unshare(flags), "unshare")
    if uid != 0:  # map our own uid to 0 inside, the one mapping a normal user may write
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)


def own_pid_namespace() -> int:
    """A descriptor of our pid namespace, to come back to after each `pid_namespace_for_next_child`
    (open it before `empty_root`: there is no /proc after it)."""
    return os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)


def pid_namespace_for_next_child() -> None:
    """The next process we fork is pid 1 of a new pid namespace of its own (we stay where we are)."""
    _check(_libc.unshare(CLONE_NEWPID), "unshare a pid namespace")


def back_to_pid_namespace(own: int) -> None:
    """Children forked from now on are born in our own pid namespace again (undoes the call above, so
    that it can be made again for the next job)."""
    _check(_libc.setns(own, CLONE_NEWPID), "setns back to our pid namespace")


def own_ipc_namespace() -> None:
    """A System V IPC and POSIX message queue namespace for this process alone (needs its capabilities)."""
    _check(_libc.unshare(CLONE_NEWIPC), "unshare an IPC namespace")


def empty_root() -> None:
    """Make an empty read-only tmpfs the whole file system of this mount namespace."""
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    target = b"/tmp" if os.path.isdir("/tmp") else b"/"
    _check(
        _libc.mount(
            b"sandbox", target, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, b"size=4k,nr_inodes=4,mode=555"
        ),
        "mount tmpfs",
    )
    os.chdir(target)
    _check(_libc.syscall(_number("pivot_root"), b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir("/")


def chroot_empty(folder: str) -> None:
    """As root without namespaces: an empty folder (root's, read-only) becomes the whole file system."""
    os.chroot(folder)
    os.chdir("/")


def drop_privileges(uid: int | None) -> None:
    """With a `uid` (we are root of the host): become it, which drops every capability. Without one (a
    user namespace, or a normal user): drop every capability, the bounding and ambient sets included."""
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        return
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    drop_bounding_set()
    header = struct.pack("Ii", CAPABILITY_V3, 0)
    data = bytes(24)  # two {effective, permitted, inheritable}, all empty
    _check(_libc.capset(ctypes.c_char_p(header), ctypes.c_char_p(data)), "capset")


def drop_bounding_set() -> None:
    """Empty the capability bounding set: no later execve can gain a capability. The effective ones stay
    (the fork server keeps what it needs to make each job's pid namespace), so a job drops those itself;
    its bounding set, inherited, is empty already."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 and ctypes.get_errno() == 22:  # EINVAL: past the last
            break


# --- Landlock and seccomp -----------------------------------------------------------------------
def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where it has none."""
    number = _number("landlock_create_ruleset")
    if number is None:
        return 0
    version = _libc.syscall(number, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(version, 0)


def landlock_deny_all() -> int:
    """A Landlock domain with no rule: every file access, TCP bind/connect (ABI >= 4) and signal or
    abstract socket leaving the domain (ABI >= 6) denied. Returns the ABI used."""
    abi = landlock_abi()
    if abi < 1:
        raise WallError(38, "Landlock is not available in this kernel")
    fs = (1 << 13) - 1  # ABI 1: execute .. make_sym
    fs |= (1 << 13) if abi >= 2 else 0  # refer
    fs |= (1 << 14) if abi >= 3 else 0  # truncate
    fs |= (1 << 15) if abi >= 5 else 0  # ioctl_dev
    net = 0b11 if abi >= 4 else 0
    scoped = 0b11 if abi >= 6 else 0
    attr = struct.pack("QQQ", fs, net, scoped)[: 8 if abi < 4 else 16 if abi < 6 else 24]
    fd = _check(
        _libc.syscall(
            _number("landlock_create_ruleset"), ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)
        ),
        "landlock_create_ruleset",
    )
    try:
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _check(_libc.syscall(_number("landlock_restrict_self"), fd, ctypes.c_uint32(0)), "landlock_restrict_self")
    finally:
        os.close(fd)
    return abi


def seccomp_available() -> bool:
    return _ARCH in _AUDIT_ARCH


class SeccompFilter:
    """The filter's program, built once (in the fork server) and installed by each job with two prctl
    calls: it refuses, with EPERM, the system calls a job never needs (see _DENIED) and allows the rest."""

    def __init__(self):
        if not seccomp_available():
            raise WallError(38, f"no seccomp filter for the {_ARCH} architecture")
        numbers = sorted({n for n in (_number(name, _DENIED) for name in _DENIED) if n is not None})
        ld, jeq, ret, k_abs = 0x20, 0x15, 0x06, 0x00
        allow, kill, eperm = 0x7FFF0000, 0x80000000, 0x00050000 | 1

        def op(code: int, jt: int, jf: int, k: int) -> bytes:
            return struct.pack("HBBI", code, jt, jf, k)

        program = [
            op(ld | k_abs, 0, 0, 4),
            op(jeq, 1, 0, _AUDIT_ARCH[_ARCH]),
            op(ret, 0, 0, kill),
            op(ld | k_abs, 0, 0, 0),
        ]
        if _ARCH == "x86_64":  # the x32 ABI's numbers have bit 30 set: refuse them all
            program.append(op(0x35, 0, 1, 0x40000000))  # jge
            program.append(op(ret, 0, 0, eperm))
        for index, number in enumerate(numbers):
            left = len(numbers) - index
            program.append(op(jeq, left, 0, number))
        program.append(op(ret, 0, 0, allow))
        program.append(op(ret, 0, 0, eperm))
        self._filters = ctypes.create_string_buffer(b"".join(program))  # kept alive as long as we are
        self._fprog = ctypes.create_string_buffer(
            struct.pack("HxxxxxxP", len(program), ctypes.addressof(self._filters))
        )

    def install(self) -> None:
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, self._fprog, 0, 0), "seccomp")


def seccomp_filter() -> None:
    """Build the filter and install it on this process (see SeccompFilter)."""
    SeccompFilter().install()


# --- choosing ------------------------------------------------------------------------------------
def probe(mode: str) -> str | None:
    """None when `mode` works here (tried in a throw-away child), else why not."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        message = b""
        try:
            if mode == "namespaces":  # what the fork server does (zygote.py), once, and then for one job
                enter_namespaces()
                server = os.fork()
                if server == 0:
                    try:
                        own = own_pid_namespace()
                        empty_root()
                        pid_namespace_for_next_child()
                        job = os.fork()
                        if job == 0:
                            os._exit(0 if os.getpid() == 1 else 1)
                        back_to_pid_namespace(own)
                        _, status = os.waitpid(job, 0)
                        message = (
                            b"ok"
                            if os.waitstatus_to_exitcode(status) == 0
                            else b"a job was not pid 1 of its own namespace"
                        )
                    except OSError as error:
                        message = str(error).encode()[:500]
                    os.write(write, message)
                    os._exit(0)
                os.close(write)
                os.waitpid(server, 0)
                os._exit(0)
            elif mode == "landlock":
                landlock_deny_all()
                if seccomp_available():
                    seccomp_filter()
            elif mode == "seccomp":  # the filter alone, which every mode installs where it can
                seccomp_filter()
        except OSError as error:
            message = str(error).encode()[:500]
        os.write(write, message or b"ok")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1000)
    os.close(read)
    os.waitpid(pid, 0)
    return None if answer == b"ok" else (answer.decode(errors="replace") or "the probe died")


def choose(wanted: str = "auto") -> tuple[str, list[str]]:
    """(mode, reasons the stronger modes were refused). `wanted` forces one: namespaces, landlock, none."""
    refused = [f"forced to {wanted!r}"] if wanted != "auto" else []
    for mode in ("namespaces", "landlock"):
        if wanted not in ("auto", mode):
            continue
        why = probe(mode)
        if why is None:
            return mode, refused
        refused.append(f"{mode}: {why}")
    return "none", refused


def seccomp_works() -> str | None:
    """None when this kernel installs the seccomp filter, else why not (no filter for this architecture,
    or a kernel without seccomp filters)."""
    return probe("seccomp") if seccomp_available() else f"no seccomp filter for the {_ARCH} architecture"


def describe(mode: str, root: bool, seccomp: bool | None = None) -> list[str]:
    """The walls in force for a job under `mode`, in a few words each, for the report. `seccomp`: whether
    the filter is installed (default: wherever the architecture has one)."""
    walls = []
    if mode == "namespaces":
        walls += [
            "empty root",
            "no network",
            "own pid namespace",
            "own IPC namespace",
            "private uid" if root else "user namespace without capabilities",
        ]
    elif mode == "landlock":
        walls += ["Landlock (no file, no TCP, no signal out)"]
    if mode != "namespaces" and root:
        walls += ["chroot into an empty folder", "private uid", "process limit"]
    if seccomp_available() if seccomp is None else seccomp:
        walls += ["seccomp (no sockets, ptrace, new processes, mounts, System V IPC, message queues)"]
    return walls + ["rlimits (memory, CPU, file size)"]
