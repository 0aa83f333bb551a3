"""The page cache: a rebuild after new pages arrive parses only the new ones, and the
release is byte-identical to a full build."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.corpus import write_corpus
from packager import build_release
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
