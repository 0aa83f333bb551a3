"""The checker applied to one parsed-article table as a release's table is checked (its
Table Schema, frictionless's codes and row numbers, the contract's rules), with the
fields the contract derives derived where their column is absent: the tests' way to
reach the release checker with a CSV written by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from packager.check.checker import Collector, ContractRules, ErrorLimit, TableChecker
from packager.check.validate import _drain
from packager.contract import rules
from packager.contract.language import detect_language
from packager.contract.models import Report
from packager.contract.record import DERIVED
from packager.contract.rules import parse_iso_date
from packager.contract.schema import table_schema
from packager.inputs.rows import RELATED
from packager.inputs.tables import open_table


def derive(batch: pa.RecordBatch) -> pa.RecordBatch:
    """`batch` with the fields the contract derives (article_id, word_count, language)
    added where the table has no column for them, so that the checks judge the rest."""
    names = batch.schema.names
    missing = [n for n in DERIVED if n not in names]
    if not missing:
        return batch
    empty = [None] * batch.num_rows
    cols = {
        n: batch.column(n).to_pylist() if n in names else empty
        for n in ("source", "date_published", "title", "body")
    }
    derived: dict[str, list[str | None]] = {n: [] for n in missing}
    for source, published, title, body in zip(*cols.values(), strict=True):
        day = parse_iso_date(published) if isinstance(published, str) else published
        if "article_id" in derived:
            known = source and title and day is not None
            aid = rules.article_id(source, day, title) if known and day is not None else None
            derived["article_id"].append(aid)
        if "word_count" in derived:
            derived["word_count"].append(None if body is None else str(rules.word_count(body)))
        if "language" in derived:
            derived["language"].append(detect_language(body) if body else None)
    for name in missing:
        batch = batch.append_column(name, pa.array(derived[name], pa.string()))
    return batch


def check_table_schema(
    path: Path,
    *,
    today: dt.date | None = None,
    mapping: dict[str, str] | None = None,
    max_errors: int | None = None,
) -> Report:
    """A parsed-article table checked against the articles Table Schema as it stands (the
    fields the contract derives derived where their column is absent), with
    frictionless's codes and row numbers and the contract's rules: how a release's table
    is checked, applied to one file."""
    out = Collector(max_errors=max_errors)
    try:
        rows = _check_articles(path, out, ContractRules(today=today or dt.date.today()),
                               mapping or {})  # fmt: skip
    except ErrorLimit:
        rows = 0
    return Report(issues=out.issues, stats={"rows": rows, "truncated": out.truncated})


def _check_articles(
    path: Path, out: Collector, contract: ContractRules, mapping: dict[str, str]
) -> int:
    source = open_table(path, path.name, mapping)
    schema = table_schema("articles")
    checker = TableChecker(schema, path.name, out, contract=contract)
    required = {f["name"] for f in schema["fields"] if f.get("constraints", {}).get("required")}
    columns = [c for c in source.columns if c != RELATED]
    checker.header(columns + list(DERIVED), required_only=required)
    for batch, rows, missing in source.batches:
        _drain(source, out)
        if RELATED in batch.schema.names:
            batch = batch.drop_columns([RELATED])
        checker.check(derive(batch), rows, missing)
    _drain(source, out)
    checker.finish()
    return checker.rows
