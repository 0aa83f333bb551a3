"""Reading release tables back (the other side of `packager.release.write`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def parquet_batches(path: Path, rows: int = 2_000) -> Iterator[pa.RecordBatch]:
    """A Parquet file's rows, `rows` at a time, streamed: buffered reads and no
    pre-buffering, so a 10,000-row group is never loaded whole."""
    with pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False) as source:
        yield from source.iter_batches(batch_size=rows)


def read_csv(path: Path, schema: pa.Schema) -> pa.Table:
    """A release CSV with the table's types. Bodies hold newlines inside quoted cells, and
    only an unquoted empty cell is null (the writer never writes empty strings)."""
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={f.name: f.type for f in schema},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
