"""The partitioned layout, written a partition a task: articles a year each, then related
rows and revisions a first hex digit of article_id each.

A year's articles are all in the spool's buckets of that year, duplicates included (an
article's id hashes its date), so a task resolves and writes its year alone. The related
rows of a digit are those of the related buckets that hold its ids, but those of the
pages the article tasks dropped (a build's duplicates: few), which every related task is
given. Each partition is written whole by one task, its rows in release order, so the
files are the same whoever writes them: the engine's tasks on a cluster, or threads here.
The tasks take only the index of the buckets they read (`Spool.subset`) and give back
small results: counts, the merges, the dropped pages.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from packager.assemble.faults import checkpoint
from packager.assemble.parsing import Engine
from packager.assemble.spool import (
    Buckets,
    Merged,
    OrderedArticles,
    Spool,
    Spooled,
    ordered_related,
    release_ordered,
)
from packager.contract.schema import arrow_schema
from packager.release.card import CorpusStats
from packager.release.write import TableWriter, partition_writer, write_empty_partition

DIGITS = "0123456789abcdef"


class YearWritten(NamedTuple):
    """What writing one year's articles gave: its counts, merges and dropped pages, and
    its articles' revisions, spooled."""

    stats: CorpusStats
    merged: list[Merged]
    dropped: pa.Array
    revisions: Spooled


def write_year(spool: Spool, data: Path, year: int, buckets: Buckets) -> YearWritten:
    """Write the partition of `year` from `spool` (its buckets of that year)."""
    stats = CorpusStats()
    articles = OrderedArticles(spool, buckets, prefix=f"revisions-{year}")
    with _Lazy(data, "articles", str(year)) as out:
        for table in articles:
            out.write(table)
            stats.add_articles(table)
    stats.revised = articles.revised
    checkpoint("partition-written")
    return YearWritten(stats, articles.merged, articles.dropped, articles.revisions)


def write_prefix(
    spool: Spool, data: Path, digit: str, dropped: pa.Array, table: str = "related"
) -> int:
    """Write the partition of `table`'s rows (related rows or revisions) whose article_id
    starts with `digit`, but those of the `dropped` pages; the number of rows written."""
    with _Lazy(data, table, digit) as out:
        for rows in ordered_related(spool, dropped, digit, table):
            out.write(rows)
    return out.rows


def write_partitioned(
    spool: Spool, data: Path, buckets: Buckets, engine: Engine
) -> tuple[CorpusStats, list[Merged]]:
    """Both tables as partitions into `data`, by tasks on `engine`: the years, then the
    digits (which need the pages the years dropped). The counts and merges are those of
    the years in order, as a single writer would find them."""
    data = data.resolve()  # tasks may run in another folder, or on another machine
    data.mkdir()
    years = [
        (spool.subset("articles", list(group)), data, year, buckets)
        for year, group in groupby(spool.buckets("articles"), key=buckets.year_of)
    ]
    stats, merged, dropped = CorpusStats(), [], []
    for written in engine.run(write_year, years, "year"):
        stats.merge(written.stats)
        merged += written.merged
        dropped.append(written.dropped)
        spool.extend(written.revisions.segments, [])
    pages = pa.concat_arrays(dropped) if dropped else pa.array([], pa.int64())
    digits = [
        (spool.subset("related", buckets.related_of_prefix(digit)), data, digit, pages)
        for digit in DIGITS
    ]
    stats.related = sum(engine.run(write_prefix, digits, "prefix"))
    none = pa.array([], pa.int64())
    revised = [
        (spool.subset("revisions", buckets.related_of_prefix(d)), data, d, none, "revisions")
        for d in DIGITS
    ]
    stats.revisions = sum(engine.run(write_prefix, revised, "revisions"))
    for table, rows in (
        ("articles", stats.articles),
        ("related", stats.related),
        ("revisions", stats.revisions),
    ):
        if not rows:
            write_empty_partition(data, table, arrow_schema(table))
    return stats, release_ordered(merged)


class _Lazy:
    """A partition's writer, opened at its first rows (a partition with no rows is no
    file)."""

    def __init__(self, data: Path, table: str, value: str) -> None:
        self._where = (data, table, value)
        self._writer: TableWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self._writer is None:
            data, name, value = self._where
            self._writer = partition_writer(data, name, value, arrow_schema(name))
        self._writer.write(table)

    def __enter__(self) -> _Lazy:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if self._writer is None:
            return
        if exc is None:
            self._writer.close()
            self.rows = self._writer.rows
        else:
            self._writer.abandon()
