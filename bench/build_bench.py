"""Benchmark: `packager build` at 10,000, 50,000 and 100,000 pages against the floor.

For each size: pages/s, MB/s of input, peak RSS, and the ratio to the floor measured in
the same run (bench/floor.py: read every input byte, then write the same tables with plain
pyarrow). Corpora come from bench/corpus.py and are kept in bench/out/.

    python -m bench.build_bench [--sizes 10000,50000,100000] [--workers N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from bench.corpus import write_corpus
from bench.timing import measure
from bench.validate_bench import OUT, runtime_packager


def corpus_for(pages: int) -> tuple[Path, int]:
    folder = OUT / f"pages-{pages}"
    if not folder.is_dir():
        write_corpus(folder, pages, seed=1)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return folder, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    packager = runtime_packager()
    print(
        f"{'pages':>8} {'build s':>8} {'pages/s':>8} {'MB/s':>6} {'peak MB':>8} {'floor s':>8} {'ratio':>6}"
    )
    for pages in (int(s) for s in args.sizes.split(",")):
        corpus, size = corpus_for(pages)
        out = OUT / f"build-{pages}"
        shutil.rmtree(out, ignore_errors=True)
        command = [
            str(packager),
            "build",
            str(corpus),
            "--name",
            "b",
            "--version",
            "1.0.0",
            "--out",
            str(out),
            "--created",
            "2026-01-01T00:00:00Z",
            "--quiet",
        ]
        if args.workers:
            command += ["--workers", str(args.workers)]
        run = measure(command)
        if run.returncode:
            raise SystemExit(f"build of {pages} pages failed ({run.returncode})")
        floor_out = OUT / f"floor-{pages}"
        floor = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.floor",
                str(corpus),
                str(out / "b" / "1.0.0"),
                str(floor_out),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        read_s, write_s = (float(x) for x in floor.stdout.split())
        floor_s = read_s + write_s
        shutil.rmtree(floor_out, ignore_errors=True)
        # The same pages again: every one comes from the page cache.
        again = measure([*command[:6], "1.0.1", *command[7:]])
        print(
            f"{pages:>8} {run.seconds:>8.1f} {pages / run.seconds:>8.0f} {size / 1e6 / run.seconds:>6.1f} "
            f"{run.peak_mb:>8.0f} {floor_s:>8.1f} {run.seconds / floor_s:>6.1f} {again.seconds:>9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
