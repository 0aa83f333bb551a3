"""Benchmark: `packager build` at 10,000, 50,000 and 100,000 pages against the floor.

For each size: pages/s, MB/s of input, peak RSS, and the ratio to the floor measured in
the same run (bench/floor.py: read every input byte, then write the same tables with plain
pyarrow). Corpora come from bench/corpus.py and are kept in bench/out/.

    python -m bench.build_bench [--sizes 10000,50000,100000] [--workers N] [--repeat R]
                                [--without-compiled] [--compare LABEL=CHECKOUT ...]

`--without-compiled` times this code installed without its compiled reader too, and
`--dask` this code with `--engine dask` (a LocalCluster of as many workers), and
`--compare` the code of another checkout (`git worktree add /tmp/before <commit>`): each
in its own venv, every variant and the floor once per run, in turn, so that all are
measured in the same period. With R runs, times are medians and the peak RSS is the
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
from bench.timing import Run, measure
from bench.validate_bench import OUT, runtime_packager


def corpus_for(pages: int) -> tuple[Path, int]:
    folder = OUT / f"pages-{pages}-edited"  # its duplicates edited one time in two
    if not folder.is_dir():
        write_corpus(folder, pages, seed=1)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return folder, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1, help="runs of build and floor")
    parser.add_argument("--without-compiled", action="store_true")
    parser.add_argument("--compare", action="append", default=[], help="LABEL=CHECKOUT")
    parser.add_argument(
        "--dask", action="store_true", help="also this code with --engine dask (a LocalCluster)"
    )
    args = parser.parse_args()
    variants = {"this code": runtime_packager()}
    if args.dask:
        variants["this code, dask"] = runtime_packager(name="runtime-venv-dask", extras="dask")
    if args.without_compiled:
        variants["this code, no C"] = runtime_packager(name="runtime-venv-no-c", compiled=False)
    for item in args.compare:
        label, _, checkout = item.partition("=")
        variants[label] = runtime_packager(Path(checkout), name=f"runtime-venv-{label}")
    print(
        f"{'pages':>8} {'variant':<16} {'build s':>8} {'pages/s':>8} {'MB/s':>6} {'peak MB':>8} "
        f"{'floor s':>8} {'ratio':>6}  runs (build s / floor s)"
    )
    for pages in (int(s) for s in args.sizes.split(",")):
        corpus, size = corpus_for(pages)
        # The corpus is read, untimed, before every timed command: the build and the floor
        # both read from the OS's page cache, never one from the disk and the other from
        # memory. Once is not enough on a machine that pages out memory left unused for a
        # while (this one's kernel runs DAMON's reclaim: a page unused for a minute goes,
        # up to 128 MB a second), which had the later runs read more from the disk.
        builds: dict[str, list[Run]] = {label: [] for label in variants}
        floors: list[float] = []
        for _ in range(args.repeat):
            for label, packager in variants.items():
                out = OUT / f"build-{pages}"
                shutil.rmtree(out, ignore_errors=True)
                engine = ["--engine", "dask"] if label.endswith("dask") else []
                read_all(corpus)
                run = measure(_command(packager, corpus, out, args.workers) + engine)
                if run.returncode:
                    raise SystemExit(f"{label}: build of {pages} pages failed ({run.returncode})")
                builds[label].append(run)
            read_all(corpus)
            floors.append(_floor(corpus, out / "b" / "1.0.0", OUT / f"floor-{pages}"))
        floor_s = statistics.median(floors)
        for label, runs in builds.items():
            build_s = statistics.median(run.seconds for run in runs)
            peak_mb = max(run.peak_mb for run in runs)
            each = ", ".join(f"{b.seconds:.1f}/{f:.1f}" for b, f in zip(runs, floors, strict=True))
            print(
                f"{pages:>8} {label:<16} {build_s:>8.1f} {pages / build_s:>8.0f} "
                f"{size / 1e6 / build_s:>6.1f} {peak_mb:>8.0f} {floor_s:>8.1f} "
                f"{build_s / floor_s:>6.1f}  {each}",
                flush=True,
            )


def _command(packager: Path, corpus: Path, out: Path, workers: int | None) -> list[str]:
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
    return command + (["--workers", str(workers)] if workers else [])


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
