"""Parsed pages kept between builds, keyed by the sha256 of each input file's bytes.

A rebuild after new pages arrive parses only the new ones: every other page comes back
from the cache exactly as it was parsed, so the release is byte-identical to a full build.
Keys also hold the packager version and the limits, so a new parser or other limits never
reuse an old result. Only pages that parsed are kept: rejects are few and cheap, and one
(`date-in-future`) depends on the day.

The cache is a folder beside the releases (``OUT/NAME/.packager-cache/``): page files,
which worker processes append the pages they parse to (a file per chunk of pages, never
rewritten), and ``index.sqlite``, which says where each key's page is. Only the main
process writes the index: small rows (page files numbered, not named, in each), gathered
into transactions of `INDEX_BATCH` rows, 3-4 us a row. (Pages stored in SQLite itself
cost the main process 25-60 us each, a third of the time of a build; a transaction per
chunk of 2,048 pages cost 6-15 us a row, growing with the index, since random keys touch
most of its pages in each transaction.)

A stored page is the parser's plain values in `marshal` form (dates as day numbers),
LZ4-compressed, behind a CRC-32 of those values: about 20 us a page to store and 5 us to
read back, where JSON with zlib took 80 us to store. Only bytes whose CRC matches are ever
unmarshalled; anything else (a page file cut short, damaged, or gone) is a miss, and the
page is parsed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import sqlite3
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from packager import __version__
from packager.limits import Limits
from packager.models import ARTICLE_FIELDS
from packager.parse.pagedump import FAST, RawPage

FILENAME = ".packager-cache"  # a folder in OUT/NAME
INDEX = "index.sqlite"
FORMAT = 3  # how a page is stored: part of every key, so an old format is never read
_DATES = [ARTICLE_FIELDS.index("date_published"), ARTICLE_FIELDS.index("date_captured")]
_SOURCE_FILE = ARTICLE_FIELDS.index("source_file")
_RELATED_DATE = 4
_HEADER = struct.Struct("<II")  # CRC-32 and length of the marshalled values
_LZ4 = pa.Codec("lz4")
LOOKUP_BATCH = 500  # keys a query asks for at once (SQLite limits bound variables)
INDEX_BATCH = 16_384  # index rows a transaction writes: about 3 MB held meanwhile
# A page file is written in writes of this size: a write costs a system call, and the
# default 8 KiB buffer made one every few pages (8 us a page where this gives 1-2).
WRITE_BUFFER = 1 << 20


def cache_key(limits: Limits, sha256: str) -> bytes:
    """The key of a page file's bytes (given by their sha256) under these limits and this
    packager: 16 bytes, so that the index stays small."""
    scope = f"{__version__}:{FORMAT}:{limits.max_page_bytes}:{limits.max_title_length}:"
    return hashlib.sha256((scope + sha256).encode()).digest()[:16]


_connections: dict[tuple[int, Path], sqlite3.Connection] = {}


def _connection(folder: Path) -> sqlite3.Connection:
    """This process's connection to the index: keyed by PID, because a connection must
    never be used across a fork (workers inherit the parent's dictionary)."""
    key = (os.getpid(), folder)
    connection = _connections.get(key)
    if connection is None:
        connection = _connections[key] = sqlite3.connect(folder / INDEX, timeout=60)
        # WAL: workers read while the main process writes, without waiting on its lock.
        # NORMAL: a commit does not wait for the disk; an index lost to a power cut is
        # only a slower build, and WAL never leaves the file corrupt.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(_SCHEMA)
    return connection


_SCHEMA = """
DROP TABLE IF EXISTS pages;  -- the index of packager 0.x before page files were numbered
CREATE TABLE IF NOT EXISTS page_file (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS page (
    key BLOB PRIMARY KEY,
    file INTEGER NOT NULL REFERENCES page_file (id),
    offset INTEGER NOT NULL,
    size INTEGER NOT NULL
) WITHOUT ROWID;
"""


def open_cache(folder: Path) -> bool:
    """Create the cache folder and index if need be, before worker processes start;
    False if it cannot be (the build then runs without a cache)."""
    try:
        folder.mkdir(exist_ok=True)
        _connection(folder).commit()
    except (OSError, sqlite3.Error):
        return False
    return True


Entry = tuple[bytes, str, int, int]  # key, page file, offset, size


class PageWriter:
    """Appends pages to one new page file of the cache (a worker's chunk): `entries` are
    what `store` puts in the index once the chunk is done."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.entries: list[Entry] = []
        self._file: BinaryIO | None = None
        self._offset = 0
        self._broken = False

    def add(self, key: bytes, page: RawPage) -> None:
        if self._broken:
            return
        data = blob(page)
        try:
            if self._file is None:
                self._file = (self.folder / self.name).open("xb", buffering=WRITE_BUFFER)
            self._file.write(data)
        except OSError:
            self._broken = True  # a cache that cannot be written is only a slower build
            return
        self.entries.append((key, self.name, self._offset, len(data)))
        self._offset += len(data)

    def close(self) -> list[Entry]:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                self.entries = []
        return self.entries


def blob(page: RawPage) -> bytes:
    """A page as stored. Workers make these, so the main process only inserts them."""
    values = stored_values(page)
    header = _HEADER.pack(zlib.crc32(values), len(values))
    return header + _LZ4.compress(values, asbytes=True)


def stored_values(page: RawPage) -> bytes:
    """The page's values in marshal form, dates as day numbers: in C where the compiled
    parser is built (the Python loop over related items was a third of a stored page)."""
    if FAST is not None:
        return FAST.stored_values(page.article, page.related, page.warnings)
    return stored_values_python(page)


def stored_values_python(page: RawPage) -> bytes:
    article = list(page.article)
    for i in _DATES:
        if article[i] is not None:
            article[i] = article[i].toordinal()
    related = [
        (*item[:_RELATED_DATE], item[_RELATED_DATE] and item[_RELATED_DATE].toordinal())
        for item in page.related
    ]
    return marshal.dumps((tuple(article), related, page.warnings), 4)


def unblob(data: bytes, source_file: str) -> RawPage | None:
    """A stored page, as read for the file `source_file` (the same bytes may sit under
    another name); None if the stored bytes are damaged."""
    try:
        crc, size = _HEADER.unpack_from(data)
        if size > 255 * len(data):  # more than LZ4 can expand to: a damaged header
            return None
        values = _LZ4.decompress(data[_HEADER.size :], size, asbytes=True)
        if len(values) != size or zlib.crc32(values) != crc:
            return None
        article, related, warnings = marshal.loads(values)
    except (ValueError, TypeError, EOFError, OSError, struct.error, pa.ArrowException):
        return None
    article = list(article)
    for i in _DATES:
        if article[i] is not None:
            article[i] = dt.date.fromordinal(article[i])
    article[_SOURCE_FILE] = source_file
    items = [
        (*item[:_RELATED_DATE], item[_RELATED_DATE] and dt.date.fromordinal(item[4]))
        for item in related
    ]
    return RawPage(tuple(article), items, [tuple(w) for w in warnings])


class IndexWriter:
    """Puts entries in the index, `INDEX_BATCH` at a time (call `close` at the end)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pending: list[Entry] = []

    def add(self, entries: list[Entry]) -> None:
        self._pending += entries
        if len(self._pending) >= INDEX_BATCH:
            self.flush()

    def close(self) -> None:
        self.flush()

    def flush(self) -> None:
        entries, self._pending = self._pending, []
        if entries:
            store(self.folder, entries)


def store(folder: Path, entries: list[Entry]) -> None:
    """Put `entries` in the index, in one transaction."""
    try:
        with _connection(folder) as connection:
            numbers = {}
            for name in sorted({entry[1] for entry in entries}):
                connection.execute("INSERT OR IGNORE INTO page_file (name) VALUES (?)", (name,))
                (numbers[name],) = connection.execute(
                    "SELECT id FROM page_file WHERE name = ?", (name,)
                ).fetchone()
            connection.executemany(
                "INSERT OR REPLACE INTO page (key, file, offset, size) VALUES (?, ?, ?, ?)",
                sorted((key, numbers[name], offset, size) for key, name, offset, size in entries),
            )
    except sqlite3.Error:
        pass  # a cache that cannot be written is only a slower next build


def lookup(folder: Path, keys: Iterable[bytes]) -> dict[bytes, bytes]:
    """The stored bytes of those `keys` that are in the cache."""
    keys = list(keys)
    where: list[Entry] = []
    try:
        connection = _connection(folder)
        for i in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[i : i + LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            query = (
                "SELECT key, name, offset, size FROM page JOIN page_file ON file = id "
                f"WHERE key IN ({marks})"
            )
            where += connection.execute(query, batch).fetchall()
    except sqlite3.Error:
        return {}  # a cache that cannot be read is only a slower build
    by_file: dict[str, list[Entry]] = {}
    for entry in where:
        by_file.setdefault(entry[1], []).append(entry)
    found: dict[bytes, bytes] = {}
    for name, entries in by_file.items():
        try:
            fd = os.open(folder / name, os.O_RDONLY)
        except OSError:
            continue  # a page file gone: its pages are misses
        try:
            for key, _, offset, size in entries:
                found[key] = os.pread(fd, size, offset)
        except OSError:
            pass
        finally:
            os.close(fd)
    return found
