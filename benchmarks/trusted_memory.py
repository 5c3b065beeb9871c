"""The trusted side's peak memory while `grade -j 2` grades a batch of the memory attacks (issue 20, item 3).

    python benchmarks/trusted_memory.py [--before REV] [--honest 4] [--stop-at-gib 3]

The batch: every red-team attack named mem_*.py (tests/redteam/attacks/), each completed with the
correct functions it does not define, a file of a million `x=1` lines, and `--honest` copies of
submissions/correct_student.py. While `python -m grader grade -j 2` grades it, the process tree is
sampled every 50 ms from /proc: the trusted side (the grader and its workers) apart from the sandbox
(each zygote and the jobs it forks, whose memory is the student's, capped per job by the rubric's
memory_mb). It prints the peak PSS of each side and the largest trusted process's peak RSS.

`--before REV` grades the same batch with the grader at git revision REV too (checked out into a
temporary worktree, as benchmarks/pack_identity.py does), on the same machine one after the other; a
run whose trusted side passes `--stop-at-gib` is stopped there and printed as over it (the machine
is shared). A figure, not a test: tests/test_trusted_budget.py asserts the budgets' reports.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from redteam.campaign import CORRECT, honest_rest, load_attacks  # noqa: E402


def build(folder: Path, honest: int) -> int:
    folder.mkdir(parents=True)
    count = 0
    for attack in load_attacks():
        if not attack.name.startswith("mem_"):
            continue
        text = attack.path.read_text()
        defined = {line.split("(")[0][4:] for line in text.splitlines() if line.startswith("def ")}
        (folder / f"{attack.name}.py").write_text(text.replace("# __HONEST_REST__", honest_rest(defined)))
        count += 1
    (folder / "mem_million_lines.py").write_text("x=1\n" * 1_000_000 + CORRECT.read_text())
    for n in range(honest):
        shutil.copy(CORRECT, folder / f"honest_{n}.py")
    return count + 1 + honest


def _tree(root: int) -> dict[int, int]:
    """pid -> parent pid, for `root` and all its descendants."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = {root: 0}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found[child] = pid
                frontier.append(child)
    return found


def _kib(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _sandboxed(pid: int, tree: dict[int, int], zygotes: set[int]) -> bool:
    while pid:
        if pid in zygotes:
            return True
        pid = tree.get(pid, 0)
    return False


def measure(source: Path, batch: Path, out: Path, stop_kib: int) -> dict:
    command = [sys.executable, "-m", "grader", "grade", str(batch), "--out", str(out), "-j", "2",
               "--seed", "0", "--device", "cpu", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = {"trusted_pss": 0, "sandbox_pss": 0, "trusted_rss_max": 0}
    stopped = False
    while process.poll() is None:
        tree = _tree(process.pid)
        zygotes = set()
        for pid in tree:
            try:
                if b"zygote.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    zygotes.add(pid)
            except OSError:
                continue
        trusted = sandbox = rss = 0
        for pid in tree:
            pss = _kib(pid, "smaps_rollup", "Pss:")
            if _sandboxed(pid, tree, zygotes):
                sandbox += pss
            else:
                trusted += pss
                rss = max(rss, _kib(pid, "status", "VmRSS:"))
        peak = {"trusted_pss": max(peak["trusted_pss"], trusted), "sandbox_pss": max(peak["sandbox_pss"], sandbox),
                "trusted_rss_max": max(peak["trusted_rss_max"], rss)}
        if trusted > stop_kib:
            stopped = True
            for pid in tree:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            break
        time.sleep(0.05)
    process.wait()
    return {**peak, "seconds": time.monotonic() - started, "exit": process.returncode, "stopped": stopped,
            "reports": len(list(out.glob("*.json")))}


def _line(label: str, result: dict, submissions: int) -> str:
    gib = lambda kib: f"{kib / (1 << 20):.2f} GiB"  # noqa: E731
    over = " (stopped there: over --stop-at-gib)" if result["stopped"] else ""
    return (f"{label}: trusted side peak PSS {gib(result['trusted_pss'])}{over}, largest trusted process peak RSS "
            f"{gib(result['trusted_rss_max'])}, sandbox peak PSS {gib(result['sandbox_pss'])}; "
            f"{result['reports']}/{submissions} reports, exit {result['exit']}, {result['seconds']:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="a git revision to measure too (e.g. main)")
    parser.add_argument("--honest", type=int, default=4, help="honest submissions in the batch")
    parser.add_argument("--stop-at-gib", type=float, default=3.0, help="stop a run whose trusted side passes this")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="trusted-memory-"))
    try:
        submissions = build(base / "batch", args.honest)
        runs = [("this tree", ROOT)]
        if args.before:
            tree = base / "before"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.before],
                           check=True, capture_output=True)
            runs.insert(0, (f"before ({args.before})", tree))
        for label, source in runs:
            result = measure(source, base / "batch", base / f"out-{len(label)}-{label[:6].strip()}", int(args.stop_at_gib * (1 << 20)))
            print(_line(label, result, submissions), flush=True)
    finally:
        if args.before:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base / "before")], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
