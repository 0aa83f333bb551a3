"""Faithful releases: what went in can be read back, and nothing is bent on the way.

Inputs are shaped like real scraper snapshots (several captures of one article with edited
text, bodies whose paragraphs are single line breaks, an epoch-millisecond column beside an
ISO one, a table of all-1970 dates, a week whose every row is rejected)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from packager.cli import app

from .conftest import CREATED

RUNNER = CliRunner()


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _row(title: str, body: str, day: str = "2024-11-11", **more: object) -> dict[str, object]:
    return {"source": "KCNA", "title": title, "date_published": day, "body": body, **more}


def test_a_week_whose_every_new_row_is_rejected_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    first = _write_jsonl(tmp_path / "week1.jsonl", [_row("Harvest", "Farmers gathered grain.")])
    built = RUNNER.invoke(app, ["build", str(first), "--name", "k", "--version", "1.0.0",
                                "--out", str(out)])  # fmt: skip
    assert built.exit_code == 0, built.stderr
    broken = _write_jsonl(
        tmp_path / "week2.jsonl",
        [_row("School", "A school opened.", day="not a date"), _row("Dam", "", day="2024-11-12")],
    )
    args = ["build", str(out / "k/1.0.0"), str(broken), "--name", "k", "--bump", "minor",
            "--out", str(out)]  # fmt: skip
    refused = RUNNER.invoke(app, args)
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1] == (
        "Error: no new article: every one of the 2 pages and table rows given beside the 1 "
        "articles of earlier releases was rejected; nothing written (--allow-empty writes "
        "the release all the same)"
    )
    assert sorted(p.name for p in (out / "k").iterdir()) == ["1.0.0"]
    allowed = RUNNER.invoke(app, [*args, "--allow-empty"])
    assert allowed.exit_code == 0, allowed.stderr
    assert (out / "k/1.1.0/datapackage.json").is_file()
    # a week of rows merged into the carried ones is no broken week: it is written
    again = _write_jsonl(tmp_path / "week3.jsonl", [_row("Harvest", "Farmers gathered grain.")])
    merged = RUNNER.invoke(app, ["build", str(out / "k/1.1.0"), str(again), "--name", "k",
                                 "--bump", "minor", "--out", str(out)])  # fmt: skip
    assert merged.exit_code == 0, merged.stderr


def _articles(release: Path) -> list[dict[str, object]]:
    return pq.read_table(release / "data/articles.parquet").to_pylist()


def _build(inputs: list[Path], out: Path, *more: str) -> Path:
    done = RUNNER.invoke(
        app,
        ["build", *map(str, inputs), "--name", "t", "--version", "1.0.0", "--out", str(out),
         "--created", CREATED, *more],
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    return out / "t/1.0.0"


def test_a_tables_line_breaks_are_paragraphs(tmp_path: Path) -> None:
    story = "Pyongyang, November 11 (KCNA) -- Farmers\nfinished the harvest.\r\n\r\n\r\nThe crop  was large.\rKim Chol\n"
    table = _write_jsonl(tmp_path / "snap.jsonl", [_row("Harvest", story)])
    [row] = _articles(_build([table], tmp_path / "out"))
    assert row["body"] == (
        "Pyongyang, November 11 (KCNA) -- Farmers\n\nfinished the harvest.\n\nThe crop  was large."
    )
    assert row["byline"] == "Kim Chol"
    assert row["word_count"] == 13


def test_every_table_row_carries_its_input_files_sha256(tmp_path: Path) -> None:
    jsonl = _write_jsonl(tmp_path / "a.jsonl", [_row("Harvest", "Grain.")])
    packed = tmp_path / "b.csv.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as handle:
        handle.write("source,title,date_published,body\nKCNA,School,2024-11-12,Opened.\n")
    parsed = _write_jsonl(
        tmp_path / "parsed.jsonl",
        [_row("Dam", "Built.", source_file="pages/dam.txt", source_sha256="ab" * 32)],
    )
    rows = _articles(_build([jsonl, packed, parsed], tmp_path / "out"))
    found = {row["title"]: (row["source_file"], row["source_sha256"]) for row in rows}
    assert found == {
        "Harvest": ("a.jsonl", hashlib.sha256(jsonl.read_bytes()).hexdigest()),
        "School": ("b.csv.gz", hashlib.sha256(packed.read_bytes()).hexdigest()),
        "Dam": ("pages/dam.txt", "ab" * 32),  # a row that names its page keeps its page's
    }
