"""The `packager` command's entry: signals are handled before anything heavy is imported,
so that Ctrl-C or SIGTERM in the first moments is one line ``Error: interrupted`` and exit
130, as later (the CLI takes them over once it is loaded)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType

INTERRUPTED = 130


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
