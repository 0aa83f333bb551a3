"""Faithful releases: what went in can be read back, and nothing is bent on the way.

Inputs are shaped like real scraper snapshots (several captures of one article with edited
text, bodies whose paragraphs are single line breaks, an epoch-millisecond column beside an
ISO one, a table of all-1970 dates, a week whose every row is rejected)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from packager.cli import app

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
