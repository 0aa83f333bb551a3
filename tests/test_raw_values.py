"""A build spools the parser's plain values without putting them through the pydantic
models (docs/design.md). That is safe only if the models accept every value the parser
makes: checked here on every page we have, and by the property tests on any bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.corpus import write_corpus
from packager.models import ARTICLE_FIELDS, RELATED_FIELDS
from packager.parse.pagedump import read_page, to_page
from packager.parse.rejection import Rejection

from .conftest import EXAMPLES, TODAY

TESTS = Path(__file__).resolve().parent


def _pages(tmp_path: Path) -> list[Path]:
    write_corpus(tmp_path / "corpus", 400, seed=21)
    folders = (EXAMPLES, TESTS / "broken", TESTS / "pages", tmp_path / "corpus")
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())


def test_the_models_accept_every_value_the_parser_makes(tmp_path: Path) -> None:
    parsed = rejected = 0
    for path in _pages(tmp_path):
        try:
            raw = read_page(path.read_bytes(), path.name, TODAY)
        except Rejection:
            rejected += 1
            continue
        page = to_page(raw, path.name)  # raises Rejection("invalid-article") if refused
        assert tuple(getattr(page.article, name) for name in ARTICLE_FIELDS) == raw.article
        related = [tuple(getattr(item, name) for name in RELATED_FIELDS) for item in page.related]
        assert related == raw.related
        assert [(w.code, w.message, w.line) for w in page.warnings] == raw.warnings
        parsed += 1
    assert parsed > 350 and rejected > 10


def test_a_value_the_models_refuse_is_an_invalid_article(tmp_path: Path) -> None:
    raw = read_page((TESTS / "pages" / "clean.txt").read_bytes(), "clean.txt", TODAY)
    broken = raw._replace(article=("not-an-id", *raw.article[1:]))
    with pytest.raises(Rejection) as caught:
        to_page(broken, "clean.txt")
    assert caught.value.code == "invalid-article"
