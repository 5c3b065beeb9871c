"""Run one `python -m grader grade` for the red-team suite and say what it left behind.

    python run_grade.py RESULT.json --timeout S [--linger S] --stdout F --stderr F [--uid N]
                        [--hide DIR --keep NAME [--keep NAME...] --stash DIR] -- COMMAND...

Started as root with --uid, it first gives itself a private mount namespace (when --hide is given:
a tmpfs of mode 755 over DIR, with DIR/NAME for each --keep bound back into it, so that an
unprivileged uid can run an interpreter or virtualenv that lives under /root, whose mode is 700),
then drops to that uid for good. Nothing outside its own mount namespace changes. Then it becomes a child
subreaper, so that every process the grader leaves behind is reparented to it rather than to init,
runs COMMAND with a deadline, waits `linger` seconds for late actions of anything left, lists what is
left (the survivors), kills it, and writes RESULT.json:
{"rc", "timed_out", "seconds", "survivors": [{"pid", "uid", "cmdline"}], "setup_error"}.
Only the standard library; Linux only (prctl, /proc).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
SETUP_FAILED = 97

_libc = ctypes.CDLL(None, use_errno=True)


def _call(name: str, *args) -> None:
    if getattr(_libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        shown = tuple(a.decode() if isinstance(a, bytes) else a for a in args)
        raise OSError(errno, f"{name}{shown}: {os.strerror(errno)}")


def _hide(hide: str, keeps: list[str], stash: str) -> None:
    """A private mount namespace where `hide` is an empty world-readable tmpfs but for each `hide/keep`."""
    _call("unshare", CLONE_NEWNS)
    _call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    stashed = []
    for number, keep in enumerate(keeps):
        holder = os.path.join(stash, str(number))
        os.makedirs(holder, exist_ok=True)
        _call("mount", os.path.join(hide, keep).encode(), holder.encode(), None, MS_BIND | MS_REC, None)
        stashed.append((holder, os.path.join(hide, keep)))
    _call("mount", b"tmpfs", hide.encode(), b"tmpfs", 0, b"mode=755")
    for holder, inner in stashed:
        os.makedirs(inner, exist_ok=True)
        _call("mount", holder.encode(), inner.encode(), None, MS_MOVE, None)


def _drop(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _children() -> list[dict]:
    me, found = str(os.getpid()), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            if fields.get("PPid", "").strip() != me:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            found.append({"pid": int(entry), "uid": int(fields["Uid"].split()[0]), "cmdline": cmdline[:300]})
        except (OSError, KeyError, ValueError):
            continue
    return found


def _kill_all_children() -> list[dict]:
    """Kill everything reparented to us (our descendants, by subreaping) until nothing is left."""
    seen: dict[int, dict] = {}
    quiet = 0
    for _ in range(400):
        left = _children()
        if not left:
            quiet += 1
            if quiet == 3:  # nothing for a moment: nothing still on its way to being reparented to us
                break
            time.sleep(0.1)
            continue
        quiet = 0
        for child in left:
            seen.setdefault(child["pid"], child)
            for kill in (os.killpg, os.kill):
                try:
                    kill(child["pid"], signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.05)
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
    return list(seen.values())


def main() -> int:
    argv = sys.argv[1:]
    split = argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("result")
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--linger", type=float, default=1.5)
    parser.add_argument("--uid", type=int)
    parser.add_argument("--hide")
    parser.add_argument("--keep", action="append", default=[])
    parser.add_argument("--stash")
    parser.add_argument("--stdout", required=True)
    parser.add_argument("--stderr", required=True)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    result: dict = {"rc": None, "timed_out": False, "seconds": None, "survivors": [], "setup_error": None}
    try:
        if args.hide:
            _hide(args.hide, args.keep, args.stash)
        if args.uid is not None:
            _drop(args.uid)
        _call("prctl", PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except OSError as error:
        result["setup_error"] = str(error)
        with open(args.result, "w") as handle:
            json.dump(result, handle)
        return SETUP_FAILED
    started = time.monotonic()
    with open(args.stdout, "wb") as out, open(args.stderr, "wb") as err:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            result["rc"] = process.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            result["timed_out"] = True
            process.kill()
            process.wait()
    result["seconds"] = round(time.monotonic() - started, 2)
    if not result["timed_out"]:
        time.sleep(args.linger)
    survivors = _kill_all_children()
    result["survivors"] = [] if result["timed_out"] else survivors  # after a hang, the grader's own are left too
    result["killed_after_timeout"] = survivors if result["timed_out"] else []
    with open(args.result, "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
