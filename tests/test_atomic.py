"""A release is complete or absent: killed builds, full disks and bad targets leave none."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.corpus import write_corpus
from packager import ReleaseWriteError, build_release, validate
from packager.assemble.faults import POINTS
from packager.release.write import TableWriter

from .conftest import CREATED, EXAMPLES, TODAY, listing


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder, 600, seed=3)
    return folder


def _build_command(corpus: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "packager",
        "build",
        str(corpus),
        "--name",
        "k",
        "--version",
        "1.0.0",
        "--out",
        str(out),
        "--created",
        CREATED,
        "--workers",
        "2",
    ]


@pytest.mark.parametrize("point", POINTS)
def test_build_killed_at_a_point_leaves_no_version(
    corpus: Path, tmp_path: Path, point: str
) -> None:
    env = {**os.environ, "PACKAGER_KILL_AT": point}
    run = subprocess.run(
        _build_command(corpus, tmp_path), env=env, capture_output=True, check=False
    )
    assert run.returncode == -signal.SIGKILL
    names = listing(tmp_path / "k")
    assert "1.0.0" not in names
    assert len(names) == 1 and names[0].startswith(".1.0.0.partial-")  # what the kill left

    rebuilt = subprocess.run(
        _build_command(corpus, tmp_path), capture_output=True, text=True, check=False
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert listing(tmp_path / "k") == ["1.0.0"]  # leftovers cleared
    assert validate([tmp_path / "k" / "1.0.0"]).valid


def test_build_killed_at_random_moments_is_complete_or_absent(corpus: Path, tmp_path: Path) -> None:
    for delay in (0.3, 0.8, 1.5):
        out = tmp_path / f"out-{delay}"
        process = subprocess.Popen(
            _build_command(corpus, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        release = out / "k" / "1.0.0"
        finished = release.exists()
        if finished:  # the build had finished: then it is whole
            assert validate([release]).valid
        run = subprocess.run(
            _build_command(corpus, out), capture_output=True, text=True, check=False
        )
        assert run.returncode == (2 if finished else 0), run.stderr
        assert listing(out / "k") == ["1.0.0"]


def test_full_disk_ends_with_a_clear_error_and_no_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self: TableWriter, batch: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(TableWriter, "write", disk_full)
    with pytest.raises(ReleaseWriteError, match="No space left on device"):
        build_release(
            [EXAMPLES], name="k", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
        )
    assert listing(tmp_path / "k") == []


def test_output_folder_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    with pytest.raises(ReleaseWriteError, match="cannot create the release folder"):
        build_release(
            [EXAMPLES], name="k", version="1.0.0", out=blocker, created=CREATED, today=TODAY
        )
    assert blocker.read_text() == "not a folder"


def test_a_running_builds_work_folder_is_left_alone(tmp_path: Path) -> None:
    # A build is alive while it holds its work folder's lock, whatever its PID says: a
    # build in another container (PID namespace) has a PID that means nothing here.
    import fcntl

    folder = tmp_path / "k"
    running = folder / ".2.0.0.partial-999999998-abc"  # no such PID here, but locked
    dead = folder / f".2.0.0.partial-{os.getppid()}-abc"  # a live PID, but no lock: dead
    running.mkdir(parents=True)
    dead.mkdir()
    held = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        build_release(
            [EXAMPLES], name="k", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
        )
    finally:
        os.close(held)
    assert running.exists()
    assert not dead.exists()


def test_a_release_published_during_a_build_is_the_one_compared_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1.1.0 starts first and 1.0.0 is published while it runs: 1.1.0's CHANGES.md must
    # compare with 1.0.0, not say "the first release".
    from packager.assemble import release as building

    done: list[str] = []

    def meanwhile(point: str) -> None:
        if point == "files-written" and not done:  # 1.1.0's files are written, not published
            done.append(point)
            build_release(
                [EXAMPLES], name="k", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
            )

    monkeypatch.setattr(building, "checkpoint", meanwhile)
    later = build_release(
        [EXAMPLES], name="k", version="1.1.0", out=tmp_path, created=CREATED, today=TODAY
    )
    changes = (later.path / "CHANGES.md").read_text()
    assert "1.0.0" in changes and "first release" not in changes.lower()
    report = validate([later.path], today=TODAY)
    assert report.valid, [issue.message for issue in report.errors]  # SHA256SUMS rewritten


def test_table_files_start_to_reach_the_disk_as_they_are_written(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from packager.release import write

    if sys.platform != "linux":
        pytest.skip("sync_file_range is Linux's: elsewhere the final fsync does it all")
    started: list[int] = []
    original = write.start_writeback

    def counted(fd: int) -> bool:
        done = original(fd)
        assert done, "sync_file_range refused a file being written"
        started.append(fd)
        return done

    schema = pa.schema([("n", pa.int64()), ("s", pa.string())])
    rows = pa.table({"n": range(25_000), "s": [f"row {i}" for i in range(25_000)]}, schema=schema)
    try:
        write.start_writeback = counted
        with TableWriter(tmp_path / "t", schema) as writer:
            writer.write(rows)
    finally:
        write.start_writeback = original
    assert len(started) == 3 * 2  # each row group (10,000 rows), each of the two files
    del writer  # pyarrow's CSV writer holds its file until it is let go
    assert not _open_files() & {str(tmp_path / "t.parquet"), str(tmp_path / "t.csv")}
    assert pq.read_table(tmp_path / "t.parquet").equals(rows)
    assert (tmp_path / "t.csv").read_text().count("\n") == 25_001


def _open_files() -> set[str]:
    """What this process's file descriptors point to."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except FileNotFoundError:  # the descriptor listdir itself used
            continue
    return found


@pytest.fixture(scope="module")
def larger_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("larger")
    write_corpus(folder, 1_500, seed=4)  # some 12,000 related rows: row groups are 10,000
    return folder


def test_a_file_size_limit_never_kills_a_build(larger_corpus: Path, tmp_path: Path) -> None:
    # A disk that fills while both formats of a table are being written: a CSV write
    # fails while the Parquet write of the same rows is on its thread. Every run must end
    # in one Error: line, exit 2, no version folder; never a signal (a crash in the
    # writer, as when the Parquet writer was closed under its thread).
    import resource

    limit = 1 << 20
    whole = tmp_path / "whole"
    subprocess.run(_build_command(larger_corpus, whole), capture_output=True, check=True)
    data = whole / "k/1.0.0/data"
    related_rows = (data / "related.csv").read_text(encoding="utf-8").count("\n")
    assert related_rows > 10_000  # a row group written before the table's end
    assert (data / "related.csv").stat().st_size > limit

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    for run_number in range(20):
        out = tmp_path / f"run-{run_number}"
        run = subprocess.run(
            _build_command(larger_corpus, out),
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=limited,  # noqa: PLW1509 - only sets a limit, no threads involved
        )
        assert run.returncode == 2, (run_number, run.returncode, run.stderr[-2000:])
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), run.stderr[-2000:]
        assert "File too large" in lines[0]
        assert "1.0.0" not in listing(out / "k")
