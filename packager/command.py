"""The `packager` command's entry: signals are handled before anything heavy is imported,
so that Ctrl-C or SIGTERM in the first moments is one line ``Error: interrupted`` and exit
130, as later (the CLI takes them over once it is loaded)."""

from __future__ import annotations

import os
import signal
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

    run()  # takes SIGINT and SIGTERM over, and exits
