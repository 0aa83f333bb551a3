"""Table writers: every table is written as Parquet (zstd) and CSV from the same batches.

Only this module and `packager.read` import pyarrow.parquet. Rows arrive as Arrow record batches
in their final order and leave in row groups of `ROW_GROUP_SIZE`, so the files do not
depend on how the rows were batched on the way in.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# 10,000-row groups read about twice as fast as one big group (docs/design.md).
ROW_GROUP_SIZE = 10_000


class TableWriter:
    """Writes one table to ``<stem>.parquet`` and ``<stem>.csv`` batch by batch."""

    def __init__(self, stem: Path, schema: pa.Schema) -> None:
        self.schema = schema
        self.rows = 0
        self.parquet_path = stem.with_suffix(".parquet")
        self.csv_path = stem.with_suffix(".csv")
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._parquet = pq.ParquetWriter(
            self.parquet_path,
            schema,
            compression="zstd",
            write_statistics=True,
        )
        self._csv = pacsv.CSVWriter(self.csv_path, schema)

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
            self._parquet.write_table(head, row_group_size=ROW_GROUP_SIZE)
            self._csv.write_table(head)
            self.rows += head.num_rows
        self._pending = tail.combine_chunks().to_batches() if tail.num_rows else []
        self._pending_rows = tail.num_rows

    def close(self) -> None:
        self._flush(self._pending_rows)
        self._parquet.close()
        self._csv.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
