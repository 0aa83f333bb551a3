"""The same inputs, options and creation time give byte-identical releases."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pyarrow
import pyarrow.compute
import pytest

import packager
import packager.assemble.spool
from bench.corpus import write_corpus
from packager import build_release
from packager.assemble.parsing import MIN_CHUNK, parse_chunk
from packager.assemble.release import created_timestamp

from .conftest import CREATED, TODAY, digests


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder, 8 * MIN_CHUNK, seed=7)  # enough pages for several worker chunks
    return folder


def _copy_in_order(corpus: Path, target: Path, seed: int) -> None:
    """The same files, created on disk in another order."""
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    random.Random(seed).shuffle(files)
    for path in files:
        destination = target / path.relative_to(corpus)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)


def test_shuffled_files_and_worker_counts_give_identical_bytes(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    runs = []
    for seed, workers in ((1, 1), (2, 2), (3, 3)):
        pages = tmp_path / f"pages-{seed}"
        _copy_in_order(corpus, pages, seed)
        result = build_release(
            [pages],
            name="r",
            version="1.0.0",
            out=tmp_path / f"out-{seed}",
            workers=workers,
            today=TODAY,
        )
        runs.append(digests(result.path))
    assert runs[0] == runs[1] == runs[2]
    assert "data/articles.parquet" in runs[0]
    # 6 data files, descriptor, card, Croissant, CITATION.cff, CHANGES, rejects, merges, sums
    assert len(runs[0]) == 14


def test_files_named_in_any_order_give_identical_bytes(corpus: Path, tmp_path: Path) -> None:
    files = sorted(p for p in corpus.rglob("*.txt"))[:40]
    shuffled = files[:]
    random.Random(5).shuffle(shuffled)
    a = build_release(
        files,
        name="r",
        version="1.0.0",
        out=tmp_path / "a",
        created="2026-01-01T00:00:00Z",
        today=TODAY,
    )
    b = build_release(
        shuffled,
        name="r",
        version="1.0.0",
        out=tmp_path / "b",
        created="2026-01-01T00:00:00Z",
        today=TODAY,
    )
    assert digests(a.path) == digests(b.path)


def test_descriptor_records_the_writers(corpus: Path, tmp_path: Path) -> None:
    result = build_release(
        [corpus],
        name="r",
        version="1.0.0",
        out=tmp_path,
        created="2026-01-01T00:00:00Z",
        today=TODAY,
    )
    descriptor = json.loads((result.path / "datapackage.json").read_text())
    assert descriptor["packager"] == {
        "packager": packager.__version__,
        "pyarrow": pyarrow.__version__,
    }


def test_created_comes_from_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert created_timestamp() == "2026-01-01T00:00:00Z"
    assert created_timestamp("2026-02-03T04:05:06+01:00") == "2026-02-03T03:05:06Z"


def test_finer_buckets_give_identical_bytes(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buckets are sized from the corpus (more of them, and months cut in parts, for a
    million pages) and copied a piece at a time: how rows are spread over them never
    shows in a release."""
    options: dict[str, Any] = {"name": "r", "version": "1.0.0", "created": CREATED, "today": TODAY}
    coarse = {
        layout: build_release([corpus], out=tmp_path / f"coarse-{layout}", layout=layout, **options)
        for layout in ("single", "partitioned")
    }
    monkeypatch.setattr(packager.assemble.spool, "PAGES_PER_MONTH_PART", 8)  # 31 parts a month
    monkeypatch.setattr(packager.assemble.spool, "RELATED_BUCKET_ROWS", 20)  # 102 ranges of ids
    monkeypatch.setattr(packager.assemble.spool, "PIECE_ROWS", 1)  # a bucket's rows one at a time
    assert packager.assemble.spool.Buckets.for_inputs(256) == packager.assemble.spool.Buckets(
        102, 31
    )
    for layout, release in coarse.items():
        fine = build_release([corpus], out=tmp_path / f"fine-{layout}", layout=layout, **options)
        assert digests(fine.path) == digests(release.path)


def test_a_buckets_pieces_are_taken_from_one_array_a_column(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bucket comes from the spool as a chunk a segment, and Arrow's take concatenates a
    column's chunks before it takes: each bucket is combined once, as it is read,
    not again at every piece's take (at a million pages, two million page faults)."""
    compute = pyarrow.compute
    sorted_tables: list[pyarrow.Table] = []

    class Spy:
        def __getattr__(self, name: str) -> object:
            return getattr(compute, name)

        @staticmethod
        def sort_indices(table: pyarrow.Table, **options: object) -> pyarrow.Array:
            sorted_tables.append(table)
            return compute.sort_indices(table, **options)

    monkeypatch.setattr(packager.assemble.spool, "pc", Spy())
    monkeypatch.setattr(packager.assemble.spool, "PIECE_ROWS", 1)
    options: dict[str, Any] = {"name": "p", "version": "1.0.0", "created": CREATED, "today": TODAY}
    build_release([corpus], out=tmp_path / "out", **options)
    buckets = [t for t in sorted_tables if {"body", "teaser"} & set(t.column_names)]
    assert {"body" in t.column_names for t in buckets} == {True, False}  # both tables
    assert all(column.num_chunks == 1 for t in buckets for column in t.columns)


class _ReversedEngine:
    """An engine of our own: chunks parsed and tasks run in this process, the last first
    (as a cluster might finish them), handed back in order as the `Engine` protocol asks."""

    def __init__(self) -> None:
        self.chunks_run = 0
        self.tasks_run: list[str] = []
        self.closed = 0

    def chunks(self, job: Any, spans: list[tuple[int, int]]) -> Any:
        done: dict[int, Any] = {}
        for number in reversed(range(len(spans))):
            done[number] = parse_chunk(job, number, spans[number])
            self.chunks_run += 1
        return (done[number] for number in range(len(spans)))

    def run(self, function: Any, calls: list[Any], name: str) -> list[Any]:
        done: dict[int, Any] = {}
        for k in reversed(range(len(calls))):
            done[k] = function(*calls[k])
            self.tasks_run.append(name)
        return [done[k] for k in range(len(calls))]

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize("layout", ["single", "partitioned"])
def test_another_engine_gives_the_same_release(corpus: Path, tmp_path: Path, layout: str) -> None:
    engine = _ReversedEngine()
    options: dict[str, Any] = {"name": "e", "version": "1.0.0", "created": CREATED, "today": TODAY}
    options["layout"] = layout
    local = build_release([corpus], out=tmp_path / "local", workers=2, **options)
    other = build_release([corpus], out=tmp_path / "other", engine=engine, **options)
    assert engine.chunks_run > 1
    assert engine.closed >= 1
    if layout == "partitioned":  # every partition a task of the engine: years, then digits
        assert engine.tasks_run.count("prefix") == 16
        assert engine.tasks_run.count("year") == len(
            list((other.path / "data" / "parquet" / "articles").iterdir())
        )
    else:
        assert engine.tasks_run == []
    assert digests(local.path) == digests(other.path)
