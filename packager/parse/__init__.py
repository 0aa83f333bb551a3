"""Input formats. Page dumps (.txt) are parsed by `packager.parse.pagedump`."""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
import stat
from collections.abc import Iterator

from packager.inputs import InputFile
from packager.limits import DEFAULT_LIMITS, Limits
from packager.models import Page, Reject
from packager.parse.pagedump import parse_page
from packager.parse.table import parse_table

# Pages handed to a worker at a time: large enough that inter-process traffic stays small.
CHUNK = 32


def parse_file(
    item: InputFile, today: dt.date | None = None, limits: Limits = DEFAULT_LIMITS
) -> Page | Reject:
    """Read and parse one page file; whatever is wrong with it is a reject, not an exception."""

    def reject(code: str, message: str) -> Reject:
        return Reject(source_file=item.source_file, code=code, message=message)

    if item.outside_root:
        return reject(
            "link-outside-input", "a symlink that leads out of the input folder: not read"
        )
    try:
        info = item.path.stat()
        if not stat.S_ISREG(info.st_mode):
            return reject(
                "not-a-regular-file", "not a regular file (a folder, device or pipe): not read"
            )
        if info.st_size > limits.max_page_bytes:
            return reject(
                "too-large",
                f"{info.st_size} bytes, over the limit of {limits.max_page_bytes} "
                "(--max-page-bytes)",
            )
        with item.path.open("rb") as handle:
            data = handle.read(limits.max_page_bytes + 1)
    except OSError as exc:
        return reject("unreadable-file", exc.strerror or type(exc).__name__)
    return parse_page(data, item.source_file, today=today, limits=limits)


def parse_files(
    files: list[InputFile],
    *,
    workers: int = 1,
    today: dt.date | None = None,
    mapping: dict[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Page | Reject]:
    """Parse `files` in order, page dumps across `workers` processes; a table file gives a
    result per row. Results come back in file order whatever the number of workers."""
    pages = [item for item in files if not item.is_table]
    parse = functools.partial(parse_file, today=today, limits=limits)
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
