"""Benchmark: `packager build` at 10,000, 50,000 and 100,000 pages against the floor.

For each size: pages/s, MB/s of input, peak RSS, and the ratio to the floor measured in
the same run (bench/floor.py: read every input byte, then write the same tables with plain
pyarrow). Corpora come from bench/corpus.py and are kept in bench/out/.

    python -m bench.build_bench [--sizes 10000,50000,100000] [--workers N] [--repeat R]

With R runs, the build's and the floor's times are medians and the peak RSS is the
largest; each run is printed too.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench.corpus import write_corpus
from bench.floor import read_all
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
    parser.add_argument("--repeat", type=int, default=1, help="runs of build and floor")
    args = parser.parse_args()
    packager = runtime_packager()
    print(
        f"{'pages':>8} {'build s':>8} {'pages/s':>8} {'MB/s':>6} {'peak MB':>8} "
        f"{'floor s':>8} {'ratio':>6} {'rebuild s':>9}  runs (build s / floor s)"
    )
    for pages in (int(s) for s in args.sizes.split(",")):
        corpus, size = corpus_for(pages)
        # Read once, untimed: the build and the floor both read from the OS's page cache,
        # never one from the disk and the other from memory.
        read_all(corpus)
        out = OUT / f"build-{pages}"
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
        builds, floors = [], []
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)  # a full build each time: no page cache
            run = measure(command)
            if run.returncode:
                raise SystemExit(f"build of {pages} pages failed ({run.returncode})")
            builds.append(run)
            floors.append(_floor(corpus, out / "b" / "1.0.0", OUT / f"floor-{pages}"))
        build_s = statistics.median(run.seconds for run in builds)
        peak_mb = max(run.peak_mb for run in builds)
        floor_s = statistics.median(floors)
        # The same pages again: every one comes from the page cache.
        again = measure([*command[:6], "1.0.1", *command[7:]])
        runs = ", ".join(f"{b.seconds:.1f}/{f:.1f}" for b, f in zip(builds, floors, strict=True))
        print(
            f"{pages:>8} {build_s:>8.1f} {pages / build_s:>8.0f} {size / 1e6 / build_s:>6.1f} "
            f"{peak_mb:>8.0f} {floor_s:>8.1f} {build_s / floor_s:>6.1f} {again.seconds:>9.1f}  {runs}",
            flush=True,
        )


def _floor(corpus: Path, release: Path, out: Path) -> float:
    """Seconds the floor takes (bench/floor.py, in its own process)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.floor", str(corpus), str(release), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(out, ignore_errors=True)
    read_s, write_s = (float(x) for x in done.stdout.split())
    return read_s + write_s


if __name__ == "__main__":
    main()
