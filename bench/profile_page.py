"""Where a worker's time goes: each step of parsing a chunk of pages, timed apart, in
microseconds a page (one process, files already in the OS's page cache).

    python -m bench.profile_page [--pages 8192] [--repeat 3] [--corpus FOLDER]

The steps are those of `packager.assemble.parsing.parse_chunk`, in its order: read the file,
sha256 of its bytes, `read_page` (with the compiled fast path where it is built; the
compiled reader alone, and the Python reader alone as the baseline, are timed beside it),
then the spool (rows to Arrow, sorted into buckets, written as IPC), a chunk (`MAX_CHUNK`
pages) at a time, as a worker of a large build writes it. With R runs, each step's time
is its median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.build_bench import corpus_for
from bench.floor import read_all
from packager.assemble.parsing import MAX_CHUNK
from packager.assemble.spool import Buckets, SpoolWriter
from packager.contract.limits import DEFAULT_LIMITS
from packager.contract.record import Record
from packager.contract.rejection import Rejection
from packager.inputs.files import input_files, read_input
from packager.inputs.pages import FAST, read_page, read_page_python

TODAY = dt.date(2027, 1, 1)  # after every page of a corpus, as a build's today is


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds `step()` takes with the cyclic garbage collector paused, as a worker parses a
    chunk (otherwise it walks every value the step keeps, and times grow with the step)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        result = step()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def profile(corpus: Path, pages: int) -> list[tuple[str, float]]:
    """(step, microseconds a parsed page) for the first `pages` page files of `corpus`."""
    items = [item for item in input_files([corpus]) if not item.is_table][:pages]
    read_all(corpus)  # warm, as in the build benchmark
    steps: list[tuple[str, float]] = []

    seconds, data = timed(lambda: [read_input(item) for item in items])
    steps.append(("read the file (open, fstat, read)", seconds))
    read = [(item, d) for item, d in zip(items, data, strict=True) if isinstance(d, bytes)]

    seconds, shas = timed(lambda: [hashlib.sha256(d).hexdigest() for _, d in read])
    steps.append(("sha256 of its bytes", seconds))

    def parse_all() -> list[Record]:
        out = []
        for (item, d), sha in zip(read, shas, strict=True):
            try:
                out.append(read_page(d, item.source_file, TODAY, DEFAULT_LIMITS, sha))
            except Rejection:
                continue
        return out

    seconds, parsed = timed(parse_all)
    steps.append(("read_page: the page's pieces, then make_record", seconds))

    if FAST is not None:
        seconds, _ = timed(lambda: [FAST.read_page(d) for _, d in read])
        steps.append(("(of which) the compiled reader alone", seconds))

    def parse_python() -> int:
        done = 0
        for (item, d), sha in zip(read, shas, strict=True):
            try:
                read_page_python(d, item.source_file, TODAY, DEFAULT_LIMITS, sha)
            except Rejection:
                continue
            done += 1
        return done

    seconds, _ = timed(parse_python)
    steps.append(("(baseline) read_page_python, the Python reader alone", seconds))

    with tempfile.TemporaryDirectory() as tmp:
        spool = Path(tmp)
        chunks = [parsed[i : i + MAX_CHUNK] for i in range(0, len(parsed), MAX_CHUNK)]

        def spooled() -> None:
            buckets = Buckets.for_inputs(len(items))
            for number, chunk in enumerate(chunks):
                writer = SpoolWriter(spool, f"{number:06d}", buckets, flush_rows=None)
                for i, record in enumerate(chunk):
                    writer.add((number * MAX_CHUNK + i) << 32, record)
                writer.close()

        seconds, _ = timed(spooled)
        steps.append(("spool: rows to Arrow, into buckets, written as IPC", seconds))
    return [(name, s / len(parsed) * 1e6) for name, s in steps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8_192)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=None, help="default: bench/out/pages-10000")
    args = parser.parse_args()
    corpus = args.corpus or corpus_for(10_000)[0]
    runs = [profile(corpus, args.pages) for _ in range(args.repeat)]
    rows = [
        (name, statistics.median(run[i][1] for run in runs)) for i, (name, _) in enumerate(runs[0])
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'step':<{width}}  us a page")
    for name, us in rows:
        print(f"{name:<{width}}  {us:9.1f}")
    fresh = sum(us for name, us in rows if not name.startswith("("))
    print(f"{'total, fresh page, in a worker':<{width}}  {fresh:9.1f}")
    if FAST is None:
        print("(the compiled reader is not built here: read_page is the Python reader)")


if __name__ == "__main__":
    main()
