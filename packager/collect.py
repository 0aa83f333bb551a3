"""Parsed pages to deduplicated tables in release order, with memory bounded by a bucket.

Pages are spooled to Arrow IPC files on disk as they are parsed, in buckets that can be
ordered one at a time:

- articles by month of `date_published`. Duplicates share an `article_id`, and the id
  hashes the date, so every duplicate lands in the same bucket; and the release order
  `(date_published, article_id)` is the buckets' order, each bucket sorted.
- related rows by the first two hex digits of `article_id`; the order
  `(article_id, position)` is again the buckets' order, each bucket sorted.

Memory holds the largest bucket, at most `FLUSH_ROWS` buffered rows, and one integer per
packaged article (which page won); never the whole corpus (docs/design.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from packager.models import Page
from packager.schema import arrow_schema

FLUSH_ROWS = 8_000
PAGE = "_page"


def _spool_schema(table: str, *extra: pa.Field) -> pa.Schema:
    # Spooled rows come from validated models; nullability is enforced when writing.
    fields = [f.with_nullable(True) for f in arrow_schema(table)]
    return pa.schema([*fields, *extra])


_SCHEMAS = {
    "articles": _spool_schema("articles", pa.field(PAGE, pa.int64())),
    "related": _spool_schema("related", pa.field(PAGE, pa.int64())),
}


_ARTICLE_FIELDS = arrow_schema("articles").names
_RELATED_FIELDS = arrow_schema("related").names


@dataclass(frozen=True)
class Merged:
    """A page folded into another with the same `article_id`."""

    article_id: str
    kept: str
    dropped: str
    body_differs: bool


class Spool:
    """Parsed rows on disk, in buckets, under `folder`.

    Rows are buffered column by column for the whole flush (Arrow converts column lists far
    faster than row dictionaries), with their bucket. A flush sorts the rows by bucket and
    writes one Arrow IPC file per table holding one record batch per bucket; an index of
    (file, batch) per bucket lets a bucket be read back alone."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._columns = {t: {n: [] for n in _SCHEMAS[t].names} for t in _SCHEMAS}
        self._buckets: dict[str, list[str]] = {t: [] for t in _SCHEMAS}
        # bucket -> [(flush number, offset, size)]: small ints, not paths, as there are
        # (flushes x buckets) of them
        self._index: dict[str, dict[str, list[tuple[int, int, int]]]] = {t: {} for t in _SCHEMAS}
        self._buffered = 0
        self._flushes = 0

    def add(self, page_index: int, page: Page) -> None:
        article = page.article
        columns = self._columns["articles"]
        for name in _ARTICLE_FIELDS:
            columns[name].append(getattr(article, name))
        columns[PAGE].append(page_index)
        self._buckets["articles"].append(article.date_published.strftime("%Y-%m"))
        related = self._columns["related"]
        for item in page.related:
            for name in _RELATED_FIELDS:
                related[name].append(getattr(item, name))
            related[PAGE].append(page_index)
            self._buckets["related"].append(item.article_id[:2])
        self._buffered += 1 + len(page.related)
        if self._buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table, schema in _SCHEMAS.items():
            buckets = self._buckets[table]
            if not buckets:
                continue
            columns = self._columns[table]
            arrays = [pa.array(columns[f.name], f.type) for f in schema]
            rows = pa.Table.from_arrays(arrays, schema=schema)
            keys = pa.array(buckets, pa.string())
            order = pc.sort_indices(keys)  # stable: rows keep their order within a bucket
            rows, keys = rows.take(order).combine_chunks(), keys.take(order)
            runs = pc.run_end_encode(keys)
            bounds = zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True)
            # One file per flush: each bucket's rows as one serialized record batch, found
            # again by its offset and length (a read is one seek, no file footer to parse).
            with self._path(table, self._flushes).open("wb") as sink:
                start = 0
                for bucket, end in bounds:
                    message = rows.slice(start, end - start).to_batches()[0].serialize()
                    where = (self._flushes, sink.tell(), message.size)
                    sink.write(message)
                    self._index[table].setdefault(bucket, []).append(where)
                    start = end
            for values in columns.values():
                values.clear()
            buckets.clear()
        self._flushes += 1
        self._buffered = 0

    def _path(self, table: str, flush: int) -> Path:
        return self.folder / f"{table}-{flush:06d}.arrows"

    def buckets(self, table: str) -> list[str]:
        return sorted(self._index[table])

    def read(self, table: str, bucket: str) -> pa.Table:
        schema = _SCHEMAS[table]
        batches = []
        for flush, offset, size in self._index[table].get(bucket, []):
            with self._path(table, flush).open("rb") as source:
                source.seek(offset)
                batches.append(pa.ipc.read_record_batch(pa.py_buffer(source.read(size)), schema))
        return pa.Table.from_batches(batches, schema=schema)


def _group_starts(ids: list[str]) -> list[bool]:
    return [i == 0 or ids[i] != ids[i - 1] for i in range(len(ids))]


@dataclass
class OrderedArticles:
    """Articles in release order, bucket by bucket; fills `merged` and `winning_pages`."""

    spool: Spool
    merged: list[Merged] = field(default_factory=list)
    winning_pages: list[pa.Array] = field(default_factory=list)

    def __iter__(self) -> Iterator[pa.Table]:
        for bucket in self.spool.buckets("articles"):
            yield self._resolve(self.spool.read("articles", bucket))

    def _resolve(self, table: pa.Table) -> pa.Table:
        # The row kept for an id: latest capture (no capture date counts as oldest), then
        # the smallest source_file; the page index makes the order total.
        order = pc.sort_indices(
            table,
            sort_keys=[
                ("article_id", "ascending", "at_end"),
                ("date_captured", "descending", "at_end"),
                ("source_file", "ascending", "at_end"),
                (PAGE, "ascending", "at_end"),
            ],
        )
        keys = table.select(["article_id", "source_file"]).take(order).to_pydict()
        starts = _group_starts(keys["article_id"])
        kept = 0
        body = table.column("body")  # compared only below, for the few duplicate pages
        for i, is_start in enumerate(starts):
            if is_start:
                kept = i
                continue
            self.merged.append(
                Merged(
                    article_id=keys["article_id"][i],
                    kept=keys["source_file"][kept],
                    dropped=keys["source_file"][i],
                    body_differs=body[order[i].as_py()] != body[order[kept].as_py()],
                )
            )
        winners = table.take(order.filter(pa.array(starts, pa.bool_())))
        winners = winners.take(
            pc.sort_indices(
                winners, sort_keys=[("date_published", "ascending"), ("article_id", "ascending")]
            )
        )
        self.winning_pages.append(winners[PAGE].combine_chunks())
        return winners.drop_columns([PAGE])


def ordered_related(spool: Spool, winning_pages: list[pa.Array]) -> Iterator[pa.Table]:
    """Related rows of the kept pages, in release order `(article_id, position)`."""
    pages = pa.concat_arrays(winning_pages) if winning_pages else pa.array([], pa.int64())
    for bucket in spool.buckets("related"):
        table = spool.read("related", bucket)
        table = table.filter(pc.is_in(table[PAGE], value_set=pages))
        order = pc.sort_indices(
            table, sort_keys=[("article_id", "ascending"), ("position", "ascending")]
        )
        yield table.take(order).drop_columns([PAGE])
