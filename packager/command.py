"""The `packager` command's entry: signals are handled before anything heavy is imported,
so that Ctrl-C or SIGTERM in the first moments is one line ``Error: interrupted`` and exit
130, as later (the CLI takes them over once it is loaded)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import sys
from pathlib import Path
from types import FrameType

INTERRUPTED = 130


def _arrow_pool() -> str:
    """Arrow's allocator for packager: jemalloc where this pyarrow was built with it (its
    build configuration, shipped with it, says so; naming a pool it lacks would print a
    warning), else the C library's."""
    spec = importlib.util.find_spec("pyarrow")  # found, not imported
    if spec is not None and spec.origin is not None:
        config = Path(spec.origin).parent / "include" / "arrow" / "util" / "config.h"
        try:
            if "#define ARROW_JEMALLOC\n" in config.read_text(encoding="utf-8"):
                return "jemalloc"
        except OSError:
            pass
    return "system"


def choose_arrow_pool() -> None:
    """The command's Arrow memory from jemalloc, unless the user chose another: set before
    pyarrow loads (Arrow reads it once), so that what Arrow allocates inside its readers
    and kernels comes from the pool the CLI tells to give freed memory back at once
    (`cli._return_memory_promptly`; mimalloc, Arrow's default, kept a 200 MB page's freed
    blocks: 730 MB at peak). The command's alone: importing packager changes nothing."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", _arrow_pool())


def _interrupted_early(signum: int, frame: FrameType | None) -> None:
    """Nothing is written yet: say so and end at once."""
    os.write(2, b"Error: interrupted\n")
    os._exit(INTERRUPTED)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted_early)
    signal.signal(signal.SIGTERM, _interrupted_early)
    # A test's way to have the signal arrive while the heavy modules load.
    if (at := os.environ.get("PACKAGER_SIGNAL_AT_START")) in ("INT", "TERM"):
        os.kill(os.getpid(), signal.SIGINT if at == "INT" else signal.SIGTERM)
    choose_arrow_pool()
    from packager.cli import main as run  # noqa: PLC0415 - after the handlers, on purpose

    try:
        run()  # takes SIGINT and SIGTERM over, and exits
        code = 0
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
    # The work is done, reported and flushed: the process ends without the interpreter's
    # finalization, during which a thread of Arrow's (a CSV reader's read-ahead, let go
    # when a file is refused mid-way) could still call into Python and crash it.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
