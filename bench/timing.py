"""Run a command and measure its wall time and peak RSS (the child's own, via wait4)."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int


def measure(command: list[str], **popen: object) -> Run:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)  # type: ignore[call-overload]
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.stderr:
        process.stderr.close()
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode)


def median_run(command: list[str], repeat: int, **popen: object) -> tuple[Run, list[Run]]:
    runs = [measure(command, **popen) for _ in range(repeat)]
    seconds = statistics.median(r.seconds for r in runs)
    peak = max(r.peak_mb for r in runs)
    return Run(seconds, peak, max(r.returncode for r in runs)), runs
