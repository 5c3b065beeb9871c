"""`gradescope build-zip`: the autograder zip an instructor uploads to Gradescope.

Gradescope wants setup.sh and run_autograder at the root of the zip, and unpacks the zip into
/autograder/source (https://gradescope-autograders.readthedocs.io/en/latest/specs/). Ours holds:

    setup.sh            installs Python >= 3.11, CPU-only torch and this project (from the copy below)
    run_autograder      runs `backprop-grader gradescope run --root /autograder --seed N`
    rubric.toml         the instructor's rubric, when one is given (found there by `gradescope run`)
    backprop-grader/    this project's source: pyproject.toml, README.md, grader/ (never reference/, the answer key:
                        student code runs on that machine, so nothing there may hold the answers)

The zip is deterministic (sorted entries, fixed timestamps), so the same inputs give the same bytes.
"""

from __future__ import annotations

import importlib.metadata
import re
import stat
import zipfile
from pathlib import Path

import grader
from grader.errors import GraderError
from grader.platforms.common import RUBRIC_NAME, VISIBILITIES

TEMPLATES = Path(__file__).with_name("templates")
SOURCE_DIR = "backprop-grader"
PACKAGES = ("grader",)  # not "reference": the answer key is for the project's own tests only
PROJECT_FILES = ("pyproject.toml", "README.md")
SKIP_PARTS = {"__pycache__", ".pytest_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".tmp")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def project_root() -> Path:
    """The checkout this grader runs from: the zip carries its source, so it must be a source tree."""
    root = Path(grader.__file__).resolve().parent.parent
    missing = [name for name in PROJECT_FILES + PACKAGES if not (root / name).exists()]
    if missing:
        raise GraderError(
            f"build-zip needs the project's source tree; {root} lacks {', '.join(missing)} "
            "(run it from a checkout installed with `pip install -e .`)"
        )
    return root


def source_files(root: Path) -> list[tuple[Path, str]]:
    """(file on disk, name inside the zip) for the project's source, without caches or build output."""
    found = [(root / name, f"{SOURCE_DIR}/{name}") for name in PROJECT_FILES]
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            relative = path.relative_to(root)
            if (
                not path.is_file()
                or SKIP_PARTS & set(relative.parts)
                or path.name.endswith(SKIP_SUFFIXES)
                or any(part.startswith(".") for part in relative.parts)
            ):
                continue
            found.append((path, f"{SOURCE_DIR}/{relative.as_posix()}"))
    return found


def torch_version() -> str:
    """The torch this grader runs with, as a PyPI version (no local tag): the zip installs the same."""
    try:
        return importlib.metadata.version("torch").split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        raise GraderError("torch is not installed here; pass --torch VERSION") from None


def render_template(name: str, values: dict[str, str]) -> str:
    """Fill @NAME@ placeholders; every placeholder must be filled (a stray one would break the script)."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise GraderError(f"template {name} has unfilled placeholders: {', '.join(sorted(set(left)))}")
    return text


def make_scripts(seed: int, torch: str, visibility: str = "visible", assignment: str | None = None) -> dict[str, str]:
    """The two scripts Gradescope runs, with this build's seed, torch version and assignment in them."""
    from grader import packs

    if not re.fullmatch(r"[0-9][0-9A-Za-z.]*", torch):
        raise GraderError(f"not a torch version: {torch!r}")
    if assignment is not None and assignment != packs.AUTO:
        packs.get(assignment)  # a known pack name (a folder name: no shell meaning), or a GraderError
    chosen = f" --assignment {assignment}" if assignment else ""
    extra = ("" if visibility == "visible" else f" --visibility {visibility}") + chosen
    return {
        "setup.sh": render_template(
            "setup.sh",
            {"TORCH_VERSION": torch, "SOURCE_DIR": SOURCE_DIR, "SEED": str(int(seed)), "ASSIGNMENT_ARGS": chosen},
        ),
        "run_autograder": render_template("run_autograder", {"SEED": str(int(seed)), "EXTRA_ARGS": extra}),
    }


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(info, data)


def build_zip(
    out: Path,
    seed: int = 0,
    rubric: Path | None = None,
    torch: str | None = None,
    visibility: str = "visible",
    assignment: str | None = None,
) -> list[str]:
    """Write the autograder zip to `out`; return the names inside it. Every submission is graded by
    `assignment` (else the rubric's, else the default pack), never by what it happens to define."""
    from grader.judge.rubric import load_rubric

    if rubric is not None or assignment is not None:
        load_rubric(
            rubric, assignment
        )  # a broken rubric fails here, on the instructor's machine, not on every submission
    root = project_root()
    scripts = make_scripts(seed, torch or torch_version(), visibility, assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in scripts.items():
            _add(archive, name, text.encode("utf-8"), executable=True)
            names.append(name)
        if rubric is not None:
            _add(archive, RUBRIC_NAME, Path(rubric).read_bytes())
            names.append(RUBRIC_NAME)
        for path, name in source_files(root):
            _add(archive, name, path.read_bytes())
            names.append(name)
    return names


def cmd_build_zip(args) -> int:
    out = Path(args.out)
    names = build_zip(
        out, args.seed, Path(args.rubric) if args.rubric else None, args.torch, args.visibility, args.assignment
    )
    print(
        f"wrote {out} ({len(names)} files; seed {args.seed}; rubric {args.rubric or 'default'}; "
        f"assignment {args.assignment or 'from the rubric, else the default pack'})"
    )
    if args.seed == 0:
        print("note: seed 0 is the seed students use with `check`; pass --seed N of your own for real grading")
    print("upload it on Gradescope: Configure Autograder > Zip file upload")
    return 0


def add_parser(actions) -> None:
    from grader.frontends.cli_options import assignment, out_file, seed

    build = actions.add_parser("build-zip", help="build the autograder zip (setup.sh, run_autograder, rubric, source)")
    build.add_argument(
        "--out",
        type=out_file,
        metavar="FILE",
        default="autograder.zip",
        help="where to write the zip (default ./autograder.zip)",
    )
    build.add_argument(
        "--seed",
        type=seed,
        default=0,
        metavar="N",
        help="the seed every submission is graded with, 0 or more (default 0; use your own)",
    )
    build.add_argument("--rubric", metavar="FILE", help="a TOML rubric to ship and grade with")
    build.add_argument(
        "--torch", metavar="VERSION", help="the torch version setup.sh installs (default: the one installed here)"
    )
    build.add_argument(
        "--visibility", default="visible", choices=VISIBILITIES, help="when students see the tests (default visible)"
    )
    build.add_argument(
        "--assignment",
        metavar="NAME",
        type=assignment,
        default=None,
        help="the assignment pack every submission is graded by (default: the rubric's, else the default pack)",
    )
    build.set_defaults(action_handler=cmd_build_zip)
