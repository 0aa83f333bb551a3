"""Table writers: every table is written as Parquet (zstd) and CSV from the same batches.

Only this module and `packager.release.read` import pyarrow.parquet. Rows arrive as Arrow
record batches in their final order and leave in row groups of `ROW_GROUP_SIZE`, so the files do not
depend on how the rows were batched on the way in.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# 10,000-row groups read about twice as fast as one big group (docs/design.md).
ROW_GROUP_SIZE = 10_000
_THREADS = ThreadPoolExecutor(2, thread_name_prefix="packager-parquet")  # a table each
# The article's text has no min/max statistics (no reader prunes row groups by it, and
# Parquet drops statistics over 4 KiB anyway, after copying the value several times over)
# and no dictionary (texts do not repeat; the attempt copies every body twice). With data
# pages of version 2, whose levels are not copied in front of the values, a column of
# large values is written with one copy of them (a 200 MB body: 200 MB, not 1 GB).
PLAIN_TEXT = frozenset({"body"})
ONE_AT_A_TIME_BYTES = 64 << 20  # rows of more are written to one format, then the other


def _sync_file_range() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None  # not Linux: the release's final fsync does it all
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_SYNC_FILE_RANGE = _sync_file_range()
_SYNC_FILE_RANGE_WRITE = 2  # start writing dirty pages out; do not wait for them


def start_writeback(fd: int) -> bool:
    """Start writing the file's data to disk, without waiting (Linux's sync_file_range):
    a release is flushed before it is renamed into place, and data already on its way
    while the rest is written makes that final wait short. False where it cannot."""
    if _SYNC_FILE_RANGE is None:
        return False
    return bool(_SYNC_FILE_RANGE(fd, 0, 0, _SYNC_FILE_RANGE_WRITE) == 0)


class TableWriter:
    """Writes one table to ``<stem>.parquet`` and ``<stem>.csv`` batch by batch."""

    def __init__(
        self, stem: Path, schema: pa.Schema, *, parquet: Path | None = None, csv: Path | None = None
    ) -> None:
        self.schema = schema
        self.rows = 0
        self.parquet_path = parquet or stem.with_suffix(".parquet")
        self.csv_path = csv or stem.with_suffix(".csv")
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._parquet = pq.ParquetWriter(
            self.parquet_path,
            schema,
            compression="zstd",
            write_statistics=[name for name in schema.names if name not in PLAIN_TEXT],
            use_dictionary=[name for name in schema.names if name not in PLAIN_TEXT],
            data_page_version="2.0",
        )
        self._csv = pacsv.CSVWriter(self.csv_path, schema)
        # Read-only handles to the files being written, to start their writeback (none
        # where sync_file_range is not: nothing would use them).
        paths = (self.parquet_path, self.csv_path) if _SYNC_FILE_RANGE is not None else ()
        self._fds = [os.open(path, os.O_RDONLY) for path in paths]

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        table = table.select(self.schema.names).cast(self.schema)
        for part in table.to_batches():
            self._pending.append(part)
            self._pending_rows += part.num_rows
        while self._pending_rows >= ROW_GROUP_SIZE:
            self._flush(ROW_GROUP_SIZE)

    def _flush(self, rows: int) -> None:
        table = pa.Table.from_batches(self._pending, schema=self.schema)
        head, tail = table.slice(0, rows), table.slice(rows)
        if head.num_rows:
            self._write_both(head)
            for fd in self._fds:
                start_writeback(fd)
            self.rows += head.num_rows
        self._pending = tail.combine_chunks().to_batches() if tail.num_rows else []
        self._pending_rows = tail.num_rows

    def _write_both(self, rows: pa.Table) -> None:
        if rows.nbytes > ONE_AT_A_TIME_BYTES:
            # Each writer holds the rows once more, encoded: one after the other for large
            # rows, so that memory holds the rows and one copy, not two.
            self._parquet.write_table(rows, ROW_GROUP_SIZE)
            self._csv.write_table(rows)
            return
        # The two formats are written at once: Arrow's writers release the GIL.
        parquet = _THREADS.submit(self._parquet.write_table, rows, ROW_GROUP_SIZE)
        try:
            self._csv.write_table(rows)
        finally:
            # Whatever the CSV write did (a full disk), the Parquet write is waited for:
            # its writer must not be closed or freed while its thread writes.
            wait([parquet])
        parquet.result()

    def close(self) -> None:
        """Write what is left and close both files."""
        try:
            self._flush(self._pending_rows)
            self._parquet.close()
            self._csv.close()
        except BaseException:
            self.abandon()
            raise
        self._release_fds()

    def abandon(self) -> None:
        """Close both files after a failure, writing nothing more (the release is not
        published: its work folder goes). Errors of the closing itself are not news."""
        for writer in (self._parquet, self._csv):
            with contextlib.suppress(OSError, pa.ArrowException):
                writer.close()
        self._release_fds()

    def _release_fds(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self.abandon()


# Hive partitioning of the `partitioned` layout: the directory name carries the key.
PARTITION_KEYS = {"articles": "year", "related": "id_prefix", "revisions": "id_prefix"}


def partition_writer(data: Path, table: str, value: str, schema: pa.Schema) -> TableWriter:
    """The writer of one partition of the `partitioned` layout:
    ``data/parquet/<table>/<key>=<value>/part-0.parquet`` and the same under ``data/csv/``.
    Each format has its own tree, so a reader pointed at one finds only files of that
    format. A partition is written whole by one writer (its rows in release order)."""
    partition = f"{table}/{PARTITION_KEYS[table]}={value}"
    paths = {fmt: data / fmt / partition / f"part-0.{fmt}" for fmt in ("parquet", "csv")}
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    return TableWriter(paths["parquet"], schema, parquet=paths["parquet"], csv=paths["csv"])


# The partition of a table with no rows in the `partitioned` layout: Hive's name for a
# partition whose key has no value. Every table has at least one part in each format, so
# that the descriptor, the card and Croissant always name files that exist.
EMPTY_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def write_empty_partition(data: Path, table: str, schema: pa.Schema) -> None:
    """The one part of a table with no rows (a CSV header, a Parquet file of no rows)."""
    partition_writer(data, table, EMPTY_PARTITION, schema).close()


def parts_glob(table: str, fmt: str) -> str:
    """The partitioned layout's files of `table` in `fmt`, as one glob from the release
    folder (what readers such as Hugging Face and Croissant are given)."""
    return f"data/{fmt}/{table}/*/*.{fmt}"


def table_files(folder: Path, table: str, fmt: str) -> list[str]:
    """The files of `table` in `fmt` in a release folder, relative and sorted: one file in
    the single layout, one per partition in the partitioned layout."""
    single = folder / "data" / f"{table}.{fmt}"
    if single.is_file():
        return [f"data/{table}.{fmt}"]
    parts = sorted((folder / "data" / fmt / table).glob(f"*=*/part-*.{fmt}"))
    return [p.relative_to(folder).as_posix() for p in parts]
