"""Input formats. Page dumps (.txt) are parsed by `packager.parse.pagedump`."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import stat
from collections import deque
from collections.abc import Iterator
from multiprocessing.pool import AsyncResult
from pathlib import Path

from packager.cache import blob, cache_key, lookup, open_cache, store
from packager.inputs import InputFile
from packager.limits import DEFAULT_LIMITS, Limits
from packager.models import Page, Reject
from packager.parse.pagedump import parse_page
from packager.parse.table import parse_table

# Pages handed to a worker at a time: large enough that inter-process traffic stays small.
CHUNK = 32
IN_FLIGHT = 4
CACHE_BATCH = 1_000  # fresh pages written to the cache per transaction


def parse_file(
    item: InputFile,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
    cache: Path | None = None,
) -> Page | Reject:
    """Read and parse one page file; whatever is wrong with it is a reject, not an exception.

    With `cache` (a page cache file), a page whose bytes were parsed before is taken from it.
    """

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
    if cache is not None:
        hit = lookup(cache, cache_key(limits, hashlib.sha256(data).hexdigest()))
        if hit is not None:
            return hit.cached_as(item.source_file)
    return parse_page(data, item.source_file, today=today, limits=limits)


def parse_files(
    files: list[InputFile],
    *,
    workers: int = 1,
    today: dt.date | None = None,
    mapping: dict[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    cache: Path | None = None,
) -> Iterator[tuple[InputFile, Page | Reject]]:
    """Parse `files` in order, page dumps across `workers` processes; a table file gives a
    result per row. Results come back in file order whatever the number of workers. With
    `cache`, known pages come from it and freshly parsed ones are added to it."""
    pages = [item for item in files if not item.is_table]
    if cache is not None:
        open_cache(cache)
    parsed = (
        _in_pool(pages, workers, today, limits, cache)
        if workers > 1 and len(pages) >= 2 * CHUNK
        else (
            pair
            for i in range(0, len(pages), CHUNK)
            for pair in _parse_chunk(pages[i : i + CHUNK], today, limits, cache)
        )
    )
    fresh: list[tuple[str, bytes]] = []
    for item in files:
        if item.is_table:
            for row in parse_table(item, mapping, today):
                yield item, row
            continue
        result, entry = next(parsed)
        if entry is not None and cache is not None:
            fresh.append(entry)
            if len(fresh) >= CACHE_BATCH:
                store(cache, fresh)
                fresh = []
        yield item, result
    if cache is not None:
        store(cache, fresh)


Parsed = tuple[Page | Reject, tuple[str, bytes] | None]  # the result, and its cache entry


def _parse_chunk(
    chunk: list[InputFile], today: dt.date | None, limits: Limits, cache: Path | None
) -> list[Parsed]:
    out: list[Parsed] = []
    for item in chunk:
        result = parse_file(item, today, limits, cache)
        entry = None
        if cache is not None and isinstance(result, Page) and not result.from_cache:
            entry = (cache_key(limits, result.article.source_sha256 or ""), blob(result))
        out.append((result, entry))
    return out


def _in_pool(
    pages: list[InputFile],
    workers: int,
    today: dt.date | None,
    limits: Limits,
    cache: Path | None,
) -> Iterator[Parsed]:
    """Pages parsed by `workers` processes, in order. At most `IN_FLIGHT` chunks per worker
    are queued at once, so results never pile up faster than they are spooled."""
    chunks = iter([pages[i : i + CHUNK] for i in range(0, len(pages), CHUNK)])
    pending: deque[AsyncResult[list[Parsed]]] = deque()
    # fork: workers inherit the parsed modules instead of importing them again
    with multiprocessing.get_context("fork").Pool(workers) as pool:

        def submit() -> None:
            chunk = next(chunks, None)
            if chunk is not None:
                pending.append(pool.apply_async(_parse_chunk, (chunk, today, limits, cache)))

        for _ in range(workers * IN_FLIGHT):
            submit()
        while pending:
            results = pending.popleft().get()
            submit()
            yield from results


__all__ = ["parse_file", "parse_files", "parse_page"]
