"""Every layout variant of contract section 1 parses to exactly the clean page's article."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from packager import Page, parse_page

from .conftest import PAGES, TODAY

CLEAN = (PAGES / "clean.txt").read_text(encoding="utf-8")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


def _wrap_paragraphs(text: str) -> str:
    # Break every body paragraph longer than 60 characters over several lines.
    out = []
    for block in text.split("\n\n"):
        if len(block) > 100 and "\n" not in block:
            words, lines, line = block.split(" "), [], ""
            for word in words:
                if line and len(line) + len(word) > 60:
                    lines.append(line)
                    line = word
                else:
                    line = f"{line} {word}" if line else word
            lines.append(line)
            block = "\n".join(lines)
        out.append(block)
    return "\n\n".join(out)


VARIANTS: dict[str, Callable[[str], bytes]] = {
    "crlf": lambda t: _utf8(t.replace("\n", "\r\n")),
    "utf8-bom": lambda t: b"\xef\xbb\xbf" + _utf8(t),
    "trailing-spaces": lambda t: _utf8(t.replace("\n", "  \t\n")),
    "extra-blank-lines": lambda t: _utf8(t.replace("\n\n", "\n\n\n\n")),
    "wrapped-paragraphs": lambda t: _utf8(_wrap_paragraphs(t)),
    "no-header": lambda t: _utf8(t.replace("KCNA KCNA\n", "", 1)),
    "no-end-marker": lambda t: _utf8(t.replace("More Articles\n", "")),
    "no-final-newline": lambda t: _utf8(t.rstrip("\n")),
    "no-end-marker-no-final-newline": lambda t: _utf8(t.replace("\nMore Articles\n", "")),
    "windows-1252": lambda t: t.encode("cp1252"),
}


def _parse(data: bytes) -> Page:
    page = parse_page(data, "page.txt", today=TODAY)
    assert isinstance(page, Page), page
    return page


def _comparable(page: Page) -> tuple[dict[str, Any], list[Any]]:
    article = page.article.model_dump(exclude={"source_sha256"})
    return article, [r.model_dump() for r in page.related]


@pytest.fixture(scope="module")
def clean() -> Page:
    return _parse(_utf8(CLEAN))


def test_clean_page_fields(clean: Page) -> None:
    article = clean.article
    assert article.title == "Power station workers overhaul turbines ahead of summer"
    assert article.date_published == dt.date(2026, 3, 5)
    assert article.date_captured == dt.date(2026, 3, 9)
    assert article.byline == "Pak Jong Nam, chief engineer of the Pukchang Thermal Power Complex"
    assert len(article.body.split("\n\n")) == 3
    assert [r.title for r in clean.related] == [
        "Coal miners surpass monthly plan",
        "Greenhouse vegetable farm harvests first crop",
    ]
    assert clean.related[1].date_published == dt.date(2026, 3, 3)


@pytest.mark.parametrize("variant", sorted(VARIANTS), ids=str)
def test_variant_parses_to_the_clean_article(variant: str, clean: Page) -> None:
    data = VARIANTS[variant](CLEAN)
    assert data != _utf8(CLEAN)
    assert _comparable(_parse(data)) == _comparable(clean)


def test_windows_1252_page_warns_and_keeps_its_characters() -> None:
    text = CLEAN.replace("overhaul turbines", "overhaul “turbines” at Café")
    page = _parse(text.encode("cp1252"))
    assert page.article.title == "Power station workers overhaul “turbines” at Café ahead of summer"
    assert [w.code for w in page.warnings] == ["decoded-windows-1252"]


def test_utf8_page_has_no_warning(clean: Page) -> None:
    assert clean.warnings == ()


def test_missing_related_section_gives_no_items(clean: Page) -> None:
    cut = CLEAN[: CLEAN.index("More From KCNA")] + "More Articles\n"
    page = _parse(_utf8(cut))
    assert page.related == ()
    assert page.article == _parse(_utf8(CLEAN)).article.model_copy(
        update={"source_sha256": page.article.source_sha256}
    )


def test_korean_page() -> None:
    page = _parse((PAGES / "korean.txt").read_bytes())
    article = page.article
    assert article.title == "농업근로자들 봄철 영농준비에 박차"
    assert article.source == "Rodong Sinmun"
    assert article.language == "ko"
    assert article.byline == "본사기자 리명수"
    assert article.date_published == dt.date(2026, 2, 18)
    assert len(article.body.split("\n\n")) == 2
    assert [(r.title, r.date_published) for r in page.related] == [
        ("새 학교 교사 준공", dt.date(2026, 2, 19))
    ]


def test_day_first_date_even_when_ambiguous(clean: Page) -> None:
    text = re.sub(r"Date: \d\d/\d\d/\d{4}", "Date: 03/02/2026", CLEAN)
    assert _parse(_utf8(text)).article.date_published == dt.date(2026, 2, 3)
