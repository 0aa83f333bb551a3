"""`packager info`: what a release holds, checked against DuckDB reading the same files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from packager import build_release
from packager.assemble.release import BuildResult
from packager.cli import app

from .conftest import CREATED, EXAMPLES, TODAY


def _expected(release: Path, parquet: str) -> dict[str, object]:
    """The counts DuckDB finds in the release's Parquet files (`parquet` a glob)."""
    sql = duckdb.connect()
    articles = f"read_parquet('{release}/{parquet.format(table='articles')}')"
    related = f"read_parquet('{release}/{parquet.format(table='related')}')"

    def one(query: str) -> tuple[object, ...]:
        row = sql.execute(query).fetchone()
        assert row is not None
        return row

    def counts(expr: str) -> dict[str, int]:
        rows = sql.execute(
            f"SELECT {expr} AS k, count(*) AS n FROM {articles} GROUP BY k"
        ).fetchall()
        return {str(k if k is not None else "(none)"): n for k, n in rows}

    first, last = one(f"SELECT min(date_published), max(date_published) FROM {articles}")
    return {
        "articles": one(f"SELECT count(*) FROM {articles}")[0],
        "related": one(f"SELECT count(*) FROM {related}")[0],
        "first_published": str(first),
        "last_published": str(last),
        "by_source": counts("source"),
        "by_year": counts("year(date_published)"),
        "by_language": counts("language"),
    }


@pytest.mark.parametrize("layout", ["single", "partitioned"])
def test_info_gives_what_the_files_hold(tmp_path: Path, layout: str) -> None:
    release = build_release(
        [EXAMPLES], name="k", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY,
        layout=layout,
    )  # fmt: skip
    shown = CliRunner().invoke(app, ["info", str(release.path), "--format", "json"])
    assert shown.exit_code == 0, shown.stderr
    found = json.loads(shown.stdout)
    parquet = "data/{table}.parquet" if layout == "single" else "data/parquet/{table}/*/*.parquet"
    expected = _expected(release.path, parquet)
    assert {key: found[key] for key in expected} == expected
    assert (found["name"], found["version"], found["created"]) == ("k", "1.0.0", CREATED)
    on_disk = sorted(
        (p.relative_to(release.path).as_posix(), p.stat().st_size)
        for p in release.path.rglob("*")
        if p.is_file()
    )
    assert [(f["path"], f["bytes"]) for f in found["files"]] == on_disk
    assert "body (string)" in found["fields"]["articles"]
    assert "position (integer)" in found["fields"]["related"]


def test_info_as_text_names_the_counts(example_release: BuildResult) -> None:
    shown = CliRunner().invoke(app, ["info", str(example_release.path / "datapackage.json")])
    assert shown.exit_code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "kcna-sample 1.0.0"
    assert f"articles     {example_release.articles:,}" in lines
    size = (example_release.path / "data/articles.parquet").stat().st_size
    assert ["data/articles.parquet", f"{size:,}"] in [line.split() for line in lines]


def test_info_of_no_release_is_one_error_line(tmp_path: Path) -> None:
    shown = CliRunner().invoke(app, ["info", str(tmp_path)])
    assert shown.exit_code == 2
    assert shown.stderr == (
        f"Error: {tmp_path}: not a release (a release is a folder with datapackage.json)\n"
    )
