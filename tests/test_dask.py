"""`--engine dask`: the same release from a Dask cluster (real `LocalCluster`s of worker
processes on this machine), a worker killed mid-build, a cluster that goes away, and no
Dask at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from packager import ReleaseWriteError, build_release
from packager.assemble.cluster import DaskEngine

from .conftest import CREATED, TODAY, listing

distributed = pytest.importorskip("distributed", reason="Dask's distributed is a test extra")
# Dask's own sockets and its clusters' shutdown leave these behind, none of ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.corpus import write_corpus

    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder, 700, seed=11)
    return folder


def _local_cluster(workers: int) -> Any:
    """Worker processes on this machine, every server on 127.0.0.1."""
    return distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with _local_cluster(2) as running:
        yield running


def _sums(path: Path) -> str:
    return (path / "SHA256SUMS").read_text()


def _build(corpus: Path, out: Path, **options: Any) -> Path:
    return build_release(
        [corpus], name="d", version="1.0.0", out=out, created=CREATED, today=TODAY, **options
    ).path


@pytest.mark.parametrize("layout", ["single", "partitioned"])
def test_a_dask_build_is_byte_identical_to_a_local_one(
    corpus: Path, cluster: Any, tmp_path: Path, layout: str
) -> None:
    local = _build(corpus, tmp_path / "local", workers=2, layout=layout)
    with distributed.Client(cluster) as client:
        two = _build(corpus, tmp_path / "two", layout=layout, engine=DaskEngine(client=client))
    one = _build(corpus, tmp_path / "one", layout=layout, engine=DaskEngine(workers=1))
    assert _sums(local) == _sums(two) == _sums(one)
    names = {line.split("  ", 1)[1] for line in _sums(local).splitlines()}
    assert any(name.startswith("data/") for name in names)


def test_the_partitions_are_written_by_tasks_on_the_workers(
    corpus: Path, cluster: Any, tmp_path: Path
) -> None:
    with distributed.Client(cluster) as client:
        workers = set(client.scheduler_info()["workers"])
        with distributed.get_task_stream(client) as stream:
            release = _build(
                corpus, tmp_path / "p", layout="partitioned", engine=DaskEngine(client=client)
            )
        tasks = [(task["key"], task["worker"]) for task in stream.data]
    years = sorted(p.name for p in (release / "data" / "parquet" / "articles").iterdir())
    prefixes = sorted(p.name for p in (release / "data" / "csv" / "related").iterdir())
    assert len(years) > 1 and len(prefixes) > 1
    ran = {kind: [w for key, w in tasks if key.startswith(f"packager-{kind}-")] for kind in (
        "chunk", "year", "prefix")}  # fmt: skip
    assert len(ran["year"]) == len(years)  # a task a partition of articles
    assert len(ran["prefix"]) == 16  # a task a hex digit (those with no rows write none)
    assert set(ran["year"] + ran["prefix"] + ran["chunk"]) <= workers


def test_relative_paths_reach_workers_in_another_folder(
    corpus: Path, cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cluster's workers were started in another folder: the inputs, the spool and
    the partitions' folder are given to them as absolute paths."""
    local = _build(corpus, tmp_path / "local", layout="partitioned")
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "pages").symlink_to(corpus, target_is_directory=True)
    monkeypatch.chdir(tmp_path / "here")
    with distributed.Client(cluster) as client:
        assert all(cwd != os.getcwd() for cwd in client.run(os.getcwd).values())
        release = build_release(
            [Path("pages")], name="d", version="1.0.0", out=Path("out"), created=CREATED,
            today=TODAY, layout="partitioned", engine=DaskEngine(client=client),
        )  # fmt: skip
    assert _sums(tmp_path / "here" / release.path) == _sums(local)


def test_a_worker_killed_mid_build_changes_nothing(corpus: Path, tmp_path: Path) -> None:
    local = _build(corpus, tmp_path / "local")
    killed: list[int] = []
    with _local_cluster(2) as cluster, distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())

        def kill_one(done: int, total: int) -> None:
            if done and not killed:  # the first chunk is in: the others are running
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        release = _build(
            corpus, tmp_path / "dask", engine=DaskEngine(client=client), progress=kill_one
        )
    assert killed and _sums(release) == _sums(local)


def test_a_worker_killed_writing_a_partition_changes_nothing(corpus: Path, tmp_path: Path) -> None:
    local = _build(corpus, tmp_path / "local", layout="partitioned")
    once = tmp_path / "killed"  # the first worker to finish a year's files dies there
    env = {"PACKAGER_KILL_AT": "partition-written", "PACKAGER_KILL_ONCE": str(once)}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0", env=env,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        release = _build(
            corpus, tmp_path / "dask", layout="partitioned", engine=DaskEngine(client=client)
        )
    assert once.exists() and _sums(release) == _sums(local)


def test_a_cluster_that_goes_away_ends_the_build_with_no_release(
    corpus: Path, tmp_path: Path
) -> None:
    with pytest.raises(ReleaseWriteError, match="cannot reach the Dask scheduler at tcp://127"):
        _build(corpus, tmp_path / "a", engine=DaskEngine(scheduler="tcp://127.0.0.1:9"))
    assert not (tmp_path / "a" / "d" / "1.0.0").exists()
    cluster = _local_cluster(1)
    client = distributed.Client(cluster)

    def close(done: int, total: int) -> None:
        if done:
            cluster.close()

    try:
        with pytest.raises(ReleaseWriteError, match="the Dask cluster went away"):
            _build(corpus, tmp_path / "b", engine=DaskEngine(client=client), progress=close)
    finally:
        client.close()
        cluster.close()
    assert listing(tmp_path / "b" / "d") == []


def test_without_dask_the_engine_is_one_error_line(corpus: Path, tmp_path: Path) -> None:
    # As if distributed were not installed: importing it raises ImportError.
    script = (
        "import sys\nsys.modules['distributed'] = None\nfrom packager.cli import main\nmain()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "build", str(corpus), "--name", "d", "--version",
         "1.0.0", "--out", str(tmp_path), "--engine", "dask", "-q"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "Error: --engine dask needs Dask's distributed scheduler: pip install 'packager[dask]'"
    )
    assert "Traceback" not in done.stderr


def test_the_command_builds_on_a_running_scheduler(
    corpus: Path, cluster: Any, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from packager.cli import app

    local = _build(corpus, tmp_path / "local")
    built = CliRunner().invoke(
        app,
        ["build", str(corpus), "--name", "d", "--version", "1.0.0", "--out", str(tmp_path / "cli"),
         "--created", CREATED, "-q", "--engine", "dask", "--scheduler", cluster.scheduler_address],
    )  # fmt: skip
    assert built.exit_code == 0, built.stderr
    assert _sums(tmp_path / "cli" / "d" / "1.0.0") == _sums(local)
