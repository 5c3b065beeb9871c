"""Adapters that deliver a report where a platform reads it (Gradescope, Coursera, Autolab)."""

from __future__ import annotations


def add_commands(subparsers, commands: dict) -> None:
    """Register each platform's subcommands on the CLI; `commands` maps a name to its handler."""
    return None
