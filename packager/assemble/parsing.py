"""A build's parsing: every input file to spooled rows, rejects and warnings.

Page files go to workers in chunks. A chunk is the unit of work (`parse_chunk`): its
worker reads and parses its pages and writes the rows to spool files itself; what comes
back is small: where the rows went, the rejects and the warnings. So the main process
never holds parsed pages (memory stays flat as the corpus grows) and every core parses.
Parsed-article tables are read by the main process meanwhile.

Where the chunks run is an `Engine`: `LocalEngine` is a pool of forked processes on this
machine. Another engine (a cluster) needs only to run `parse_chunk` on each chunk and give
the results back in chunk order; every decision that makes a release reproducible (order,
dedup, row groups) is taken from those results, in `packager.assemble.spool`.

Each input has a place, `index`: its file's position in the sorted input list, shifted
left 32 bits, plus its row for a table. The spool keeps it with every row, so that every
order the release needs is total and never depends on which worker was faster.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import gc
import hashlib
import multiprocessing
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

import pyarrow as pa

from packager.assemble.carry import Carried
from packager.assemble.spool import (
    TABLE_FLUSH_ROWS,
    Buckets,
    Segment,
    Spool,
    SpoolPlace,
    SpoolWriter,
)
from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Issue, Reject
from packager.contract.record import Record
from packager.contract.rejection import Rejection
from packager.inputs.files import InputFile, InputList, OpenFolders, prefetch, read_input
from packager.inputs.pages import read_page
from packager.inputs.remote import StorageOptions
from packager.inputs.rows import TableOptions, TableRows

ROW_BITS = 32  # an input's index: file position << ROW_BITS | row
MIN_CHUNK, MAX_CHUNK = 32, 4_096  # page files a worker takes at a time (bench/README.md)
T = TypeVar("T")
IN_FLIGHT = 4  # chunks a worker has queued: how far files are asked for ahead (and Dask's bound)
IO_BOUND = 0.85  # a chunk's CPU time under this share of its time: its worker waited for the disk


@dataclass(frozen=True)
class Job:
    """What every chunk of a build shares."""

    spool: SpoolPlace | Path
    today: dt.date
    limits: Limits = DEFAULT_LIMITS
    buckets: Buckets = Buckets()
    storage: StorageOptions = ()  # for inputs in object storage (`packager.inputs.remote`)


class Finding(NamedTuple):
    """A reject (severity "error") or a warning, with the index of its input so that
    findings can be put in input order. Plain values: a build may hold many thousands, and
    they cross from the workers."""

    order: int  # the input's index: findings are put in input order by it
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
    rows: int = 0  # of which rows of tables
    tables: int = 0  # table files read
    carried: int = 0  # of which articles of releases given as inputs
    carried_rejects: int = 0  # of the rejects, those of articles of releases
    findings: list[Finding] = field(default_factory=list)  # rejects and warnings
    # How each table and release given was read: the release's recipe (`InputRecord`)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    keys: list[pa.RecordBatch] = field(default_factory=list)  # `SpoolWriter.keys`
    seconds: float = 0.0  # a chunk's time in its worker, and its CPU time (`Prefetch`)
    cpu: float = 0.0

    def absorb(self, other: Parsed) -> None:
        self.records += other.records
        self.rows += other.rows
        self.tables += other.tables
        self.carried += other.carried
        self.carried_rejects += other.carried_rejects
        self.findings += other.findings
        self.inputs += other.inputs


# The build's input list and the positions of its tables, set before the worker processes
# fork so that they inherit them: a chunk handed to a worker is then two numbers, not
# thousands of pickled `InputFile`s for the main process to make and send.
_INPUTS: tuple[InputList, frozenset[int]] | None = None


Chunk = list[tuple[int, InputFile]]  # the page files of a chunk, each with its index


def chunk_of(span: tuple[int, int]) -> Chunk:
    """The page files at positions `span` (start, stop) of the build's input list, with
    their indexes: what `parse_chunk` parses. In `parse_into` alone (an engine whose
    workers do not inherit the input list sends them this)."""
    assert _INPUTS is not None, "chunk_of runs inside parse_into"
    files, tables = _INPUTS
    start, stop = span
    return [
        (i << ROW_BITS, item)
        for i, item in enumerate(files.items(start, stop), start)
        if i not in tables
    ]


def parse_chunk(job: Job, number: int, span: tuple[int, int]) -> Parsed:
    """Parse the page files at positions `span` (start, stop) of the build's input list
    into the spool (files ``{number}-*.arrows``): runs in a worker that inherited the
    input list."""
    started, cpu = time.perf_counter(), time.process_time()
    out = parse_pages(job, number, chunk_of(span))
    out.seconds, out.cpu = time.perf_counter() - started, time.process_time() - cpu
    return out


def parse_pages(job: Job, number: int, chunk: Chunk) -> Parsed:
    """Parse the page files of `chunk` into the spool (files ``{number}-*.arrows``)."""
    # A chunk's parsed values live until its spool is written, and Python's cyclic garbage
    # collector would walk them again at every collection (a tenth of a worker's time),
    # though they hold no cycles. So it waits for the chunk's end: memory stays bounded
    # by a chunk all the same.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse_chunk(job, number, chunk)
    finally:
        if collecting:
            gc.enable()


def _parse_chunk(job: Job, number: int, chunk: list[tuple[int, InputFile]]) -> Parsed:
    out = Parsed(records=len(chunk))
    # A chunk is written in one go: its size bounds the rows a worker holds.
    writer = SpoolWriter(job.spool, f"{number:06d}", job.buckets, flush_rows=None)
    with OpenFolders() as folders:
        for index, item in chunk:
            data = read_input(item, job.limits, job.storage, folders)
            if isinstance(data, Reject):
                out.findings.append(Finding.of_reject(index, data))
                continue
            sha256 = hashlib.sha256(data).hexdigest()
            try:
                record = read_page(data, item.source_file, job.today, job.limits, sha256)
            except Rejection as rejection:
                out.findings.append(Finding.of_reject(index, rejection.reject(item.source_file)))
                continue
            finally:
                del data  # not kept while the chunk's rows are spooled: a page may be large
            out.findings += _warnings(index, item.source_file, record)
            writer.add(index, record)
    out.segments, out.keys = writer.close()
    return out


def _warnings(index: int, source_file: str, record: Record) -> list[Finding]:
    return [
        Finding(index, "warning", code, message, source_file, line)
        for code, message, line in record.warnings
    ]


class Engine(Protocol):
    """Where a build's work runs: `chunks` runs `parse_chunk(job, number, span)` for each
    numbered span and yields the results in chunk order; `run` runs `function(*call)` for
    each call (tasks named `name`), the results in their order (the partitioned layout's
    partitions, `packager.assemble.partitions`); `close` ends what the engine started."""

    def chunks(self, job: Job, spans: list[tuple[int, int]]) -> Iterator[Parsed]: ...

    def run(
        self, function: Callable[..., T], calls: list[tuple[Any, ...]], name: str
    ) -> list[T]: ...

    def close(self) -> None: ...


@dataclass
class LocalEngine:
    """A pool of `workers` forked processes on this machine (one: this process) for the
    chunks; `workers` threads of this process for other tasks (Arrow's readers and
    writers release the GIL; a fork after Arrow has started its threads is unsafe)."""

    workers: int = 1

    def run(self, function: Callable[..., T], calls: list[tuple[Any, ...]], name: str) -> list[T]:
        if self.workers <= 1 or len(calls) <= 1:
            return [function(*call) for call in calls]
        with ThreadPoolExecutor(self.workers, thread_name_prefix=f"packager-{name}") as pool:
            return list(pool.map(lambda call: function(*call), calls))

    def close(self) -> None:
        pass  # the pool of each `chunks` ends with it

    def chunks(self, job: Job, spans: list[tuple[int, int]]) -> Iterator[Parsed]:
        if self.workers <= 1 or len(spans) <= 1:
            yield from (parse_chunk(job, number, span) for number, span in enumerate(spans))
            return
        # fork: workers inherit the imported modules and the input list instead of
        # importing and pickling them again.
        pool = multiprocessing.get_context("fork").Pool(self.workers, _quiet_worker)
        try:
            yield from _in_order(pool, job, spans, self.workers)
        finally:
            pool.terminate()


def parse_into(
    spool: Spool,
    files: InputList,
    job: Job,
    *,
    workers: int = 1,
    tables: TableOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: Engine | None = None,
    releases: list[Path] | None = None,
) -> Parsed:
    """Parse `files` into `spool` on `engine` (default: a `LocalEngine` of `workers`), and
    carry the articles of `releases` (given as inputs) after them; rejects and warnings
    (`findings`) in input order. `progress(done, total)` is called as input files are
    done."""
    global _INPUTS
    positions = files.table_positions()
    table_files = [(i << ROW_BITS, files[i]) for i in positions]
    pages = len(files) - len(table_files)
    size = max(MIN_CHUNK, min(MAX_CHUNK, pages // (max(workers, 1) * 8) or 1))
    spans = chunk_spans(len(files), size, workers)
    total = Parsed()
    done = 0

    def take(part: Parsed, files_done: int) -> None:
        nonlocal done
        total.absorb(part)
        spool.extend(part.segments, part.keys)
        done += files_done
        if progress is not None:
            progress(done, len(files))

    # Set before the pool forks, so that workers inherit the list. The pool is started
    # before the tables are read here: a fork after Arrow has started its threads is unsafe.
    _INPUTS = (files, frozenset(positions))
    runner = engine or LocalEngine(workers if pages > size else 1)
    results = runner.chunks(job, spans)
    try:
        first = next(results, None)  # the workers start on the first chunks
        for index, item in table_files:
            take(_parse_table(spool, index, item, job, tables or TableOptions()), 1)
        for k, folder in enumerate(releases or []):
            take(_carry(spool, (len(files) + k) << ROW_BITS, folder, job), 0)
        if first is not None:
            take(first, first.records)
        for part in results:
            take(part, part.records)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # a generator's pool is ended at once, not when it is collected
        _INPUTS = None
    total.findings += [
        Finding(-1, "warning", "skipped-file", why, name, None) for name, why in files.skipped
    ]
    total.findings.sort(key=lambda finding: finding.order)
    return total


def chunk_spans(count: int, size: int, workers: int) -> list[tuple[int, int]]:
    """Spans (start, stop) of `count` inputs, `size` at most, that get smaller towards the
    end: each is at most the inputs left over 2 x `workers` (never under `MIN_CHUNK`), so
    that the workers finish within a small chunk of each other, not one of them waiting
    out a whole chunk of another's at the end."""
    spans, start, share = [], 0, 2 * max(workers, 1)
    while start < count:
        step = max(MIN_CHUNK, min(size, (count - start) // share))
        spans.append((start, min(start + step, count)))
        start += step
    return spans


def _parse_table(
    spool: Spool, index: int, item: InputFile, job: Job, options: TableOptions
) -> Parsed:
    out = Parsed()
    writer = spool.writer(f"table{index >> ROW_BITS:09d}", job.buckets, TABLE_FLUSH_ROWS)
    rows = TableRows(item, options, job.today, job.limits)
    out.findings += [
        Finding(index, "warning", code, message, item.source_file, line)
        for code, message, line in rows.warnings
    ]
    for row, result in enumerate(rows):
        out.records += 1
        if isinstance(result, Reject):
            out.findings.append(Finding.of_reject(index | row, result))
            continue
        out.findings += _warnings(index | row, item.source_file, result)
        writer.add(index | row, result, rank=-(index | row))  # the latest row wins a tie
    out.findings += [
        Finding(index | ((line or 1) - 1), "warning", code, message, item.source_file, line)
        for code, message, line in rows.closing_warnings()
    ]
    out.segments, out.keys = writer.close()
    out.rows, out.tables = out.records, 1
    out.inputs.append(
        {
            "kind": "table",
            "name": item.source_file,
            "sha256": rows.sha256,
            "rows": out.records,
            "map": dict(options.mapping),
            "set": dict(options.constants),
            "date_format": options.date_format,
        }
    )
    return out


def _carry(spool: Spool, base: int, folder: Path, job: Job) -> Parsed:
    """The articles and related rows of the release `folder`, spooled as inputs at `base`:
    at an equal capture date, a new input wins over a carried row (its rank is larger)."""
    writer = spool.writer(f"release{base >> ROW_BITS:09d}", job.buckets)
    carried = Carried(folder)
    carried.records(
        lambda row, record: writer.add(base | row, record, rank=base | row), job.today, job.limits
    )
    carried.related(lambda row, rows: writer.add_related(base | row, rows))
    # An earlier text loses to every capture of its article at its capture date, the
    # newer revision first: it wins only where the release's own rows were inconsistent.
    carried.earlier_texts(
        lambda row, record: writer.add(base | row, record, rank=(1 << 62) - row, revision=True),
        job.today,
        job.limits,
    )
    label = folder.as_posix()
    segments, keys = writer.close()
    return Parsed(
        inputs=[
            {
                "kind": "release",
                **carried.identity(),
                "articles": carried.articles,
                "revisions": carried.revisions,
            }
        ],
        records=carried.articles,
        carried=carried.articles,
        carried_rejects=sum(1 for finding in carried.findings if finding[1] == "error"),
        findings=[
            Finding(base | row, severity, code, message, label, line)
            for row, severity, code, message, line in carried.findings
        ],
        segments=segments,
        keys=keys,
    )


def _quiet_worker() -> None:
    """A worker leaves interruptions to the main process: Ctrl-C reaches the whole process
    group, and one line from the main process says it (no traceback from each worker);
    a worker whose main process dies is ended with it (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the pool ends its workers all the same
        pass


_PR_SET_PDEATHSIG = 1


def _in_order(pool: Pool, job: Job, spans: list[tuple[int, int]], workers: int) -> Iterator[Parsed]:
    """Chunks parsed by the pool's `workers`, results in chunk order (the pool's `imap`,
    which queues every chunk at once: a chunk is two numbers, its rows go to the spool)."""
    parts = pool.imap(functools.partial(_parse_numbered, job), enumerate(spans))
    ahead = Prefetch(spans, workers, workers * IN_FLIGHT)
    try:
        for part in parts:
            ahead.done_one(part)
            yield part
    finally:
        ahead.close()


def _parse_numbered(job: Job, numbered: tuple[int, tuple[int, int]]) -> Parsed:
    return parse_chunk(job, *numbered)


class Prefetch:
    """Asks the OS to read the page files of the chunks queued (`inputs.files.prefetch`),
    on a thread of the main process, which only waits for the workers meanwhile: once a
    chunk comes back whose worker spent less than `IO_BOUND` of its time on the CPU (it
    waited for the disk, as with more pages than the OS's cache keeps), the files of the
    chunks after those being parsed are asked for, `ahead` chunks at most beyond those
    done. Pages the cache holds are not asked for: the asking would cost more than it
    saves (bench/README.md has the figures)."""

    def __init__(self, spans: list[tuple[int, int]], skip: int, ahead: int) -> None:
        self._spans, self._skip, self._ahead = spans, skip, ahead
        self._done = 0
        self._next = 0  # the next chunk to ask for, once asking has started
        self._stop = False
        self._pool: ThreadPoolExecutor | None = None
        self.asking: list[Future[None]] = []  # a chunk's files asked for, each

    def done_one(self, part: Parsed) -> None:
        """A chunk is back: start asking if its worker waited for the disk, and ask for
        the chunks now within `ahead` of those done."""
        self._done += 1
        if self._pool is None:
            if part.cpu >= IO_BOUND * part.seconds:
                return
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="packager-prefetch")
            self._next = self._done + self._skip  # the chunks after those being parsed
        while self._next < min(len(self._spans), self._done + self._ahead):
            self.asking.append(self._pool.submit(self._ask, self._spans[self._next]))
            self._next += 1

    def _ask(self, span: tuple[int, int]) -> None:
        try:
            for _, item in chunk_of(span):
                if self._stop:
                    return
                prefetch(item)
        except Exception:  # noqa: S110 - a hint: the workers read and report every file
            pass

    def close(self) -> None:
        self._stop = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
