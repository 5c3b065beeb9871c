"""The JSON Schema of a report, shipped in the package, and a validator for it."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


@lru_cache(maxsize=1)
def report_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_report(data: dict) -> None:
    """Raise jsonschema.ValidationError if `data` is not a valid report."""
    import jsonschema

    jsonschema.validate(data, report_schema())
