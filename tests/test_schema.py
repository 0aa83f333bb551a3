"""One source of truth: the pydantic models, the Table Schemas and the Parquet files agree."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from packager import Article, BuildResult, Related
from packager.contract.schema import arrow_schema, is_required, table_schema

from .conftest import ROOT

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


ADD_A_FIELD = """
import json, sys
from pathlib import Path
import pyarrow.parquet as pq
from packager import Article, build_release, validate
release = build_release([Path(sys.argv[1])], name="s", version="1.0.0", out=Path(sys.argv[2]),
                        created="2026-11-23T00:00:00Z", workers=1)
report = validate([release.path])
rows = pq.read_table(release.path / "data/articles.parquet").to_pylist()
descriptor = json.loads((release.path / "datapackage.json").read_text())
card = (release.path / "README.md").read_text()
print(json.dumps({
    "valid": report.valid, "model": list(Article.model_fields),
    "sections": [r["section"] for r in rows],
    "described": [f["name"] for f in descriptor["resources"][0]["schema"]["fields"]],
    "carded": "| `section` | string |" in card,
}))
"""


def test_a_field_added_to_the_schema_needs_no_other_change(tmp_path: Path) -> None:
    # The schemas are the one source: a field added to a copy of them is a field of the
    # model, the Arrow schema, the files, the descriptor and the card, and it is checked,
    # with no change to packager's code. (A derived field would also need the line of
    # packager/contract/record.py that derives it.)
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    for path in sorted((ROOT / "schemas").glob("*.json")):
        (schemas / path.name).write_text(path.read_text())
    articles = json.loads((schemas / "articles.schema.json").read_text())
    articles["fields"].append(
        {"name": "section", "type": "string", "description": "The site's section.",
         "constraints": {"maxLength": 20}}
    )  # fmt: skip
    (schemas / "articles.schema.json").write_text(json.dumps(articles))
    rows = [
        {"source": "KCNA", "title": "Harvest", "date_published": "2025-09-01",
         "body": "Grain is in.", "section": " Economy "},
        {"source": "KCNA", "title": "Rain", "date_published": "2025-09-02",
         "body": "It rained.", "section": "a section name far longer than twenty"},
    ]  # fmt: skip
    table = tmp_path / "scraped.jsonl"
    table.write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = subprocess.run(
        [sys.executable, "-c", ADD_A_FIELD, str(table), str(tmp_path / "out")],
        env={**os.environ, "PACKAGER_SCHEMAS": str(schemas)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["valid"] and found["carded"]
    assert found["model"][-1] == found["described"][-1] == "section"
    assert found["sections"] == ["Economy"]  # stripped; the second row breaks maxLength
