"""Parsed pages kept between builds, keyed by the sha256 of each input file's bytes.

A rebuild after new pages arrive parses only the new ones: every other page comes back
from the cache exactly as it was parsed, so the release is byte-identical to a full build.
Keys also hold the packager version and the limits, so a new parser or other limits never
reuse an old result. Only pages that parsed are kept: rejects are few and cheap, and one
(`date-in-future`) depends on the day. Pages are stored in one SQLite file
(``OUT/NAME/.packager-cache.sqlite``): worker processes read it and serialise the pages
they parse; the main process writes.

A stored page is the parser's plain values in `marshal` form (dates as day numbers),
LZ4-compressed, behind a CRC-32 of those values: about 20 us a page to store and 5 us to
read back, where JSON with zlib took 80 us to store. Only bytes whose CRC matches are ever
unmarshalled; anything else is a miss, and the page is parsed again.
"""

from __future__ import annotations

import datetime as dt
import marshal
import os
import sqlite3
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from packager import __version__
from packager.limits import Limits
from packager.models import ARTICLE_FIELDS
from packager.parse.pagedump import RawPage

FILENAME = ".packager-cache.sqlite"
FORMAT = 3  # how a page is stored: part of every key, so an old format is never read
_DATES = [ARTICLE_FIELDS.index("date_published"), ARTICLE_FIELDS.index("date_captured")]
_SOURCE_FILE = ARTICLE_FIELDS.index("source_file")
_RELATED_DATE = 4
_HEADER = struct.Struct("<II")  # CRC-32 and length of the marshalled values
_LZ4 = pa.Codec("lz4")
LOOKUP_BATCH = 500  # keys a query asks for at once (SQLite limits bound variables)


def cache_key(limits: Limits, sha256: str) -> str:
    return f"{__version__}:{FORMAT}:{limits.max_page_bytes}:{limits.max_title_length}:{sha256}"


_connections: dict[tuple[int, Path], sqlite3.Connection] = {}


def _connection(path: Path) -> sqlite3.Connection:
    """This process's connection to the cache: keyed by PID, because a connection must
    never be used across a fork (workers inherit the parent's dictionary)."""
    key = (os.getpid(), path)
    connection = _connections.get(key)
    if connection is None:
        connection = _connections[key] = sqlite3.connect(path, timeout=60)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, page BLOB NOT NULL)"
        )
    return connection


def open_cache(path: Path) -> None:
    """Create the cache file if need be, before worker processes start."""
    _connection(path).commit()


def blob(page: RawPage) -> bytes:
    """A page as stored. Workers make these, so the main process only inserts them."""
    article = list(page.article)
    for i in _DATES:
        if article[i] is not None:
            article[i] = article[i].toordinal()
    related = [
        (*item[:_RELATED_DATE], item[_RELATED_DATE] and item[_RELATED_DATE].toordinal())
        for item in page.related
    ]
    values = marshal.dumps((tuple(article), related, page.warnings), 4)
    header = _HEADER.pack(zlib.crc32(values), len(values))
    return header + _LZ4.compress(values, asbytes=True)


def unblob(data: bytes, source_file: str) -> RawPage | None:
    """A stored page, as read for the file `source_file` (the same bytes may sit under
    another name); None if the stored bytes are damaged."""
    try:
        crc, size = _HEADER.unpack_from(data)
        values = _LZ4.decompress(data[_HEADER.size :], size, asbytes=True)
        if len(values) != size or zlib.crc32(values) != crc:
            return None
        article, related, warnings = marshal.loads(values)
    except (ValueError, TypeError, EOFError, struct.error, pa.ArrowException):
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


def store(path: Path, rows: list[tuple[str, bytes]]) -> None:
    """Insert (key, blob) rows in one transaction. Only the main process writes: SQLite
    serialises writers with a lock, and workers waiting on it would stall the build."""
    if not rows:
        return
    try:
        with _connection(path) as connection:
            connection.executemany("INSERT OR REPLACE INTO pages (key, page) VALUES (?, ?)", rows)
    except sqlite3.DatabaseError:
        pass  # a cache that cannot be written is only a slower next build


def lookup(path: Path, keys: Iterable[str]) -> dict[str, bytes]:
    """The stored blobs of those `keys` that are in the cache."""
    keys = list(keys)
    found: dict[str, bytes] = {}
    try:
        connection = _connection(path)
        for i in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[i : i + LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            query = f"SELECT key, page FROM pages WHERE key IN ({marks})"
            found.update(connection.execute(query, batch).fetchall())
    except sqlite3.DatabaseError:
        return {}  # a cache that cannot be read is only a slower build
    return found
