"""The page cache: a rebuild after new pages arrive parses only the new ones, and the
release is byte-identical to a full build."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bench.corpus import write_corpus
from packager import build_release, cache
from packager.cache import FILENAME

from .conftest import CREATED, TODAY, digests


def test_incremental_rebuild_parses_only_new_pages_and_equals_a_full_build(tmp_path: Path) -> None:
    corpus = tmp_path / "all"
    info = write_corpus(corpus, 300, seed=11)
    first = tmp_path / "pages"
    files = sorted(p for p in corpus.rglob("*.txt"))
    for path in files[:200]:  # the first delivery
        target = first / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    out = tmp_path / "dist"
    v1 = build_release(
        [first], name="c", version="1.0.0", out=out, created=CREATED, today=TODAY, workers=2
    )
    assert v1.cached == 0
    assert (out / "c" / FILENAME / "index.sqlite").is_file()

    for path in files[200:]:  # new pages arrive
        target = first / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    v2 = build_release(
        [first], name="c", version="1.1.0", out=out, created=CREATED, today=TODAY, workers=2
    )
    good_before = v1.articles + v1.duplicates
    assert v2.cached == good_before  # every page parsed before comes from the cache
    assert v2.pages == info.pages

    full = build_release(
        [first],
        name="c",
        version="1.1.0",
        out=tmp_path / "full",
        created=CREATED,
        today=TODAY,
        use_cache=False,
    )
    assert full.cached == 0
    assert not (tmp_path / "full" / "c" / FILENAME).exists()
    changes = "CHANGES.md"  # the full build has no previous release to compare with
    incremental, fresh = digests(v2.path), digests(full.path)
    incremental.pop(changes), fresh.pop(changes)
    incremental.pop("SHA256SUMS"), fresh.pop("SHA256SUMS")
    assert incremental == fresh


def test_a_renamed_file_is_taken_from_the_cache_under_its_new_name(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    write_corpus(pages, 20, seed=4, bad_share=0, duplicate_share=0)
    out = tmp_path / "dist"
    build_release([pages], name="r", version="1.0.0", out=out, created=CREATED, today=TODAY)
    first = sorted(pages.rglob("*.txt"))[0]
    first.rename(first.with_name("renamed.txt"))
    again = build_release([pages], name="r", version="1.0.1", out=out, created=CREATED, today=TODAY)
    assert again.cached == 20
    fresh = build_release(
        [pages],
        name="r",
        version="1.0.1",
        out=tmp_path / "fresh",
        created=CREATED,
        today=TODAY,
        use_cache=False,
    )
    assert (again.path / "data/articles.csv").read_bytes() == (
        fresh.path / "data/articles.csv"
    ).read_bytes()
    assert b"renamed.txt" in (again.path / "data/articles.csv").read_bytes()


def test_a_damaged_or_missing_page_file_is_a_miss_and_the_page_is_parsed_again(
    tmp_path: Path,
) -> None:
    pages = tmp_path / "pages"
    write_corpus(pages, 120, seed=6, bad_share=0, duplicate_share=0)
    out = tmp_path / "dist"
    first = build_release(
        [pages], name="d", version="1.0.0", out=out, created=CREATED, today=TODAY, workers=1
    )
    page_files = sorted((out / "d" / FILENAME).glob("*.pages"))
    assert len(page_files) == 4  # a page file per chunk of 32 pages
    data = bytearray(page_files[0].read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: one page's CRC no longer matches
    page_files[0].write_bytes(bytes(data[: len(data) * 3 // 4]))  # and the last quarter gone
    again = build_release(
        [pages], name="d", version="1.0.1", out=out, created=CREATED, today=TODAY, workers=1
    )
    assert 0 < again.cached < first.articles  # the damaged pages were parsed again
    assert again.articles == first.articles
    for name in ("articles.csv", "related.csv", "articles.parquet"):
        assert (again.path / "data" / name).read_bytes() == (
            first.path / "data" / name
        ).read_bytes()
    for path in (out / "d" / FILENAME).glob("*.pages"):
        path.unlink()  # every page file gone: every page is parsed again
    third = build_release(
        [pages], name="d", version="1.0.2", out=out, created=CREATED, today=TODAY, workers=1
    )
    assert third.cached == 0
    assert (third.path / "data/articles.csv").read_bytes() == (
        first.path / "data/articles.csv"
    ).read_bytes()


def test_the_index_is_written_in_batches_and_finds_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries of many chunks gathered into few transactions: every key is found again,
    each under its own page file, including those of a last, partial batch."""
    monkeypatch.setattr(cache, "INDEX_BATCH", 5)
    folder = tmp_path / FILENAME
    assert cache.open_cache(folder)
    index = cache.IndexWriter(folder)
    stored: dict[bytes, bytes] = {}
    for chunk in range(4):  # 3 pages a chunk: batches cut across chunks
        name = f"build-{chunk:06d}.pages"
        entries, offset = [], 0
        with (folder / name).open("wb") as pages:
            for page in range(3):
                key, data = bytes([chunk, page]) * 8, f"page {chunk}.{page}".encode() * (page + 1)
                pages.write(data)
                entries.append((key, name, offset, len(data)))
                stored[key], offset = data, offset + len(data)
        index.add(entries)
    index.close()
    assert cache.lookup(folder, [*stored, b"\0" * 16]) == stored


def test_an_index_of_the_earlier_layout_is_replaced(tmp_path: Path) -> None:
    """A cache folder left by an earlier packager, whose index named page files in each
    row: the old rows are dropped (their keys could never match) and the cache works."""
    out = tmp_path / "dist"
    folder = out / "c" / FILENAME
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / "index.sqlite") as old:
        old.execute(
            "CREATE TABLE pages (key BLOB PRIMARY KEY, file TEXT NOT NULL, "
            "offset INTEGER NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID"
        )
        old.execute("INSERT INTO pages VALUES (?, 'old.pages', 0, 3)", (b"k" * 16,))
    old.close()
    pages = tmp_path / "pages"
    write_corpus(pages, 20, seed=5)
    first = build_release([pages], name="c", version="1.0.0", out=out, created=CREATED, today=TODAY)
    again = build_release([pages], name="c", version="1.0.1", out=out, created=CREATED, today=TODAY)
    assert first.cached == 0 and again.cached == first.articles + first.duplicates
    with sqlite3.connect(folder / "index.sqlite") as index:
        tables = {name for (name,) in index.execute("SELECT name FROM sqlite_master")}
    index.close()
    assert "pages" not in tables
