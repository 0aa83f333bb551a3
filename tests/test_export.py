"""`packager export --to sqlite`: the release in SQLite, searched through Datasette."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from datasette.app import Datasette
from typer.testing import CliRunner

from packager.assemble.release import BuildResult
from packager.cli import app


def _export(release: Path, target: Path) -> None:
    done = CliRunner().invoke(app, ["export", str(release), "--to", "sqlite", str(target)])
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith(f"wrote {target}: ")


def _datasette_get(database: Path, path: str) -> Any:
    """A GET answered by Datasette itself, in process (its own test client)."""

    async def get() -> Any:
        datasette = Datasette(files=[str(database)])
        await datasette.invoke_startup()
        response = await datasette.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(get())


def test_the_database_holds_the_release(example_release: BuildResult, tmp_path: Path) -> None:
    target = tmp_path / "kcna.db"
    _export(example_release.path, target)
    with sqlite3.connect(target) as db:
        for table in ("articles", "related"):
            parquet = pq.read_table(example_release.path / "data" / f"{table}.parquet")
            stored = db.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
            expected = [
                tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row.values())
                for row in parquet.to_pylist()
            ]
            assert sorted(stored, key=str) == sorted(expected, key=str)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        keys = db.execute("PRAGMA foreign_key_list(related)").fetchall()
        assert [(k[2], k[3], k[4]) for k in keys] == [("articles", "article_id", "article_id")]


def test_datasette_finds_an_article_by_a_word_of_its_body(
    example_release: BuildResult, tmp_path: Path
) -> None:
    articles = pq.read_table(example_release.path / "data" / "articles.parquet").to_pylist()
    # A word that only one article has, in its body alone.
    words = [set(re.findall(r"[a-z]{7,}", a["body"].lower())) for a in articles]
    titles = " ".join(a["title"].lower() for a in articles)
    counts = Counter(word for found in words for word in found)
    word = min(w for w, n in counts.items() if n == 1 and w not in titles)
    expected = next(
        a["article_id"] for a, found in zip(articles, words, strict=True) if word in found
    )
    target = tmp_path / "kcna.db"
    _export(example_release.path, target)
    found = _datasette_get(target, f"/kcna/articles.json?_search={word}&_shape=array")
    assert [row["article_id"] for row in found] == [expected]
    # The title is searched too.
    title_word = re.findall(r"[A-Za-z]{6,}", articles[0]["title"])[0]
    by_title = _datasette_get(target, f"/kcna/articles.json?_search={title_word}&_shape=array")
    assert articles[0]["article_id"] in [row["article_id"] for row in by_title]


def test_export_never_overwrites_and_names_a_missing_release(
    example_release: BuildResult, tmp_path: Path
) -> None:
    target = tmp_path / "kept.db"
    target.write_bytes(b"someone's database")
    refused = CliRunner().invoke(app, ["export", str(example_release.path), "--to", "sqlite",
                                       str(target)])  # fmt: skip
    assert (refused.exit_code, refused.stderr) == (
        2, f"Error: {target}: exists already (export writes a new database)\n"
    )  # fmt: skip
    assert target.read_bytes() == b"someone's database"
    missing = CliRunner().invoke(app, ["export", str(tmp_path), "--to", "sqlite", "x.db"])
    assert (missing.exit_code, missing.stderr) == (
        2, f"Error: {tmp_path}: not a release (a release is a folder with datapackage.json)\n"
    )  # fmt: skip
