"""The command line: exit codes, the exact streams, and parity with the library."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from packager import BuildResult
from packager.check.validate import validate
from packager.cli import BUILD_RETURNS_MEMORY_AFTER_MS, app

from .conftest import EXAMPLES, PAGES

runner = CliRunner()


def test_parse_writes_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    result = runner.invoke(app, ["parse", str(PAGES / "clean.txt"), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "1 pages: 1 parsed, 0 rejected\n"
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["date_published"] == "2026-03-05"
    assert record["source_file"] == "clean.txt"
    assert [r["position"] for r in record["related"]] == [1, 2]


def test_parse_reports_rejects_on_stderr_and_exits_0() -> None:
    result = runner.invoke(app, ["parse", str(EXAMPLES / "bad" / "empty.txt")])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        "empty.txt: error empty-file: the file is empty\n1 pages: 0 parsed, 1 rejected\n"
    )


def test_parse_missing_input_exits_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = runner.invoke(app, ["parse", str(missing)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: {missing}: no such file or folder\n"


def test_build_then_validate(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "build",
            str(EXAMPLES),
            "--name",
            "demo",
            "--version",
            "1.2.3",
            "--out",
            str(tmp_path),
            "--created",
            "2026-01-01T00:00:00Z",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # not a terminal: no progress bar, no chatter
    assert result.stdout.endswith(
        f"wrote {tmp_path}/demo/1.2.3: 14 articles, 33 related items from 21 pages "
        "(1 duplicates merged, 6 rejected)\n"
    )
    checked = runner.invoke(app, ["validate", str(tmp_path / "demo" / "1.2.3")])
    assert checked.exit_code == 0, checked.stdout
    assert checked.stdout == "valid: 0 errors, 0 warnings\n"


def test_build_existing_version_exits_2(example_release: BuildResult) -> None:
    out = example_release.path.parent.parent
    result = runner.invoke(
        app,
        ["build", str(EXAMPLES), "--name", "kcna-sample", "--version", "1.0.0", "--out", str(out)],
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {example_release.path}: this version exists already; releases never change\n"
    )


def test_build_strict_refuses_and_writes_nothing(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "build",
            str(EXAMPLES),
            "--name",
            "demo",
            "--version",
            "1.0.0",
            "--out",
            str(tmp_path),
            "--strict",
        ],
    )
    assert result.exit_code == 1
    assert result.stderr == "Error: --strict: 6 of 21 inputs rejected; nothing written\n"
    assert not (tmp_path / "demo").exists()  # no empty OUT/NAME left behind either


def test_build_needs_exactly_one_of_version_and_bump(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(EXAMPLES), "--name", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        result.stderr == "Error: give exactly one of --version X.Y.Z and --bump major|minor|patch\n"
    )


def test_build_bad_version_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["build", str(EXAMPLES), "--name", "demo", "--version", "1.0", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.stderr == "Error: version '1.0' is not X.Y.Z (SemVer, no leading zeros)\n"


def test_validate_tampered_release_exits_1(example_release: BuildResult, tmp_path: Path) -> None:
    copy = tmp_path / "release"
    shutil.copytree(example_release.path, copy)
    parquet = copy / "data" / "articles.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    result = runner.invoke(app, ["validate", str(copy), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    codes = {(i["file"], i["code"]) for i in report["issues"]}
    assert ("data/articles.parquet", "hash-count") in codes
    assert ("SHA256SUMS", "hash-count") in codes


def test_validate_pages_reports_rejects(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLES / "bad"), "--format", "github"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "::error file=examples/bad/empty.txt,title=empty-file::the file is empty" in lines
    assert lines[-1] == "invalid: 6 errors, 0 warnings"


def test_validate_json_equals_library_report(example_release: BuildResult) -> None:
    paths = [EXAMPLES, example_release.path]
    result = runner.invoke(app, ["validate", *map(str, paths), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == json.loads(json.dumps(validate(paths).to_dict()))


def test_every_command_has_help_with_an_example() -> None:
    for command in ("parse", "validate", "build", "diff"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Example: packager " + command in result.stdout


_POOL_AFTER = """
import sys
import pyarrow as pa
from packager.cli import main
decays = []  # what the command told jemalloc, in order
set_decay = pa.jemalloc_set_decay_ms
pa.jemalloc_set_decay_ms = lambda ms: (decays.append(ms), set_decay(ms))[1]
sys.argv = ["packager", *sys.argv[1:]]
try:
    main()
except SystemExit as done:
    print(done.code, pa.default_memory_pool().backend_name, decays[-1])
"""


def test_commands_run_on_arrows_pool_that_returns_memory_promptly(tmp_path: Path) -> None:
    """The memory goals (a build's peak that does not grow with the corpus, validate's
    ceiling) are measured on jemalloc returning freed memory promptly: at once for
    validate, after a second for a build (whose write phase would otherwise fault its
    buffers in again and again); Arrow's default pool keeps it, and a 200,000-page build
    then peaked at 1.27-1.32x a 50,000-page one."""
    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow has no jemalloc: every command keeps Arrow's default pool")
    out = str(tmp_path)
    for command, decay in (
        (
            ["build", str(EXAMPLES), "--name", "pool", "--version", "1.0.0", "--out", out, "-q"],
            BUILD_RETURNS_MEMORY_AFTER_MS,
        ),
        (["validate", str(tmp_path / "pool" / "1.0.0")], 0),
    ):
        done = subprocess.run(
            [sys.executable, "-c", _POOL_AFTER, *command], capture_output=True, text=True
        )
        expected = ["0", "jemalloc", str(decay)]
        assert done.stdout.split()[-3:] == expected, (command, done.stderr[-500:])


def test_arrow_allocates_from_jemalloc_inside_its_readers_too_unless_the_user_chose() -> None:
    """Arrow reads which pool its readers and kernels allocate from once, when it loads:
    the command chooses jemalloc (the pool it returns memory from at once) before it does,
    and a pool the user named is kept. Importing packager, the library, changes nothing in
    the process: not its environment, not Arrow's pool."""
    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow has no jemalloc: Arrow keeps the C library's allocator")
    command = (
        "from packager.command import choose_arrow_pool; choose_arrow_pool(); "
        "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    )
    library = (
        "import os; before = dict(os.environ); import packager; packager.build_release; "
        "assert dict(os.environ) == before; "
        "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    pool = "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    plain = subprocess.run([sys.executable, "-c", pool], capture_output=True, text=True, env=env,
                           check=True).stdout.strip()  # fmt: skip
    assert plain != "jemalloc"  # else the library's case below would prove nothing
    cases = [(command, None, "jemalloc"), (command, "system", "system"),
             (library, None, plain)]  # fmt: skip
    for script, chosen, expected in cases:
        run_env = env if chosen is None else {**env, "ARROW_DEFAULT_MEMORY_POOL": chosen}
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=run_env
        )
        assert (done.stdout.strip(), done.stderr) == (expected, "")
