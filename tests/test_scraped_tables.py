"""Articles parsed by other scrapers, as their users have them: daily JSON snapshots with
their own column names, CSV with day-first dates, gzip, overlapping snapshots, and a
release that grows from the last one."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from packager import build_release, validate
from packager.assemble.release import build_release as unjudged_build
from packager.cli import app
from packager.errors import InputError, NoArticlesError, UsageError

from .conftest import CREATED, EXAMPLES, TODAY

TABLES = Path(__file__).resolve().parent.parent / "examples-scraped"
SNAPSHOTS = sorted(TABLES.glob("snapshot-*.json"))
SNAPSHOT_MAP = {"title": "headline", "body": "story_text", "date_published": "date_str"}
MAP_ARGS = [arg for f, c in SNAPSHOT_MAP.items() for arg in ("--map", f"{f}={c}")]


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _articles(release: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(release / "data/articles.parquet").to_pylist()
    return rows


def test_a_snapshot_without_a_map_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    args = ["build", str(SNAPSHOTS[0]), "--name", "s", "--version", "1.0.0", "--out", str(out)]
    refused = _cli(*args)
    assert refused.exit_code == 2
    assert refused.stdout == ""
    [line] = refused.stderr.splitlines()
    assert line.startswith("Error: snapshot-2024-11-11.json: no column for source, title,")
    assert "(columns: headline, story_text, date_str, link, topic)" in line
    assert "did you mean --map title=headline --map date_published=date_str" in line
    assert not out.exists() or not (out / "s").exists() or not any((out / "s").iterdir())
    written = _cli(*args, *MAP_ARGS, "--set", "source=KCNA", "--map", "url=link")
    assert written.exit_code == 0, written.stderr  # the version was not used up
    assert "from 2 rows of 1 table" in written.stdout


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("titel=headline", "Error: --map titel=...: the contract has no field 'titel' "),
        ("url=lnk", "--map url=lnk: the file has no column 'lnk' "),
    ],
)
def test_a_map_with_a_typo_names_the_closest_match(
    tmp_path: Path, option: str, message: str
) -> None:
    result = _cli(
        "build", str(SNAPSHOTS[0]), "--name", "s", "--version", "1.0.0", "--out", str(tmp_path),
        *MAP_ARGS, "--set", "source=KCNA", "--map", option,
    )  # fmt: skip
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr
    assert ("did you mean title?" if "titel" in option else "did you mean --map url=link?") in (
        result.stderr
    )
    assert len(result.stderr.splitlines()) == 1


def test_unknown_columns_are_dropped_with_one_warning_and_set_gives_every_row(
    tmp_path: Path,
) -> None:
    result = build_release(
        [SNAPSHOTS[0]], name="s", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY,
        mapping={**SNAPSHOT_MAP, "url": "link"}, constants={"source": "KCNA"},
    )  # fmt: skip
    [warning] = result.report.warnings
    assert (warning.code, warning.file) == ("unknown-columns", "snapshot-2024-11-11.json")
    assert warning.message.endswith("dropped: topic")
    rows = _articles(result.path)
    assert {r["source"] for r in rows} == {"KCNA"}
    assert {r["date_published"] for r in rows} == {dt.date(2024, 11, 11)}  # +09:00 as written
    assert rows[0]["url"].startswith("https://kcnawatch.org/newstream/")
    assert validate([result.path], today=TODAY).valid


def test_set_and_map_name_fields_of_the_contract() -> None:
    with pytest.raises(UsageError, match="did you mean source"):
        build_release([SNAPSHOTS[0]], name="s", version="1.0.0", constants={"sorce": "KCNA"})
    with pytest.raises(UsageError, match="word_count is derived"):
        build_release([SNAPSHOTS[0]], name="s", version="1.0.0", constants={"word_count": "3"})


def test_three_overlapping_snapshots_keep_the_newest_text_and_trace_every_merge(
    tmp_path: Path,
) -> None:
    result = build_release(
        SNAPSHOTS, name="s", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY,
        mapping=SNAPSHOT_MAP, constants={"source": "KCNA"},
    )  # fmt: skip
    assert (result.pages, result.articles, result.duplicates, result.rejects) == (6, 3, 3, 0)
    harvest = next(r for r in _articles(result.path) if r["title"].startswith("Korean farmers"))
    assert "most counties, the ministry said" in harvest["body"]  # the 13th's text
    assert harvest["source_file"] == "snapshot-2024-11-13.json"
    merges = [json.loads(line) for line in (result.path / "merges.jsonl").read_text().splitlines()]
    harvest_merges = [m for m in merges if m["article_id"] == harvest["article_id"]]
    assert sorted((m["merged_file"], m["merged_line"]) for m in harvest_merges) == [
        ("snapshot-2024-11-11.json", 2),
        ("snapshot-2024-11-12.json", 3),
    ]
    assert {(m["kept_file"], m["kept_line"]) for m in harvest_merges} == {
        ("snapshot-2024-11-13.json", 2)
    }
    assert {m["body_differs"] for m in harvest_merges} == {True}
    school = [m for m in merges if m["article_id"] != harvest["article_id"]]
    assert [(m["kept_file"], m["merged_file"], m["body_differs"]) for m in school] == [
        ("snapshot-2024-11-12.json", "snapshot-2024-11-11.json", False)
    ]
    warning = next(w for w in result.report.warnings if w.file == "snapshot-2024-11-11.json"
                   and w.code == "duplicate-body-differs")  # fmt: skip
    assert warning.message.startswith("same article as snapshot-2024-11-13.json row 2 (kept)")
    card = (result.path / "README.md").read_text()
    assert "from 6 rows of 3 tables: 3 duplicate captures merged (see `merges.jsonl`)" in card
    assert validate([result.path], today=TODAY).valid


def test_dates_as_scrapers_write_them(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [
        {"title": "A", "date_published": "2024-11-11T23:30:00-05:00"},
        {"title": "B", "date_published": "2024-11-11 08:00"},
        {"title": "C", "date_published": "1731283200000"},  # epoch milliseconds
        {"title": "D", "date_published": None},
    ]
    table = tmp_path / "dates.jsonl"
    table.write_text(
        "".join(json.dumps({**r, "source": "KCNA", "body": "Text."}) + "\n" for r in rows)
    )
    result = build_release(
        [table], name="d", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
    )
    assert sorted(r["title"] for r in _articles(result.path)) == ["A", "B"]
    assert {r["date_published"] for r in _articles(result.path)} == {dt.date(2024, 11, 11)}
    rejects = [
        json.loads(line) for line in (result.path / "rejects.jsonl").read_text().splitlines()
    ]
    assert [(r["code"], r["line"]) for r in rejects] == [("bad-date", 3), ("missing-date", 4)]
    assert rejects[0]["message"] == (
        "date_published 1731283200000 is a number, not a date (as Unix milliseconds: "
        "2024-11-11 UTC); map a column that holds dates (--map date_published=COLUMN)"
    )


def test_a_date_format_reads_day_first_csv(tmp_path: Path) -> None:
    result = build_release(
        [TABLES / "scraped.csv"], name="c", version="1.0.0", out=tmp_path, created=CREATED,
        today=TODAY, mapping={"date_published": "date"}, constants={"source": "KCNA"},
        date_format="%d/%m/%Y",
    )  # fmt: skip
    rows = _articles(result.path)
    assert [(r["date_published"], r["title"]) for r in rows] == [
        (dt.date(2024, 11, 11), "Harvest completed"),
        (dt.date(2024, 11, 12), "Bridge opened"),
    ]
    assert (rows[0]["body"], rows[0]["byline"]) == ("Farmers gathered the crop.", "Kim Chol")


def test_parquet_dates_and_timestamps_are_read_as_such_and_integers_rejected(
    tmp_path: Path,
) -> None:
    common = {"source": ["KCNA"], "body": ["Text."]}
    cases = {
        "date": pa.array([dt.date(2024, 11, 11)], pa.date32()),
        "timestamp": pa.array([dt.datetime(2024, 11, 11, 22, 0)], pa.timestamp("ms")),
        "int": pa.array([0], pa.int64()),
    }
    for name, column in cases.items():
        table = pa.table({**common, "title": [name], "date_published": column})
        pq.write_table(table, tmp_path / f"{name}.parquet")
    dated = build_release(
        [tmp_path / "date.parquet", tmp_path / "timestamp.parquet"], name="p", version="1.0.0",
        out=tmp_path / "out", created=CREATED, today=TODAY,
    )  # fmt: skip
    assert [r["date_published"] for r in _articles(dated.path)] == [dt.date(2024, 11, 11)] * 2
    with pytest.raises(NoArticlesError) as refused:
        build_release(
            [tmp_path / "int.parquet"], name="i", version="1.0.0", out=tmp_path / "out",
            created=CREATED, today=TODAY,
        )  # fmt: skip
    [issue] = refused.value.report.errors
    assert (issue.code, issue.line) == ("bad-date", 2)
    assert issue.message == (  # 0 reads as no Unix time a publication could have
        "date_published 0 is a number, not a date; map a column that holds dates "
        "(--map date_published=COLUMN)"
    )


def test_gzip_tables_inside_folders_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    with gzip.open(folder / "a.jsonl.gz", "wt") as handle:
        handle.write(json.dumps({"source": "KCNA", "title": "Gz", "date_published": "2024-01-02",
                                 "body": "Compressed."}) + "\n")  # fmt: skip
    with gzip.open(folder / "b.csv.gz", "wt") as handle:
        handle.write("source,title,date_published,body\nKCNA,Csv gz,2024-01-03,Also.\n")
    (folder / "notes.md").write_text("not an input")
    result = build_release(
        [folder], name="g", version="1.0.0", out=tmp_path / "out", created=CREATED, today=TODAY
    )
    assert sorted(r["title"] for r in _articles(result.path)) == ["Csv gz", "Gz"]
    assert sorted(r["source_file"] for r in _articles(result.path)) == ["a.jsonl.gz", "b.csv.gz"]
    [skipped] = [w for w in result.report.warnings if w.code == "skipped-file"]
    assert skipped.file == "notes.md" and skipped.message.endswith("not read")  # never silent
    report = validate([folder], today=TODAY)
    assert report.valid and [(w.code, w.file) for w in report.warnings] == [
        ("skipped-file", "notes.md")
    ]


def test_no_article_is_refused_unless_allowed(tmp_path: Path) -> None:
    table = tmp_path / "bad.jsonl"
    table.write_text(json.dumps({"source": "KCNA", "title": "T", "date_published": "x",
                                 "body": "B."}) + "\n")  # fmt: skip
    args = ["build", str(table), "--name", "e", "--version", "1.0.0", "--out", str(tmp_path)]
    refused = _cli(*args)
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1].startswith("Error: no article: 1 inputs, 1 rejected")
    assert not (tmp_path / "e" / "1.0.0").exists()
    allowed = _cli(*args, "--allow-empty")
    assert allowed.exit_code == 0, allowed.stderr
    assert _articles(tmp_path / "e" / "1.0.0") == []


def test_strict_prints_the_report_in_its_format_before_refusing(tmp_path: Path) -> None:
    result = _cli(
        "build", str(EXAMPLES), "--name", "x", "--version", "1.0.0", "--out", str(tmp_path),
        "--strict", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 6 and {i["code"] for i in report["issues"]} >= {"empty-body"}
    assert result.stderr.startswith("Error: --strict: 6 of 21 inputs rejected")
    assert not (tmp_path / "x" / "1.0.0").exists()


def test_a_release_grows_from_the_last_one(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, prefix in ((old, "2025-0"), (new, "2025-1")):
        folder.mkdir()
        for page in EXAMPLES.glob(f"{prefix}*.txt"):
            shutil.copy(page, folder)
    options: dict[str, Any] = {"created": CREATED, "today": TODAY}
    first = build_release([old], name="k", version="1.0.0", out=tmp_path / "dist", **options)
    shutil.rmtree(old)  # the old pages need not exist any more
    grown = build_release(
        [first.path, new], name="k", bump="minor", out=tmp_path / "dist", **options
    )
    assert grown.path.name == "1.1.0"
    assert grown.carried == first.articles
    at_once_pages = tmp_path / "all"
    shutil.copytree(new, at_once_pages)
    for page in EXAMPLES.glob("2025-0*.txt"):
        shutil.copy(page, at_once_pages)
    at_once = build_release([at_once_pages], name="a", version="1.0.0", out=tmp_path / "dist",
                            **options)  # fmt: skip
    for table in ("articles", "related"):
        assert pq.read_table(grown.path / f"data/{table}.parquet").equals(
            pq.read_table(at_once.path / f"data/{table}.parquet")
        ), table  # provenance carried over: the same rows as from every page at once
    assert "Compared with k 1.0.0." in (grown.path / "CHANGES.md").read_text()
    assert validate([grown.path], today=TODAY).valid


def test_a_release_input_with_no_data_files_is_an_input_error(tmp_path: Path) -> None:
    release = build_release(
        [EXAMPLES], name="k", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
    ).path
    for part in (release / "data").iterdir():
        part.unlink()
    with pytest.raises(InputError, match="does not validate .* scheme-error: "):
        build_release([release], name="k", version="1.1.0", out=tmp_path, today=TODAY)
    # unjudged (verify=None), the reader itself refuses it
    with pytest.raises(InputError, match="no Parquet files of articles"):
        unjudged_build([release], name="k", version="1.1.0", out=tmp_path, today=TODAY)


def test_validate_judges_a_table_as_build_would(tmp_path: Path) -> None:
    # Exit 1 only for what build would reject; merges and dropped columns are warnings.
    args = [*MAP_ARGS, "--set", "source=KCNA"]
    merged = _cli("validate", *map(str, SNAPSHOTS), *args)
    assert merged.exit_code == 0, merged.stdout
    lines = merged.stdout.splitlines()[1:-1]
    assert sum(" warning  duplicate-body-differs " in line for line in lines) == 2
    assert sum(" warning  unknown-columns " in line for line in lines) == 3
    assert merged.stdout.splitlines()[-1] == "valid: 0 errors, 6 warnings"
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"source": "KCNA", "title": "T", "date_published": "x",
                                 "body": "B.", "article_id": "0" * 16}) + "\n")  # fmt: skip
    rejected = _cli("validate", str(table))
    assert rejected.exit_code == 1
    assert "bad-date" in rejected.stdout and "article_id" not in rejected.stdout
    unusable = _cli("validate", str(SNAPSHOTS[0]))
    assert unusable.exit_code == 2 and "did you mean --map title=headline" in unusable.stderr


def test_packager_parse_output_validates_clean(tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    assert _cli("parse", str(EXAMPLES), "-o", str(out)).exit_code == 0
    report = validate([out], today=TODAY)
    assert report.valid
    assert {i.code for i in report.warnings} == {"duplicate-merged"}


def test_a_release_without_last_weeks_articles_says_so(tmp_path: Path) -> None:
    options: dict[str, Any] = {"created": CREATED, "today": TODAY, "out": tmp_path}
    first = build_release([EXAMPLES], name="w", version="1.0.0", **options)
    week = tmp_path / "week"
    week.mkdir()
    shutil.copy(EXAMPLES / "2026-03-18-spring-sowing.txt", week)
    alone = build_release([week], name="w", bump="minor", **options)
    [warning] = [w for w in alone.report.warnings if w.code == "articles-removed"]
    assert warning.message == (
        f"{first.articles - 1} articles of 1.0.0 are not in this release "
        f"(give {first.path} as an input to keep them)"
    )
    kept = build_release([alone.path.parent / "1.0.0", week], name="w", bump="minor", **options)
    assert not [w for w in kept.report.warnings if w.code == "articles-removed"]


def test_a_release_of_tables_is_described_as_one(tmp_path: Path) -> None:
    result = build_release(
        SNAPSHOTS, name="s", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY,
        mapping=SNAPSHOT_MAP, constants={"source": "KCNA"},
    )  # fmt: skip
    descriptor = json.loads((result.path / "datapackage.json").read_text())
    assert descriptor["sources"] == [{"title": "Tables of articles parsed by other scrapers"}]
    assert descriptor["description"].endswith(
        "packaged by packager from tables of articles parsed by other scrapers."
    )
    card = (result.path / "README.md").read_text()
    front = card.split("---")[1]
    assert '"config_name": "articles"' in front and '"related"' not in front  # no related rows
