"""Parsed-article tables (CSV, Parquet, JSON Lines), row by row, to records.

Other scrapers' files name columns their own way (`--map TARGET=SOURCE` renames them). A
row's values go by field name to `packager.contract.record.make_record`, as a page's do, so
a row is normalised, derived and checked exactly as a page is: what the contract derives
(`article_id`, `word_count`, `language`, the byline) is derived whatever the row says. A
record may carry its related items as a list under `related`, as `packager parse` writes
them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Reject
from packager.contract.record import Record, make_record
from packager.contract.rejection import Rejection
from packager.contract.rules import parse_iso_date
from packager.inputs.files import InputFile
from packager.inputs.tables import open_table

RELATED = "related"
DATES = ("date_published", "date_captured")


def parse_table(
    item: InputFile,
    mapping: dict[str, str] | None = None,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Record | Reject]:
    """One `Record` or `Reject` per row of a parsed-article table, in file order, then a
    `Reject` for each row that could not be read at all."""
    source = open_table(item.path, item.source_file, mapping)
    day = today or dt.date.today()
    for batch, rows, _missing in source.batches:
        for number, row in zip(rows.to_pylist(), batch.to_pylist(), strict=True):
            try:
                yield record_of_row(row, item.source_file, number, day, limits)
            except Rejection as rejection:
                yield Reject(
                    source_file=item.source_file,
                    code=rejection.code,
                    message=rejection.message,
                    line=rejection.line if rejection.line is not None else number,
                )
    for issue in source.issues:  # rows too short or too long, lines that are not JSON
        yield Reject(
            source_file=item.source_file, code=issue.code, message=issue.message, line=issue.row
        )


def record_of_row(
    row: Mapping[str, Any], label: str, number: int, today: dt.date, limits: Limits
) -> Record:
    """The record of one table row (`number` is its row or line, for messages)."""
    given = {name: value for name, value in row.items() if name != RELATED}
    given["source_file"] = given.get("source_file") or label
    for name in DATES:
        given[name] = _date(given.get(name), name, number)
    related = _related(row.get(RELATED), number)
    return make_record(given, related, today=today, limits=limits, line=number)


def _date(value: object, name: str, number: int) -> dt.date | None:
    if value is None or (type(value) is dt.date):
        return value
    if isinstance(value, str):
        day = parse_iso_date(value.strip())
        if day is None:
            raise Rejection("bad-date", f"{name} {value!r} is not YYYY-MM-DD", number)
        return day
    raise Rejection("bad-date", f"{name} {value!r} is not a date", number)


def _related(cell: Any, number: int) -> list[dict[str, Any]]:
    try:
        items = json.loads(cell) if isinstance(cell, str) else (cell or [])
    except (ValueError, RecursionError):
        raise Rejection("invalid-article", "related: not a JSON list of items", number) from None
    if not isinstance(items, list):
        raise Rejection("invalid-article", "related: not a list of items", number)
    out = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            message = f"related item {position}: not an object"
            raise Rejection("invalid-article", message, number)
        found = dict(item)
        found["date_published"] = _date(found.get("date_published"), "date_published", number)
        out.append(found)
    return out
