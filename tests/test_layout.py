"""The partitioned layout holds the same rows as the single-file layout, and every reader
sees them: pyarrow, polars, DuckDB, frictionless and packager itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from bench.corpus import write_corpus
from packager import build_release, diff_releases, validate

from .conftest import CREATED, TODAY

ORDER = {"articles": ["date_published", "article_id"], "related": ["article_id", "position"]}
PARTITION = {"articles": "year", "related": "id_prefix"}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("layout")
    pages = root / "pages"
    write_corpus(pages, 400, seed=9)
    single = build_release(
        [pages], name="l", version="1.0.0", out=root / "single", created=CREATED, today=TODAY
    )
    parted = build_release(
        [pages],
        name="l",
        version="1.0.0",
        out=root / "parted",
        created=CREATED,
        today=TODAY,
        layout="partitioned",
    )
    return single.path, parted.path


def _single(release: Path, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(release / f"data/{table}.parquet").to_pylist()
    return rows


@pytest.mark.parametrize("table", ["articles", "related"])
def test_pyarrow_reads_the_same_rows(both: tuple[Path, Path], table: str) -> None:
    single, parted = both
    dataset = ds.dataset(parted / "data/parquet" / table, format="parquet", partitioning="hive")
    rows = (
        dataset.to_table()
        .drop_columns([PARTITION[table]])
        .sort_by([(k, "ascending") for k in ORDER[table]])
    )
    assert rows.to_pylist() == _single(single, table)
    assert len(list((parted / "data/parquet" / table).iterdir())) > 1


@pytest.mark.parametrize("table", ["articles", "related"])
def test_polars_reads_the_same_rows(both: tuple[Path, Path], table: str) -> None:
    single, parted = both
    frame = pl.scan_parquet(
        str(parted / "data/parquet" / table / "**" / "*.parquet"), hive_partitioning=True
    ).collect()
    frame = frame.drop(PARTITION[table]).sort(ORDER[table])
    assert frame.to_dicts() == _single(single, table)


@pytest.mark.parametrize("table", ["articles", "related"])
def test_duckdb_reads_the_same_rows(both: tuple[Path, Path], table: str) -> None:
    single, parted = both
    glob = (parted / "data/parquet" / table / "*" / "*.parquet").as_posix()
    keys = ", ".join(ORDER[table])
    source = f"read_parquet('{glob}', hive_partitioning = true)"
    query = f"SELECT * EXCLUDE ({PARTITION[table]}) FROM {source} ORDER BY {keys}"
    relation = duckdb.sql(query)
    assert relation is not None
    rows = relation.pl().to_dicts()
    assert rows == _single(single, table)


def test_partitioned_release_validates_everywhere(both: tuple[Path, Path]) -> None:
    _, parted = both
    assert validate([parted], today=TODAY).issues == []
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "frictionless"),
            "validate",
            "--json",
            "datapackage.json",
        ],
        cwd=parted,
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(run.stdout)["valid"], run.stdout[:2000]
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=parted, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0


def test_the_two_layouts_hold_no_difference(both: tuple[Path, Path]) -> None:
    diff = diff_releases(*both)
    assert diff.empty


def test_a_tampered_part_is_caught(both: tuple[Path, Path], tmp_path: Path) -> None:
    _, parted = both
    copy = tmp_path / "copy"
    shutil.copytree(parted, copy)
    part = sorted((copy / "data/csv/related").glob("*/part-0.csv"))[0]
    lines = part.read_text().splitlines(keepends=True)
    part.write_text("".join(lines[:2] + lines[3:]))
    found = {(i.file, i.code) for i in validate([copy], today=TODAY).issues}
    relative = part.relative_to(copy).as_posix()
    assert (relative, "hash-count") in found and (relative, "byte-count") in found
    assert ("data/parquet/related", "table-mismatch") in found
