"""Input formats. Page dumps (.txt) are parsed by `packager.parse.pagedump`."""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
from collections.abc import Iterator

from packager.inputs import InputFile
from packager.models import Page, Reject
from packager.parse.pagedump import parse_page

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
    files: list[InputFile], *, workers: int = 1, today: dt.date | None = None
) -> Iterator[Page | Reject]:
    """Parse `files` in order, across `workers` processes; results come back in file order."""
    if workers <= 1 or len(files) < 2 * CHUNK:
        for item in files:
            yield parse_file(item, today)
        return
    # fork: workers inherit the parsed modules instead of importing them again
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(functools.partial(parse_file, today=today), files, chunksize=CHUNK)


__all__ = ["parse_file", "parse_files", "parse_page"]
