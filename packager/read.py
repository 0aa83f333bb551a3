"""Reading release tables back (the other side of `packager.write`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def read_parquet(path: Path) -> pa.Table:
    return pq.read_table(path)
