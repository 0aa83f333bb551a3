"""Faithful releases: what went in can be read back, and nothing is bent on the way.

Inputs are shaped like real scraper snapshots (several captures of one article with edited
text, bodies whose paragraphs are single line breaks, an epoch-millisecond column beside an
ISO one, a table of all-1970 dates, a week whose every row is rejected)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

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
    rows: list[dict[str, object]] = pq.read_table(release / "data/articles.parquet").to_pylist()
    return rows


def _build(inputs: list[Path], out: Path, *more: str) -> Path:
    done = RUNNER.invoke(
        app,
        ["build", *map(str, inputs), "--name", "t", "--version", "1.0.0", "--out", str(out),
         "--created", CREATED, *more],
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    return out / "t/1.0.0"


def test_a_tables_line_breaks_are_paragraphs(tmp_path: Path) -> None:
    story = (
        "Pyongyang, November 11 (KCNA) -- Farmers\nfinished the harvest.\r\n\r\n\r\n"
        "The crop  was large.\rKim Chol\n"
    )
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


# Three overlapping daily snapshots of one scraper (a JSON array a day, its own column
# names): KCNA edits A on day 2 and reverts it on day 3; edits B on day 3.
A1 = "Farmers finished the harvest.\nThe crop was large."
A2 = "Farmers finished the harvest early.\nThe crop was large."
B1 = "A school opened in Sosong District.\nPupils arrived."
B2 = "A new school opened in Sosong District.\nPupils arrived in the morning."
B3 = "A new school opened in Sosong District.\nPupils and teachers arrived in the morning."
SNAPSHOTS = {
    "snap-1.json": [("Harvest ends", A1), ("School opens", B1), ("Dam built", "Water flows.")],
    "snap-2.json": [("Harvest ends", A2), ("School opens", B1), ("Bridge opens", "Cars cross.")],
    "snap-3.json": [("Harvest ends", A1), ("School opens", B2), ("Dam built", "Water flows."),
                    ("Bridge opens", "Cars cross.")],
}  # fmt: skip
TABLE_OPTIONS = ["--set", "source=KCNA", "--map", "title=headline", "--map", "body=story_text",
                 "--map", "date_published=date_str", "--map", "date_captured=scraped"]  # fmt: skip


def _snapshots(folder: Path, snapshots: dict[str, list[tuple[str, str]]]) -> list[Path]:
    paths = []
    for name, stories in snapshots.items():
        day = f"2024-11-{10 + int(name.split('-')[1][0])}"
        rows = [
            {"headline": title, "story_text": body, "date_str": "2024-11-10", "scraped": day}
            for title, body in stories
        ]
        path = folder / name
        path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
        paths.append(path)
    return paths


def _by_title(release: Path) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """Each article's kept body and its revisions (revision, body, date_captured,
    source_file), from the release's Parquet files alone."""
    articles = _articles(release)
    revisions = pq.read_table(release / "data/revisions.parquet").to_pylist()
    out = {}
    for row in articles:
        earlier = [
            (r["revision"], r["body"], str(r["date_captured"]), r["source_file"])
            for r in revisions
            if r["article_id"] == row["article_id"]
        ]
        out[str(row["title"])] = (str(row["body"]), earlier)
    return out


def test_every_text_of_three_overlapping_snapshots_can_be_read_back(tmp_path: Path) -> None:
    inputs = _snapshots(tmp_path, SNAPSHOTS)
    release = _build(inputs, tmp_path / "out", *TABLE_OPTIONS)
    found = _by_title(release)
    a1, a2 = "Farmers finished the harvest.\n\nThe crop was large.", A2.replace("\n", "\n\n")
    b1, b2 = B1.replace("\n", "\n\n"), B2.replace("\n", "\n\n")
    assert found == {
        # reverted on day 3: the day-2 text is the one earlier text
        "Harvest ends": (a1, [(1, a2, "2024-11-12", "snap-2.json")]),
        # its day-1 text, from the first capture that held it (day 2 held it again)
        "School opens": (b2, [(1, b1, "2024-11-11", "snap-1.json")]),
        "Dam built": ("Water flows.", []),
        "Bridge opens": ("Cars cross.", []),
    }
    # every input row's text, read back from the release alone
    for path in inputs:
        for row in json.loads(path.read_text()):
            kept, earlier = found[row["headline"]]
            texts = {kept, *(body for _, body, _, _ in earlier)}
            assert row["story_text"].replace("\n", "\n\n") in texts
    merges = [json.loads(line) for line in (release / "merges.jsonl").read_text().splitlines()]
    assert len(merges) == 10 - 4  # every other capture is a merge, with its trace


def test_revisions_carry_over_and_grow_and_the_diff_shows_the_words(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _build(_snapshots(tmp_path, SNAPSHOTS), out, *TABLE_OPTIONS)
    week = _snapshots(tmp_path, {"snap-4.json": [("School opens", B3)]})
    done = RUNNER.invoke(
        app,
        ["build", str(first), *map(str, week), "--name", "t", "--bump", "minor", "--out",
         str(out), "--created", CREATED, *TABLE_OPTIONS],
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    second = out / "t/1.1.0"
    found = _by_title(second)
    b1, b2 = B1.replace("\n", "\n\n"), B2.replace("\n", "\n\n")
    assert found["School opens"] == (
        B3.replace("\n", "\n\n"),
        [(1, b1, "2024-11-11", "snap-1.json"), (2, b2, "2024-11-13", "snap-3.json")],
    )
    assert found["Harvest ends"][1] == _by_title(first)["Harvest ends"][1]  # carried as it was
    changes = (second / "CHANGES.md").read_text()
    assert "  - text: `Sosong District. Pupils {+and teachers+} arrived in the`" in changes
    card = (second / "README.md").read_text()
    assert "- 2 articles edited after publication: their 3 earlier texts are in `revisions`" in card


def test_an_epoch_millisecond_column_is_named_and_the_iso_column_suggested(tmp_path: Path) -> None:
    rows = [
        {"headline": "Harvest ends", "story_text": "Grain.", "date": 1731283200000,
         "date_str": "2024-11-11T09:30:00+09:00"},
        {"headline": "School opens", "story_text": "Pupils.", "date": 1731369600,
         "date_str": "2024-11-12T09:30:00+09:00"},
    ]  # fmt: skip
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps(rows))
    args = ["build", str(snapshot), "--name", "e", "--version", "1.0.0", "--out",
            str(tmp_path / "out"), "--set", "source=KCNA", "--map", "title=headline",
            "--map", "body=story_text"]  # fmt: skip
    hinted = RUNNER.invoke(app, args)
    assert hinted.exit_code == 2
    assert "did you mean --map date_published=date_str?" in hinted.stderr  # not =date
    followed = RUNNER.invoke(app, [*args, "--map", "date_published=date", "--allow-empty"])
    assert followed.exit_code == 0, followed.stderr
    messages = [
        json.loads(line)["message"]
        for line in (tmp_path / "out/e/1.0.0/rejects.jsonl").read_text().splitlines()
    ]
    assert messages == [
        "date_published 1731283200000 is a number, not a date (as Unix milliseconds: "
        "2024-11-11 UTC); map a column that holds dates (--map date_published=COLUMN)",
        "date_published 1731369600 is a number, not a date (as Unix seconds: 2024-11-12 UTC); "
        "map a column that holds dates (--map date_published=COLUMN)",
    ]


def test_a_lost_date_column_is_rejected_and_never_merges(tmp_path: Path) -> None:
    """An R export's lost dates: every row at 1970-01-01, so every row one "duplicate" of
    the first that shares its source and title."""
    rows = [_row(title, f"Story {n} of many words.", day="1970-01-01")
            for n, title in enumerate(["Talks", "Talks", "Visit", "Talks"])]  # fmt: skip
    table = _write_jsonl(tmp_path / "export.jsonl", rows)
    args = ["build", str(table), "--name", "e", "--version", "1.0.0", "--out", str(tmp_path)]
    refused = RUNNER.invoke(app, args)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("Error: no article: 4 inputs, 4 rejected")
    epoch = [line for line in refused.stdout.splitlines() if "epoch-date" in line]
    assert len(epoch) == 4 and "duplicate" not in refused.stdout
    assert epoch[0].split(None, 3)[3] == (
        "date_published 1970-01-01 is the Unix epoch: a lost date, as exports write a zero, "
        "not packaged as a date"
    )


def test_dates_before_any_outlet_are_rejected_and_the_bound_is_an_option(tmp_path: Path) -> None:
    table = _write_jsonl(
        tmp_path / "old.jsonl",
        [
            _row("Liberation", "Text.", day="1945-10-31"),
            _row("First issue", "T.", day="1945-11-01"),
        ],
    )
    release = _build([table], tmp_path / "out")
    assert [row["title"] for row in _articles(release)] == ["First issue"]
    [reject] = [json.loads(line) for line in (release / "rejects.jsonl").read_text().splitlines()]
    assert reject == {
        "source_file": "old.jsonl",
        "code": "date-before-outlets",
        "message": "published 1945-10-31, before any outlet published (1945-11-01; "
        "--earliest-date changes it)",
        "line": 1,
    }
    wider = _build([table], tmp_path / "wider", "--earliest-date", "1945-08-15")
    assert len(_articles(wider)) == 2
    bad = RUNNER.invoke(app, ["validate", str(table), "--earliest-date", "1945"])
    assert bad.exit_code == 2
    assert bad.stderr == "Error: --earliest-date '1945': give a day as YYYY-MM-DD\n"


def test_a_given_language_the_body_contradicts_is_kept_and_reported(tmp_path: Path) -> None:
    spanish = "El pueblo de la ciudad y los trabajadores en la fábrica para el plan."
    rows = [
        _row("Uno", spanish, language="en"),
        _row("Two", "The people of the city and the workers in the plant.", language="en"),
        _row("Tres", spanish + " Otra vez.", language="EN"),
        _row("Short", "Kim Jong Un.", language="es"),  # nothing decides: no report
    ]
    table = _write_jsonl(tmp_path / "mixed.jsonl", rows)
    built = RUNNER.invoke(app, ["build", str(table), "--name", "l", "--version", "1.0.0",
                                "--out", str(tmp_path)])  # fmt: skip
    assert built.exit_code == 0, built.stderr
    [line] = [line for line in built.stdout.splitlines() if "language-differs" in line]
    assert line.split(None, 3)[3] == (
        "2 rows labelled 'en' read as 'es' (rows 1, 3): packaged as labelled"
    )
    languages = {row["title"]: row["language"] for row in _articles(tmp_path / "l/1.0.0")}
    assert languages == {"Uno": "en", "Two": "en", "Tres": "en", "Short": "es"}
    checked = RUNNER.invoke(app, ["validate", str(table)])
    assert checked.exit_code == 0 and "2 rows labelled 'en' read as 'es'" in checked.stdout
