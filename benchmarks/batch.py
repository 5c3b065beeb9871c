"""Benchmark batch grading against the obvious approach, in one run, on this machine.

    python benchmarks/batch.py [--total 500] [-j 2] [--naive 10] [--profile 40] [--processes]

1. Builds a corpus from submissions/: every example replicated to `--total`, except the slow hostile
   ones (they sleep or spin until a time limit) which appear once each, so the figure is about
   throughput while the corpus still exercises every isolation path.
2. Runs `python -m grader grade CORPUS -j N` as a subprocess and measures: submissions per second end to
   end (interpreter start, autograd's answers and the summaries included), CPU per submission in the
   grading process and in its sandboxes, and the peak memory of the whole process tree (sampled from
   /proc: PSS, which counts pages shared by forked sandboxes once, and the plain RSS sum).
3. Runs the naive approach, one fresh `python -m grader check` process per submission, on a sample
   (`--naive` fast ones plus each slow one), one at a time and `-j` at a time, and extrapolates to the
   corpus.
4. `--profile K`: profiles the grading process (one worker, in this process) on K submissions, to
   show where the time goes. `--processes`: grades the fast part of the corpus again in this process,
   with `-j` worker threads and then `-j` forked worker processes, for the threads-or-processes choice.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
SLOW = ("hostile_infinite_loop", "hostile_sleep_at_import")  # each spends its full time limit: kept once
GIB = 1 << 30


# --- the corpus -----------------------------------------------------------------------------------
def build_corpus(folder: Path, total: int) -> tuple[list[Path], list[Path]]:
    """Copies of the examples until there are `total`; returns (fast copies, slow ones)."""
    # assignment 1's examples, the corpus the speed goals were set on (pack 2's conv_* have other costs)
    examples = sorted(p for p in SUBMISSIONS.iterdir() if p.suffix in (".py", ".ipynb") and not p.name.startswith("conv_"))
    slow = [p for p in examples if p.stem in SLOW]
    fast = [p for p in examples if p.stem not in SLOW]
    made_fast, made_slow = [], []
    for source in slow:
        made_slow.append(Path(shutil.copy(source, folder / source.name)))
    k = 0
    while len(made_fast) + len(made_slow) < total:
        source = fast[k % len(fast)]
        made_fast.append(Path(shutil.copy(source, folder / f"{source.stem}_{k // len(fast):04d}{source.suffix}")))
        k += 1
    return made_fast, made_slow


# --- measuring a process tree ---------------------------------------------------------------------
def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(parents.get(pid, ()))
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes, or zeros for a process that is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in handle if line.split()[0] in ("Rss:", "Pss:")}
        return fields.get("Rss", 0), fields.get("Pss", 0)
    except (OSError, ValueError, IndexError):
        return 0, 0


class TreeSampler(threading.Thread):
    """Samples a process tree until stopped: peak memory, and the CPU time of its grading processes.

    Grading processes are the batch and its workers; the rest (zygote.py and the children it forks) is
    the sandbox, whose CPU is the tree's total (from rusage, exact) minus the grading processes' own.
    Within the sandbox, the fork servers' own CPU is the fork-and-relay share, and their reaped
    children's (the jobs that put up their walls, load and run student code) the rest. Under the
    namespace walls a zygote.py process waits outside them for the server it started inside: its own
    CPU counts, its reaped children's (that server, once ended) would count twice, so they do not.
    """

    def __init__(self, root: int, every: float = 0.05):
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peak_rss = self.peak_pss = 0
        self.peak_processes = 0
        self.grading_cpu: dict[int, float] = {}  # pid -> its own CPU seconds, last seen
        self.zygote_cpu: dict[int, tuple[float, float]] = {}  # zygote pid -> (own, reaped children's) CPU seconds
        self._sandbox: dict[int, bool] = {}
        self._outside: set[int] = set()  # zygote.py processes whose server runs inside the namespaces
        self._halt = threading.Event()

    def _is_sandbox(self, pid: int) -> bool:
        if pid not in self._sandbox:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    self._sandbox[pid] = b"zygote.py" in handle.read()
            except OSError:
                return True
        return self._sandbox[pid]

    def run(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        while not self._halt.is_set():
            pids = _tree(self.root)
            totals = [_memory(pid) for pid in pids]
            self.peak_rss = max(self.peak_rss, sum(r for r, _ in totals))
            self.peak_pss = max(self.peak_pss, sum(p for _, p in totals))
            self.peak_processes = max(self.peak_processes, len(pids))
            stats = {}
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/stat") as handle:
                        name, rest = handle.read().split("(", 1)[1].rsplit(")", 1)
                    stats[pid] = (name, rest.split())
                except (OSError, IndexError, ValueError):
                    pass
            for pid, (name, fields) in stats.items():
                parent = stats.get(int(fields[1]))
                if parent and parent[0] == "grader-zygote" and name == "grader-zygote":
                    self._outside.add(int(fields[1]))
            for pid, (name, fields) in stats.items():
                own, reaped = (int(fields[11]) + int(fields[12])) / ticks, (int(fields[13]) + int(fields[14])) / ticks
                if not self._is_sandbox(pid):
                    self.grading_cpu[pid] = own
                elif name == "grader-zygote":  # a fork server (or the process outside the namespaces that waits for one)
                    self.zygote_cpu[pid] = (own, 0.0 if pid in self._outside else reaped)
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_batch(corpus: Path, out: Path, jobs: int, extra: list[str], env: dict | None = None, cwd: Path = ROOT) -> dict:
    """`cwd`: the tree whose grader runs (another git worktree: the grader as it was, side by side)."""
    command = [sys.executable, "-m", "grader", "grade", str(corpus), "--out", str(out), "-j", str(jobs), "--no-progress", *extra]
    cpu_before, started = children_cpu(), time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    sampler = TreeSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    if process.returncode not in (0, 1, 2):  # full marks, points lost, could not be graded: the worst submission's
        sys.exit(f"the batch failed ({process.returncode}): {stderr.strip()[-2000:]}")
    return {"wall": wall, "cpu": children_cpu() - cpu_before, "parent_cpu": sum(sampler.grading_cpu.values()), "rss": sampler.peak_rss,
            "pss": sampler.peak_pss, "processes": sampler.peak_processes, "last_line": stdout.strip().splitlines()[-1],
            "fork_relay_cpu": sum(own for own, _ in sampler.zygote_cpu.values()),
            "job_cpu": sum(reaped for _, reaped in sampler.zygote_cpu.values())}


def run_naive(paths: list[Path], jobs: int, extra: list[str], env: dict | None = None) -> float:
    """Wall seconds to check `paths` with one fresh process each, `jobs` at a time."""
    started, running, queue = time.perf_counter(), [], list(paths)
    while queue or running:
        while queue and len(running) < jobs:
            running.append(subprocess.Popen([sys.executable, "-m", "grader", "check", str(queue.pop(0)), "--json", *extra],
                                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        running[0].wait()
        running = [p for p in running if p.poll() is None]
    return time.perf_counter() - started


# --- optional: a profile and the threads-or-processes comparison --------------------------------------
def profile(paths: list[Path], rubric, top: int = 25) -> None:
    import cProfile
    import pstats

    from grader.judge.grade import Grader

    with Grader(rubric, seed=0, device="cpu") as grader:
        grader.grade(paths[0])
        profiler = cProfile.Profile()
        profiler.enable()
        for path in paths:
            grader.grade(path)
        profiler.disable()
    print(f"\nprofile of the grading process, one worker, {len(paths)} submissions, by own time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def _process_worker(worker: int, rubric, shared, tasks, results) -> None:
    from grader.judge.grade import Grader

    with Grader(rubric, seed=0, device="cpu", worker=worker, case_set=shared) as grader:
        for path in iter(tasks.get, None):
            results.put(grader.grade(path).score)


def compare_workers(paths: list[Path], jobs: int, rubric) -> tuple[float, float]:
    """Submissions per second, grading only, with `jobs` threads and with `jobs` forked processes."""
    import multiprocessing
    import queue

    from grader.judge.grade import Grader

    with Grader(rubric, seed=0, device="cpu") as first:
        shared = first.case_set
    rates = []
    for mode in ("threads", "processes"):
        if mode == "threads":
            tasks, results = queue.Queue(), queue.Queue()
            workers = [threading.Thread(target=_process_worker, args=(i, rubric, shared, tasks, results)) for i in range(jobs)]
        else:
            context = multiprocessing.get_context("fork")
            tasks, results = context.Queue(), context.Queue()
            workers = [context.Process(target=_process_worker, args=(i, rubric, shared, tasks, results)) for i in range(jobs)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for path in paths:
            tasks.put(str(path))
        for _ in workers:
            tasks.put(None)
        for _ in paths:
            results.get()
        for worker in workers:
            worker.join()
        rates.append(len(paths) / (time.perf_counter() - started))
    return rates[0], rates[1]


# --- main --------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=500, help="submissions in the corpus (default 500)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="workers for the batch, and processes at a time for the naive run (default 2)")
    parser.add_argument("--naive", type=int, default=10, help="fast submissions in the naive sample (default 10)")
    parser.add_argument("--rubric", help="a rubric TOML for both (default: the default rubric, 20 cases)")
    parser.add_argument("--profile", type=int, default=0, metavar="K", help="also profile the grading process on K submissions")
    parser.add_argument("--processes", action="store_true", help="also grade the corpus with forked worker processes")
    parser.add_argument("--keep", help="build the corpus and results here instead of a temporary folder")
    args = parser.parse_args()
    extra = ["--rubric", args.rubric] if args.rubric else []
    extra += ["--device", "cpu"]

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="grader-bench-"))
    corpus, out = base / "corpus", base / "results"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    corpus.mkdir(parents=True)
    fast, slow = build_corpus(corpus, args.total)
    n = len(fast) + len(slow)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run")
    print(f"corpus: {n} submissions in {corpus}: {len(fast)} copies of the {len({p.stem.rsplit('_', 1)[0] for p in fast})} "
          f"fast examples, and {', '.join(p.stem for p in slow) or 'no slow one'} once each")

    batch = run_batch(corpus, out, args.jobs, extra)
    rate = n / batch["wall"]
    sandbox_cpu = batch["cpu"] - batch["parent_cpu"]
    print(f"\nbatch, python -m grader grade -j {args.jobs}: {n} in {batch['wall']:.1f} s = {rate:.1f} submissions/s "
          f"(end to end: start-up, autograd's answers, reports, summary.csv, class report)")
    print(f"  its own last line: {batch['last_line']}")
    print(f"  CPU per submission: grading processes (batch + workers) {1000 * batch['parent_cpu'] / n:.0f} ms, sandboxes "
          f"{1000 * sandbox_cpu / n:.0f} ms (total {batch['cpu']:.1f} s; the most this allows on {args.jobs} idle cores: "
          f"{n * args.jobs / batch['cpu']:.1f}/s)")
    print(f"  peak memory of the process tree (grader + zygotes + sandboxed children, up to {batch['processes']} processes): "
          f"PSS {batch['pss'] / 2**20:.0f} MiB, RSS sum {batch['rss'] / 2**20:.0f} MiB")

    step = max(1, len(fast) // max(1, args.naive))
    sample = fast[::step][: args.naive]
    one_at_a_time = run_naive(sample, 1, extra)
    slow_seconds = run_naive(slow, 1, extra) if slow else 0.0
    parallel = run_naive(sample, args.jobs, extra)
    naive_serial = len(fast) * one_at_a_time / len(sample) + slow_seconds
    naive_parallel = len(fast) * parallel / len(sample) + slow_seconds / args.jobs
    print(f"\nnaive, one `python -m grader check` process per submission, on {len(sample)} fast ones and the {len(slow)} slow ones:")
    print(f"  {one_at_a_time / len(sample):.2f} s per fast submission one at a time, {parallel / len(sample):.2f} s {args.jobs} at a time")
    print(f"  extrapolated to the corpus: {naive_serial:.0f} s one at a time ({n / naive_serial:.2f}/s), "
          f"{naive_parallel:.0f} s {args.jobs} at a time ({n / naive_parallel:.2f}/s)")
    print(f"\nratio: {naive_serial / batch['wall']:.1f}x a one-at-a-time loop, {naive_parallel / batch['wall']:.1f}x "
          f"{args.jobs} check processes at a time")
    print(f"load average after the run: {os.getloadavg()[0]:.2f} (other work on the machine slows every figure above)")
    goals = [(">= 20 submissions/s", rate >= 20), (">= 25x naive (same cores)", naive_parallel / batch["wall"] >= 25),
             ("< 1 GiB", batch["pss"] < GIB)]
    print("goals: " + ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in goals))

    from grader.judge.rubric import load_rubric

    rubric = load_rubric(args.rubric)
    if args.processes:
        threads, processes = compare_workers(fast, args.jobs, rubric)
        print(f"\nworkers, -j {args.jobs}, grading the fast ones only (no start-up, no files): threads {threads:.1f}/s, "
              f"forked processes {processes:.1f}/s")
    if args.profile:
        profile(fast[: args.profile], rubric)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
