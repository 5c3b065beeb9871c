"""The answer key (`reference/`) stays out of every install: wheel, sdist, Docker image, Gradescope zip.

Student code runs on the machines these installs land on; an answer key in site-packages is one file read
away from a perfect score. The tests themselves load `reference` from the checkout (see conftest.py).
"""

from __future__ import annotations

import fnmatch
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "reference").rglob("*.py"))
BUILD = """
import sys
from setuptools import build_meta
out = sys.argv[1]  # read first: the hooks rewrite sys.argv
build_meta.build_wheel(out)
build_meta.build_sdist(out)
"""


def test_the_key_is_there_to_leak():
    """The checks below look for these files; they must exist, or the checks prove nothing."""
    assert {"reference/deep_nn.py", "reference/conv_model.py", "reference/__init__.py"} <= set(KEY_FILES)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A wheel and an sdist built offline (PEP 517 hooks, no isolation) from a copy of the project.

    The copy holds the answer key beside the package, and a stale egg-info whose SOURCES.txt still lists
    it, as an older build leaves in a checkout: setuptools reads that list back into an sdist.
    """
    source = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy(ROOT / name, source / name)
    for package in ("grader", "reference"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    stale = source / "backprop_grader.egg-info"
    stale.mkdir()
    (stale / "SOURCES.txt").write_text("\n".join(["pyproject.toml", "grader/__init__.py", *KEY_FILES]) + "\n")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-c", BUILD, str(out)], cwd=source, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return wheels[0], sdists[0]


def test_the_wheel_holds_the_grader_and_no_answer_key(built):
    wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        top_level = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/top_level.txt"))
        keys = {path.read_bytes() for path in (ROOT / "reference").glob("*.py") if path.stat().st_size > 100}
        same_bytes = [n for n in names if archive.read(n) in keys]
    assert "grader/sandbox/zygote.py" in names and "grader/report/report.schema.json" in names  # a real build
    assert not [n for n in names if n.startswith("reference/") or "/reference/" in n]
    assert top_level.split() == ["grader"]
    assert same_bytes == []  # not under another name either


def test_the_sdist_holds_no_answer_key_even_with_a_stale_egg_info(built):
    _, sdist = built
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(n.endswith("/grader/sandbox/zygote.py") for n in names)
    assert not [n for n in names if "/reference/" in n or n.endswith("/reference")]


def test_the_gradescope_zip_holds_no_answer_key(tmp_path):
    from grader.platforms.gradescope_zip import TEMPLATES, build_zip

    names = build_zip(tmp_path / "autograder.zip", seed=3, torch="2.13.0")
    keys = {path.read_bytes() for path in (ROOT / "reference").glob("*.py") if path.stat().st_size > 100}
    assert len(keys) >= 2  # both packs' answer keys
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        assert sorted(archive.namelist()) == sorted(names)
        same_bytes = [n for n in names if archive.read(n) in keys]
    assert any(n.endswith("grader/sandbox/zygote.py") for n in names)
    assert not [n for n in names if "reference" in n.split("/")]
    assert same_bytes == []
    for template in TEMPLATES.iterdir():  # setup.sh no longer looks for an installed key to hide
        assert "import reference" not in template.read_text(encoding="utf-8")


def _dockerfile_instructions() -> list[tuple[str, str]]:
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.strip().startswith("#"):
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_docker_image_is_built_without_the_answer_key():
    instructions = _dockerfile_instructions()
    sources = [src for kind, value in instructions if kind in ("COPY", "ADD")
               for src in shlex.split(value)[:-1] if not src.startswith("--")]
    assert sources, "the Dockerfile copies nothing: these checks would prove nothing"
    for src in sources:  # no source is the key, or a folder (the context itself) that holds it
        path = (ROOT / src).resolve()
        assert path.exists() and path != ROOT and not (path / "reference").exists(), src
        assert not path.is_relative_to(ROOT / "reference"), src
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.strip().startswith("#")]
    assert not [p for p in ignored if p.startswith("!")]  # nothing re-included
    assert any(fnmatch.fnmatch("reference", p.rstrip("/")) for p in ignored)  # out of the build context too
