"""Input formats. Page dumps (.txt) are parsed by `packager.parse.pagedump`."""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
from collections.abc import Iterator

from packager.inputs import InputFile
from packager.models import Page, Reject
from packager.parse.pagedump import parse_page
from packager.parse.table import parse_table

# Pages handed to a worker at a time: large enough that inter-process traffic stays small.
CHUNK = 32


def parse_file(item: InputFile, today: dt.date | None = None) -> Page | Reject:
    """Read and parse one input file; an unreadable file is a reject, not an exception."""
    try:
        data = item.path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return Reject(source_file=item.source_file, code="unreadable-file", message=reason)
    return parse_page(data, item.source_file, today=today)


def parse_files(
    files: list[InputFile],
    *,
    workers: int = 1,
    today: dt.date | None = None,
    mapping: dict[str, str] | None = None,
) -> Iterator[Page | Reject]:
    """Parse `files` in order, page dumps across `workers` processes; a table file gives a
    result per row. Results come back in file order whatever the number of workers."""
    pages = [item for item in files if not item.is_table]
    parse = functools.partial(parse_file, today=today)
    if workers <= 1 or len(pages) < 2 * CHUNK:
        parsed: Iterator[Page | Reject] = map(parse, pages)
        pool = None
    else:
        # fork: workers inherit the parsed modules instead of importing them again
        pool = multiprocessing.get_context("fork").Pool(workers)
        parsed = pool.imap(parse, pages, chunksize=CHUNK)
    try:
        for item in files:
            if item.is_table:
                yield from parse_table(item, mapping, today)
            else:
                yield next(parsed)
    finally:
        if pool is not None:
            pool.terminate()
