"""Parsed pages kept between builds, keyed by the sha256 of each input file's bytes.

A rebuild after new pages arrive parses only the new ones: every other page comes back
from the cache exactly as it was parsed, so the release is byte-identical to a full build.
Keys also hold the packager version and the limits, so a new parser or other limits never
reuse an old result. Only pages that parsed are kept: rejects are few and cheap, and one
(`date-in-future`) depends on the day. Pages are stored as zlib-compressed JSON in one
SQLite file (``OUT/NAME/.packager-cache.sqlite``); worker processes read it, only the
main process writes.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

from packager import __version__
from packager.limits import Limits
from packager.models import Page

FILENAME = ".packager-cache.sqlite"


def cache_key(limits: Limits, sha256: str) -> str:
    return f"{__version__}:{limits.max_page_bytes}:{limits.max_title_length}:{sha256}"


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, page BLOB NOT NULL)"
    )
    return connection


class PageCache:
    """Read and write access for the main process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = _connect(path)
        self._pending: list[tuple[str, bytes]] = []

    def put(self, key: str, page: Page) -> None:
        blob = zlib.compress(page.model_dump_json().encode("utf-8"), 1)
        self._pending.append((key, blob))
        if len(self._pending) >= 1000:
            self.commit()

    def commit(self) -> None:
        if self._pending:
            with self._connection:
                self._connection.executemany(
                    "INSERT OR REPLACE INTO pages (key, page) VALUES (?, ?)", self._pending
                )
            self._pending.clear()

    def close(self) -> None:
        self.commit()
        self._connection.close()


_readers: dict[Path, sqlite3.Connection] = {}


def lookup(path: Path, key: str) -> Page | None:
    """The cached page for `key`, from a connection of this process's own (fork-safe)."""
    connection = _readers.get(path)
    if connection is None:
        connection = _readers[path] = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        row = connection.execute("SELECT page FROM pages WHERE key = ?", (key,)).fetchone()
    except sqlite3.DatabaseError:
        return None  # a cache that cannot be read is only a slower build
    if row is None:
        return None
    return Page.model_validate_json(zlib.decompress(row[0]))
