"""A build spools the records `make_record` makes without putting them through the pydantic
models (docs/design.md). That is safe only if the models, made from the same Table
Schemas, accept every record: checked here on every page we have, and by the property
tests on any bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.corpus import write_corpus
from packager.contract.record import make_record, related_rows
from packager.contract.rejection import Rejection
from packager.inputs.pages import read_page, to_page

from .conftest import EXAMPLES, TODAY

TESTS = Path(__file__).resolve().parent


def _pages(tmp_path: Path) -> list[Path]:
    write_corpus(tmp_path / "corpus", 400, seed=21)
    folders = (EXAMPLES, TESTS / "broken", TESTS / "pages", tmp_path / "corpus")
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())


def test_the_models_accept_every_record_the_parser_makes(tmp_path: Path) -> None:
    parsed = rejected = 0
    for path in _pages(tmp_path):
        try:
            record = read_page(path.read_bytes(), path.name, TODAY)
        except Rejection:
            rejected += 1
            continue
        page = to_page(record, path.name)  # raises pydantic's ValidationError if refused
        assert page.article.model_dump() == record.article
        assert [item.model_dump() for item in page.related] == related_rows(record.related)
        assert [(w.code, w.message, w.line) for w in page.warnings] == record.warnings
        parsed += 1
    assert parsed > 350 and rejected > 10


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"source_sha256": "not-a-digest"}, "source_sha256"),
        ({"url": 5}, "url"),
        ({"source_file": 7}, "source_file"),
    ],
)
def test_a_value_the_schema_refuses_is_an_invalid_article(
    given: dict[str, Any], field: str
) -> None:
    values = {
        "source": "KCNA",
        "title": "A title",
        "date_published": TODAY,
        "body": "Some words here.",
        **given,
    }
    with pytest.raises(Rejection) as caught:
        make_record(values, today=TODAY, line=4)
    assert (caught.value.code, caught.value.line) == ("invalid-article", 4)
    assert caught.value.message.startswith(field)
