"""Reading release tables back (the other side of `packager.write`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def read_parquet(path: Path) -> pa.Table:
    return pq.read_table(path)


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
