"""Every speed figure of issue 11, side by side, each against its anchor measured in the same run.

    python benchmarks/speed.py [--quick] [--total 1000] [-j 2] [--naive 10] [--repeat 5] [--profile]

Anchors: `python -c "import torch"` (for a student's check and a platform's run) and the naive loop, one
fresh `python -m grader check` process per submission, `-j` at a time (for a batch). Figures:

1. `python -m grader check` on a correct submission, with the answers prepared (`grader prepare`) and
   on a machine where nothing was computed before (an empty answer cache), each as a ratio to the
   torch import. Medians of `--repeat` runs.
2. A Gradescope-style run: one fresh `python -m grader gradescope run` process per correct submission,
   answers prepared as setup.sh prepares them; wall seconds per submission.
3. `grade -j N` on benchmarks/batch.py's corpus (every example copied up to `--total`, the two slow
   hostile ones once), answers prepared: submissions/s, the ratio to the naive loop on a sample
   (extrapolated to the corpus, slow ones included; and to the same loop with no answers kept, each
   process importing torch as before the answer cache), the peak memory (PSS) of the whole process tree,
   and the CPU per submission split into the trusted side (batch and workers), fork and relay (the
   zygotes' own CPU), the walled jobs (loading the submission, the harness, encoding) and the student
   code itself (the cases' own seconds as the jobs timed them; wall time, so a loaded machine inflates it).
4. The floor: the model solution's own NumPy time for one submission's cases, run in this process.
5. The walls' fixed cost: `grade -j N` on copies of a submission whose every graded function returns None
   at once. Each check still gets its own job (its cases, its load into a fresh namespace, its report; a walled
   process of its own, or its turn in the submission's shared one), and there is
   nothing to compare or diagnose, so no submission that defines every function costs less (one that lacks
   a function skips that check's job): its CPU per submission bounds the rate of a corpus of complete
   submissions on these cores, and what is left of the goal's budget is what student code and judging may
   spend. Beside it, a bare fork and exit of a process with NumPy loaded, the child running nothing.

6. Side by side (issue 24), in the same run: figures 3 and 5 again with every check in a process of its
   own (GRADER_CHECKS_PER_PROCESS=1) and, with `--before REV`, with the grader as it was at git revision
   REV (checked out into a temporary worktree, as benchmarks/pack_identity.py does), each with its CPU split.

`--quick` (under two minutes on 2 idle cores): 3 repeats, a corpus of 120, 4 naive samples. The load
average is printed before and after: other work on the machine slows every figure, anchors included.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the answer key, for the floor only

from batch import GIB, ROOT, SUBMISSIONS, build_corpus, children_cpu, run_batch, run_naive  # noqa: E402

CORRECT = SUBMISSIONS / "correct_student.py"
GRADESCOPE_SAMPLES = ("correct_student.py", "correct_notebook.ipynb", "correct_vectorized_style.py", "correct_notebook_v7.ipynb")
CACHE_ENV = "GRADER_ANSWERS_CACHE"


def timed(command: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is the whole process tree's (every process in it is reaped)."""
    cpu_before, started = children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu_before
    if done.returncode not in (0, 1):  # 1: points lost, still graded
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return wall, cpu


def median_run(command: list[str], env_for, repeat: int) -> tuple[float, float]:
    """Median wall and median CPU seconds of `repeat` runs; env_for(i) gives each run its environment."""
    runs = [timed(command, env_for(i)) for i in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def gradescope_runs(base: Path, env: dict, names: tuple[str, ...]) -> list[tuple[float, float]]:
    """One fresh `gradescope run` per submission, in a tree laid out as Gradescope's."""
    runs = []
    for i, name in enumerate(names):
        root = base / f"autograder{i}"
        (root / "submission").mkdir(parents=True)
        (root / "results").mkdir()
        shutil.copy(SUBMISSIONS / name, root / "submission" / name)
        runs.append(timed([sys.executable, "-m", "grader", "gradescope", "run", "--root", str(root), "--seed", "0", "--device", "cpu"], env))
        result = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        if abs(float(result.get("score", 0)) - sum(float(t.get("max_score", 0)) for t in result.get("tests", []))) > 1e-6:
            sys.exit(f"the Gradescope-style run of {name} did not give full marks: {result.get('output', '')[:500]}")
    return runs


def student_seconds(examples: list[Path]) -> float:
    """Mean seconds of student code per submission over `examples`, graded once each in this process: the
    cases' own seconds as the walled job timed each call (stand-in round trips included). Reports on disk
    keep only failed cases, so the batch's own cannot say this."""
    from grader.judge.grade import Grader

    total = 0.0
    with Grader(seed=0, device="cpu") as grader:
        for path in examples:
            report = grader.grade(path)
            total += sum(case.seconds for test in report.tests for case in test.cases)
    return total / max(1, len(examples))


def floor_seconds(repeat: int = 5) -> float:
    """CPU seconds the model solution spends on one submission's cases (every check, default rubric)."""
    import reference
    from grader import END_TO_END
    from grader.packs.step_by_step.answers import case_set_for
    from grader.judge.rubric import Rubric

    solution = reference.deep_nn
    case_set, _ = case_set_for(0, {n: u.cases for n, u in Rubric().units.items()}, "cpu")
    calls = []
    for unit, inputs in case_set.inputs.items():
        for case in inputs:
            calls.append((unit, case.args))
    best = float("inf")
    for _ in range(repeat):
        spent = 0.0
        for unit, args in calls:
            args = copy.deepcopy(args)
            started = time.process_time()
            if unit == END_TO_END:
                X, Y, parameters, rate = args
                AL, caches = solution.L_model_forward(X, parameters)
                solution.compute_cost(AL, Y)
                solution.update_parameters(parameters, solution.L_model_backward(AL, Y, caches), rate)
            else:
                getattr(solution, unit)(*args)
            spent += time.process_time() - started
        best = min(best, spent)
    return best


def null_submission(folder: Path, count: int) -> list[Path]:
    """`count` copies of a submission that defines every graded function of the default assignment, each
    returning None at once: what the walls and the harness cost, with no work of the student's."""
    from grader import packs

    functions = packs.get(packs.DEFAULT).functions
    text = "".join(f"def {name}(*args, **kwargs):\n    return None\n\n\n" for name in functions)
    folder.mkdir(parents=True)
    paths = [folder / f"returns_none_{i:04d}.py" for i in range(count)]
    for path in paths:
        path.write_text(text, encoding="utf-8")
    return paths


FORK_PROBE = """
import os, resource, numpy, numpy.random, numpy.linalg
n = 300
before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in zip(before, after)) / n)
"""


def bare_fork_seconds() -> float:
    """CPU seconds (parent and child) of one fork and exit of a process with NumPy loaded, the child running
    nothing: what a process per check costs before any wall, harness or case (the fork server preloads more)."""
    done = subprocess.run([sys.executable, "-I", "-c", FORK_PROBE], capture_output=True, text=True, check=True,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return float(done.stdout.strip())


def profile_check(env: dict, top: int = 30) -> None:
    """cProfile of one `check` with the answers prepared: where a student's check spends its time."""
    done = subprocess.run([sys.executable, "-m", "cProfile", "-s", "cumtime", "-m", "grader", "check", str(CORRECT), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "function calls" in line), 0)
    print("\nprofile of one `check`, answers prepared (cumulative time; the trusted process only):")
    print("\n".join(lines[start:start + top + 6]))


def row(name: str, wall: str, cpu: str, ratio: str, goal: str, met: bool | None) -> str:
    mark = "" if met is None else ("met" if met else "NOT met")
    return f"  {name:<46} {wall:>10} {cpu:>10} {ratio:>16}  {goal:<22} {mark}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller corpus: under two minutes on idle cores")
    parser.add_argument("--total", type=int, help="submissions in the batch corpus (default 1000; --quick 120)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="batch workers, and naive processes at a time (default 2)")
    parser.add_argument("--naive", type=int, help="fast submissions in the naive sample (default 10; --quick 4)")
    parser.add_argument("--repeat", type=int, help="runs per start-up figure, median kept (default 5; --quick 3)")
    parser.add_argument("--profile", action="store_true", help="also print a profile of one check with prepared answers")
    parser.add_argument("--before", metavar="REV", help="also run figures 3 and 5 with the grader at git revision REV, side by side")
    args = parser.parse_args()
    total = args.total or (120 if args.quick else 1000)
    naive_n = args.naive or (4 if args.quick else 10)
    repeat = args.repeat or (3 if args.quick else 5)
    load_before = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores; load average {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f} "
          f"(1, 5, 15 min) before the run; {'quick' if args.quick else 'full'} run")

    base = Path(tempfile.mkdtemp(prefix="grader-speed-"))
    try:
        answers = base / "answers"
        env = {**os.environ, CACHE_ENV: str(answers)}
        prepare_command = [sys.executable, "-m", "grader", "prepare", "--seed", "0", "--device", "cpu"]
        prepare = timed(prepare_command, env)
        # Again before each figure that relies on it (a hit costs little): an edit of the grader's source
        # during the run (a shared working tree) makes a new build, whose answers are not prepared yet.
        refresh = lambda: timed(prepare_command, env)  # noqa: E731

        # 1. a student's check, against the torch import
        torch_import = median_run([sys.executable, "-c", "import torch"], lambda i: os.environ, repeat)
        check = [sys.executable, "-m", "grader", "check", str(CORRECT), "--json"]
        refresh()
        cached = median_run(check, lambda i: env, repeat)
        cold = median_run(check, lambda i: {**os.environ, CACHE_ENV: str(base / f"empty{i}")}, repeat)

        # 2. a Gradescope-style run per submission
        names = GRADESCOPE_SAMPLES[:2] if args.quick else GRADESCOPE_SAMPLES
        refresh()
        platform = gradescope_runs(base / "gradescope", env, names)

        # 3. a batch, against the naive loop
        corpus, out = base / "corpus", base / "results"
        corpus.mkdir()
        fast, slow = build_corpus(corpus, total)
        n = len(fast) + len(slow)
        refresh()
        batch = run_batch(corpus, out, args.jobs, ["--device", "cpu"], env)
        rate = n / batch["wall"]
        sample = fast[:: max(1, len(fast) // naive_n)][:naive_n]
        refresh()
        parallel = run_naive(sample, args.jobs, ["--device", "cpu"], env)
        slow_wall = run_naive(slow, args.jobs, ["--device", "cpu"], env) if slow else 0.0
        naive = len(fast) * parallel / len(sample) + slow_wall  # the slow ones ran -j at a time too
        # the same loop with no answers kept, each process importing torch, as before the answer cache
        uncached = run_naive(sample, args.jobs, ["--device", "cpu"], {**os.environ, CACHE_ENV: "off"})
        naive_uncached = len(fast) * uncached / len(sample) + slow_wall

        # 4. student code per submission, and the floor
        os.environ[CACHE_ENV] = str(answers)
        distinct = sorted({p.stem.rsplit("_", 1)[0]: p for p in fast}.values())
        student = student_seconds(distinct) * len(fast)  # in all: the slow ones are left out
        floor = floor_seconds()

        # 5. the walls' fixed cost: submissions that do nothing
        null_n = max(60, total // 2)
        null_submission(base / "null", null_n)
        refresh()
        null = run_batch(base / "null", base / "null_results", args.jobs, ["--device", "cpu", "--assignment", "step_by_step"], env)
        bare_fork = bare_fork_seconds()

        # 6. side by side: one process per check, and the grader as it was
        sides = [("this tree", batch, null)]
        per_check_env = {**env, "GRADER_CHECKS_PER_PROCESS": "1"}
        sides.append(("this tree, a process per check", run_batch(corpus, base / "r1", args.jobs, ["--device", "cpu"], per_check_env),
                      run_batch(base / "null", base / "n1", args.jobs, ["--device", "cpu", "--assignment", "step_by_step"], per_check_env)))
        if args.before:
            tree = base / "before"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.before], check=True, capture_output=True)
            try:
                subprocess.run(prepare_command, cwd=tree, env=env, check=True, capture_output=True)
                sides.append((f"the grader at {args.before}", run_batch(corpus, base / "r2", args.jobs, ["--device", "cpu"], env, tree),
                              run_batch(base / "null", base / "n2", args.jobs, ["--device", "cpu", "--assignment", "step_by_step"], env, tree)))
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    load_after = os.getloadavg()
    per = lambda seconds: f"{1000 * seconds / n:.0f} ms"  # noqa: E731 - per submission of the batch
    (torch_wall, torch_cpu), (cached_wall, cached_cpu), (cold_wall, cold_cpu) = torch_import, cached, cold
    print(f"\nanchors: `python -c \"import torch\"` {torch_wall:.2f} s wall, {torch_cpu:.2f} s CPU (median of {repeat}); "
          f"the naive loop ({args.jobs} `check` processes at a time, answers prepared) {naive / n:.2f} s per submission, "
          f"extrapolated from {len(sample)} fast and {len(slow)} slow ones ({naive_uncached / n:.2f} s with no answers kept, "
          f"every process importing torch, as before the cache). `grader prepare` took {prepare[0]:.2f} s once.\n")
    print(row("figure", "wall", "CPU", "vs anchor", "goal", None))
    print(row("check, correct, answers prepared", f"{cached_wall:.2f} s", f"{cached_cpu:.2f} s",
              f"{cached_wall / torch_wall:.2f}x import", "<= 1.0x torch import", cached_wall <= torch_wall))
    print(row("check, correct, nothing computed before", f"{cold_wall:.2f} s", f"{cold_cpu:.2f} s",
              f"{cold_wall / torch_wall:.2f}x import", "<= 1.5x torch import", cold_wall <= 1.5 * torch_wall))
    worst = max(platform, key=lambda run: run[0])
    print(row(f"Gradescope-style run (worst of {len(platform)} correct)", f"{worst[0]:.2f} s", f"{worst[1]:.2f} s",
              f"{worst[0] / torch_wall:.2f}x import", "< 1 s wall", worst[0] < 1.0))
    print(row(f"grade -j {args.jobs}: {n} submissions, 2 slow hostile", f"{rate:.1f} /s", f"{per(batch['cpu'])}",
              f"{naive / batch['wall']:.1f}x naive", ">= 20 /s, >= 25x naive", rate >= 20 and naive / batch["wall"] >= 25))
    print(row("  the same batch vs the naive loop, no answers kept", "", "", f"{naive_uncached / batch['wall']:.1f}x naive", "", None))
    print(row(f"peak memory of the process tree, {n} subm.", f"{batch['pss'] / 2**20:.0f} MiB", "PSS", "", "< 1 GiB for 1,000",
              batch["pss"] < GIB if n >= 1000 else None))
    trusted, sandbox = batch["parent_cpu"], batch["cpu"] - batch["parent_cpu"]
    relay, jobs_cpu = batch["fork_relay_cpu"], batch["job_cpu"]
    print(f"\nCPU per submission in the batch, {per(batch['cpu'])} in all ({batch['processes']} processes at most):")
    print(f"  trusted side (batch, workers: start-up, answers, decoding, comparing, diagnosing, reports)  {per(trusted)}")
    print(f"  sandbox {per(sandbox)}: fork and relay (the zygotes' own) {per(relay)}; walled jobs (load, harness, student "
          f"code) {per(jobs_cpu)}; not attributed {per(sandbox - relay - jobs_cpu)}")
    print(f"  student code (wall, as the jobs timed each call; slow hostile ones left out) {per(student)}")
    print(f"  floor: the model solution's own NumPy time for one submission's cases, {1000 * floor:.1f} ms CPU in this process: "
          f"the batch spends {batch['cpu'] / n / floor:.0f}x it per submission, a cached check {cached_cpu / floor:.0f}x it")
    from grader.judge.rubric import Rubric

    null_per = lambda seconds: f"{1000 * seconds / null_n:.0f} ms"  # noqa: E731
    null_cpu = null["cpu"] / null_n
    print(f"\nthe walls' fixed cost: grade -j {args.jobs} on {null_n} copies of a submission whose every function returns None: "
          f"{null_n / null['wall']:.1f} /s, {null_per(null['cpu'])} CPU each (trusted side {null_per(null['parent_cpu'])}, "
          f"fork and relay {null_per(null['fork_relay_cpu'])}, walled jobs {null_per(null['job_cpu'])}).")
    budget = 1000 * (os.cpu_count() or 1) / 20
    print(f"  No submission that defines every function costs less (start-up included, as in the batch): on {os.cpu_count()} "
          f"cores, fully busy, no batch of such submissions of this size passes {(os.cpu_count() or 1) / null_cpu:.1f} /s. 20 /s on these cores allows {budget:.0f} ms of CPU per "
          f"submission; the walls take {1000 * null_cpu:.0f} ms of it, leaving {budget - 1000 * null_cpu:.0f} ms for student code, "
          f"comparing and diagnosing, which take {1000 * (batch['cpu'] / n - null_cpu):.0f} ms in the batch above.")
    checks = len(Rubric().units)
    print(f"  For 20 /s with that comparing and diagnosing, the walls could take {budget - 1000 * (batch['cpu'] / n - null_cpu):.0f} ms, "
          f"{(budget - 1000 * (batch['cpu'] / n - null_cpu)) / checks:.1f} ms per check ({checks} checks); a bare fork and exit of a "
          f"process with NumPy loaded, the child running nothing, costs {1000 * bare_fork:.2f} ms of CPU here.")
    print(f"\nside by side, measured in this run (grade -j {args.jobs}; CPU per submission: all / trusted side / fork and relay / walled jobs):")
    for label, corpus_run, null_run in sides:
        split = lambda run, k: "/".join(f"{1000 * run[key] / k:.0f}" for key in ("cpu", "parent_cpu", "fork_relay_cpu", "job_cpu"))  # noqa: E731
        print(f"  {label:<36} corpus {n / corpus_run['wall']:5.1f} /s, {split(corpus_run, n)} ms, peak {corpus_run['pss'] / 2**20:.0f} MiB PSS;"
              f"  null {null_n / null_run['wall']:5.1f} /s, {split(null_run, null_n)} ms")
    first = sides[-1][1]
    print(f"  this tree vs {sides[-1][0]}: {first['wall'] / batch['wall']:.2f}x the rate, {first['cpu'] / batch['cpu']:.2f}x less CPU "
          f"(the trusted side {first['parent_cpu'] / batch['parent_cpu']:.2f}x)")
    print(f"\nload average after the run: {load_after[0]:.2f} (1 min). Other work on the machine slows every wall figure, "
          "anchors included; the CPU figures are steadier.")
    if args.profile:
        profile_env = {**os.environ, CACHE_ENV: str(Path(tempfile.mkdtemp(prefix="grader-speed-profile-")))}
        subprocess.run([sys.executable, "-m", "grader", "prepare", "--device", "cpu"], cwd=ROOT, env=profile_env, check=True,
                       stdout=subprocess.DEVNULL)
        profile_check(profile_env)
        shutil.rmtree(profile_env[CACHE_ENV], ignore_errors=True)


if __name__ == "__main__":
    main()
