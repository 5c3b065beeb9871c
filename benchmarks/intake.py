"""What each intake attack costs the grader to refuse, on this machine: wall time and peak memory growth.

    python benchmarks/intake.py

Builds each hostile submission of tests/test_intake.py in a temporary folder, reads it the way every
command does (`load_submission`, then the batch's `submission_digest`, or `intake.unpack` for an
archive), and prints one line per attack: seconds, the growth of this process's peak RSS, and what the
grader said. Figures, not assertions: the tests assert the refusals; this says what they cost.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.load import intake
from grader.frontends.batch import submission_digest
from grader.load.loader import load_submission

CORRECT = ROOT / "submissions" / "correct_student.py"


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def folder_with(base: Path, name: str) -> Path:
    folder = base / name
    folder.mkdir()
    shutil.copy(CORRECT, folder / "solution.py")
    return folder


def build(base: Path) -> dict[str, Path]:
    made = {}
    made["FIFO in a folder"] = folder_with(base, "fifo")
    os.mkfifo(made["FIFO in a folder"] / "pipe")
    made["link to /dev/zero"] = folder_with(base, "zero")
    (made["link to /dev/zero"] / "zero.py").symlink_to("/dev/zero")
    made["3 GB sparse file"] = folder_with(base, "sparse")
    (made["3 GB sparse file"] / "big.bin").touch()
    os.truncate(made["3 GB sparse file"] / "big.bin", 3 * 1024 ** 3)
    deep = made["1,500 nested folders"] = folder_with(base, "deep")
    fd = os.open(deep, os.O_RDONLY)
    for _ in range(1500):
        os.mkdir("d", dir_fd=fd)
        fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
    os.close(fd)
    many = made["6,000 empty files"] = folder_with(base, "many")
    for k in range(6000):
        (many / f"f{k}").touch()
    deep_py = made["'-' * 200,000 expression"] = base / "deep.py"
    deep_py.write_text(CORRECT.read_text() + "\n\ndef compute_cost(AL, Y):\n    return " + "-" * 200_000 + "1\n")
    bomb = made["zip bomb (40 MB of one byte)"] = base / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("alice.py", b"#" * (40 * intake.MiB))
    return made


def unnest(folder: Path) -> None:
    while (folder / "d").is_dir():
        if (folder / "d" / "d").is_dir():
            os.rename(folder / "d" / "d", folder / "e")
        os.rmdir(folder / "d")
        if (folder / "e").is_dir():
            os.rename(folder / "e", folder / "d")


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    try:
        made = build(base)
        print(f"{'attack':32s} {'seconds':>8s} {'peak RSS +MiB':>14s}  what the grader said")
        for name, path in made.items():
            before, started = peak_kib(), time.perf_counter()
            if path.suffix == ".zip":
                dest = base / "unpacked"
                dest.mkdir()
                try:
                    intake.unpack(path, dest)
                    said = "unpacked"
                except intake.Refused as error:
                    said = str(error)
            else:
                sub = load_submission(path)
                digest = submission_digest(path)
                said = sub.fatal or next((p.message for p in sub.problems if p.kind != "notice" or "left alone" in p.message), "graded")
                said += "" if digest else " (no digest)"
            seconds = time.perf_counter() - started
            print(f"{name:32s} {seconds:8.3f} {(peak_kib() - before) / 1024:14.1f}  {said[:90]}")
    finally:
        unnest(base / "deep")
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
