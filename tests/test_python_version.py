"""One minimum Python everywhere it is stated: pyproject, the Docker image, Gradescope's setup.sh, README.

The grader needs 3.11 (tomllib reads the rubric); claiming less, as pyproject once did, installs on a
machine where `--rubric` then fails at import.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def minimum() -> tuple[int, int]:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    found = re.fullmatch(r">=\s*(\d+)\.(\d+)", spec.strip())
    assert found, f"requires-python should be a plain lower bound, not {spec!r}"
    return int(found.group(1)), int(found.group(2))


def test_the_minimum_covers_what_the_code_imports():
    assert minimum() >= (3, 11)  # tomllib is standard from 3.11
    assert sys.version_info[:2] >= minimum()


def test_every_install_path_states_the_same_minimum():
    major, minor = minimum()
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(rf"^FROM python:{major}\.{minor}-slim\b", docker, re.M), "the image's Python is not the minimum"
    setup = (ROOT / "grader" / "platforms" / "templates" / "setup.sh").read_text(encoding="utf-8")
    assert f"sys.version_info < ({major}, {minor})" in setup and f"python{major}.{minor}-venv" in setup
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"Python {major}.{minor} or later" in readme
    assert not re.search(r"Python\s*(>=|≥)?\s*3\.10\b", readme)
