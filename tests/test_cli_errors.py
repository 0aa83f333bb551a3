"""Every command, given wrong arguments or inputs it cannot read, answers with one line and
the documented exit code: never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "packager", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


CASES = [
    ("no command", []),
    ("unknown command", ["frobnicate"]),
    ("parse without input", ["parse"]),
    ("parse unknown option", ["parse", str(EXAMPLES), "--colour"]),
    ("parse missing input", ["parse", "/nonexistent/pages"]),
    ("parse unwritable output", ["parse", str(EXAMPLES), "-o", "/nonexistent/dir/out.jsonl"]),
    ("parse zero page limit", ["parse", str(EXAMPLES), "--max-page-bytes", "0"]),
    ("validate missing input", ["validate", "/nonexistent/release"]),
    ("validate bad format", ["validate", str(EXAMPLES), "--format", "xml"]),
    ("validate bad map", ["validate", str(EXAMPLES), "--map", "nothing"]),
    ("validate bad max-errors", ["validate", str(EXAMPLES), "--max-errors", "many"]),
    (
        "validate unreadable table",
        ["validate", str(EXAMPLES / "bad" / "empty.txt").replace(".txt", ".parquet")],
    ),
    ("build without name", ["build", str(EXAMPLES), "--version", "1.0.0"]),
    ("build bad name", ["build", str(EXAMPLES), "--name", "Bad Name", "--version", "1.0.0"]),
    ("build bad version", ["build", str(EXAMPLES), "--name", "x", "--version", "one"]),
    (
        "build both version and bump",
        ["build", str(EXAMPLES), "--name", "x", "--version", "1.0.0", "--bump", "minor"],
    ),
    ("build bad bump", ["build", str(EXAMPLES), "--name", "x", "--bump", "huge"]),
    (
        "build bad workers",
        ["build", str(EXAMPLES), "--name", "x", "--version", "1.0.0", "--workers", "0"],
    ),
    (
        "build bad created",
        ["build", str(EXAMPLES), "--name", "x", "--version", "1.0.0", "--created", "yesterday"],
    ),
    (
        "build missing metadata",
        [
            "build",
            str(EXAMPLES),
            "--name",
            "x",
            "--version",
            "1.0.0",
            "--metadata",
            "/nonexistent.toml",
        ],
    ),
    ("build missing input", ["build", "/nonexistent", "--name", "x", "--version", "1.0.0"]),
    ("diff one release", ["diff", str(EXAMPLES)]),
    ("diff not releases", ["diff", str(EXAMPLES), str(EXAMPLES)]),
]


@pytest.mark.parametrize(("case", "args"), CASES, ids=[c for c, _ in CASES])
def test_wrong_arguments_exit_2_without_traceback(
    case: str, args: list[str], tmp_path: Path
) -> None:
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if args:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    else:
        assert "Usage" in result.stdout  # a bare command shows its help
    assert not (tmp_path / "dist").exists()


def test_unreadable_table_file_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "articles.parquet"
    fake.write_bytes(b"this is not parquet")
    result = _run("validate", str(fake))
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: {fake}: not a readable Parquet file")
    assert result.stderr.count("\n") == 1


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _run("--debug", "validate", str(tmp_path / "missing"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "InputError" in result.stderr
