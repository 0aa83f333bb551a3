"""The Table Schemas in ``schemas/`` are the one source of truth for the tables.

Everything else that knows a table's fields is made from them here: the field lists, the
Arrow schema the writers use, the pydantic models of the library, and the per-record check
that the build runs on every row it spools. Code names fields, never positions.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, create_model

TABLES = ("articles", "related", "revisions")

# Table Schema type -> Arrow type. Dates stay dates (not timestamps) in every format.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "date": pa.date32(),
}
PYTHON_TYPES: dict[str, type] = {"string": str, "integer": int, "date": dt.date}


def schemas_dir() -> Path:
    """The folder of the Table Schemas: ``schemas/`` of a checkout, or the wheel's copy;
    ``PACKAGER_SCHEMAS`` names another (to try a schema change before making it)."""
    if chosen := os.environ.get("PACKAGER_SCHEMAS"):
        return Path(chosen)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "schemas", here / "schemas"):
        if (candidate / "articles.schema.json").is_file():
            return candidate
    raise FileNotFoundError("packager's schemas/ folder is missing from this installation")


@cache
def table_schema(table: str) -> dict[str, Any]:
    """The Frictionless Table Schema of `table` ("articles" or "related")."""
    path = schemas_dir() / f"{table}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def fields(table: str) -> list[dict[str, Any]]:
    """The field descriptors of `table`, in the schema's order."""
    found: list[dict[str, Any]] = table_schema(table)["fields"]
    return found


@cache
def field_names(table: str) -> tuple[str, ...]:
    """The names of `table`'s fields, in the schema's order (the files' column order)."""
    return tuple(f["name"] for f in fields(table))


def field(table: str, name: str) -> dict[str, Any]:
    """The descriptor of the field `name` of `table`."""
    for f in fields(table):
        if f["name"] == name:
            return f
    raise KeyError(f"{table} has no field {name!r}")


def constraint(table: str, name: str, key: str) -> Any:
    """A constraint of a field (None where the schema sets none)."""
    return field(table, name).get("constraints", {}).get(key)


def is_required(f: Mapping[str, Any]) -> bool:
    return bool(f.get("constraints", {}).get("required"))


@cache
def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of `table`: required fields are not nullable."""
    out = []
    for f in fields(table):
        meta = {"description": f["description"]} if "description" in f else None
        out.append(
            pa.field(f["name"], ARROW_TYPES[f["type"]], nullable=not is_required(f), metadata=meta)
        )
    return pa.schema(out)


def model(table: str, class_name: str, doc: str) -> type[BaseModel]:
    """A frozen pydantic model of one row of `table`, its fields and constraints those of
    the Table Schema (required, minLength, maxLength, pattern, minimum, maximum)."""
    definitions: dict[str, Any] = {}
    for f in fields(table):
        constraints = f.get("constraints", {})
        kind: Any = PYTHON_TYPES[f["type"]]
        options: dict[str, Any] = {"description": f.get("description")}
        for key, option in _PYDANTIC_OPTIONS.items():
            if key in constraints:
                value = constraints[key]
                options[option] = f"^(?:{value})$" if key == "pattern" else value
        if is_required(f):
            definitions[f["name"]] = (kind, Field(**options))
        else:
            definitions[f["name"]] = (kind | None, Field(default=None, **options))
    made: type[BaseModel] = create_model(
        class_name,
        __config__=ConfigDict(frozen=True, extra="forbid"),
        __doc__=doc,
        __module__="packager.contract.models",
        **definitions,
    )
    return made


_PYDANTIC_OPTIONS = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minimum": "ge",
    "maximum": "le",
}


@cache
def record_check(
    table: str, skip: frozenset[str] = frozenset()
) -> Callable[[Mapping[str, Any]], tuple[str, str] | None]:
    """A function giving the first (field, problem) of a record against `table`'s Table
    Schema (type, required, lengths, pattern, bounds), or None; the fields in `skip` are
    not looked at (a caller that checked them already). Its source is written from the
    schema once, the way dataclasses write their methods: the build checks every row it
    spools, and a straight run of tests takes a microsecond or two where a loop over
    check functions took ten."""
    env: dict[str, Any] = {}
    lines = ["def check(r):"]
    for k, f in enumerate(fields(table)):
        if f["name"] not in skip:
            lines.append(f"    v = r.get({f['name']!r})")
            lines += _value_tests(k, f, env, "    ", f"return ({f['name']!r}, {{}})")
    lines.append("    return None")
    made: Callable[[Mapping[str, Any]], tuple[str, str] | None] = _made(lines, env)
    return made


@cache
def columns_check(
    table: str, skip: frozenset[str] = frozenset()
) -> Callable[[Mapping[str, list[Any]]], tuple[int, str, str] | None]:
    """`record_check` for rows held as columns (a list of values by field name, all of one
    length): the (row, field, problem) of the first row that breaks the schema, its first
    field in the schema's order, or None. A loop a column: no dict a row is needed."""
    env: dict[str, Any] = {}
    lines = ["def check(c):", "    found = []"]
    for k, f in enumerate(fields(table)):
        if f["name"] not in skip:
            lines.append(f"    for i, v in enumerate(c[{f['name']!r}]):")
            lines += _value_tests(k, f, env, "        ", f"found.append((i, {k}, {{}})); break")
    lines.append("    if not found: return None")
    lines.append("    i, k, problem = min(found)")
    lines.append("    return i, NAMES[k], problem")
    env["NAMES"] = field_names(table)
    made: Callable[[Mapping[str, list[Any]]], tuple[int, str, str] | None] = _made(lines, env)
    return made


def _value_tests(k: int, f: dict[str, Any], env: dict[str, Any], at: str, fail: str) -> list[str]:
    """The lines that test `v` against field `k`, `f`, of a schema: on the first test it
    fails, `fail` (a statement, `{}` the problem's text). Values the tests use go to `env`."""
    kind, constraints = f["type"], f.get("constraints", {})
    env[f"T{k}"] = PYTHON_TYPES[kind]
    lines = []
    if is_required(f):
        lines.append(f"{at}if v is None: {fail.format(repr('is required'))}")
    else:
        lines.append(f"{at}if v is not None:")
        at += "    "
    # exact type: a bool is no integer, a datetime no date
    lines.append(f"{at}if type(v) is not T{k}: {fail.format(repr(f'is not of type {kind}'))}")
    for key, test, problem in _CONSTRAINT_TESTS:
        if key in constraints:
            value = constraints[key]
            env[f"C{k}{key}"] = re.compile(value).fullmatch if key == "pattern" else value
            broken = test.format(f"C{k}{key}")
            lines.append(f"{at}if {broken}: {fail.format(repr(problem.format(value)))}")
    return lines


def _made(lines: list[str], env: dict[str, Any]) -> Any:
    exec("\n".join(lines), env)  # noqa: S102 - source made from the schema alone
    return env["check"]


# (constraint, the test that breaks it (of v, the constraint's value as {}), the problem)
_CONSTRAINT_TESTS = (
    ("minLength", "len(v) < {}", "is shorter than {}"),
    ("maxLength", "len(v) > {}", "is longer than {}"),
    ("pattern", "not {}(v)", "does not match {}"),
    ("minimum", "v < {}", "is below {}"),
    ("maximum", "v > {}", "is above {}"),
)
