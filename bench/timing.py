"""Run a command and measure its wall time and peak RSS (the child's own, via wait4).

The command is started by a small launcher process, not by the benchmark itself: Linux
keeps a process's peak RSS across exec, so a child forked from a large parent (the
benchmark holds a corpus's file list) would report the parent's size as its own peak.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int


# Runs argv[1:] and prints its peak RSS (KiB), wall seconds and exit code on stderr's last line.
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - start
print(usage.ru_maxrss, seconds, os.waitstatus_to_exitcode(status), file=sys.stderr)
"""


def measure(command: list[str], **popen: object) -> Run:
    launcher = [sys.executable, "-c", _LAUNCHER, *command]
    done = subprocess.run(
        launcher, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True, **popen
    )  # type: ignore[call-overload]
    peak_kib, seconds, returncode = done.stderr.split()[-3:]
    return Run(float(seconds), int(peak_kib) / 1024, int(returncode))


def median_run(command: list[str], repeat: int, **popen: object) -> tuple[Run, list[Run]]:
    runs = [measure(command, **popen) for _ in range(repeat)]
    seconds = statistics.median(r.seconds for r in runs)
    peak = max(r.peak_mb for r in runs)
    return Run(seconds, peak, max(r.returncode for r in runs)), runs
