"""Named points in a build where a test can have the process killed with SIGKILL.

Set ``PACKAGER_KILL_AT`` to a point's name and the process kills itself there, exactly as
``kill -9`` would. Tests use it to prove a killed build never leaves a version folder.
Unset (always, outside tests), a checkpoint costs one dictionary lookup. With
``PACKAGER_KILL_ONCE`` set to a file's path too, only the first process to reach the
point dies (it creates the file): a cluster's retry of the task then goes through.
"""

from __future__ import annotations

import os
import signal

POINTS = ("started", "parsed", "data-written", "files-written", "before-rename")
TASK_POINTS = ("partition-written",)  # in a task of the partitioned layout
PUBLISH_POINTS = ("before-descriptor",)  # `packager publish`: every file but the descriptor


def checkpoint(name: str) -> None:
    if os.environ.get("PACKAGER_KILL_AT") == name:
        once = os.environ.get("PACKAGER_KILL_ONCE")
        if once:
            try:
                os.close(os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os.kill(os.getpid(), signal.SIGKILL)
