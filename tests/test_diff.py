"""`packager diff` and CHANGES.md report exactly the pages added, removed and edited."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from packager import build_release, diff_releases
from packager.cli import app
from packager.errors import InputError
from packager.release.diff import render_changes

from .conftest import CREATED, EXAMPLES, PAGES, TODAY


def _ids(release: Path, **where: str) -> list[str]:
    rows = pq.read_table(release / "data/articles.parquet").to_pylist()
    return [r["article_id"] for r in rows if all(r[k] == v for k, v in where.items())]


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("diff")
    pages = root / "pages"
    shutil.copytree(EXAMPLES, pages)
    out = root / "dist"
    old = build_release([pages], name="d", version="1.0.0", out=out, created=CREATED, today=TODAY)
    (pages / "2025-08-26-textile-mill.txt").unlink()  # removed
    shutil.copy(PAGES / "clean.txt", pages / "2026-03-05-turbines.txt")  # added
    school = pages / "2025-11-05-school-laboratory.txt"  # body edited
    school.write_text(school.read_text().replace("four hundred pupils", "five hundred pupils"))
    sowing = pages / "2026-03-18-spring-sowing.txt"  # one related item retitled
    sowing.write_text(
        sowing.read_text().replace(
            "Youth brigade completes tree-planting drive", "Youth brigade ends tree-planting drive"
        )
    )
    new = build_release([pages], name="d", bump="minor", out=out, created=CREATED, today=TODAY)
    return old.path, new.path


def test_diff_reports_exactly_the_known_changes(releases: tuple[Path, Path]) -> None:
    old, new = releases
    diff = diff_releases(old, new)
    assert (diff.old, diff.new) == ("1.0.0", "1.1.0")
    assert [a.article_id for a in diff.articles_added] == _ids(
        new, source_file="2026-03-05-turbines.txt"
    )
    assert [a.title for a in diff.articles_added] == [
        "Power station workers overhaul turbines ahead of summer"
    ]
    assert [a.article_id for a in diff.articles_removed] == _ids(
        old, source_file="2025-08-26-textile-mill.txt"
    )
    changed = {a.title: a.fields for a in diff.articles_changed}
    assert changed == {
        "Rural school builds science laboratory with local materials": ["body", "source_sha256"],
        "Spring sowing begins on cooperative farms across the country": ["source_sha256"],
    }
    sowing_id = _ids(new, source_file="2026-03-18-spring-sowing.txt")[0]
    turbines_id = _ids(new, source_file="2026-03-05-turbines.txt")[0]
    textile_id = _ids(old, source_file="2025-08-26-textile-mill.txt")[0]
    added = sorted((r.article_id, r.position, r.title) for r in diff.related_added)
    assert added == sorted(
        [
            (sowing_id, 2, "Youth brigade ends tree-planting drive"),
            (turbines_id, 1, "Coal miners surpass monthly plan"),
            (turbines_id, 2, "Greenhouse vegetable farm harvests first crop"),
        ]
    )
    removed = sorted((r.article_id, r.position, r.title) for r in diff.related_removed)
    assert removed == sorted(
        [
            (sowing_id, 2, "Youth brigade completes tree-planting drive"),
            (textile_id, 1, "Irrigation channels repaired before spring sowing"),
        ]
    )
    assert diff.schema_changes == [] and not diff.breaking


def test_changes_md_is_the_diff_against_the_previous_release(releases: tuple[Path, Path]) -> None:
    old, new = releases
    assert (new / "CHANGES.md").read_text() == render_changes(diff_releases(old, new), "d", "1.1.0")
    assert (old / "CHANGES.md").read_text() == "# Changes in d 1.0.0\n\nThe first release of d.\n"
    text = (new / "CHANGES.md").read_text()
    assert "## Articles added (1)" in text and "## Articles removed (1)" in text


def test_diff_cli_json_equals_the_library(releases: tuple[Path, Path]) -> None:
    old, new = releases
    result = CliRunner().invoke(
        app, ["diff", str(old), str(new / "datapackage.json"), "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(diff_releases(old, new).model_dump_json())


def test_diff_cli_text(releases: tuple[Path, Path]) -> None:
    old, new = releases
    result = CliRunner().invoke(app, ["diff", str(old), str(new)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "1.0.0 -> 1.1.0"
    assert lines[1] == "articles: 1 added, 1 removed, 2 changed"
    assert "related: 3 added, 2 removed" in lines
    assert lines[-1] == "schema: 0 changes"


def test_diff_of_a_folder_that_is_not_a_release(
    tmp_path: Path, releases: tuple[Path, Path]
) -> None:
    result = CliRunner().invoke(app, ["diff", str(tmp_path), str(releases[1])])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path}: not a release (no datapackage.json)\n"


def _whole_table_diff(old: Path, new: Path) -> dict[str, list[Any]]:
    """The oracle: the same comparison on whole tables held in memory."""
    tables = {
        (side, t): pq.read_table(folder / f"data/{t}.parquet").to_pylist()
        for side, folder in (("old", old), ("new", new))
        for t in ("articles", "related")
    }
    old_a = {r["article_id"]: r for r in tables["old", "articles"]}
    new_a = {r["article_id"]: r for r in tables["new", "articles"]}
    changed = sorted(
        (i, sorted(k for k in new_a[i] if k != "article_id" and new_a[i][k] != old_a[i][k]))
        for i in old_a.keys() & new_a.keys()
    )
    old_r = {tuple(r.values()) for r in tables["old", "related"]}
    new_r = {tuple(r.values()) for r in tables["new", "related"]}
    return {
        "added": sorted(new_a.keys() - old_a.keys()),
        "removed": sorted(old_a.keys() - new_a.keys()),
        "changed": [(i, fields) for i, fields in changed if fields],
        "related_added": sorted(r[:2] for r in new_r - old_r),
        "related_removed": sorted(r[:2] for r in old_r - new_r),
    }


def test_streamed_diff_equals_a_whole_table_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import packager.release.diff
    from bench.corpus import write_corpus
    from packager.release.read import parquet_batches

    pages = tmp_path / "pages"
    write_corpus(pages, 400, seed=11)
    out = tmp_path / "dist"
    old = build_release([pages], name="s", version="1.0.0", out=out, created=CREATED, today=TODAY)
    files = sorted(pages.rglob("*.txt"))
    for path in files[::9]:
        path.unlink()  # removed
    for path in files[4::13]:
        if path.exists():  # edited: a changed body, or a changed related section
            text = path.read_text(encoding="utf-8", errors="replace")
            path.write_text(text.replace(" the ", " THE ", 1), encoding="utf-8")
    write_corpus(tmp_path / "more", 60, seed=12)
    new = build_release(
        [pages, tmp_path / "more"], name="s", bump="minor", out=out, created=CREATED, today=TODAY
    )
    # Batches of 7 rows: the two streams are cut at many places, inside runs of one key.
    monkeypatch.setattr(packager.release.diff, "parquet_batches", lambda p: parquet_batches(p, 7))
    diff = diff_releases(old.path, new.path)
    expected = _whole_table_diff(old.path, new.path)
    assert [a.article_id for a in diff.articles_added] == expected["added"]
    assert [a.article_id for a in diff.articles_removed] == expected["removed"]
    assert [(a.article_id, sorted(a.fields)) for a in diff.articles_changed] == expected["changed"]
    assert [(r.article_id, r.position) for r in diff.related_added] == expected["related_added"]
    assert [(r.article_id, r.position) for r in diff.related_removed] == expected["related_removed"]
    assert len(expected["added"]) > 40 and len(expected["removed"]) > 20
    assert len(expected["changed"]) > 5 and expected["related_removed"]


def test_diff_refuses_a_release_whose_rows_are_out_of_order(
    releases: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = releases
    shuffled = tmp_path / "shuffled"
    shutil.copytree(new, shuffled)
    table = pq.read_table(shuffled / "data/articles.parquet")
    pq.write_table(
        table.take(list(reversed(range(table.num_rows)))), shuffled / "data/articles.parquet"
    )
    with pytest.raises(InputError, match="articles is not sorted by date_published"):
        diff_releases(old, shuffled)


@pytest.mark.parametrize(("before", "after"), [(None, "https://kcnawatch.org/a"), ("x", None)])
def test_a_field_that_goes_from_null_to_a_value_or_back_is_a_change(
    tmp_path: Path, before: str | None, after: str | None
) -> None:
    row = {"source": "KCNA", "title": "Harvest", "date_published": "2025-09-01", "body": "In."}
    releases = []
    for version, url in (("1.0.0", before), ("1.1.0", after)):
        (tmp_path / version).mkdir()
        table = tmp_path / version / "scraped.jsonl"  # the same name in both
        table.write_text(json.dumps({**row, "url": url}) + "\n")
        releases.append(
            build_release(
                [table],
                name="n",
                version=version,
                out=tmp_path / "out",
                created=CREATED,
                today=TODAY,
            ).path
        )
    result = diff_releases(*releases)
    # the two tables' bytes differ, so do the rows' sha256 of them
    assert [(a.title, a.fields) for a in result.articles_changed] == [
        ("Harvest", ["url", "source_sha256"])
    ]
    assert not result.articles_added and not result.articles_removed
