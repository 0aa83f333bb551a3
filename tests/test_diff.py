"""`packager diff` and CHANGES.md report exactly the pages added, removed and edited."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from packager import build_release, diff_releases
from packager.cli import app
from packager.diff import render_changes

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
