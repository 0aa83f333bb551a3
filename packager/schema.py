"""The Table Schemas in ``schemas/`` are the one source of truth for the tables.

The Arrow schema the writers use is derived from them here; the pydantic models in
`packager.models` are written out by hand for readers, and a test keeps them in step.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

TABLES = ("articles", "related")

# Table Schema type -> Arrow type. Dates stay dates (not timestamps) in every format.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "date": pa.date32(),
}


def _schemas_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "schemas", here / "schemas"):
        if (candidate / "articles.schema.json").is_file():
            return candidate
    raise FileNotFoundError("packager's schemas/ folder is missing from this installation")


@cache
def table_schema(table: str) -> dict[str, Any]:
    """The Frictionless Table Schema of `table` ("articles" or "related")."""
    path = _schemas_dir() / f"{table}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


def field_names(table: str) -> list[str]:
    return [f["name"] for f in table_schema(table)["fields"]]


def is_required(field: dict[str, Any]) -> bool:
    return bool(field.get("constraints", {}).get("required"))


@cache
def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of `table`: required fields are not nullable."""
    fields = []
    for f in table_schema(table)["fields"]:
        meta = {"description": f["description"]} if "description" in f else None
        fields.append(
            pa.field(f["name"], ARROW_TYPES[f["type"]], nullable=not is_required(f), metadata=meta)
        )
    return pa.schema(fields)
