"""A build's parsing: every input file to spooled rows, rejects and warnings.

Page files go to worker processes in chunks. A worker reads its chunk, takes the pages it
has parsed before from the page cache, parses the others, and writes the rows to spool
files itself; what comes back to the main process is small: where the rows went, the
rejects, the warnings and the fresh cache entries. So the main process never holds parsed
pages (memory stays flat as the corpus grows) and every core parses. Parsed-article tables
are read by the main process meanwhile.

Each input has a place, `index`: its file's position in the sorted input list, shifted
left 32 bits, plus its row for a table. The spool keeps it with every row, so that every
order the release needs is total and never depends on which worker was faster.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any, NamedTuple

from packager.cache import Entry, IndexWriter, PageWriter, cache_key, lookup, open_cache, unblob
from packager.collect import Buckets, Segment, Spool, SpoolWriter, raw_of
from packager.inputs import InputFile, InputList
from packager.limits import DEFAULT_LIMITS, Limits
from packager.models import Issue, Page, Reject
from packager.parse import read_input
from packager.parse.pagedump import read_page
from packager.parse.rejection import Rejection
from packager.parse.table import parse_table

ROW_BITS = 32  # an input's index: file position << ROW_BITS | row
MIN_CHUNK, MAX_CHUNK = 32, 2_048  # page files a worker takes at a time
IN_FLIGHT = 4  # chunks queued per worker: a chunk is two numbers, and a worker never waits


@dataclass(frozen=True)
class Job:
    """What every chunk of a build shares."""

    spool: Path
    today: dt.date
    limits: Limits = DEFAULT_LIMITS
    cache: Path | None = None  # the page cache's folder
    buckets: Buckets = Buckets()
    # names this build's page files in the cache, apart from every other build's
    token: str = field(default_factory=lambda: f"{time.time_ns():x}-{os.getpid()}")


class Finding(NamedTuple):
    """A reject (severity "error") or a warning, with the index of its input so that
    findings can be put in input order. Plain values: a build may hold many thousands, and
    they cross from the workers."""

    index: int
    severity: str
    code: str
    message: str
    file: str
    line: int | None

    @classmethod
    def of_reject(cls, index: int, reject: Reject) -> Finding:
        return cls(index, "error", reject.code, reject.message, reject.source_file, reject.line)

    def issue(self) -> Issue:
        return Issue(
            code=self.code,
            message=self.message,
            file=self.file,
            line=self.line,
            severity="error" if self.severity == "error" else "warning",
        )

    def reject(self) -> dict[str, Any]:
        """The line of rejects.jsonl (the fields of `Reject`, in its order)."""
        return {
            "source_file": self.file,
            "code": self.code,
            "message": self.message,
            "line": self.line,
        }


@dataclass
class Parsed:
    """What parsing some inputs gave, apart from the spooled rows."""

    records: int = 0  # pages, and rows of parsed-article tables
    cached: int = 0  # pages taken from the page cache
    findings: list[Finding] = field(default_factory=list)  # rejects and warnings
    segments: list[Segment] = field(default_factory=list)
    fresh: list[Entry] = field(default_factory=list)  # pages added to the cache

    def absorb(self, other: Parsed) -> None:
        self.records += other.records
        self.cached += other.cached
        self.findings += other.findings


# The build's input list and the positions of its tables, set before the worker processes
# fork so that they inherit them: a chunk handed to a worker is then two numbers, where
# 2,048 pickled `InputFile`s cost the main process more time than anything else it did
# while the workers parsed.
_INPUTS: tuple[InputList, frozenset[int]] | None = None


def parse_chunk(job: Job, number: int, span: tuple[int, int]) -> Parsed:
    """Parse the page files at positions `span` (start, stop) of the build's input list
    into the spool (files ``{number}-*.arrows``): runs in a worker."""
    # A chunk's parsed values live until its spool is written, and Python's cyclic garbage
    # collector would walk them again at every collection (a tenth of a worker's time),
    # though they hold no cycles. So it waits for the chunk's end: memory stays bounded
    # by a chunk all the same.
    collecting = gc.isenabled()
    gc.disable()
    try:
        assert _INPUTS is not None, "parse_chunk runs inside parse_into"
        files, tables = _INPUTS
        start, stop = span
        chunk = [
            (i << ROW_BITS, item)
            for i, item in enumerate(files.items(start, stop), start)
            if i not in tables
        ]
        return _parse_chunk(job, number, chunk)
    finally:
        if collecting:
            gc.enable()


def _parse_chunk(job: Job, number: int, chunk: list[tuple[int, InputFile]]) -> Parsed:
    out = Parsed(records=len(chunk))
    # A chunk is written in one go: its size bounds the rows a worker holds.
    writer = SpoolWriter(job.spool, f"{number:06d}", job.buckets, flush_rows=None)
    read = [(index, item, read_input(item, job.limits)) for index, item in chunk]
    shas = {
        index: hashlib.sha256(data).hexdigest()
        for index, _, data in read
        if isinstance(data, bytes)
    }
    keys = {index: cache_key(job.limits, sha) for index, sha in shas.items()} if job.cache else {}
    known = lookup(job.cache, keys.values()) if job.cache is not None else {}
    cache = PageWriter(job.cache, f"{job.token}-{number:06d}.pages") if job.cache else None
    for index, item, data in read:
        if isinstance(data, Reject):
            out.findings.append(Finding.of_reject(index, data))
            continue
        key = keys.get(index)
        page = unblob(known[key], item.source_file) if key in known else None
        if page is not None:
            out.cached += 1
        else:
            try:
                page = read_page(data, item.source_file, job.today, job.limits, shas[index])
            except Rejection as rejection:
                reject = rejection.reject(item.source_file)
                out.findings.append(Finding.of_reject(index, reject))
                continue
            if cache is not None and key is not None:
                cache.add(key, page)
        out.findings += [
            Finding(index, "warning", code, message, item.source_file, line)
            for code, message, line in page.warnings
        ]
        writer.add(index, page)
    out.segments = writer.close()
    out.fresh = cache.close() if cache is not None else []
    return out


def parse_into(
    spool: Spool,
    files: InputList,
    job: Job,
    *,
    workers: int = 1,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Parsed:
    """Parse `files` into `spool`; rejects and warnings (`findings`) in input order.

    `progress(done, total)` is called as input files are done."""
    global _INPUTS
    positions = files.table_positions()
    tables = [(i << ROW_BITS, files[i]) for i in positions]
    pages = len(files) - len(tables)
    if job.cache is not None and not open_cache(job.cache):
        job = replace(job, cache=None)  # a cache that cannot be made is only a slower build
    size = max(MIN_CHUNK, min(MAX_CHUNK, pages // (max(workers, 1) * 8) or 1))
    spans = [(start, min(start + size, len(files))) for start in range(0, len(files), size)]
    parallel = workers > 1 and pages > size
    total = Parsed()
    done = 0
    cache_index = IndexWriter(job.cache) if job.cache is not None else None

    def take(part: Parsed, files_done: int) -> None:
        nonlocal done
        total.absorb(part)
        spool.extend(part.segments)
        if cache_index is not None:
            cache_index.add(part.fresh)
        done += files_done
        if progress is not None:
            progress(done, len(files))

    # fork: workers inherit the parsed modules instead of importing them again. The pool
    # is started before the tables are read here: a fork after Arrow has started its
    # threads is unsafe.
    _INPUTS = (files, frozenset(positions))
    pool = multiprocessing.get_context("fork").Pool(workers) if parallel else None
    try:
        results = (
            _in_order(pool, job, spans, workers)
            if pool is not None
            else (parse_chunk(job, number, span) for number, span in enumerate(spans))
        )
        for index, item in tables:
            take(_parse_table(spool, index, item, job, mapping), 1)
        for part in results:
            take(part, part.records)
        if cache_index is not None:
            cache_index.close()
    finally:
        _INPUTS = None
        if pool is not None:
            pool.terminate()
    total.findings.sort(key=lambda finding: finding.index)
    return total


def _parse_table(
    spool: Spool, index: int, item: InputFile, job: Job, mapping: dict[str, str] | None
) -> Parsed:
    out = Parsed()
    writer = spool.writer(f"table{index >> ROW_BITS:09d}", job.buckets)
    for row, result in enumerate(parse_table(item, mapping, job.today)):
        out.records += 1
        if isinstance(result, Reject):
            out.findings.append(Finding.of_reject(index | row, result))
            continue
        assert isinstance(result, Page)
        writer.add(index | row, raw_of(result))
    out.segments = writer.close()
    return out


def _in_order(pool: Pool, job: Job, spans: list[tuple[int, int]], workers: int) -> Iterator[Parsed]:
    """Chunks parsed by the pool's `workers`, results in chunk order. At most `IN_FLIGHT`
    chunks per worker are queued at once; the first are queued before this returns."""
    numbered = iter(enumerate(spans))
    pending: deque[AsyncResult[Parsed]] = deque()

    def submit() -> None:
        item = next(numbered, None)
        if item is not None:
            pending.append(pool.apply_async(parse_chunk, (job, *item)))

    for _ in range(workers * IN_FLIGHT):
        submit()

    def results() -> Iterator[Parsed]:
        while pending:
            part = pending.popleft().get()
            submit()
            yield part

    return results()
