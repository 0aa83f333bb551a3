"""The floors packager is measured against, plain pyarrow and hashlib doing the least the
command must do.

- build: read every input byte, then write the same tables (Parquet zstd and CSV).
- validate: the sha256 of every data file, then read both tables' CSV and Parquet files.

    python -m bench.floor CORPUS RELEASE OUT   (prints: seconds read, seconds write)
    python -m bench.floor validate RELEASE     (prints: seconds hash, seconds read)
"""

from __future__ import annotations

import hashlib
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


def validate_floor(release: Path) -> tuple[float, float]:
    """(seconds hashing, seconds reading) a release's data files, as `packager validate`
    must at least: every byte hashed, every table read from both formats."""
    files = sorted(p for p in (release / "data").rglob("*") if p.is_file())
    start = time.perf_counter()
    for path in files:
        with path.open("rb") as handle:
            hashlib.file_digest(handle, "sha256")
    hashed = time.perf_counter()
    csv_options = pacsv.ParseOptions(newlines_in_values=True)  # bodies hold line breaks
    for path in files:
        if path.suffix == ".csv":
            pacsv.read_csv(path, parse_options=csv_options)
        elif path.suffix == ".parquet":
            pq.read_table(path)
    return hashed - start, time.perf_counter() - hashed


def main() -> None:
    if sys.argv[1] == "validate":
        hashing, reading = validate_floor(Path(sys.argv[2]))
        print(f"{hashing:.3f} {reading:.3f}")
        return
    corpus, release, out = (Path(a) for a in sys.argv[1:4])
    start = time.perf_counter()
    read_all(corpus)
    read_seconds = time.perf_counter() - start
    tables = {
        t: pq.read_table(release / "data" / f"{t}.parquet")
        for t in ("articles", "related", "revisions")  # every table the release holds
        if (release / "data" / f"{t}.parquet").is_file()
    }
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for name, table in tables.items():
        pq.write_table(table, out / f"{name}.parquet", compression="zstd", row_group_size=10_000)
        pacsv.write_csv(table, out / f"{name}.csv")
    write_seconds = time.perf_counter() - start
    print(f"{read_seconds:.3f} {write_seconds:.3f}")


if __name__ == "__main__":
    main()
