"""The real page dump in ../shared/seed parses field by field as printed."""

import datetime as dt

from packager import Page, parse_page

from .conftest import TODAY


def test_seed_page_parses_field_by_field(seed_bytes: bytes) -> None:
    page = parse_page(seed_bytes, "000_6ba31efb68b6d743.txt", today=TODAY)
    assert isinstance(page, Page), page
    article = page.article
    assert article.source == "Pyongyang Times"
    assert article.title == (
        "Mass technical innovation campaign making all the people well versed in science "
        "and technology"
    )
    assert article.date_published == dt.date(2024, 12, 4)
    assert article.date_captured == dt.date(2026, 1, 27)
    assert article.byline is not None
    assert article.byline.startswith("Kim Kwang Ho, department director of ")
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) == 9
    assert paragraphs[0].startswith("All sectors and units of the national economy")
    assert paragraphs[-1].startswith("The reality shows that mass technical innovation")
    assert "Kim Kwang Ho" not in article.body
    assert article.word_count == len(article.body.split())
    assert article.language == "en"
    assert article.url is None
    assert len(article.source_sha256 or "") == 64


def test_seed_related_items_in_page_order(seed_bytes: bytes) -> None:
    page = parse_page(seed_bytes, "seed.txt", today=TODAY)
    assert isinstance(page, Page)
    related = page.related
    assert [r.position for r in related] == list(range(1, 15))
    assert all(r.article_id == page.article.article_id for r in related)
    assert related[0].title == "Stand to defend right to self-determination reaffirmed"
    assert related[0].teaser is not None
    assert related[0].teaser.startswith("The prime minister of Greenland reaffirmed")
    assert related[0].date_published == dt.date(2026, 1, 26)
    assert related[-1].title == "Long journey made with lofty aim to liberate country"
    assert related[-1].date_published == dt.date(2026, 1, 23)
    assert all(r.title and r.teaser and r.date_published for r in related)
    assert [r.date_published for r in related] == sorted(
        (r.date_published for r in related), reverse=True
    )
