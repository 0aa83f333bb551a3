"""Where a build's time goes, phase by phase: one build of a corpus in this process (library
calls, the corpus read once before it), timed at the build's checkpoints, with the CPU
time of the main process and of its workers at each.

    python -m bench.phases [--pages 100000] [--workers 2] [--cold]

The phases are those between `packager.assemble.faults` points: `started` (after listing the
inputs), `parsed` (workers done), `data-written` (both tables), `files-written` (card,
descriptor, checksums) and `before-rename`. Runs from the development venv, which also
holds pandas; Arrow's memory pool is chosen as the `packager` command chooses it for a
build (packager imported before pyarrow, the build's decay), and printed. The CLI's bench
(`bench.build_bench`) times the command itself.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from pathlib import Path

# isort: off
import packager  # noqa: F401 - first: it chooses Arrow's pool before pyarrow loads
import pyarrow

# isort: on
from bench.build_bench import corpus_for
from bench.floor import read_all
from bench.validate_bench import OUT
from packager import cli
from packager.assemble import release


class Phases:
    """Prints a line at each checkpoint: time since the start, and CPU seconds since it."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.cpu = self._cpu()
        print(f"{'seconds':>8}  {'checkpoint':<14} {'main CPU':>9} {'workers CPU':>12}")

    @staticmethod
    def _cpu() -> tuple[float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime

    def mark(self, name: str) -> None:
        (own, children), (own_0, children_0) = self._cpu(), self.cpu
        print(
            f"{time.perf_counter() - self.start:>8.2f}  {name:<14} "
            f"{own - own_0:>9.2f} {children - children_0:>12.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="do not read the corpus first")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    corpus, _size = corpus_for(args.pages)
    if not args.cold:
        read_all(corpus)
    out = OUT / f"phases-{args.pages}"
    shutil.rmtree(out, ignore_errors=True)
    cli._return_memory_promptly(cli.BUILD_RETURNS_MEMORY_AFTER_MS)  # as `packager build`
    pool = pyarrow.default_memory_pool().backend_name
    print(f"{args.pages:,} pages, {args.workers} workers, Arrow's pool: {pool}")
    phases = Phases()
    # the kill points of tests, as timing points here
    vars(release)["checkpoint"] = phases.mark
    try:
        release.build_release(
            [Path(corpus)], name="b", version="1.0.0", out=out, workers=args.workers
        )
        phases.mark("done")
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
