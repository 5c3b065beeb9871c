"""`backprop-grader pytest ARGS...`: pytest with a configuration that no file of a student chose.

Plain `pytest --submission=hw4.py` in a student's folder reads that folder's pytest.ini (or tox.ini,
setup.cfg, pyproject.toml) before any plugin of ours loads: its `addopts` can write a --junitxml or a
log_file anywhere the instructor may write and name `-p` plugins to import, and `python -m pytest`
puts the folder on sys.path besides. Here pytest runs in this process (whose sys.path the grader has
already cleared of the working folder) with `-c` an empty ini file of ours, `--rootdir` its folder and
no cache, so no ini file is searched for at all; conftest files stay off (the plugin's --submission).
The rest of the command line is the caller's, passed on unchanged.
"""

import os
import sys
import tempfile

from grader.exits import Exit

OWN = ("-c", "--config-file", "--rootdir", "--inifile")  # what this command decides itself


def command(args: list[str], folder: str) -> list[str]:
    """pytest's arguments: ours first, then the caller's."""
    return ["-c", os.path.join(folder, "pytest.ini"), f"--rootdir={folder}", "-p", "no:cacheprovider", *args]


def run_pytest(args: list[str]) -> int:
    """Run pytest as above; its exit status (the plugin's, with --submission: grader/exits.py)."""
    taken = [
        a for a in args if a.split("=", 1)[0] in OWN or (a.startswith("-c") and a != "-c" and not a.startswith("--"))
    ]
    if taken:
        print(
            f"backprop-grader pytest: error: {taken[0]}: this command chooses pytest's configuration file and "
            "rootdir itself (so that no file of a student is read); leave -c and --rootdir out",
            file=sys.stderr,
        )
        return Exit.USAGE
    if not any(a == "--submission" or a.startswith("--submission=") for a in args):
        # without it the plugin stays out, and pytest would collect (and run) whatever test files the
        # current folder holds: a student's, in a student's folder
        print(
            "backprop-grader pytest: error: give --submission=PATH (this command grades a submission; "
            "for pytest's own use, run pytest)",
            file=sys.stderr,
        )
        return Exit.USAGE
    import pytest

    with tempfile.TemporaryDirectory(prefix="backprop-grader-pytest-") as folder:
        with open(os.path.join(folder, "pytest.ini"), "w", encoding="utf-8") as ini:
            ini.write("[pytest]\n")
        return int(pytest.main(command(args, folder)))
