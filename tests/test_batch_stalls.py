"""A batch is not held back by one stalled submission: while a worker waits on a submission that sleeps at
load, an extra worker grades the others; never more than 2 x jobs workers; the same reports either way.

The proof is by order, not time: with `-j 1` and the sleeping submission first in the batch, a single worker
must finish it before any other (the control, with stalls disabled), while the pool that grows must finish
every fast one first. The sleep is cut by the rubric's `load_seconds`, far above what the fast ones take.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
LOAD_SECONDS = 8  # the sleeper's one statement is cut here; three fast gradings take ~1 s each on a busy machine
FAST = 3
# the default argument is evaluated at load, as in hostile_sleep_at_import.py
SLEEP = "import time\n\n\ndef hold(when=time.sleep(10**6)):\n    pass\n\n\n"


def grade(argv: list[str]) -> int:
    from grader.frontends.batch import grade_paths
    from grader.frontends.cli import build_parser

    return grade_paths(build_parser().parse_args(["grade", *argv]))


@pytest.fixture
def corpus(tmp_path) -> tuple[Path, Path]:
    folder = tmp_path / "class"
    folder.mkdir()
    source = (SUBMISSIONS / "correct_student.py").read_text(encoding="utf-8")
    (folder / "a_sleeper.py").write_text(SLEEP + source, encoding="utf-8")
    for n in range(FAST):
        shutil.copy(SUBMISSIONS / "correct_student.py", folder / f"b_fast_{n}.py")
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(f"[grading]\ncases = 3\n[limits]\nload_seconds = {LOAD_SECONDS}\n", encoding="utf-8")
    return folder, rubric


@pytest.fixture
def watch(monkeypatch):
    """Records the order of the pool's on_done calls and the most workers alive at once."""
    from grader.frontends import batch_pool

    seen: dict = {"done": [], "most": 0}
    real_run, real_add = batch_pool.ProcessPool.run, batch_pool.ProcessPool._add_worker

    def run(self, on_done, on_idle):
        def recording(item, report):
            seen["done"].append(Path(item.submission).stem)
            on_done(item, report)

        return real_run(self, recording, on_idle)

    def add_worker(self):
        real_add(self)
        alive = sum(1 for w in self.workers if w.process.is_alive())
        seen["most"] = max(seen["most"], alive, len(self.workers))
        seen["bound"] = 2 * self.jobs

    monkeypatch.setattr(batch_pool.ProcessPool, "run", run)
    monkeypatch.setattr(batch_pool.ProcessPool, "_add_worker", add_worker)
    return seen


def outputs(out: Path) -> dict[str, object]:
    """Every report and csv, less each report's own wall time ("seconds"), the one field a schedule moves."""
    found: dict[str, object] = {}
    for path in sorted(out.iterdir()):
        if path.suffix == ".csv":
            found[path.name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".json":
            report = json.loads(path.read_text(encoding="utf-8"))
            assert isinstance(report.pop("seconds"), float)
            found[path.name] = report
    return found


@pytest.mark.timeout(300)
def test_fast_submissions_are_not_held_behind_one_that_sleeps(tmp_path, corpus, watch, monkeypatch):
    from grader.frontends import batch_pool

    folder, rubric = corpus
    grown, single = tmp_path / "grown", tmp_path / "single"
    grade([str(folder), "--out", str(grown), "-j", "1", "--rubric", str(rubric)])
    order, most = list(watch["done"]), watch["most"]
    fast = {f"b_fast_{n}" for n in range(FAST)}
    assert set(order) == fast | {"a_sleeper"}
    assert set(order[:FAST]) == fast and order[-1] == "a_sleeper"  # the sleeper was taken first, done last
    assert most == 2 == watch["bound"]  # an extra worker ran beside the stalled one, and no more

    watch["done"].clear()
    watch["most"] = 0
    monkeypatch.setattr(batch_pool, "STALL_SECONDS", None)  # the control: no stall detection
    grade([str(folder), "--out", str(single), "-j", "1", "--rubric", str(rubric)])
    assert watch["done"] == ["a_sleeper", *sorted(fast)]  # one worker: everything waits behind the sleeper
    assert watch["most"] == 1

    # Scheduling only: the same files with the same contents, summary.csv in item order.
    assert outputs(grown) == outputs(single)
    rows = [r["submission"] for r in csv.DictReader((grown / "summary.csv").open(encoding="utf-8"))]
    assert [Path(r).stem for r in rows] == ["a_sleeper", *sorted(fast)]
    assert len([name for name in outputs(grown) if name.endswith(".json")]) == FAST + 1
