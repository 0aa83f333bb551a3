"""Named points in a build where a test can have the process killed with SIGKILL.

Set ``PACKAGER_KILL_AT`` to a point's name and the process kills itself there, exactly as
``kill -9`` would. Tests use it to prove a killed build never leaves a version folder.
Unset (always, outside tests), a checkpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

POINTS = ("started", "parsed", "data-written", "files-written", "before-rename")


def checkpoint(name: str) -> None:
    if os.environ.get("PACKAGER_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
