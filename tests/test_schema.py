"""One source of truth: the pydantic models, the Table Schemas and the Parquet files agree."""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from packager import Article, BuildResult, Related
from packager.contract.schema import arrow_schema, is_required, table_schema

MODELS: dict[str, type[BaseModel]] = {"articles": Article, "related": Related}
PY_TYPES = {"string": str, "integer": int, "date": dt.date}
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "date": pa.date32()}


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """(the non-None type, whether None is allowed)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        assert len(args) == 1
        inner, _ = _base_type(args[0])
        return inner, True
    if typing.get_origin(annotation) is typing.Annotated:
        return _base_type(typing.get_args(annotation)[0])
    return annotation, False


def _constraints(info: FieldInfo, annotation: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    metadata = list(info.metadata)
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Annotated:
            metadata += [m for a in typing.get_args(arg)[1:] for m in getattr(a, "metadata", [a])]
    for item in metadata:
        for attr, key in (
            ("pattern", "pattern"),
            ("min_length", "minLength"),
            ("max_length", "maxLength"),
            ("ge", "minimum"),
        ):
            value = getattr(item, attr, None)
            if value is not None:
                found[key] = value
    return found


@pytest.mark.parametrize("table", ["articles", "related"])
def test_models_match_table_schemas(table: str) -> None:
    model = MODELS[table]
    fields = table_schema(table)["fields"]
    assert list(model.model_fields) == [f["name"] for f in fields]
    for f in fields:
        info = model.model_fields[f["name"]]
        base, nullable = _base_type(info.annotation)
        assert base is PY_TYPES[f["type"]], f["name"]
        assert nullable == (not is_required(f)), f["name"]
        assert info.is_required() == is_required(f), f["name"]
        expected = {
            k: (f"^(?:{v})$" if k == "pattern" else v)
            for k, v in f.get("constraints", {}).items()
            if k in ("pattern", "minLength", "maxLength", "minimum")
        }
        assert _constraints(info, info.annotation) == expected, f["name"]


@pytest.mark.parametrize("table", ["articles", "related"])
def test_parquet_files_match_table_schemas(example_release: BuildResult, table: str) -> None:
    written = pq.read_schema(example_release.path / f"data/{table}.parquet")
    fields = table_schema(table)["fields"]
    assert written.names == [f["name"] for f in fields]
    for f in fields:
        assert written.field(f["name"]).type == ARROW_TYPES[f["type"]], f["name"]
        assert written.field(f["name"]).nullable == (not is_required(f)), f["name"]
    assert written.equals(arrow_schema(table), check_metadata=False)


def test_descriptor_schemas_are_the_table_schemas(example_release: BuildResult) -> None:
    descriptor = json.loads((example_release.path / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        table = resource["name"].removesuffix("-parquet")
        expected = {k: v for k, v in table_schema(table).items() if k != "$schema"}
        assert resource["schema"] == expected
