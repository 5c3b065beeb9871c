"""Is the grader fair on real students' work? Grades public copies of the notebook against the manifest.

    python benchmarks/real_notebooks.py [--assignment conv_step_by_step] grade DIR [-j 2] [--seed 0] [--keep REPORTS]
    python benchmarks/real_notebooks.py [--assignment ...] fetch --mirrors /work/.mirror --out DIR
    python benchmarks/real_notebooks.py [--assignment ...] list

`benchmarks/real_notebooks/manifest.toml` names public student copies of "Building your Deep Neural
Network: Step by Step" from every version of the assignment (2017 v3 to the 2021+ v1.x notebooks):
repository, path, commit and git blob id of each, the version it was written for and why, and the
FAIR outcome per graded function: full marks, except the functions listed under `expect`, which are
really wrong by that version's contract (the reason is written there). The students' code itself is
never stored in this repository. `--assignment conv_step_by_step` reads pack 2's manifest instead,
`benchmarks/real_notebooks/conv_manifest.toml` ("Convolution model: Step by Step", 2017 v1 to the 2021
v1), whose fair outcomes were judged outside the grader (its header says how).

`grade DIR` grades every copy found in DIR (named `<id>.ipynb` / `<id>.py` after the manifest's ids)
with `python -m grader grade` and compares each function's score with the manifest: a function that
should get full marks must get them, one listed under `expect` must lose points. It prints
"N of M real copies graded fairly" and, for every copy that is not, which functions and why. Exit
status 0 only when every copy found is graded fairly.

Getting the copies: they are third-party files, so CI cannot download them and they must never be
committed. They can be fetched only from a session that has the search tool's `fetch` verb (it
places a snapshot of each repository under /work/.mirror/<owner>+<name>/), or from plain git clones
made by hand, placed as <owner>+<name> in one folder. `list` prints the repositories to fetch (one
`github:<owner>/<name>` per line); `fetch --mirrors FOLDER --out DIR` then extracts each copy by its
blob id (falling back to `<commit>:<path>`) into DIR and skips, with a message, any it cannot find.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "benchmarks" / "real_notebooks" / "manifest.toml"
MANIFESTS = {"step_by_step": MANIFEST, "conv_step_by_step": ROOT / "benchmarks" / "real_notebooks" / "conv_manifest.toml"}
sys.path.insert(0, str(ROOT))
from grader import END_TO_END  # noqa: E402  (light import: no torch)
from grader.packs.conv_step_by_step.interface import ORDER as CONV_FUNCTIONS  # noqa: E402
from grader.packs.step_by_step import GRADED_FUNCTIONS  # noqa: E402

UNITS = (*GRADED_FUNCTIONS, END_TO_END)
UNITS_OF = {"step_by_step": UNITS, "conv_step_by_step": (*CONV_FUNCTIONS, END_TO_END)}


def load_manifest(path: Path = MANIFEST, units: tuple[str, ...] = UNITS) -> list[dict]:
    """The copies, checked for the fields the comparison relies on."""
    copies = tomllib.loads(path.read_text())["copies"]
    seen = set()
    for c in copies:
        if c["id"] in seen:
            raise SystemExit(f"{path}: duplicate id {c['id']}")
        seen.add(c["id"])
        unknown = set(c.get("expect", {})) - set(units)
        if unknown:
            raise SystemExit(f"{path}: {c['id']} expects a loss in unknown functions {sorted(unknown)}")
    return copies


def blob_id(data: bytes) -> str:
    """git's object id for a file's bytes: proves the copy is the recorded version."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# --- fetch ----------------------------------------------------------------------------------------
def _git_dir(mirrors: Path, repo: str) -> Path | None:
    base = mirrors / repo.replace("/", "+", 1)
    for candidate in (base / "repo" / ".git", base / "repo", base / ".git", base):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def fetch(copies: list[dict], mirrors: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    missing = []
    for c in copies:
        git = _git_dir(mirrors, c["repo"])
        data = None
        if git is not None:
            for spec in (c["blob"], f"{c['commit']}:{c['path']}"):
                run = subprocess.run(["git", "--git-dir", str(git), "cat-file", "blob", spec], capture_output=True)
                if run.returncode == 0 and blob_id(run.stdout) == c["blob"]:
                    data = run.stdout
                    break
        if data is None:
            missing.append(c)
            continue
        (out / f"{c['id']}.{c['format']}").write_bytes(data)
    print(f"extracted {len(copies) - len(missing)} of {len(copies)} copies into {out}")
    for c in missing:
        print(f"  missing {c['id']}: fetch github:{c['repo']} (needs {c['path']} at {c['commit'][:12]})")
    return 0 if not missing else 1


# --- grade ----------------------------------------------------------------------------------------
def judge(copy: dict, report: dict, units: tuple[str, ...] = UNITS) -> list[str]:
    """What is unfair in one report: a function that lost points it should not have, or the reverse."""
    if report.get("status") != "graded":
        return [f"not graded ({report.get('status')}): {report.get('problem') or report.get('load_problems')}"]
    tests = {t["name"]: t for t in report["tests"]}
    expect = copy.get("expect", {})
    wrong = []
    recognised = (report.get("notebook_version") or {}).get("candidates")
    if "contract" in (report.get("notebook_version") or {}) and recognised and copy["version"] not in recognised:
        wrong.append(f"graded as {report['notebook_version'].get('name')}, but it is {copy['version']}")
    for unit in units:
        t = tests.get(unit)
        if t is None:
            wrong.append(f"{unit}: no result")
            continue
        full = t["score"] >= t["max_score"]
        if unit in expect and full:
            wrong.append(f"{unit}: full marks, but it is wrong ({expect[unit]})")
        elif unit not in expect and not full:
            codes = sorted({d.get("code", "?") for d in t.get("diagnoses", []) if isinstance(d, dict)})
            why = f" [{', '.join(codes)}]" if codes else ""
            first = (t.get("feedback") or "").strip().splitlines()
            wrong.append(f"{unit}: {t['score']:g}/{t['max_score']:g} but correct by its {copy['version']} contract{why}"
                         + (f" -- {first[1].strip()[:140]}" if len(first) > 1 else ""))
    return wrong


def grade(copies: list[dict], folder: Path, workers: int, seed: int, keep: Path | None,
          assignment: str = "step_by_step") -> int:
    present, stale = [], []
    for c in copies:
        path = folder / f"{c['id']}.{c['format']}"
        if not path.is_file():
            continue
        (present if blob_id(path.read_bytes()) == c["blob"] else stale).append(c)
    if stale:
        print(f"skipped {len(stale)} copies whose bytes differ from the recorded blob: {', '.join(c['id'] for c in stale)}")
    if not present:
        print(f"no copies found in {folder}; see `fetch` in this script's docstring")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for c in present:
            name = f"{c['id']}.{c['format']}"
            shutil.copyfile(folder / name, corpus / name)
        reports = keep or Path(tmp) / "reports"
        cmd = [sys.executable, "-m", "grader", "grade", str(corpus), "--out", str(reports),
               "-j", str(workers), "--seed", str(seed), "--no-progress", "--assignment", assignment]
        subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
        unfair = {}
        for c in present:
            report_path = reports / f"{c['id']}.json"
            if not report_path.is_file():
                unfair[c["id"]] = ["no report written"]
                continue
            problems = judge(c, json.loads(report_path.read_text()), UNITS_OF[assignment])
            if problems:
                unfair[c["id"]] = problems
    by_version: dict[str, list[int]] = {}
    for c in present:
        counts = by_version.setdefault(c["version"], [0, 0])
        counts[0] += c["id"] not in unfair
        counts[1] += 1
    fair = len(present) - len(unfair)
    print(f"{fair} of {len(present)} real copies graded fairly"
          + (f" ({len(copies) - len(present) - len(stale)} of the manifest's {len(copies)} not found in {folder})"
             if len(present) < len(copies) else ""))
    print("by version: " + ", ".join(f"{v} {a}/{n}" for v, (a, n) in sorted(by_version.items())))
    for cid, problems in unfair.items():
        print(f"- {cid}:")
        for p in problems:
            print(f"    {p}")
    return 0 if not unfair else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", choices=sorted(MANIFESTS), default="step_by_step",
                        help="whose manifest: pack 1's (default) or pack 2's")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade the copies in DIR and compare with the manifest")
    g.add_argument("folder", type=Path)
    g.add_argument("-j", type=int, default=2)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--keep", type=Path, help="write the grader's reports here instead of a temporary folder")
    f = sub.add_parser("fetch", help="extract the copies from fetched snapshots or clones (see docstring)")
    f.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    f.add_argument("--out", type=Path, required=True)
    sub.add_parser("list", help="the repositories to fetch, one github:<owner>/<name> per line")
    args = parser.parse_args(argv)
    copies = load_manifest(MANIFESTS[args.assignment], UNITS_OF[args.assignment])
    if args.command == "list":
        for repo in sorted({c["repo"] for c in copies}, key=str.lower):
            print(f"github:{repo}")
        return 0
    if args.command == "fetch":
        return fetch(copies, args.mirrors, args.out)
    return grade(copies, args.folder, args.j, args.seed, args.keep, args.assignment)


if __name__ == "__main__":
    sys.exit(main())
