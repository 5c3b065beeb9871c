"""pytest front end for the grader (inactive unless ``--submission`` is given)."""
from __future__ import annotations
