"""Where the pytest plugin keeps its grading session: the one key both the plugin (which stores it) and
the instructors' fixtures (which read it) need. Its own module so that neither imports the other: the
plugin is loaded by every pytest run and must stay light, the fixtures import the sandbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from grader.frontends.pytest_session import GradingSession

STATE: pytest.StashKey[GradingSession] = pytest.StashKey()
