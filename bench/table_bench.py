"""Benchmark: `packager build` of a 100,000-row JSON Lines table, as another scraper's
output is: time and peak memory.

The rows are the articles of the 100,000-page release of `bench.validate_bench` (built
once, kept in bench/out/), written as JSON Lines without the fields packager derives
(article_id, word_count, language) and without related items, as a scraper has them.

    python -m bench.table_bench [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from pathlib import Path

import pyarrow.parquet as pq

from bench.timing import measure
from bench.validate_bench import OUT, release_for, runtime_packager

DERIVED = ("article_id", "word_count", "language")


def rows_file(rows: int) -> tuple[Path, int]:
    path = OUT / f"rows-{rows}.jsonl"
    if not path.is_file():
        release = release_for(100_000)
        table = pq.read_table(release / "data/articles.parquet").drop_columns(list(DERIVED))
        with path.open("w", encoding="utf-8") as out:
            written = 0
            while written < rows:
                for row in table.slice(0, rows - written).to_pylist():
                    row["title"] = f"{row['title']} {written}"  # every row an article of its own
                    out.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
                    written += 1
    return path, path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path, size = rows_file(args.rows)
    packager = runtime_packager()
    out = OUT / "table-build"
    runs = []
    for _ in range(args.repeat):
        shutil.rmtree(out, ignore_errors=True)
        run = measure(
            [str(packager), "build", str(path), "--name", "t", "--version", "1.0.0",
             "--out", str(out), "--created", "2026-01-01T00:00:00Z", "--quiet"]
        )  # fmt: skip
        if run.returncode:
            raise SystemExit(f"build of {path} failed ({run.returncode})")
        runs.append(run)
    seconds = statistics.median(run.seconds for run in runs)
    print(
        f"{args.rows} rows of JSON Lines ({size / 1e6:.0f} MB): build {seconds:.1f} s "
        f"({args.rows / seconds:,.0f} rows/s), peak RSS {max(r.peak_mb for r in runs):.0f} MB "
        f"(runs: {', '.join(f'{r.seconds:.1f}' for r in runs)})"
    )


if __name__ == "__main__":
    main()
