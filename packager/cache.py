"""Parsed pages kept between builds, keyed by the sha256 of each input file's bytes.

A rebuild after new pages arrive parses only the new ones: every other page comes back
from the cache exactly as it was parsed, so the release is byte-identical to a full build.
Keys also hold the packager version and the limits, so a new parser or other limits never
reuse an old result. Only pages that parsed are kept: rejects are few and cheap, and one
(`date-in-future`) depends on the day. Pages are stored as zlib-compressed JSON in one
SQLite file (``OUT/NAME/.packager-cache.sqlite``): worker processes read it and
serialise the pages they parse; the main process writes.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from pathlib import Path

from packager import __version__
from packager.limits import Limits
from packager.models import Page

FILENAME = ".packager-cache.sqlite"


def cache_key(limits: Limits, sha256: str) -> str:
    return f"{__version__}:{limits.max_page_bytes}:{limits.max_title_length}:{sha256}"


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


def blob(page: Page) -> bytes:
    """A page as stored: zlib-compressed JSON. Workers make these, so the main process
    only inserts them."""
    return zlib.compress(page.model_dump_json().encode("utf-8"), 1)


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


def lookup(path: Path, key: str) -> Page | None:
    """The cached page for `key`, or None."""
    try:
        row = _connection(path).execute("SELECT page FROM pages WHERE key = ?", (key,)).fetchone()
    except sqlite3.DatabaseError:
        return None  # a cache that cannot be read is only a slower build
    if row is None:
        return None
    return Page.model_validate_json(zlib.decompress(row[0]))
