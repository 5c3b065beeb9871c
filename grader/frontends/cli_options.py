"""The options the grading commands share, and their checks: every front end (the CLI, the platforms,
`prepare`, the pytest plugin) parses --seed, --assignment and --device the same way and says a bad value
the same way. Kept apart from cli.py so that those front ends need not import the CLI that imports them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.errors import GraderError

PUBLIC_SEED = 0  # the default: the seed students check their work with


def jobs(text: str) -> int:
    """-j N: a whole number of workers, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of workers, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (leave -j out to use every core), not {value}")
    return value


def seed(text: str) -> int:
    """--seed N: a whole number, 0 or more (NumPy refuses a negative seed deep inside the grading)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r} (a seed is a whole number, 0 or more)") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def assignment(text: str) -> str:
    """--assignment NAME: a pack's name, or "auto"; checked here so that every command says it the same way."""
    from grader import packs

    if text == packs.AUTO or text in packs.names():
        return text
    raise argparse.ArgumentTypeError(
        f"unknown assignment {text!r}; known: {', '.join(packs.names())}, or {packs.AUTO} (each submission its own)"
    )


def out_file(text: str) -> str:
    """--out FILE of a command that writes one file: an existing folder there would end in a traceback."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the name of the file to write")
    return text


def roster(text: str):
    """--roster FILE: read and checked before anything is graded (grader/report/gradebook.py says the format)."""
    from grader.report.gradebook import read_roster

    try:
        return read_roster(text)
    except GraderError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


DEVICES = ("auto", "cpu", "cuda")
ASSIGNMENT_HELP = {  # what load_rubric does with --assignment left out, per kind of command
    "student": "the assignment pack to grade by (default: the rubric's, else recognised from the submission)",
    "instructor": "the assignment pack to grade by (default: the rubric's, else the default pack, step_by_step; "
    "auto: recognise each submission's own)",
}


def warn_public_seed(seed: int, command: str) -> None:
    """One line on standard error when an instructor's command grades on the seed students check with."""
    if seed == PUBLIC_SEED:
        print(
            f"grader: warning: {command} is using seed {PUBLIC_SEED}, the public seed students check with; "
            "pass --seed N of your own for real grading",
            file=sys.stderr,
        )


def common_options(parser: argparse.ArgumentParser, who: str = "instructor") -> None:
    """The options every grading command takes; `who` picks what --assignment defaults to (see load_rubric)."""
    parser.add_argument(
        "--seed",
        type=seed,
        default=PUBLIC_SEED,
        metavar="N",
        help=f"the seed of the random cases, 0 or more (default {PUBLIC_SEED}, the public one); "
        "the same seed gives the same cases and scores",
    )
    parser.add_argument(
        "--device", default="auto", choices=DEVICES, help="where autograd runs (default auto: CUDA if available)"
    )
    parser.add_argument(
        "--rubric", metavar="FILE", help="a TOML rubric overriding points, case counts, limits and rules"
    )
    parser.add_argument("--assignment", metavar="NAME", type=assignment, default=None, help=ASSIGNMENT_HELP[who])
    parser.add_argument(
        "--allow-weak-sandbox",
        action="store_true",
        help="grade even where the kernel offers no wall for student code (no user namespaces, no "
        "Landlock, not root): the code then runs with your user's rights",
    )
