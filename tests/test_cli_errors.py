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


# The one line each case gets, word for word.
EXPECTED = {
    "unknown command": "Error: No such command 'frobnicate'. (see: packager --help)",
    "parse without input": "Error: Missing argument 'inputs'. (see: packager parse --help)",
    "parse unknown option": "Error: No such option: --colour (see: packager parse --help)",
    "parse missing input": "Error: /nonexistent/pages: no such file or folder",
    "parse unwritable output": (
        "Error: /nonexistent/dir/out.jsonl: cannot write: No such file or directory"
    ),
    "parse zero page limit": (
        "Error: Invalid value for '--max-page-bytes': Input should be greater than or "
        "equal to 1 (see: packager parse --help)"
    ),
    "validate missing input": "Error: /nonexistent/release: no such file or folder",
    "validate bad format": (
        "Error: Invalid value for '--format': Value error, 'xml' is not one of 'text', "
        "'json', 'github'. (see: packager validate --help)"
    ),
    "validate bad map": (
        "Error: Invalid value for --map: 'nothing' is not FIELD=COLUMN (see: packager "
        "validate --help)"
    ),
    "validate bad max-errors": (
        "Error: Invalid value for '--max-errors': Input should be a valid integer, "
        "unable to parse string as an integer (see: packager validate --help)"
    ),
    "validate unreadable table": "Error: {EXAMPLES}/bad/empty.parquet: no such file or folder",
    "build without name": "Error: Missing option '--name'. (see: packager build --help)",
    "build bad name": "Error: --name 'Bad Name': use lower-case letters, digits, '.', '_' and '-'",
    "build bad version": "Error: version 'one' is not X.Y.Z (SemVer, no leading zeros)",
    "build both version and bump": (
        "Error: give exactly one of --version X.Y.Z and --bump major|minor|patch"
    ),
    "build bad bump": (
        "Error: Invalid value for '--bump': Value error, 'huge' is not one of 'major', "
        "'minor', 'patch'. (see: packager build --help)"
    ),
    "build bad workers": "Error: --workers 0: give 1 or more",
    "build bad created": "Error: --created 'yesterday' is not an RFC 3339 timestamp",
    "build missing metadata": "Error: /nonexistent.toml: cannot read: No such file or directory",
    "build missing input": "Error: /nonexistent: no such file or folder",
    "diff one release": "Error: Missing argument 'new'. (see: packager diff --help)",
    "diff not releases": "Error: {EXAMPLES}: not a release (no datapackage.json)",
}


@pytest.mark.parametrize(("case", "args"), CASES, ids=[c for c, _ in CASES])
def test_wrong_arguments_exit_2_without_traceback(
    case: str, args: list[str], tmp_path: Path
) -> None:
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if args:
        message = EXPECTED[case].format(EXAMPLES=EXAMPLES)
        assert result.stderr == message + "\n"
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
