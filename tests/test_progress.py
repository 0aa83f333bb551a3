"""A build shows a progress bar on a terminal, and none with --quiet or off a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from .conftest import EXAMPLES


def _on_a_terminal(args: list[str]) -> str:
    """Run the command with stdout and stderr on a pseudo-terminal; return what it drew."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "packager", *args],
        stdout=follower,
        stderr=follower,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    os.close(leader)
    assert process.returncode == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_progress_bar_on_a_terminal_and_not_with_quiet(tmp_path: Path) -> None:
    args = [
        "build",
        str(EXAMPLES),
        "--name",
        "p",
        "--out",
        str(tmp_path),
        "--created",
        "2026-01-01T00:00:00Z",
    ]
    shown = _on_a_terminal([*args, "--version", "1.0.0"])
    assert "parsing" in shown
    quiet = _on_a_terminal([*args, "--version", "1.0.1", "--quiet"])
    assert "parsing" not in quiet
    assert "wrote" in quiet


def test_no_progress_bar_off_a_terminal(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "packager",
            "build",
            str(EXAMPLES),
            "--name",
            "p",
            "--version",
            "1.0.0",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0
    assert run.stderr == ""
