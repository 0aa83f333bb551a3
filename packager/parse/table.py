"""Parsed-article tables (CSV, Parquet, JSON Lines) to `Page` records, row by row.

Other scrapers' files name columns their own way (`--map TARGET=SOURCE` renames them) and
may leave out what the contract derives: `article_id`, `word_count` and `language` are
derived when their column is absent. A JSON Lines record may carry its related items as
a list under `related`, as `packager parse` writes them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from packager import rules
from packager.inputs import InputFile
from packager.language import detect_language
from packager.models import Article, Page, Reject, Related
from packager.parse.rejection import Rejection
from packager.tablecheck import parse_date
from packager.tables import open_table

DERIVED = ("article_id", "word_count", "language")
RELATED = "related"


def derive(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Add the fields the contract derives (article_id, word_count, language) when absent."""
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
        day = parse_date(published) if isinstance(published, str) else published
        if "article_id" in derived:
            ok = source and title and day
            derived["article_id"].append(rules.article_id(source, day, title) if ok else None)
        if "word_count" in derived:
            count = rules.word_count(body) if body is not None else None
            derived["word_count"].append(None if count is None else str(count))
        if "language" in derived:
            derived["language"].append(detect_language(body) if body else None)
    for name in missing:
        batch = batch.append_column(name, pa.array(derived[name], pa.string()))
    return batch


def _related(aid: str, cell: Any) -> tuple[Related, ...]:
    items = json.loads(cell) if isinstance(cell, str) else (cell or [])
    if not isinstance(items, list):
        raise Rejection("invalid-article", "related: not a list of items", None)
    out = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise Rejection("invalid-article", f"related item {position}: not an object", None)
        out.append(Related(article_id=aid, **{"position": position, **item}))
    return tuple(out)


def _page(row: dict[str, Any], item: InputFile, number: int, today: dt.date) -> Page:
    row = {k: v for k, v in row.items() if v is not None}
    related_cell = row.pop(RELATED, None)
    row.setdefault("source_file", item.source_file)
    for name in ("date_published", "date_captured"):
        if isinstance(row.get(name), str):
            value = parse_date(row[name])
            if value is None:
                raise Rejection("bad-date", f"{name} {row[name]!r} is not YYYY-MM-DD", number)
            row[name] = value
    try:
        article = Article(**row)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise Rejection("invalid-article", f"{where}: {error['msg']}", number) from None
    problem = rules.date_problem(article.date_published, article.date_captured, today)
    if problem:
        raise Rejection(problem[0], problem[1], number)
    if not article.body.strip():
        raise Rejection("empty-body", "the article has no body text", number)
    try:
        related = _related(article.article_id, related_cell)
    except (ValidationError, ValueError, TypeError) as exc:
        raise Rejection("invalid-article", f"related: {exc}".splitlines()[0], number) from None
    return Page(article=article, related=related)


def parse_table(
    item: InputFile, mapping: dict[str, str] | None = None, today: dt.date | None = None
) -> Iterator[Page | Reject]:
    """One `Page` or `Reject` per row of a parsed-article table, in file order."""
    source = open_table(item.path, item.source_file, mapping)
    for batch, rows, _missing in source.batches:
        for number, row in zip(rows.to_pylist(), derive(batch).to_pylist(), strict=True):
            try:
                yield _page(row, item, number, today or dt.date.today())
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
