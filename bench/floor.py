"""The floor a build is measured against: read every input byte, then write the same
tables with plain pyarrow (Parquet zstd and CSV), nothing else.

    python -m bench.floor CORPUS RELEASE OUT   (prints: seconds read, seconds write)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def read_all(corpus: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(corpus):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                total += len(handle.read())
    return total


def main() -> None:
    corpus, release, out = (Path(a) for a in sys.argv[1:4])
    start = time.perf_counter()
    read_all(corpus)
    read_seconds = time.perf_counter() - start
    tables = {t: pq.read_table(release / "data" / f"{t}.parquet") for t in ("articles", "related")}
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for name, table in tables.items():
        pq.write_table(table, out / f"{name}.parquet", compression="zstd", row_group_size=10_000)
        pacsv.write_csv(table, out / f"{name}.csv")
    write_seconds = time.perf_counter() - start
    print(f"{read_seconds:.3f} {write_seconds:.3f}")


if __name__ == "__main__":
    main()
