"""Tables from files, batch by batch, with frictionless's row numbers.

Each reader yields `(batch, rows, missing)`: a record batch, the row number of each of its
rows, and for rows that were short the names of the fields they lack. CSV and Parquet rows
are numbered as frictionless numbers them (the header is row 1, so data starts at row 2);
JSON Lines rows by their line. Columns are renamed by `mapping` ({target: source}).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute.add
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from packager.contract.models import Issue
from packager.errors import InputError

BLOCK_SIZE = 2 << 20  # CSV bytes parsed at a time: memory stays bounded, whatever the file
PARQUET_BATCH = 2_000
JSON_BATCH = 2_000
TABLE_KINDS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}

Batch = tuple[pa.RecordBatch, pa.Array, dict[int, set[str]]]


@dataclass
class TableSource:
    """A table file opened for reading: its columns and its batches."""

    path: Path
    label: str
    columns: list[str]
    batches: Iterator[Batch]
    issues: list[Issue] = field(default_factory=list)  # structural problems found while reading


def _renamed(columns: list[str], mapping: dict[str, str]) -> list[str]:
    sources = {source: target for target, source in mapping.items()}
    return [sources.get(name, name) for name in columns]


def _rows(start: int, count: int) -> pa.Array:
    return pa.array(range(start, start + count), pa.int64())


def open_table(path: Path, label: str, mapping: dict[str, str] | None = None) -> TableSource:
    """Open a CSV, Parquet or JSON Lines table; unreadable files raise `InputError`."""
    kind = TABLE_KINDS.get(path.suffix.lower())
    opener = {"csv": _csv, "parquet": _parquet, "jsonl": _jsonl}.get(kind or "")
    if opener is None:
        raise InputError(f"{path}: not a table file (.csv, .parquet, .jsonl)")
    try:
        return opener(path, label, mapping or {})
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _csv(path: Path, label: str, mapping: dict[str, str]) -> TableSource:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    names = _renamed(header, mapping)
    source = TableSource(path, label, names, iter(()))
    source.batches = _csv_batches(path, header, names, source)
    return source


def _csv_batches(
    path: Path, header: list[str], names: list[str], source: TableSource
) -> Iterator[Batch]:
    invalid: dict[int, str] = {}

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid[row.number] = row.text
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=BLOCK_SIZE),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return
        raise InputError(f"{path}: not a readable CSV file: {exc}") from None
    next_row = 2
    done_invalid: set[int] = set()
    try:
        for batch in reader:
            pending = [n for n in invalid if n not in done_invalid]
            if not pending:  # the common case: rows numbered straight on
                yield batch.rename_columns(names), _rows(next_row, batch.num_rows), {}
                next_row += batch.num_rows
                continue
            numbers: list[int] = []
            while len(numbers) < batch.num_rows:
                if next_row in invalid:
                    done_invalid.add(next_row)
                    yield _short_row(invalid[next_row], next_row, names, source)
                else:
                    numbers.append(next_row)
                next_row += 1
            yield batch.rename_columns(names), pa.array(numbers, pa.int64()), {}
    except pa.ArrowInvalid as exc:
        raise InputError(f"{path}: not a readable CSV file: {exc}") from None
    for number in sorted(set(invalid) - done_invalid):
        yield _short_row(invalid[number], number, names, source)


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
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from None
    names = _renamed(handle.schema_arrow.names, mapping)

    def batches() -> Iterator[Batch]:
        start = 2
        try:
            for batch in handle.iter_batches(batch_size=PARQUET_BATCH):
                batch = batch.rename_columns(names)
                yield batch, _rows(start, batch.num_rows), {}
                start += batch.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{path}: not a readable Parquet file: {exc}") from None

    return TableSource(path, label, names, batches())


def _cell(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)


def _jsonl(path: Path, label: str, mapping: dict[str, str]) -> TableSource:
    sources: dict[str, str] = {source: target for target, source in mapping.items()}
    columns: list[str] = []
    with path.open("r", encoding="utf-8-sig") as handle:
        for line in handle:
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    break
                if isinstance(first, dict):
                    columns = [sources.get(str(k), str(k)) for k in first]
                break
    source = TableSource(path, label, columns, iter(()))

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

        with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    source.issues.append(
                        Issue(
                            code="json-error",
                            message=f"not JSON: {exc.msg}",
                            file=label,
                            row=number,
                        )
                    )
                    continue
                if not isinstance(record, dict):
                    source.issues.append(
                        Issue(
                            code="json-error", message="not a JSON object", file=label, row=number
                        )
                    )
                    continue
                rows.append({sources.get(str(k), str(k)): _cell(v) for k, v in record.items()})
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
