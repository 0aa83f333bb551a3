"""A release built from examples/ is read by every tool users have, and adds up."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from packager import BuildResult, VersionExistsError, build_release
from packager.contract.schema import arrow_schema
from packager.inputs.files import input_files
from packager.release.read import read_csv

from .conftest import CREATED, EXAMPLES, TODAY, listing

BAD = sorted((EXAMPLES / "bad").glob("*.txt"))
EXPECTED_REJECTS = {
    "bad/empty-body.txt": "empty-body",
    "bad/empty.txt": "empty-file",
    "bad/impossible-date.txt": "bad-date",
    "bad/no-date-line.txt": "missing-date",
    "bad/published-after-capture.txt": "date-after-capture",
    "bad/saved-web-page.txt": "not-a-page-dump",
}


def _frictionless() -> str:
    return str(Path(sys.executable).parent / "frictionless")


def test_frictionless_validate_passes(example_release: BuildResult) -> None:
    run = subprocess.run(
        [_frictionless(), "validate", "--json", "datapackage.json"],
        cwd=example_release.path,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout)
    assert report["valid"], json.dumps(report["tasks"], indent=1)[:2000]
    assert {t["name"] for t in report["tasks"]} == {
        "articles",
        "related",
        "revisions",
        "articles-parquet",
        "related-parquet",
        "revisions-parquet",
    }
    assert run.returncode == 0


def test_sha256sum_check_passes(example_release: BuildResult) -> None:
    run = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"],
        cwd=example_release.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    listed = {line.split(": ")[0] for line in run.stdout.splitlines()}
    on_disk = {
        p.relative_to(example_release.path).as_posix()
        for p in example_release.path.rglob("*")
        if p.is_file()
    }
    assert listed == on_disk - {"SHA256SUMS"}


def test_parquet_reads_back_in_pyarrow_with_the_schema(example_release: BuildResult) -> None:
    for table in ("articles", "related"):
        data = pq.read_table(example_release.path / f"data/{table}.parquet")
        data.validate(full=True)
        assert data.schema.equals(arrow_schema(table), check_metadata=False)
        assert (
            pq.read_metadata(example_release.path / f"data/{table}.parquet").num_rows
            == data.num_rows
        )
    articles = pq.read_table(example_release.path / "data/articles.parquet")
    assert articles.schema.field("date_published").type == pa.date32()
    assert articles.schema.field("word_count").type == pa.int64()


def test_parquet_reads_back_in_polars(example_release: BuildResult) -> None:
    articles = pl.read_parquet(example_release.path / "data/articles.parquet")
    assert articles.schema["date_published"] == pl.Date
    assert articles.schema["date_captured"] == pl.Date
    assert articles.schema["word_count"] == pl.Int64
    assert articles.height == example_release.articles
    related = pl.read_parquet(example_release.path / "data/related.parquet")
    assert related.schema["position"] == pl.Int64
    assert related.height == example_release.related


def test_parquet_reads_back_in_duckdb(example_release: BuildResult) -> None:
    path = (example_release.path / "data/articles.parquet").as_posix()
    con = duckdb.connect()
    types = dict(
        con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{path}')"
        ).fetchall()
    )
    assert types["date_published"] == "DATE"
    assert types["word_count"] == "BIGINT"
    found = con.execute(
        f"SELECT min(date_published), max(date_published), count(*) FROM '{path}'"
    ).fetchone()
    assert found is not None
    first, last, count = found
    assert isinstance(first, dt.date)
    assert count == example_release.articles
    rel = (example_release.path / "data/related.parquet").as_posix()
    dangling = con.execute(
        f"SELECT count(*) FROM '{rel}' r ANTI JOIN '{path}' a USING (article_id)"
    ).fetchone()
    assert dangling == (0,)


@pytest.mark.parametrize("table", ["articles", "related"])
def test_csv_and_parquet_hold_equal_rows(example_release: BuildResult, table: str) -> None:
    from_csv = read_csv(example_release.path / f"data/{table}.csv", arrow_schema(table))
    from_parquet = pq.read_table(example_release.path / f"data/{table}.parquet")
    assert from_csv.num_rows == from_parquet.num_rows > 0
    assert from_csv.cast(from_parquet.schema).equals(from_parquet)


def test_rows_are_in_release_order(example_release: BuildResult) -> None:
    articles = pq.read_table(example_release.path / "data/articles.parquet").to_pylist()
    keys = [(a["date_published"], a["article_id"]) for a in articles]
    assert keys == sorted(keys)
    related = pq.read_table(example_release.path / "data/related.parquet").to_pylist()
    rkeys = [(r["article_id"], r["position"]) for r in related]
    assert rkeys == sorted(rkeys)


def test_every_bad_example_is_rejected_with_its_code(example_release: BuildResult) -> None:
    lines = (example_release.path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    rejects = [json.loads(line) for line in lines]
    assert {r["source_file"]: r["code"] for r in rejects} == EXPECTED_REJECTS
    assert all(set(r) == {"source_file", "code", "message", "line"} for r in rejects)
    assert len(BAD) == len(EXPECTED_REJECTS)
    articles = pq.read_table(example_release.path / "data/articles.parquet")
    assert not set(articles["source_file"].to_pylist()) & set(EXPECTED_REJECTS)


def test_counts_add_up(example_release: BuildResult) -> None:
    pages = len(input_files([EXAMPLES]))
    assert example_release.pages == pages
    assert pages == example_release.articles + example_release.duplicates + example_release.rejects
    assert example_release.duplicates == 1
    kept = pq.read_table(example_release.path / "data/articles.parquet")["source_file"].to_pylist()
    assert "2025-12-09-orchard-recaptured.txt" in kept  # the later capture wins
    assert "2025-12-09-orchard-no-related.txt" not in kept


def test_descriptor_properties(example_release: BuildResult) -> None:
    descriptor = json.loads((example_release.path / "datapackage.json").read_text())
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert descriptor["name"] == "kcna-sample"
    assert descriptor["version"] == "1.0.0"
    assert descriptor["created"] == CREATED
    assert descriptor["title"] == "KCNA Watch sample"  # from examples/dataset.toml
    assert descriptor["licenses"][0]["name"] == "CC0-1.0"
    assert descriptor["sources"]
    for resource in descriptor["resources"]:
        path = example_release.path / resource["path"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert resource["hash"] == f"sha256:{digest}"
        size = resource.get("bytes", resource.get("packager:bytes"))
        assert size == path.stat().st_size
        assert resource["schema"]["fields"]
    csv = [r for r in descriptor["resources"] if r["format"] == "csv"]
    assert all(r["mediatype"] == "text/csv" and r["encoding"] == "utf-8" for r in csv)


def test_building_an_existing_version_changes_nothing(
    example_release: BuildResult, tmp_path: Path
) -> None:
    before = {p: p.read_bytes() for p in example_release.path.rglob("*") if p.is_file()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    with pytest.raises(VersionExistsError):
        build_release(
            [EXAMPLES],
            name="kcna-sample",
            version="1.0.0",
            out=example_release.path.parent.parent,
            created=CREATED,
            today=TODAY,
        )
    after = {p: p.read_bytes() for p in example_release.path.rglob("*") if p.is_file()}
    assert after == before
    assert {p: p.stat().st_mtime_ns for p in after} == mtimes
    leftovers = [n for n in listing(example_release.path.parent) if n.startswith(".")]
    assert leftovers == []


def test_options_as_one_value_build_what_the_keywords_build(tmp_path: Path) -> None:
    """The CLI makes one `BuildOptions`; the library takes it or its fields by keyword."""
    from packager import BuildOptions
    from packager.inputs.rows import TableOptions

    from .conftest import digests

    table = tmp_path / "t.csv"
    table.write_text("outlet,title,day,body\nKCNA,A title,2024-05-05,Some text.\n")
    keywords = build_release([table], name="o", version="1.0.0", out=tmp_path / "k",
                             created=CREATED, today=TODAY,
                             mapping={"source": "outlet", "date_published": "day"})  # fmt: skip
    options = BuildOptions(name="o", version="1.0.0", out=tmp_path / "v", created=CREATED,
                           today=TODAY, tables=TableOptions({"source": "outlet",
                                                            "date_published": "day"}))  # fmt: skip
    value = build_release([table], options)
    assert keywords.articles == value.articles == 1
    assert digests(keywords.path) == digests(value.path)
    with pytest.raises(TypeError, match="options given, and layout besides"):
        build_release([table], options, layout="partitioned")
