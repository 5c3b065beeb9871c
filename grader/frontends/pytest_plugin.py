"""pytest front end: `pytest --submission PATH` grades a submission as pytest items.

Inactive unless `--submission` is given: then it only registers its options and the `points`
marker. Given `--submission`, it
- loads no conftest.py at all (like --noconftest), so a student's conftest.py cannot run;
- refuses to grade under a pytest configuration the submission's folder may have chosen, or when a
  module or sys.path entry of that folder is already in this process (see pytest_load_initial_conftests);
  `backprop-grader pytest ...` (grader/frontends/pytest_command.py) is the way that never lets pytest read one;
- collects nothing from the submission's folder, and nothing at all unless paths are given
  (the instructor's own check files); a path inside the submission's folder is refused;
- adds one item per graded function plus `end_to_end`, grades the submission once per session
  (before the first test runs) and makes each item pass or fail with the feedback of `check`;
- scores an instructor's test marked `@pytest.mark.points(n)`: n points if it passes, 0 if not;
- writes scores into pytest-json-report metadata (see grader/frontends/pytest_report.py) and the terminal summary;
- exits as `backprop-grader check` does (grader/exits.py): 0 full marks, 1 points lost, 2 could not be
  graded, 3 the grader failed, 4 usage error (pytest's own numbers for the last two).
Student code still runs only in the sandbox; this process compares and scores.

This module is the plugin pytest loads (the `pytest11` entry point): the options, the guard that runs
before any conftest.py, and registering the run's GradingSession (grader/frontends/pytest_session.py),
whose hooks do the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import startup
from grader.frontends.pytest_session import GROUP, GradingSession, is_inside, submission_folder
from grader.frontends.pytest_state import STATE

OPT_SUBMISSION, OPT_SEED, OPT_DEVICE, OPT_RUBRIC = "--submission", "--grader-seed", "--grader-device", "--grader-rubric"
HELP_SUBMISSION = (
    "grade this submission (.py, .ipynb, or a folder holding one) as pytest items; without it the plugin does nothing"
)
HELP_SEED = "the seed of the random cases (default 0, as `backprop-grader`)"
HELP_DEVICE = "where autograd runs: auto (default), cpu or cuda"
HELP_RUBRIC = "a TOML rubric overriding points, case counts and limits"
MARKER_POINTS = "points(n): the points a test is worth; an instructor's check scores only with this marker"
PLUGIN_NAME = "backprop-grader-session"
FIXTURES_NAME = "backprop-grader-fixtures"
SAFE_PYTEST = "backprop-grader pytest"  # the front end that picks pytest's ini, rootdir and sys.path itself


def pytest_addoption(parser: pytest.Parser) -> None:
    from grader.frontends.cli_options import (
        ASSIGNMENT_HELP,
        DEVICES,
        assignment,
        seed,
    )  # the CLI's checks: a bad value is pytest's usage error

    group = parser.getgroup(GROUP, "backprop-grader: grade a submission with pytest")
    group.addoption(OPT_SUBMISSION, dest="grader_submission", metavar="PATH", default=None, help=HELP_SUBMISSION)
    group.addoption(OPT_SEED, dest="grader_seed", type=seed, default=0, metavar="N", help=HELP_SEED)
    group.addoption(OPT_DEVICE, dest="grader_device", default="auto", choices=DEVICES, help=HELP_DEVICE)
    group.addoption(OPT_RUBRIC, dest="grader_rubric", metavar="FILE", default=None, help=HELP_RUBRIC)
    group.addoption(
        "--grader-assignment",
        dest="grader_assignment",
        metavar="NAME",
        type=assignment,
        default=None,
        help=ASSIGNMENT_HELP["student"],
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before any conftest.py loads: with --submission, load none, and refuse to grade where the submission's
    folder already had a say: a path, pytest's configuration, an imported module or a sys.path entry of it.

    pytest reads its ini file and imports `-p` plugins before any plugin of ours loads, so a plugin the
    student's pytest.ini names has already been imported when we look (we refuse, too late to stop it):
    the safe way never lets pytest near that ini, `backprop-grader pytest` (grader/frontends/pytest_command.py)."""
    options = early_config.known_args_namespace
    given = getattr(options, "grader_submission", None)
    if not given:
        return
    options.noconftest = True
    invocation = early_config.invocation_params.dir
    folder = submission_folder(invocation / given)
    for arg in options.file_or_dir or ():
        path = (invocation / str(arg).split("::")[0]).resolve()
        if is_inside(path, folder):
            raise pytest.UsageError(
                f"{arg} is in the submission's folder ({folder}); with {OPT_SUBMISSION}, "
                "nothing is collected from there: keep instructor checks elsewhere"
            )
    inipath = early_config.inipath
    chosen = getattr(options, "inifilename", None) is not None  # -c FILE: the caller's own choice
    if inipath is not None and (
        is_inside(inipath.resolve(), folder) or (not chosen and is_inside(invocation.resolve(), folder))
    ):
        # found by pytest's own search, counting `--submission PATH`'s PATH as a test path, or from the
        # submission's folder as the current one: a configuration the student may have chosen
        raise pytest.UsageError(
            f"pytest read its configuration from {inipath}, which the submission's folder may have chosen "
            f"({folder}); grade with `{SAFE_PYTEST} {OPT_SUBMISSION}={given}`, which reads only the grader's own"
        )
    found = startup.problems([str(invocation / given)], check_cwd=False)
    if found:
        raise pytest.UsageError(startup.refusal(found, f"`{SAFE_PYTEST} {OPT_SUBMISSION}={given}`"))
    if is_inside(early_config.rootpath.resolve(), folder):
        early_config.pluginmanager.set_blocked("cacheprovider")  # write no .pytest_cache into the submission


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_POINTS)
    given = config.getoption("grader_submission")
    if not given:
        return
    session = GradingSession.from_config(config, Path(config.invocation_params.dir) / given, given)
    config.stash[STATE] = session
    config.pluginmanager.register(session, PLUGIN_NAME)
    from grader.frontends import pytest_fixtures

    config.pluginmanager.register(pytest_fixtures, FIXTURES_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(STATE, None)
    if session is not None:
        session.close()
        config.pluginmanager.unregister(session, PLUGIN_NAME)
        config.pluginmanager.unregister(name=FIXTURES_NAME)
        del config.stash[STATE]
