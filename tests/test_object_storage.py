"""Page dumps in object storage: a build from ``s3://`` gives the release a build from the
same files in a folder gives, read by local workers or by Dask's. The storage is a real
S3-compatible server (moto's) started by the test on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from packager import InputError, build_release
from packager.assemble.cluster import DaskEngine
from packager.cli import app

from .conftest import CREATED, TODAY

moto_server = pytest.importorskip("moto.server", reason="moto is a test extra")
fsspec = pytest.importorskip("fsspec", reason="fsspec is a test extra")
pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning",
    "ignore::DeprecationWarning",
)  # fmt: skip


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """The endpoint of an S3 server on 127.0.0.1, with AWS's test credentials set."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")
    before = {name: os.environ.get(name) for name in names}
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=f"http://{host}:{port}",
    )  # fmt: skip
    try:
        yield f"http://{host}:{port}"
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, s3: str) -> Path:
    """300 pages in a folder, and the same files in s3://pages/corpus/."""
    from bench.corpus import write_corpus

    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder, 300, seed=12)
    storage = fsspec.filesystem("s3")
    storage.mkdir("pages")
    storage.put(f"{folder}/", "pages/corpus/", recursive=True)
    storage.pipe("pages/tables/rows.jsonl", b'{"title": "x"}\n')
    return folder


def _sums(release: Path) -> str:
    return (release / "SHA256SUMS").read_text()


def _build(inputs: list[Path | str], out: Path, **options: Any) -> Path:
    return build_release(
        inputs, name="s", version="1.0.0", out=out, created=CREATED, today=TODAY, **options
    ).path


def test_a_build_from_s3_is_the_build_from_a_folder(corpus: Path, tmp_path: Path) -> None:
    local = _build([corpus], tmp_path / "local", workers=2)
    remote = _build(["s3://pages/corpus/"], tmp_path / "s3", workers=2)
    assert _sums(remote) == _sums(local)


def test_dask_workers_read_s3_themselves(corpus: Path, tmp_path: Path) -> None:
    local = _build([corpus], tmp_path / "local")
    remote = _build(["s3://pages/corpus"], tmp_path / "dask", engine=DaskEngine(workers=2))
    assert _sums(remote) == _sums(local)


def test_the_endpoint_from_a_storage_option(
    corpus: Path, s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    built = CliRunner().invoke(
        app,
        ["build", "s3://pages/corpus/", "s3://pages/tables/", "--name", "s", "--version",
         "1.0.0", "--out", str(tmp_path), "--created", CREATED, "-q", "--format", "json",
         "--storage-option", f"endpoint_url={s3}"],
    )  # fmt: skip
    assert built.exit_code == 0, built.stderr
    assert _sums(tmp_path / "s" / "1.0.0") == _sums(_build([corpus], tmp_path / "local"))
    issues = json.loads(built.stdout)["issues"]
    assert [(i["code"], i["message"]) for i in issues if i["file"] == "rows.jsonl"] == [
        (
            "skipped-file",
            "a table in object storage: not read (copy it to a folder to build from it)",
        )
    ]


def test_a_missing_bucket_or_prefix_is_one_error(s3: str, tmp_path: Path) -> None:
    for url in ("s3://no-such-bucket/pages/", "s3://pages/no-such-prefix/"):
        with pytest.raises(InputError, match=f"{url}: "):
            _build([url], tmp_path / "out")
    assert not (tmp_path / "out" / "s" / "1.0.0").exists()


def test_the_spool_in_object_storage(corpus: Path, tmp_path: Path) -> None:
    storage = fsspec.filesystem("s3")
    storage.mkdir("spool")
    local = _build([corpus], tmp_path / "local")
    for engine in (None, DaskEngine(workers=2)):
        seen: list[int] = []

        def look(done: int, total: int, seen: list[int] = seen) -> None:
            storage.invalidate_cache()  # the spooled rows, while the build runs
            seen.append(len(storage.find("spool/builds")))

        out = tmp_path / ("dask" if engine else "pool")
        release = _build(["s3://pages/corpus/"], out, workers=2, engine=engine,
                         spool="s3://spool/builds", progress=look)  # fmt: skip
        assert _sums(release) == _sums(local)
        assert max(seen) > 0  # the workers wrote their rows there
        storage.invalidate_cache()
        assert storage.find("spool/builds") == []  # and the build's spool folder is gone


def _publish(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "packager", "publish", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_publish_copies_the_release_and_never_overwrites_it(corpus: Path, tmp_path: Path) -> None:
    release = _build([corpus], tmp_path / "out", layout="partitioned")
    storage = fsspec.filesystem("s3")
    storage.mkdir("shelf")
    done = _publish(str(release), "s3://shelf/releases")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("published s3://shelf/releases/s/1.0.0: ")
    storage.invalidate_cache()
    local = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    there = sorted(k.split("/s/1.0.0/", 1)[1] for k in storage.find("shelf/releases/s/1.0.0"))
    assert there == local
    for name in local:
        assert storage.cat_file(f"shelf/releases/s/1.0.0/{name}") == (release / name).read_bytes()
    # readers take it straight from the storage
    parts = pq.ParquetDataset(
        "shelf/releases/s/1.0.0/data/parquet/articles", filesystem=storage, partitioning="hive"
    ).read()
    assert parts.num_rows == pq.ParquetDataset(release / "data/parquet/articles").read().num_rows
    again = _publish(str(release), "s3://shelf/releases")
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        "Error: s3://shelf/releases/s/1.0.0: this version is published already"
    ]


def test_publish_copies_the_descriptor_last(corpus: Path, tmp_path: Path) -> None:
    release = _build([corpus], tmp_path / "out")
    storage = fsspec.filesystem("s3")
    storage.mkdir("half")
    env = {**os.environ, "PACKAGER_KILL_AT": "before-descriptor"}
    killed = _publish(str(release), "s3://half/r", env=env)
    assert killed.returncode == -9  # killed as every file but the descriptor is copied
    storage.invalidate_cache()
    there = {k.split("/s/1.0.0/", 1)[1] for k in storage.find("half/r/s/1.0.0")}
    assert "SHA256SUMS" in there and "data/articles.parquet" in there
    assert "datapackage.json" not in there  # so no reader finds a release there yet
    done = _publish(str(release), "s3://half/r")  # the half copy is no release: done again
    assert done.returncode == 0, done.stderr
    storage.invalidate_cache()
    assert storage.exists("half/r/s/1.0.0/datapackage.json")


def test_publish_refuses_a_changed_release(corpus: Path, tmp_path: Path) -> None:
    release = _build([corpus], tmp_path / "out")
    with (release / "README.md").open("a") as card:
        card.write("one more line\n")
    refused = _publish(str(release), "s3://shelf/changed")
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines() == [
        f"Error: {release / 'SHA256SUMS'}:{_line_of(release, 'README.md')}: "
        "README.md differs from its sha256: not published"
    ]
    assert not fsspec.filesystem("s3").exists("shelf/changed")


def _line_of(release: Path, name: str) -> int:
    lines = (release / "SHA256SUMS").read_text().splitlines()
    return next(k for k, line in enumerate(lines, start=1) if line.endswith(f"  {name}"))


def test_publish_refuses_a_release_that_does_not_validate(corpus: Path, tmp_path: Path) -> None:
    """Data and SHA256SUMS changed to match each other: only the descriptor's hash is stale,
    which `packager validate` reports; such a release is not published."""
    release = _build([corpus], tmp_path / "out")
    changes = release / "CHANGES.md"
    changes.write_text(changes.read_text() + "one more line\n")
    digest = hashlib.sha256(changes.read_bytes()).hexdigest()
    sums = [
        f"{digest}  CHANGES.md" if line.endswith("  CHANGES.md") else line
        for line in (release / "SHA256SUMS").read_text().splitlines()
    ]
    (release / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    tampered = release / "data/articles.csv"
    tampered.write_bytes(tampered.read_bytes().replace(b"KCNA", b"KCNX", 1))
    sums = [
        f"{hashlib.sha256(tampered.read_bytes()).hexdigest()}  data/articles.csv"
        if line.endswith("  data/articles.csv")
        else line
        for line in sums
    ]
    (release / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    refused = _publish(str(release), "s3://shelf/invalid")
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith(f"Error: {release}: does not validate (")
    assert "the first: data/articles.csv: hash-count: the file's sha256 differs" in line
    assert line.endswith(f"not published (packager validate {release} lists them)")
    assert not fsspec.filesystem("s3").exists("shelf/invalid")
