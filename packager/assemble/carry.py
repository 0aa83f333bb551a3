"""A release as an input: its articles, related rows and revisions carried into a new
release.

`packager build dist/kcna/1.2.0 new-pages/ --bump minor` makes the next release from the
last one's rows and the new pages, so a growing archive never needs its old pages again.
Each article row goes through `make_record`, as every input does (a row of a valid release
comes out as it went in), keeping its provenance (`source_file`, `source_sha256`); each
related row is normalised by the same step and spooled with its article's place, so that
it is kept exactly when its article is. Each earlier text of an article (a row of the
release's revisions) is spooled as a capture of that article, flagged as a revision: the
new release's revisions are found again among all of an article's captures, old and new.
Rows are read a batch at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from array import array
from collections.abc import Callable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from packager.contract.limits import Limits
from packager.contract.record import Columns, Record, Warning, make_record, related_records
from packager.contract.rejection import Rejection
from packager.errors import InputError
from packager.inputs.pages import COMPILED
from packager.release.descriptor import DESCRIPTOR, read_descriptor
from packager.release.read import parquet_batches
from packager.release.write import table_files

FIRST_ROW = 2  # rows are numbered as in the CSV file: the header is row 1
# A revision's place among a release's inputs: after every article row (`row` | this).
REVISION_ROWS = 1 << 31


def _rows(folder: Path, table: str) -> Iterator[dict[str, Any]]:
    parts = table_files(folder, table, "parquet")
    if not parts and table != "related" and table != "revisions":
        raise InputError(f"{folder}: a release input has no Parquet files of {table}")
    try:
        for part in parts:
            for batch in parquet_batches(folder / part):
                yield from batch.to_pylist()
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{folder}: the release's {table} cannot be read: {exc}") from None


class _SortedIds:
    """Article ids with their rows, sorted by id once, for lookups in increasing order (the
    related rows are sorted by article_id): a walk, never a table of every id in Python."""

    SLICE = 8_192

    def __init__(self, ids: pa.Array) -> None:
        order = pc.array_sort_indices(ids, null_placement="at_end")
        self._ids, self._rows = ids.take(order), order
        self._start = 0
        self._slice: list[str | None] = []
        self._at = 0  # position in the slice

    @classmethod
    def again(cls, done: _SortedIds) -> _SortedIds:
        """A new walk over the ids `done` sorted."""
        walk = cls.__new__(cls)
        walk._ids, walk._rows = done._ids, done._rows
        walk._start, walk._slice, walk._at = 0, [], 0
        return walk

    def find(self, aid: str) -> int:
        """The row of `aid`, or -1; `aid`s must come in increasing order."""
        while True:
            while self._at < len(self._slice):
                found = self._slice[self._at]
                if found is None or found > aid:
                    return -1
                if found == aid:
                    row: int = self._rows[self._start + self._at].as_py()
                    return row
                self._at += 1
            self._start += len(self._slice)
            if self._start >= len(self._ids):
                return -1
            self._slice = self._ids.slice(self._start, self.SLICE).to_pylist()
            self._at = 0


class _Ids:
    """Strings appended one by one, kept as Arrow arrays a few thousand at a time."""

    def __init__(self) -> None:
        self._done: list[pa.Array] = []
        self._open: list[str | None] = []

    def append(self, value: object) -> None:
        self._open.append(value if isinstance(value, str) else None)
        if len(self._open) >= 8_192:
            self._done.append(pa.array(self._open, pa.string()))
            self._open = []

    def array(self) -> pa.Array:
        return pa.concat_arrays([*self._done, pa.array(self._open, pa.string())])


class Carried:
    """Carrying one release: `records` spools its articles, `related` their related rows;
    rejects and warnings are kept in `findings` as (row, severity, code, message, line)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.articles = 0
        self.revisions = 0
        self.findings: list[tuple[int, str, str, str, int | None]] = []
        # Each article row's id as read and as carried (null: rejected), and what its
        # revisions take from it (source, url, date), as Arrow arrays (some 20 bytes a
        # row for each), not Python strings.
        self._old = _Ids()
        self._new = _Ids()
        self._source = _Ids()
        self._url = _Ids()
        self._published = array("l")
        self._sorted: _SortedIds | None = None

    def records(
        self, spool_add: Callable[[int, Record], None], today: dt.date, limits: Limits
    ) -> None:
        """Spool every article row with `spool_add(row, record)`."""
        for row_index, row in enumerate(_rows(self.folder, "articles")):
            line = row_index + FIRST_ROW
            self.articles += 1
            self._old.append(row.get("article_id"))
            try:
                record = make_record(row, today=today, limits=limits, line=line, compiled=COMPILED)
            except Rejection as rejection:
                self.findings.append((row_index, "error", rejection.code, rejection.message, line))
                self._new.append(None)
                self._keep(None)
                continue
            for code, message, at in record.warnings:
                self.findings.append((row_index, "warning", code, message, at))
            spool_add(row_index, record._replace(line=line))
            self._new.append(record.article["article_id"])
            self._keep(record.article)

    def identity(self) -> dict[str, Any]:
        """The release's name, version and its descriptor's sha256 (the recipe of a new
        release names the releases it carried)."""
        path = self.folder / DESCRIPTOR
        descriptor = read_descriptor(path)
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        return {
            "name": descriptor.get("name"),
            "version": descriptor.get("version"),
            "descriptor_sha256": digest,
        }

    def _keep(self, article: dict[str, Any] | None) -> None:
        """What a revision of the article needs of it: its source, url and date."""
        self._source.append(article["source"] if article else None)
        self._url.append(article["url"] if article else None)
        self._published.append(article["date_published"].toordinal() if article else 0)

    def _ids(self) -> _SortedIds:
        """The article ids as read, for lookups of related rows and revisions (a walk in
        id order: make a new one for each walk)."""
        if self._sorted is None:
            self._sorted = _SortedIds(self._old.array())
            self._old = _Ids()
        return _SortedIds.again(self._sorted)

    def related(self, spool_related: Callable[[int, Columns], None]) -> None:
        """Spool the related rows of the articles carried, with `spool_related(row, rows)`
        (`row`: their article's), normalised by the same step as a page's items."""
        old = self._ids()
        new = self._new.array()
        for aid, items in groupby(_rows(self.folder, "related"), key=lambda r: r.get("article_id")):
            row = old.find(aid) if isinstance(aid, str) else -1
            carried = new[row].as_py() if row >= 0 else None
            if carried is None:
                continue  # its article is not in the release, or was rejected
            warnings: list[Warning] = []
            try:
                normal = related_records(carried, list(items), None, warnings)
            except Rejection:
                continue
            spool_related(row, normal)

    def earlier_texts(
        self,
        spool_add: Callable[[int, Record], None],
        today: dt.date,
        limits: Limits,
    ) -> None:
        """Spool each revision of a carried article with `spool_add(row, record)` (`row`:
        the revision's row in its table), as a capture of the article: its source, date
        and url, and the revision's own title, byline, body, capture date and provenance,
        through the one step. A revision whose article is not carried goes with it; one
        that is not a text of its article (a title of another id) is reported."""
        old = self._ids()
        new = self._new.array()
        sources, urls = self._source.array(), self._url.array()
        for row_index, row in enumerate(_rows(self.folder, "revisions")):
            aid = row.get("article_id")
            at = old.find(aid) if isinstance(aid, str) else -1
            carried = new[at].as_py() if at >= 0 else None
            if carried is None:
                continue  # its article is not in the release, or was rejected
            self.revisions += 1
            given = {
                **{name: row.get(name) for name in _REVISION_FIELDS},
                "source": sources[at].as_py(),
                "url": urls[at].as_py(),
                "date_published": dt.date.fromordinal(self._published[at]),
            }
            line = row_index + FIRST_ROW
            try:
                record = make_record(given, today=today, limits=limits, compiled=COMPILED)
            except Rejection as rejection:
                message = f"revision {row.get('revision')} of {carried}: {rejection.message}"
                self.findings.append(
                    (REVISION_ROWS | row_index, "warning", "revision-dropped", message, line)
                )
                continue
            if record.article["article_id"] != carried:
                message = (
                    f"revision {row.get('revision')} of {carried} is a text of another article"
                )
                self.findings.append(
                    (REVISION_ROWS | row_index, "warning", "revision-dropped", message, line)
                )
                continue
            spool_add(REVISION_ROWS | row_index, record._replace(line=line))


_REVISION_FIELDS = ("title", "byline", "body", "date_captured", "source_file", "source_sha256")
