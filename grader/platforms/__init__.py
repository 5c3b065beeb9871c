"""Adapters that deliver a report where a platform reads it (Gradescope, Coursera, Autolab).

Each platform is a module with pure `make_*` functions (Report -> the platform's format, checked against
the JSON Schemas in schemas/, written from each platform's documentation) and one `run` command that
grades a submission where the platform puts it and writes the result where the platform reads it:

    backprop-grader gradescope run [--root /autograder]     -> ROOT/results/results.json
    backprop-grader gradescope build-zip --out autograder.zip [--rubric FILE] [--seed N]
    backprop-grader coursera run [--shared /shared]          -> SHARED/feedback.json, htmlFeedback.html
    backprop-grader autolab run PATH                         -> stdout, autoresult on the last line
"""

from __future__ import annotations

PLATFORMS = ("gradescope", "coursera", "autolab")


def _dispatch(args) -> int:
    """The CLI calls commands[args.command](args); each platform's action set its own handler."""
    return args.action_handler(args)


def add_commands(subparsers, commands: dict) -> None:
    """Register each platform's subcommands on the CLI; `commands` maps a name to its handler."""
    from grader.frontends.cli_options import common_options
    from grader.platforms import autolab, coursera, gradescope

    for module in (gradescope, coursera, autolab):
        module.add_parser(subparsers, common_options)
    for name in PLATFORMS:
        commands[name] = _dispatch
