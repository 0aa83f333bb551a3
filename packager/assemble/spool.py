"""Parsed pages to deduplicated tables in release order, with memory bounded by a bucket.

Parsed pages are spooled to Arrow IPC files on disk as they are parsed (by the worker
processes that parse them), in buckets that can be ordered one at a time:

- articles by month of `date_published` (by parts of a month, for corpora of more than
  400,000 pages). Duplicates share an `article_id`, and the id hashes the date, so every
  duplicate lands in the same bucket; and the release order `(date_published, article_id)`
  is the buckets' order, each bucket sorted.
- related rows by ranges of `article_id` (its first four hex digits, cut into as many
  ranges as the corpus needs for buckets of some 30,000 rows); the order
  `(article_id, position)` is again the buckets' order, each bucket sorted.

Memory holds the largest bucket, a writer's buffered rows (a worker's chunk of pages, or
`FLUSH_ROWS` rows of parsed-article tables, and never more than `FLUSH_BYTES` of text), and
one integer per packaged article (which page won); never the whole corpus
(docs/design.md).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import shutil
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from packager.contract.record import Columns, Record
from packager.contract.schema import arrow_schema
from packager.inputs.remote import StorageOptions, filesystem, is_url

FLUSH_ROWS = 8_000
# A table's writer (in the main process) flushes less often: its rows spread over many day
# buckets, and a flush writes a segment a bucket (FLUSH_BYTES still bounds its bodies).
TABLE_FLUSH_ROWS = 64_000
SPOOL_BUFFER = 1 << 20  # bytes a spool file's writes are gathered in
FLUSH_BYTES = 256 << 20  # bodies buffered by a writer before it writes them out
LARGE_BODY = 1 << 20  # characters of a body spooled from UTF-8 bytes, not its str
RELATED_ROWS_PER_PAGE = 8  # an estimate, to choose the number of related buckets
# A bucket is read from a segment of every chunk, so segments number chunks x buckets:
# fewer, larger buckets cost memory and save Arrow's ~40 us of decoding a segment
# (bench/README.md, "Fewer, larger buckets").
RELATED_BUCKET_ROWS = 60_000
PAGES_PER_MONTH_PART = 500_000  # a month is cut in two parts from a million pages, and so on
TABLE_ROWS_PER_ID_PART = 250_000  # table rows (estimated) from which a day is cut by article_id
PIECE_ROWS = 10_000  # rows of a bucket copied in release order at a time


@dataclass(frozen=True)
class Buckets:
    """How a build spreads rows over buckets, chosen from its number of inputs (so the same
    in every writer): `related` ranges of article_id, and `month_parts` parts of a month
    (by day) for articles; with a quarter million table rows or more, a bucket a day and `id_parts`
    ranges of article_id within it (a snapshot's rows crowd into few months: a month a
    bucket held a million rows at once). The bucket keys keep the release order
    `(date_published, article_id)`: id ranges only split a single day."""

    related: int = 1
    month_parts: int = 1
    id_parts: int = 1

    @classmethod
    def for_inputs(cls, inputs: int, table_rows: int = 0) -> Buckets:
        """Buckets for `inputs` page files and tables, the tables holding some
        `table_rows` rows (an estimate: it only makes buckets finer or coarser)."""
        rows = inputs + table_rows
        id_parts = 16 if table_rows >= TABLE_ROWS_PER_ID_PART else 1
        return cls(
            related=max(1, min(1 << 16, rows * RELATED_ROWS_PER_PAGE // RELATED_BUCKET_ROWS)),
            month_parts=31 if id_parts > 1 else max(1, min(31, rows // PAGES_PER_MONTH_PART)),
            id_parts=id_parts,
        )

    def article(self, day: dt.date, article_id: str = "0") -> int:
        part = (day.year * 100 + day.month) * 100 + (day.day - 1) * self.month_parts // 31
        if self.id_parts == 1:
            return part
        return part * self.id_parts + int(article_id[:1], 16) * self.id_parts // 16

    def year_of(self, bucket: int) -> int:
        """The year of an articles bucket (`article`'s key)."""
        return bucket // (10_000 * self.id_parts)

    def related_of(self, article_id: str) -> int:
        return int(article_id[:4], 16) * self.related >> 16

    def related_of_prefix(self, digit: str) -> range:
        """The related buckets that hold article ids starting with the hex `digit`."""
        return range(self.related_of(f"{digit}000"), self.related_of(f"{digit}fff") + 1)


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
PAGE = "_page"  # the input's place in the build (file, then row): makes every order total
# Which of an article's captures wins at an equal date_captured, smallest first: a page's
# place (the smallest source_file), a table row's place negated (the later file, then the
# later row: daily snapshots keep the newest text).
RANK = "_rank"
LINE = "_line"  # a table row's number in its file, for the trace of a merge
# 1 for an earlier text of an article carried from a release's revisions (not an input of
# this build: it is never reported as a merge), null for every input's row.
REVISION = "_revision"
_OWN_ARTICLE_COLUMNS = [RANK, LINE, REVISION]
# What makes two captures of an article one text: the revisions table keeps each other.
TEXT = ("title", "byline", "body")


def _spool_schema(table: str) -> pa.Schema:
    # Spooled rows come from the parser; nullability is enforced when writing.
    fields = [f.with_nullable(True) for f in arrow_schema(table)]
    own = [pa.field(name, pa.int64()) for name in _OWN_ARTICLE_COLUMNS]
    return pa.schema([*fields, pa.field(PAGE, pa.int64()), *(own if table == "articles" else [])])


_SCHEMAS = {table: _spool_schema(table) for table in ("articles", "related", "revisions")}


class Segment(NamedTuple):
    """Where one bucket's rows of one spool file are: a serialized record batch."""

    table: str
    bucket: int | str
    file: str
    offset: int
    size: int


@dataclass(frozen=True)
class Merged:
    """A page folded into another with the same `article_id`."""

    article_id: str
    kept: str
    kept_line: int | None
    dropped: str
    dropped_line: int | None
    body_differs: bool
    # the article's date: merges are listed in release order, (date, article_id), whatever
    # the buckets (not in the trace)
    date_published: dt.date | None = None

    def trace(self) -> dict[str, Any]:
        """The merge as a line of the release's merges.jsonl."""
        return {
            "article_id": self.article_id,
            "kept_file": self.kept,
            "kept_line": self.kept_line,
            "merged_file": self.dropped,
            "merged_line": self.dropped_line,
            "body_differs": self.body_differs,
        }


class _BucketedRows:
    """A table's buffered rows, by bucket, and for each row the spool's own columns
    (`PAGE`, and for articles `RANK` and `LINE`). Rows come as dicts by field name (an
    article) or as `Columns` (an article's related rows)."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self._own = [f.name for f in schema if f.name.startswith("_")]
        self._fields = [f for f in schema if f.name not in self._own]
        # The table's own fields as one struct type: Arrow converts row dicts by name in
        # one pass, several times faster than a Python list a column.
        self._struct = pa.struct(self._fields)
        # bucket -> (row dicts, the table's columns, a list of values for each own column)
        self._buckets: dict[Any, tuple[list[dict[str, Any]], Columns, list[list[int | None]]]]
        self._buckets = {}

    def _bucket(self, bucket: Any) -> tuple[list[dict[str, Any]], Columns, list[list[int | None]]]:
        found = self._buckets.get(bucket)
        if found is None:
            columns: Columns = {f.name: [] for f in self._fields}
            found = self._buckets[bucket] = ([], columns, [[] for _ in self._own])
        return found

    def add(self, bucket: Any, row: dict[str, Any], own: tuple[int | None, ...]) -> None:
        rows, _, own_columns = self._bucket(bucket)
        rows.append(row)
        for column, value in zip(own_columns, own, strict=False):
            column.append(value)

    def add_columns(
        self, bucket: Any, columns: Columns, count: int, own: tuple[int | None, ...]
    ) -> None:
        _, buffered, own_columns = self._bucket(bucket)
        for name, values in buffered.items():
            values += columns[name]
        for column, value in zip(own_columns, own, strict=False):
            column += [value] * count

    def take_batches(self) -> list[tuple[Any, pa.RecordBatch]]:
        """A record batch a bucket, in bucket order; the buffer is left empty. Every
        bucket's rows are converted at once, then cut (a call a bucket costs more than the
        conversion itself where a flush has many small buckets)."""
        keys = sorted(self._buckets)
        rows: list[dict[str, Any]] = []
        columns: Columns = {f.name: [] for f in self._fields}
        own: list[list[int | None]] = [[] for _ in self._own]
        sizes = []
        for bucket in keys:
            bucket_rows, bucket_columns, bucket_own = self._buckets[bucket]
            rows += bucket_rows
            for name, values in bucket_columns.items():
                columns[name] += values
            for column, values in zip(own, bucket_own, strict=True):
                column += values
            sizes.append(len(bucket_own[0]))
        self._buckets.clear()
        if not sizes:
            return []
        if rows:  # one table's rows come one way: dicts (articles) or columns (related)
            arrays = pa.array(rows, self._struct).flatten()
        else:
            arrays = [pa.array(columns[f.name], f.type) for f in self._fields]
        arrays += [pa.array(values, pa.int64()) for values in own]
        whole = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        batches, start = [], 0
        for bucket, count in zip(keys, sizes, strict=True):
            batches.append((bucket, whole.slice(start, count)))
            start += count
        return batches


@dataclass(frozen=True)
class SpoolPlace:
    """Where a build's spool files are: a local folder (by default in the build's work
    folder), or an object-storage URL (`--spool URL`) that every worker reaches, opened
    with `storage` (fsspec's options). Plain values: a `Job` takes it to every worker."""

    location: str
    storage: StorageOptions = ()

    def _remote(self) -> tuple[Any, str] | None:
        """pyarrow's view of the URL's filesystem, and the folder's path in it."""
        if not is_url(self.location):
            return None
        fs, path = filesystem(self.location, self.storage)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path

    def create(self) -> None:
        remote = self._remote()
        if remote is None:
            Path(self.location).mkdir(parents=True, exist_ok=True)
        else:
            remote[0].create_dir(remote[1], recursive=True)

    def output(self, name: str) -> Any:
        """A new spool file, buffered: a flush writes a record batch a bucket, each of a
        few buffers a column, which unbuffered are some fifty system calls a bucket."""
        remote = self._remote()
        if remote is None:
            raw = pa.OSFile(str(Path(self.location, name)), "wb")
        else:
            raw = remote[0].open_output_stream(f"{remote[1]}/{name}")
        return pa.BufferedOutputStream(raw, SPOOL_BUFFER)

    def read_at(self, name: str, offset: int, size: int) -> pa.Buffer:
        """`size` bytes of the file `name` from `offset`. A local file is opened, read at
        the offset (one system call; a segment is read once) and closed: a memory map a
        segment cost twice the time, its pages faulted in one at a time."""
        remote = self._remote()
        if remote is not None:
            with remote[0].open_input_file(f"{remote[1]}/{name}") as source:
                source.seek(offset)
                buffer: pa.Buffer = source.read_buffer(size)
                return buffer
        fd = os.open(os.path.join(self.location, name), os.O_RDONLY | _CLOEXEC)
        try:
            parts = []
            while size:  # a read may return less than asked (over 2 GiB on Linux)
                part = os.pread(fd, size, offset)
                if not part:
                    raise OSError(f"{name}: the spool file ends before its segment")
                parts.append(part)
                offset, size = offset + len(part), size - len(part)
        finally:
            os.close(fd)
        return pa.py_buffer(parts[0] if len(parts) == 1 else b"".join(parts))

    def remove(self) -> None:
        remote = self._remote()
        if remote is None:
            shutil.rmtree(self.location, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                remote[0].delete_dir(remote[1])


def _place(where: SpoolPlace | Path) -> SpoolPlace:
    return where if isinstance(where, SpoolPlace) else SpoolPlace(str(where))


class Spooled(NamedTuple):
    """What a writer wrote: its segments, and its articles' `_WINNER_ORDER` columns."""

    segments: list[Segment]
    keys: list[pa.RecordBatch]


class SpoolWriter:
    """Writes records to spool files named `{prefix}-{table}-{flush}.arrows` in `place`.
    Rows are buffered by table and bucket until a flush, which writes one file per table
    holding one record batch per bucket."""

    def __init__(
        self,
        place: SpoolPlace | Path,
        prefix: str,
        buckets: Buckets,
        flush_rows: int | None = FLUSH_ROWS,
        *,
        keep_keys: bool = True,
    ) -> None:
        self.place, self.prefix = _place(place), prefix
        self.buckets, self.flush_rows = buckets, flush_rows
        self.keep_keys = keep_keys
        self._tables = {table: _BucketedRows(schema) for table, schema in _SCHEMAS.items()}
        self._rows = 0
        self._bytes = 0
        self._flushes = 0
        self.segments: list[Segment] = []
        # The articles' `_WINNER_ORDER` columns, copied out of each flush (if `keep_keys`):
        # the build finds the captures folded into others from these, not from the bodies.
        self.keys: list[pa.RecordBatch] = []

    def add(
        self, index: int, record: Record, rank: int | None = None, *, revision: bool = False
    ) -> None:
        """Spool `record`, the input at `index`; `rank` decides among captures of one
        article at an equal date (default: `index`, the smallest first); `revision`: the
        record is an earlier text carried from a release's revisions."""
        article = record.article
        if len(article["body"]) >= LARGE_BODY:
            # Kept in UTF-8 and the str let go: converting a str, Arrow keeps a UTF-8 copy
            # beside it, and a str of text beyond Latin-1 is twice its UTF-8 size.
            article["body"] = article["body"].encode("utf-8")
        bucket = self.buckets.article(article["date_published"], article["article_id"])
        own = (index, index if rank is None else rank, record.line, 1 if revision else None)
        self._tables["articles"].add(bucket, article, own)
        self._rows += 1
        self._bytes += len(article["body"])
        self.add_related(index, record.related, flush=False)
        if (self.flush_rows and self._rows >= self.flush_rows) or self._bytes >= FLUSH_BYTES:
            self.flush()

    def add_related(self, index: int, related: Columns, *, flush: bool = True) -> None:
        """Spool the related rows of one article (that of the input at `index`)."""
        ids = related["article_id"]
        if not ids:
            return
        bucket = self.buckets.related_of(ids[0])
        self._tables["related"].add_columns(bucket, related, len(ids), (index,))
        self._rows += len(ids)
        if flush and self.flush_rows and self._rows >= self.flush_rows:
            self.flush()

    def add_revision(self, row: dict[str, Any]) -> None:
        """Spool one row of the revisions table (bucketed as related rows are, by
        article_id: its order is `(article_id, revision)`)."""
        bucket = self.buckets.related_of(row["article_id"])
        self._tables["revisions"].add(bucket, row, (0,))
        self._rows += 1
        self._bytes += len(row["body"])
        if (self.flush_rows and self._rows >= self.flush_rows) or self._bytes >= FLUSH_BYTES:
            self.flush()

    def close(self) -> Spooled:
        """Write what is buffered; the segments of every file written, and the keys of
        every article (what `Spool.extend` takes)."""
        self.flush()
        return Spooled(self.segments, self.keys)

    def flush(self) -> None:
        if not self._rows:
            return
        for table, rows in self._tables.items():
            batches = rows.take_batches()
            if not batches:
                continue
            if table == "articles" and self.keep_keys:
                self.keys.append(_keys_of(batch for _, batch in batches))
            # One file per flush: each bucket's rows as one record batch message of an IPC
            # stream, found again by its offset and length (a read is one seek, no file
            # footer to parse). The stream writer writes the columns' buffers as they are,
            # with no serialized copy of the batch.
            name = f"{self.prefix}-{table}-{self._flushes:04d}.arrows"
            with (
                self.place.output(name) as sink,
                pa.ipc.new_stream(sink, batches[0][1].schema) as stream,
            ):
                for bucket, batch in batches:
                    start = sink.tell()
                    stream.write_batch(batch)
                    self.segments.append(Segment(table, bucket, name, start, sink.tell() - start))
        self._flushes += 1
        self._rows = self._bytes = 0


class Spool:
    """The spool folder, and an index of its buckets (the segments of every writer, in
    the order they were added: the build adds them in input order)."""

    def __init__(self, place: SpoolPlace | Path, *, keep_keys: bool = True) -> None:
        self.place = _place(place)
        self.keep_keys = keep_keys  # not for the partitioned layout: its years find their own
        self.place.create()
        self._files: dict[str, int] = {}
        # bucket -> file number, offset, size, ...: machine integers, not names or tuples,
        # as there are (files x buckets) of them (24 bytes a segment)
        self._index: dict[str, dict[Any, array[int]]] = {t: {} for t in _SCHEMAS}
        self._names: list[str] = []
        self.keys: list[pa.RecordBatch] = []  # every writer's `SpoolWriter.keys`

    def writer(self, prefix: str, buckets: Buckets, flush_rows: int = FLUSH_ROWS) -> SpoolWriter:
        """A writer into this spool: it keeps its articles' keys only if the spool does (a
        table of millions of rows would otherwise hold them all until it is read)."""
        return SpoolWriter(self.place, prefix, buckets, flush_rows, keep_keys=self.keep_keys)

    def extend(self, segments: Iterable[Segment], keys: Iterable[pa.RecordBatch]) -> None:
        """Add a writer's segments to the index, and its articles' keys if kept."""
        if self.keep_keys:
            self.keys += keys
        for segment in segments:
            number = self._files.get(segment.file)
            if number is None:
                number = self._files[segment.file] = len(self._names)
                self._names.append(segment.file)
            where = (number, segment.offset, segment.size)
            self._index[segment.table].setdefault(segment.bucket, array("q")).extend(where)

    def buckets(self, table: str) -> list[Any]:
        return sorted(self._index[table])

    def subset(self, table: str, buckets: Iterable[Any]) -> Spool:
        """The same spool with the index of `buckets` of `table` alone: what a task that
        writes those buckets is sent (the whole index is 24 bytes a segment)."""
        part = copy.copy(self)
        part.keys = []  # the build's own (a partition's task finds its year's duplicates)
        part._index = {name: {} for name in _SCHEMAS}
        found = self._index[table]
        part._index[table] = {bucket: found[bucket] for bucket in buckets if bucket in found}
        return part

    def read(self, table: str, bucket: Any) -> pa.Table:
        schema = _SCHEMAS[table]
        batches = []
        where = self._index[table].get(bucket, array("q"))
        for number, offset, size in zip(where[0::3], where[1::3], where[2::3], strict=True):
            source = pa.BufferReader(self.place.read_at(self._names[number], offset, size))
            message = pa.ipc.read_message(source)
            if message.type != "record batch":  # a file's first segment has its schema first
                message = pa.ipc.read_message(source)
            batches.append(pa.ipc.read_record_batch(message, schema))
        # One array a column, not a chunk a segment: Arrow's take concatenates a column's
        # chunks before it takes, so every piece taken would copy the whole bucket again.
        return pa.Table.from_batches(batches, schema=schema).combine_chunks()


def _kept_rows(table: pa.Table) -> tuple[pa.Array, pa.Array]:
    """The row kept for each article_id: `table`'s rows in `_WINNER_ORDER` (latest capture,
    no capture date counting as oldest, then the smallest source_file; the page index
    makes the order total), and which of them start an id's group, so are kept."""
    order = pc.sort_indices(table, sort_keys=_WINNER_ORDER)
    ids = table.column("article_id").take(order).combine_chunks()
    later = pc.not_equal(ids[1:], ids[:-1]) if len(ids) else pa.array([], pa.bool_())
    return order, pa.concat_arrays([pa.array([True] * min(len(ids), 1), pa.bool_()), later])


class Resolved(NamedTuple):
    """One bucket of articles resolved: the bucket as read and which of its rows are kept,
    in release order; a `Merged` for each capture folded into another; the pages of
    those captures (whose related rows are dropped with them); and the rows of the
    revisions table, each earlier text of an article."""

    bucket: pa.Table
    kept: pa.Array
    merged: list[Merged]
    dropped: pa.Array
    revisions: list[dict[str, Any]]

    def pieces(self) -> Iterator[pa.Table]:
        """The kept rows in release order, `PIECE_ROWS` at a time: a bucket's rows are
        copied a piece at a time, not all at once beside the bucket itself."""
        for start in range(0, len(self.kept), PIECE_ROWS):
            rows = self.bucket.take(self.kept.slice(start, PIECE_ROWS))
            yield rows.drop_columns([PAGE, *_OWN_ARTICLE_COLUMNS])


def resolve(table: pa.Table) -> Resolved:
    """A bucket's articles with one row an article_id (the winner of `_WINNER_ORDER`), in
    release order `(date_published, article_id)`."""
    order, starts = _kept_rows(table)
    losers = order.filter(pc.invert(starts))
    # The kept rows in release order, sorted by their keys alone (a take copies bodies).
    kept = order.filter(starts)
    keys = table.select(["date_published", "article_id"]).take(kept)
    release = pc.sort_indices(
        keys, sort_keys=[("date_published", "ascending"), ("article_id", "ascending")]
    )
    dropped = table.column(PAGE).take(losers).combine_chunks()
    merged, revisions = _merged(table, order, starts)
    return Resolved(table, kept.take(release), merged, dropped, revisions)


def _merged(
    table: pa.Table, order: pa.Array, starts: pa.Array
) -> tuple[list[Merged], list[dict[str, Any]]]:
    """A `Merged` for each input's row that is not its group's first (the kept one), in
    group order; and the revisions: each text of an article that its kept row does not
    hold, once, from the oldest capture that held it, numbered from the oldest (the
    reverse of `_WINNER_ORDER`). Python looks at the groups of more than one row alone:
    there are few."""
    dropped = pc.indices_nonzero(pc.invert(starts)).to_pylist()
    if not dropped:
        return [], []
    is_start = starts.to_pylist()
    ids, files, lines, carried, dates = (
        table.column(c) for c in ("article_id", "source_file", LINE, REVISION, "date_published")
    )
    texts = [table.column(name) for name in TEXT]
    merged: list[Merged] = []
    revisions: list[dict[str, Any]] = []
    groups: dict[int, list[int]] = {}  # the position of a group's first row: its others
    for i in dropped:
        first = i
        while not is_start[first]:
            first -= 1
        groups.setdefault(first, []).append(i)
    for first, others in groups.items():
        kept = order[first].as_py()
        kept_text = tuple(column[kept].as_py() for column in texts)
        earlier = []
        for i in others:
            row = order[i].as_py()
            text = tuple(column[row].as_py() for column in texts)
            earlier.append((row, text))
            if carried[row].as_py():
                continue  # an earlier release's revision: merged in an earlier build
            merged.append(
                Merged(
                    article_id=ids[row].as_py(),
                    kept=files[kept].as_py(),
                    kept_line=lines[kept].as_py(),
                    dropped=files[row].as_py(),
                    dropped_line=lines[row].as_py(),
                    body_differs=text[2] != kept_text[2],
                    date_published=dates[row].as_py(),
                )
            )
        revisions += _revisions_of(table, ids[kept].as_py(), kept_text, earlier)
    return merged, revisions


def release_ordered(merged: list[Merged]) -> list[Merged]:
    """Merges in release order, (date_published, article_id), each article's in the
    order found (a stable sort): the same list whatever the buckets were."""
    return sorted(merged, key=lambda one: (one.date_published or dt.date.min, one.article_id))


def _revisions_of(
    table: pa.Table,
    article_id: str,
    kept_text: tuple[Any, ...],
    earlier: list[tuple[int, tuple[Any, ...]]],
) -> list[dict[str, Any]]:
    """The revisions rows of one article: the texts of `earlier` (its other rows, newest
    first) unlike the kept one's and each other's, oldest first."""
    seen = {kept_text}
    out: list[dict[str, Any]] = []
    for row, text in reversed(earlier):
        if text in seen:
            continue
        seen.add(text)
        values = {name: table.column(name)[row].as_py() for name in _REVISION_PROVENANCE}
        out.append(
            {
                "article_id": article_id,
                "revision": len(out) + 1,
                **dict(zip(TEXT, text, strict=True)),
                **values,
            }
        )
    return out


_REVISION_PROVENANCE = ("date_captured", "source_file", "source_sha256")


@dataclass
class OrderedArticles:
    """Articles in release order, bucket by bucket (`resolve`); fills `merged`, and
    `dropped` once every bucket is read. (`dropped_pages` finds the same pages ahead of
    it, for related rows written at the same time.) The revisions found on the way are
    spooled, by a writer named `prefix`, into the spool's `revisions` buckets: `revisions`
    says where, once every bucket is read."""

    spool: Spool
    buckets: Buckets
    prefix: str = "revisions"
    merged: list[Merged] = field(default_factory=list)
    dropped: pa.Array = field(default_factory=lambda: pa.array([], pa.int64()))
    revisions: Spooled = field(default_factory=lambda: Spooled([], []))
    revised: int = 0  # articles with one or more revisions

    def __iter__(self) -> Iterator[pa.Table]:
        dropped = []
        writer = self.spool.writer(self.prefix, self.buckets)
        for bucket in self.spool.buckets("articles"):
            resolved = resolve(self.spool.read("articles", bucket))
            self.merged += resolved.merged
            dropped.append(resolved.dropped)
            for row in resolved.revisions:
                writer.add_revision(row)
                self.revised += row["revision"] == 1
            yield from resolved.pieces()
        self.dropped = pa.concat_arrays([self.dropped, *dropped])
        self.revisions = writer.close()


_WINNER_ORDER = [
    ("article_id", "ascending", "at_end"),
    ("date_captured", "descending", "at_end"),
    (RANK, "ascending", "at_end"),
    (PAGE, "ascending", "at_end"),
]


_KEYS = pa.schema([_SCHEMAS["articles"].field(key) for key, _, _ in _WINNER_ORDER])


def _keys_of(batches: Iterable[pa.RecordBatch]) -> pa.RecordBatch:
    """The `_WINNER_ORDER` columns of `batches` (one flush's buckets) as one batch: the
    columns alone, so that what the writer sends back holds no body."""
    parts = list(batches)
    columns = [pa.concat_arrays([part.column(f.name) for part in parts]) for f in _KEYS]
    return pa.RecordBatch.from_arrays(columns, schema=_KEYS)


def dropped_pages(spool: Spool) -> pa.Array:
    """The pages `OrderedArticles` drops (captures folded into another), found from the
    keys every writer sent with its segments (no bodies read or compared, no rows
    written), so that the related rows can be written while the articles are. They are
    few: a build's duplicates."""
    assert spool.keep_keys, "dropped_pages needs a spool that keeps its keys"
    keys = pa.Table.from_batches(spool.keys, schema=_KEYS)
    order, kept = _kept_rows(keys)
    return keys.column(PAGE).take(order.filter(pc.invert(kept))).combine_chunks()


# The order of the tables keyed by article_id and a number.
ROW_ORDER = {"related": "position", "revisions": "revision"}


def ordered_related(
    spool: Spool, dropped: pa.Array, prefix: str | None = None, table_name: str = "related"
) -> Iterator[pa.Table]:
    """Related rows in release order `(article_id, position)`, but those of the `dropped`
    pages (every related row is spooled with its article's page: the rest are the kept
    articles'); only those whose article_id starts with `prefix`, if given. With
    `table_name` "revisions", the revisions rows in their order `(article_id, revision)`
    (none is dropped: they are made from the kept articles' groups)."""
    for bucket in spool.buckets(table_name):
        table = spool.read(table_name, bucket)
        if prefix is not None:
            table = table.filter(pc.starts_with(table["article_id"], prefix))
        if len(dropped):
            table = table.filter(pc.invert(pc.is_in(table[PAGE], value_set=dropped)))
        order = pc.sort_indices(
            table,
            sort_keys=[("article_id", "ascending"), (ROW_ORDER[table_name], "ascending")],
        )
        for start in range(0, len(order), PIECE_ROWS):
            yield table.take(order.slice(start, PIECE_ROWS)).drop_columns([PAGE])
