"""Duplicate pages become one row: the latest capture, then the smallest source_file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from packager import BuildResult, build_release
from packager.contract.record import related_rows
from packager.inputs.pages import read_page

from .conftest import CREATED, PAGES, TODAY

CLEAN = (PAGES / "clean.txt").read_text(encoding="utf-8")


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _build(
    pages: Path, out: Path
) -> tuple[BuildResult, list[dict[str, Any]], list[dict[str, Any]]]:
    result = build_release(
        [pages], name="d", version="1.0.0", out=out, created=CREATED, today=TODAY
    )
    articles = pq.read_table(result.path / "data/articles.parquet").to_pylist()
    related = pq.read_table(result.path / "data/related.parquet").to_pylist()
    return result, articles, related


def test_latest_capture_wins_and_its_related_rows_are_kept(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    _write(pages, "a-early.txt", CLEAN)
    later = CLEAN.replace("March 9, 2026Mar 9, 2026", "March 12, 2026Mar 12, 2026")
    later = later.replace("Greenhouse vegetable farm harvests first crop", "Another item")
    _write(pages, "b-late.txt", later)
    result, articles, related = _build(pages, tmp_path / "out")
    assert (result.pages, result.articles, result.duplicates) == (2, 1, 1)
    assert [a["source_file"] for a in articles] == ["b-late.txt"]
    assert [r["title"] for r in related] == ["Coal miners surpass monthly plan", "Another item"]
    [warning] = result.report.warnings
    assert (warning.code, warning.file) == ("duplicate-merged", "a-early.txt")
    assert warning.message == "same article as b-late.txt (kept)"


def test_tie_goes_to_the_smallest_source_file_and_differing_bodies_are_reported(
    tmp_path: Path,
) -> None:
    pages = tmp_path / "pages"
    _write(pages, "z.txt", CLEAN)
    _write(pages, "sub/a.txt", CLEAN.replace("two turbine generators", "three turbine generators"))
    _write(pages, "m.txt", CLEAN.replace("March 9, 2026Mar 9, 2026\n", ""))  # no capture: oldest
    result, articles, _ = _build(pages, tmp_path / "out")
    assert [a["source_file"] for a in articles] == ["sub/a.txt"]
    assert "three turbine generators" in articles[0]["body"]
    codes = sorted((w.file, w.code) for w in result.report.warnings)
    assert codes == [("m.txt", "duplicate-body-differs"), ("z.txt", "duplicate-body-differs")]


def test_distinct_articles_are_all_kept_in_order(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    for day in (7, 3, 5):
        text = CLEAN.replace("05/03/2026", f"{day:02d}/03/2026")
        _write(pages, f"p{day}.txt", text)
    result, articles, related = _build(pages, tmp_path / "out")
    assert result.duplicates == 0
    assert [a["date_published"].day for a in articles] == [3, 5, 7]
    assert len({a["article_id"] for a in articles}) == 3
    assert len(related) == 6


def test_related_rows_are_exactly_those_of_the_kept_pages(tmp_path: Path) -> None:
    # The related rows are written while the articles are, from winners found by a pass
    # over the keys alone: they must be the related items of the very pages kept.
    from bench.corpus import write_corpus

    corpus = tmp_path / "pages"
    write_corpus(corpus, 800, seed=3)
    # Groups of captures of one article, each capture with its own related items; the
    # latest capture is in the middle by name, and two captures of a day tie.
    for group in range(1, 10):
        article = CLEAN.replace("05/03/2026", f"{group:02d}/03/2026")
        for name, day in (("a", 10), ("b", 12), ("c", 11), ("d", 12)):
            page = article.replace("March 9, 2026Mar 9, 2026", f"March {day}, 2026Mar {day}, 2026")
            page = page.replace("Coal miners surpass monthly plan", f"Coal miners {group}{name}")
            _write(corpus, f"dup/{group}-{name}.txt", page)
    result = build_release(
        [corpus], name="d", version="1.0.0", out=tmp_path / "out", created=CREATED, today=TODAY
    )
    assert result.duplicates > 27
    kept = pq.read_table(result.path / "data/articles.parquet", columns=["source_file"])
    expected = []
    for source_file in kept.column("source_file").to_pylist():
        record = read_page((corpus / source_file).read_bytes(), source_file, TODAY)
        expected += related_rows(record.related)
    expected.sort(key=lambda row: (row["article_id"], row["position"]))
    assert {row["title"] for row in expected} >= {f"Coal miners {g}b" for g in range(1, 10)}
    assert pq.read_table(result.path / "data/related.parquet").to_pylist() == expected


def test_every_kind_of_input_drops_its_related_rows_with_its_capture(tmp_path: Path) -> None:
    # The related writer learns which captures were folded from the keys every spool
    # writer sends (pages, table rows, a release's rows): a capture of each kind loses
    # here, and its related items must go with it.
    record = read_page(CLEAN.encode(), "p.txt", TODAY)
    early = build_release(
        [_page(tmp_path / "v1", "old.txt", CLEAN, 9)],  # article A, captured March 9
        name="d",
        version="1.0.0",
        out=tmp_path / "out",
        created=CREATED,
        today=TODAY,
    )
    other = CLEAN.replace("05/03/2026", "06/03/2026")  # article B
    pages = _page(tmp_path / "v2", "b-late.txt", other, 14)
    b = read_page(other.encode(), "b.txt", TODAY)
    table = tmp_path / "rows.jsonl"
    rows = [
        # A, captured after the release's row: wins over it
        {**record.article, "date_captured": "2026-03-12", "related": [{"title": "Row A item"}]},
        # B, captured before the page: loses to it
        {**b.article, "date_captured": "2026-03-10", "related": [{"title": "Row B item"}]},
    ]
    table.write_text(
        "\n".join(json.dumps(row, default=str) for row in rows) + "\n", encoding="utf-8"
    )
    result = build_release(
        [early.path, pages, table],
        name="d",
        version="1.1.0",
        out=tmp_path / "out",
        created=CREATED,
        today=TODAY,
    )
    assert result.duplicates == 2
    related = pq.read_table(result.path / "data/related.parquet").to_pylist()
    titles = {(row["article_id"], row["title"]) for row in related}
    page_b = {(b.article["article_id"], title) for title in b.related["title"]}
    assert titles == {(record.article["article_id"], "Row A item")} | page_b


def _page(folder: Path, name: str, text: str, day: int) -> Path:
    _write(
        folder, name, text.replace("March 9, 2026Mar 9, 2026", f"March {day}, 2026Mar {day}, 2026")
    )
    return folder
