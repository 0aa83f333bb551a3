"""Tables from files, batch by batch, with frictionless's row numbers.

Each reader yields `(batch, rows, missing)`: a record batch, the row number of each of its
rows, and for rows that were short the names of the fields they lack. CSV and Parquet rows
are numbered as frictionless numbers them (the header is row 1, so data starts at row 2);
JSON Lines rows by their line. Columns are renamed by `mapping` ({target: source}).
"""

from __future__ import annotations

import collections
import contextlib
import csv
import gzip
import io
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute.add
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from packager.contract.models import Issue
from packager.errors import InputError, os_reason

BLOCK_SIZE = 4 << 20  # CSV bytes parsed at a time: memory stays bounded, whatever the file
# Rows a Parquet batch holds: a CSV block's bytes, by the file's own (uncompressed)
# sizes, so that a table of short rows comes in as few batches as one of long rows: each
# batch costs validate's checks a fixed ~0.5-1 ms besides its rows.
PARQUET_BATCH_BYTES = BLOCK_SIZE
PARQUET_BATCH_ROWS = (100, 100_000)  # the fewest and the most, whatever the sizes say
JSON_BATCH = 2_000
TABLE_KINDS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
JSON_CHUNK = 1 << 20  # characters of a JSON array read at a time
# The longest JSON value (a row) read: a row is an article, and an article past it is no
# article; the reader's memory holds at most about this much.
MAX_JSON_VALUE = 64 << 20

Batch = tuple[pa.RecordBatch, pa.Array, dict[int, set[str]]]


@dataclass
class TableSource:
    """A table file opened for reading: its columns and its batches."""

    path: Path
    label: str
    columns: list[str]  # as renamed by the mapping
    batches: Iterator[Batch]
    issues: list[Issue] = field(default_factory=list)  # structural problems found while reading
    # Rows (their numbers) whose text held bytes that are not UTF-8, or escaped lone
    # surrogates (no UTF-8 holds them): read as U+FFFD, and reported (invalid-utf8).
    replaced: list[int] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # the columns as the file names them


def _renamed(columns: list[str], mapping: dict[str, str]) -> list[str]:
    sources = {source: target for target, source in mapping.items()}
    return [sources.get(name, name) for name in columns]


def _rows(start: int, count: int) -> pa.Array:
    return pa.array(range(start, start + count), pa.int64())


def table_kind(path: Path) -> tuple[str | None, bool]:
    """The kind of table a file name says (csv, parquet, jsonl, json), and whether it is
    gzip-compressed (``.csv.gz``, ``.jsonl.gz``, ``.json.gz``)."""
    suffixes = [s.lower() for s in path.suffixes]
    gzipped = bool(suffixes) and suffixes[-1] == ".gz"
    suffix = suffixes[-2] if gzipped and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    kind = TABLE_KINDS.get(suffix)
    return (None if gzipped and kind == "parquet" else kind), gzipped


def _open_text(path: Path, gzipped: bool, errors: str = "strict") -> IO[str]:
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8-sig", errors=errors, newline="")
    return path.open("r", encoding="utf-8-sig", errors=errors, newline="")


def open_table(
    path: Path, label: str, mapping: dict[str, str] | None = None, *, lenient: bool = False
) -> TableSource:
    """Open a CSV, Parquet, JSON Lines or JSON-array table (gzip-compressed but Parquet);
    unreadable files raise `InputError`. `lenient`: a CSV row's bytes that are not UTF-8
    read as U+FFFD, the row noted in `replaced` (an input table), where else the file is
    unreadable (a release's file, judged as frictionless would)."""
    kind, gzipped = table_kind(path)
    if kind is None:
        raise InputError(f"{path}: not a table file (.csv, .parquet, .jsonl, .json, or .gz)")
    try:
        if kind == "parquet":
            return _parquet(path, label, mapping or {})
        if kind == "csv":
            return _csv(path, label, mapping or {}, gzipped, lenient)
        opener = {"jsonl": _jsonl, "json": _json}[kind]
        return opener(path, label, mapping or {}, gzipped)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read: {os_reason(exc)}") from None


def _csv(
    path: Path, label: str, mapping: dict[str, str], gzipped: bool, lenient: bool = False
) -> TableSource:
    try:
        # the header alone must be UTF-8: the rows' bytes are judged row by row
        with _open_text(path, gzipped, errors="surrogateescape") as handle:
            header = next(csv.reader(handle), [])
        if any(_SURROGATES.search(name) for name in header):
            raise UnicodeDecodeError("utf-8", b"", 0, 1, "the header")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a readable CSV file: its header is not UTF-8") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file: {exc}") from None
    names = _renamed(header, mapping)
    source = TableSource(path, label, names, iter(()), header=header)
    source.batches = _csv_batches(path, header, names, source, gzipped, lenient)
    return source


def _csv_batches(
    path: Path,
    header: list[str],
    names: list[str],
    source: TableSource,
    gzipped: bool,
    lenient: bool = False,
) -> Iterator[Batch]:
    """The rows of a CSV file, `BLOCK_SIZE` bytes parsed at a time. Arrow's reader cannot
    take a row longer than its block (a body of megabytes): the file is then read again
    with larger blocks, from the row after the last one given."""
    block, done = BLOCK_SIZE, 1  # the header's line
    while True:
        try:
            for batch in _csv_read(path, header, names, source, gzipped, block, done, lenient):
                yield batch
                if len(batch[1]):
                    done = max(done, pa.compute.max(batch[1]).as_py())
            return
        except _RowTooLong:
            # An input table's row is an article: past MAX_JSON_VALUE it is a bomb (a few
            # MB of gzip that inflate to gigabytes), refused before the reader's blocks
            # (four held ahead) take gigabytes. A release's rows go up to MAX_BLOCK_SIZE.
            largest = MAX_JSON_VALUE if lenient else MAX_BLOCK_SIZE
            if block >= largest:
                raise InputError(
                    f"{path}: not a readable CSV file: a row over {largest >> 20} MiB"
                ) from None
            block = min(block * 8, largest)


class _RowTooLong(Exception):
    """A CSV row longer than the reader's block."""


MAX_BLOCK_SIZE = 1 << 30  # CSV rows longer than this are not read


def _csv_read(
    path: Path,
    header: list[str],
    names: list[str],
    source: TableSource,
    gzipped: bool,
    block: int,
    after: int,
    lenient: bool = False,
) -> Iterator[Batch]:
    """The rows of a CSV file numbered over `after` (file lines, the header's 1), read in
    blocks of `block` bytes; raises `_RowTooLong` where a row is longer than a block."""

    def texts(batch: pa.RecordBatch, rows: pa.Array) -> pa.RecordBatch:
        return _decoded(batch, rows, source) if lenient else batch

    invalid: dict[int, str] = {}  # the rows of the wrong length, by number

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid[row.number] = row.text
        return "skip"

    next_row = 2
    done_invalid: set[int] = set()
    with _quiet_handler(on_invalid):
        try:
            for batch in _open_csv(path, header, gzipped, block, on_invalid, lenient):
                pending = [n for n in invalid if n not in done_invalid]
                if not pending:  # the common case: rows numbered straight on
                    rows = _rows(next_row, batch.num_rows)
                    next_row += batch.num_rows
                    batch = texts(batch, rows)
                    yield from _after((batch.rename_columns(names), rows, {}), after)
                    continue
                numbers: list[int] = []
                while len(numbers) < batch.num_rows:
                    if next_row in invalid:
                        done_invalid.add(next_row)
                        if next_row > after:
                            yield _short_row(invalid[next_row], next_row, names, source)
                    else:
                        numbers.append(next_row)
                    next_row += 1
                rows = pa.array(numbers, pa.int64())
                batch = texts(batch, rows)
                yield from _after((batch.rename_columns(names), rows, {}), after)
        except pa.ArrowInvalid as exc:
            raise _unreadable(path, exc) from None
    for number in sorted(set(invalid) - done_invalid):
        if number > after:
            yield _short_row(invalid[number], number, names, source)


def _open_csv(
    path: Path,
    header: list[str],
    gzipped: bool,
    block: int,
    on_invalid: Callable[[pacsv.InvalidRow], str],
    lenient: bool = False,
) -> Iterator[pa.RecordBatch]:
    """Arrow's streaming reader of a CSV file, every column as text (nothing for an empty
    file), `CSV_READ_AHEAD` blocks ahead of the batches taken; raises `pa.ArrowInvalid`
    for a file it cannot read."""
    paced = _Paced(pa.input_stream(str(path), compression="gzip" if gzipped else None))
    reader = None
    try:
        reader = pacsv.open_csv(
            pa.PythonFile(paced, mode="r"),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=block),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                # lenient: bytes, made text by `_decoded` (Arrow refuses the whole file
                # at the first byte that is not UTF-8)
                column_types={n: pa.binary() if lenient else pa.string() for n in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            paced.taken()
            yield batch
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" not in str(exc):
            raise
    finally:
        paced.close()
        if reader is not None:
            # Stops Arrow's read-ahead thread now: left to the garbage collector, it could
            # still call into `paced` while the interpreter ends (an abort at exit).
            reader.close()


def _decoded(batch: pa.RecordBatch, rows: pa.Array, source: TableSource) -> pa.RecordBatch:
    """A batch of byte columns as text: a column of UTF-8 is cast at once; in one that
    is not, each value is decoded with U+FFFD for its bad bytes, and the rows are noted
    in `source.replaced`."""
    columns = []
    replaced: set[int] = set()
    for column in batch.columns:
        try:
            columns.append(column.cast(pa.string()))
            continue
        except pa.ArrowInvalid:
            pass
        values: list[str | None] = []
        for k, value in enumerate(column.to_pylist()):
            if value is None:
                values.append(None)
                continue
            try:
                values.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                values.append(value.decode("utf-8", "replace"))
                replaced.add(rows[k].as_py())
        columns.append(pa.array(values, pa.string()))
    source.replaced += sorted(replaced)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


# Arrow's streaming CSV reader reads up to 32 blocks ahead of the batches taken, on a
# thread of its own (128 MB at 4 MiB a block), and it has no option to read fewer: a few
# blocks keep the parser busy while a batch is checked.
CSV_READ_AHEAD = 4


_NOTHING = pa.py_buffer(b"")


class _Paced(io.RawIOBase):
    """A stream that Arrow's CSV reader reads at most `CSV_READ_AHEAD` reads ahead of the
    batches taken (`taken`). A read waits for its turn at most a second: the pace bounds
    memory and never stops the reading."""

    def __init__(self, stream: pa.NativeFile) -> None:
        super().__init__()
        self.stream = stream
        self.turns = threading.Semaphore(CSV_READ_AHEAD)
        self.done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> pa.Buffer:
        if self.done:  # let go: Arrow's read-ahead thread ends at this end of the stream
            return _NOTHING
        self.turns.acquire(timeout=1.0)
        return self.stream.read_buffer(None if size < 0 else size)

    def taken(self) -> None:
        self.turns.release()

    def close(self) -> None:
        """No more waits: the reader's thread may be in a read (the stream is closed
        with the reader, when it is let go)."""
        self.done = True
        self.turns.release()  # a read waiting for its turn goes on


@contextlib.contextmanager
def _quiet_handler(handler: Callable[[pacsv.InvalidRow], str]) -> Iterator[None]:
    """Arrow decodes a short row's text before it calls the invalid row handler, and where
    the row is not UTF-8 the error is printed on stderr as an "Exception ignored"
    traceback before the read fails (as unreadable, which it is): that print is what is
    held back here, while a CSV file is read."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if unraisable.object is handler and isinstance(unraisable.exc_value, UnicodeDecodeError):
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _after(batch: Batch, after: int) -> Iterator[Batch]:
    """`batch` without its rows numbered `after` or less (read before a retry)."""
    rows, numbers, extra = batch
    if not len(numbers) or numbers[0].as_py() > after:
        yield batch
        return
    keep = pa.compute.greater(numbers, after)
    if pa.compute.any(keep).as_py():
        yield rows.filter(keep), numbers.filter(keep), extra


def _unreadable(path: Path, exc: pa.ArrowInvalid) -> Exception:
    if "straddl" in str(exc):  # "straddling object straddles two block boundaries"
        return _RowTooLong()
    return InputError(f"{path}: not a readable CSV file: {exc}")


def _short_row(text: str, number: int, names: list[str], source: TableSource) -> Batch:
    """A row with too few or too many cells: report them, and check the cells it has."""
    cells = next(csv.reader(io.StringIO(text)), [])
    for name in names[len(cells) :]:
        source.issues.append(
            Issue(
                code="missing-cell",
                message=f'the row has no cell for "{name}"',
                file=source.label,
                row=number,
                field=name,
            )
        )
    if len(cells) > len(names):
        source.issues.append(
            Issue(
                code="extra-cell",
                message="the row has more cells than the header",
                file=source.label,
                row=number,
                field="",
            )
        )
    padded = [cell if cell != "" else None for cell in cells[: len(names)]]
    padded += [None] * (len(names) - len(padded))
    batch = pa.RecordBatch.from_arrays([pa.array([v], pa.string()) for v in padded], names=names)
    return batch, pa.array([number], pa.int64()), {0: set(names[len(cells) :])}


def _parquet(path: Path, label: str, mapping: dict[str, str]) -> TableSource:
    try:
        # Buffered reads, no pre-buffering: a row group is streamed, not loaded whole.
        handle = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
        header = handle.schema_arrow.names
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from None
    except UnicodeDecodeError:  # a column's name in the file's schema is not UTF-8
        raise InputError(
            f"{path}: not a readable Parquet file: a column name is not UTF-8"
        ) from None
    names = _renamed(header, mapping)

    def batches() -> Iterator[Batch]:
        start = 2
        try:
            for batch in handle.iter_batches(batch_size=_batch_rows(handle.metadata)):
                batch = batch.rename_columns(names)
                yield batch, _rows(start, batch.num_rows), {}
                start += batch.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{path}: not a readable Parquet file: {exc}") from None

    return TableSource(path, label, names, batches(), header=header)


def _batch_rows(metadata: pq.FileMetaData) -> int:
    """The rows of `PARQUET_BATCH_BYTES`, by the row groups' uncompressed sizes."""
    groups = [metadata.row_group(i) for i in range(metadata.num_row_groups)]
    size: int = sum(group.total_byte_size for group in groups)
    rows: int = metadata.num_rows
    least, most = PARQUET_BATCH_ROWS
    if size <= 0:
        return most
    return max(least, min(most, PARQUET_BATCH_BYTES * rows // size))


# What a text read with "surrogateescape" holds for each byte that is not UTF-8, and what
# a JSON "\\ud800" escape gives: no UTF-8 text can hold either.
_SURROGATES = re.compile("[\ud800-\udfff]")


def _mended(row: dict[str, str | None]) -> bool:
    """Replace the surrogates of the row's texts by U+FFFD; whether there were any."""
    found = False
    for key, value in row.items():
        if value is not None and not value.isascii() and _SURROGATES.search(value):
            row[key] = _SURROGATES.sub("\ufffd", value)
            found = True
    return found


def _mended_keys(row: dict[str, str | None]) -> bool:
    """Replace the surrogates of the row's keys (column names) by U+FFFD, in place."""
    bad = [key for key in row if not key.isascii() and _SURROGATES.search(key)]
    for key in bad:
        row[_SURROGATES.sub("\ufffd", key)] = row.pop(key)
    return bool(bad)


def _cell(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return (
        json.dumps(value, ensure_ascii=False)
        if isinstance(value, (dict, list, bool))
        else str(value)
    )


# A JSON value read from a file, with its line; or (line, None, why) where one is not JSON.
Parsed = tuple[int, Any, str | None]


def _json_lines(handle: IO[str]) -> Iterator[Parsed]:
    """The values of a JSON Lines file, one a line (blank lines skipped)."""
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not JSON: {exc.msg}"
        except RecursionError:
            yield number, None, "not JSON: nested too deep"
        except ValueError:  # an integer of more digits than Python converts
            yield number, None, "not JSON: a number too long to read"
        else:
            yield number, value, None


def _json_array_rows(handle: IO[str], max_value: int = MAX_JSON_VALUE) -> Iterator[Parsed]:
    """The items of the JSON arrays a file holds, read a piece at a time (a daily snapshot
    of a scraper is one array; snapshots appended to one file are arrays one after
    another, and all are read); each with the line it starts on. A value of more than
    `max_value` characters, or anything but an array, ends the reading with a finding: the
    rest of the file is reported, never dropped silently."""
    decoder = json.JSONDecoder()
    buffer, at, line, done = "", 0, 1, False

    def more(size: int = JSON_CHUNK) -> bool:
        nonlocal buffer, at, done
        piece = handle.read(size)
        done = not piece
        buffer, at = buffer[at:] + piece, 0
        return not done

    def skip(chars: str) -> None:
        nonlocal at, line
        while True:
            while at < len(buffer) and buffer[at] in chars:
                line += buffer[at] == "\n"
                at += 1
            if at < len(buffer) or not more():
                return

    skip(" \t\r\n")
    if at >= len(buffer) or buffer[at] != "[":
        yield line, None, "not a JSON array of objects"
        return
    while True:  # each array of the file
        at += 1
        while True:
            skip(" \t\r\n,")
            if at >= len(buffer):
                yield line, None, "not JSON: the array is not closed (the file is cut short)"
                return
            if buffer[at] == "]":
                at += 1
                break
            try:
                value, end = decoder.raw_decode(buffer, at)
            except (ValueError, RecursionError) as exc:  # ValueError: a number too long too
                held = len(buffer) - at
                if held > max_value:
                    yield (
                        line,
                        None,
                        (
                            f"a value of more than {max_value:,} characters: it and the rest "
                            "of the file are not read"
                        ),
                    )
                    return
                # What is held doubles, so a long value is parsed a few times, not once a
                # chunk (which is quadratic in the value's length).
                if not done and more(min(max(JSON_CHUNK, held), max_value + 1 - held)):
                    continue
                why = getattr(exc, "msg", "nested too deep or too long")
                yield line, None, f"not JSON: {why}"
                return
            if end == len(buffer) and not done:
                more()  # a number may run on past what is read
                continue
            yield line, value, None
            line += buffer.count("\n", at, end)
            at = end
        skip(" \t\r\n")
        if at >= len(buffer):
            return
        if buffer[at] != "[":
            yield line, None, "not JSON: something other than an array after the array"
            return


def _jsonl(path: Path, label: str, mapping: dict[str, str], gzipped: bool) -> TableSource:
    return _json_table(path, label, mapping, gzipped, _json_lines)


def _json(path: Path, label: str, mapping: dict[str, str], gzipped: bool) -> TableSource:
    return _json_table(path, label, mapping, gzipped, _json_array_rows)


def _json_table(
    path: Path,
    label: str,
    mapping: dict[str, str],
    gzipped: bool,
    values: Callable[[IO[str]], Iterator[Parsed]],
) -> TableSource:
    """A table of JSON objects, one a row; its columns are its first object's keys."""
    sources: dict[str, str] = {source: target for target, source in mapping.items()}
    header: list[str] = []
    with _open_text(path, gzipped, errors="surrogateescape") as handle:
        # the columns are the first object's (a broken line before it is a json-error of
        # its own, reported when the rows are read, not a table without columns)
        for _, first, _ in values(handle):
            if isinstance(first, dict):
                header = [_SURROGATES.sub("\ufffd", str(k)) for k in first]
                break
    columns = [sources.get(k, k) for k in header]
    source = TableSource(path, label, columns, iter(()), header=header)

    def batches() -> Iterator[Batch]:
        rows: list[dict[str, str | None]] = []
        numbers: list[int] = []

        def flush() -> Batch:
            names = list(dict.fromkeys([*columns, *(k for r in rows for k in r)]))
            arrays = [pa.array([r.get(n) for r in rows], pa.string()) for n in names]
            batch = pa.RecordBatch.from_arrays(arrays, names=names)
            out: Batch = (batch, pa.array(numbers, pa.int64()), {})
            rows.clear()
            numbers.clear()
            return out

        with _open_text(path, gzipped, errors="surrogateescape") as handle:
            for number, record, problem in values(handle):
                if problem is None and not isinstance(record, dict):
                    problem = "not a JSON object"
                if problem is not None:
                    issue = Issue(code="json-error", message=problem, file=label, row=number)
                    source.issues.append(issue)
                    continue
                row = {sources.get(str(k), str(k)): _cell(v) for k, v in record.items()}
                if _mended(row) | _mended_keys(row):
                    source.replaced.append(number)
                rows.append(row)
                numbers.append(number)
                if len(rows) >= JSON_BATCH:
                    yield flush()
        if rows:
            yield flush()

    source.batches = batches()
    return source


def open_tables(
    paths: list[Path], label: str, mapping: dict[str, str] | None = None
) -> TableSource:
    """Several files of one table (a partitioned release table) read as one: columns from
    the first, rows numbered on across the parts as frictionless numbers a multipart table."""
    if len(paths) == 1:
        return open_table(paths[0], label, mapping)
    sources = [open_table(path, label, mapping) for path in paths]
    chained = TableSource(paths[0], label, sources[0].columns, iter(()))

    def batches() -> Iterator[Batch]:
        offset = 0
        for source in sources:
            last = 1
            for batch, rows, missing in source.batches:
                chained.issues.extend(source.issues)
                source.issues.clear()
                yield batch, pa.compute.add(rows, offset), missing
                if len(rows):
                    last = rows[-1].as_py()
            chained.issues.extend(source.issues)
            source.issues.clear()
            offset += last - 1  # each part's header is not a row of the whole

    chained.batches = batches()
    return chained


def read_ahead(source: TableSource, depth: int = 2) -> TableSource:
    """`source` with its batches read by a thread of their own (a one-thread executor), up
    to `depth` batches ahead of the caller: Arrow's CSV parser and Parquet decoder release
    the GIL, so a table is read on one core while its rows are checked on the other. The
    batches, the issues found while reading each one (given with it, in order) and an
    error that ends the reading come as they would without the thread."""
    ahead = TableSource(source.path, source.label, source.columns, iter(()), header=source.header)

    def step() -> tuple[Batch | None, list[Issue], BaseException | None]:
        """The next batch (None at the end), the issues found reading it, and the error
        that ended the reading."""
        try:
            batch: Batch | None = next(source.batches, None)
            error = None
        except BaseException as exc:  # handed to the reader of the batches, as raised
            batch, error = None, exc
        found, source.issues[:] = list(source.issues), []
        return batch, found, error

    def batches() -> Iterator[Batch]:
        # One thread: the steps run one after another, in order. A caller that stops
        # early cancels the steps not begun and waits for the one running.
        with ThreadPoolExecutor(1, thread_name_prefix="packager-read-ahead") as pool:
            pending = collections.deque(pool.submit(step) for _ in range(depth))
            try:
                while True:
                    batch, found, error = pending.popleft().result()
                    ahead.issues.extend(found)
                    if error is not None:
                        raise error
                    if batch is None:
                        return
                    pending.append(pool.submit(step))
                    yield batch
            finally:
                for future in pending:
                    future.cancel()

    ahead.batches = batches()
    return ahead
