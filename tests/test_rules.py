"""The contract's derivations and the parser's rejects, one case each."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from packager import Page, Reject, parse_page
from packager.contract.language import detect_language
from packager.contract.record import make_record, related_records
from packager.contract.rejection import Rejection
from packager.contract.rules import article_id, is_byline, norm

from .conftest import PAGES, TODAY

CLEAN = (PAGES / "clean.txt").read_text(encoding="utf-8")


def test_article_id_follows_the_contract() -> None:
    expected = hashlib.sha256(b"kcna\x1f2026-03-05\x1fa title").hexdigest()[:16]
    assert article_id(" KCNA ", dt.date(2026, 3, 5), "A  Title\n") == expected


def test_norm_is_nfkc_casefold_and_whitespace() -> None:
    assert norm("  ＫＣＮＡ\tStraße  news ") == "kcna strasse news"


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        (["Body.", "Kim Il Ho, reporter"], True),
        (["Body.", "It ended."], False),  # closing punctuation
        (["Kim Il Ho, reporter"], False),  # the only paragraph
        (["Body.", "x" * 201], False),  # too long
        (["Body.", "x" * 200], True),
        (["본문이다.", "본사기자 김철"], True),
        (["Body.", "Reporter 2026"], False),  # ends in a digit
    ],
)
def test_byline_rule(paragraphs: list[str], expected: bool) -> None:
    assert is_byline(paragraphs[-1], alone=len(paragraphs) == 1) is expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The delegation arrived in the capital and was met by officials of the ministry.", "en"),
        ("평양시 여러 구역에서 새로 건설된 살림집들에 근로자들이 입사하였다.", "ko"),
        ("Делегация прибыла в столицу и была встречена официальными лицами.", "ru"),
        (
            "La délégation est arrivée dans la capitale et a été accueillie par les responsables.",
            "fr",
        ),
        (
            "La delegación llegó a la capital y fue recibida por los funcionarios del ministerio.",
            "es",
        ),
        ("代表团抵达首都，受到有关官员的欢迎。", "zh"),
        ("代表団は首都に到着し、関係者の歓迎を受けた。", "ja"),
    ],
)
def test_language(text: str, code: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("the le", "en"),  # a tie with English: English
        ("le der", "fr"),  # a tie between others: the first of fr, es, de
        ("el der", "es"),
        ("der die el y", "es"),
        ("zzz", "en"),  # no stop word at all: English
    ],
)
def test_language_ties(text: str, code: str) -> None:
    assert detect_language(text) == code


def _reject(text: str | bytes) -> Reject:
    data = text.encode("utf-8") if isinstance(text, str) else text
    result = parse_page(data, "page.txt", today=TODAY)
    assert isinstance(result, Reject), result
    return result


@pytest.mark.parametrize(
    ("change", "code", "line"),
    [
        (lambda t: t.replace("Date: 05/03/2026", "Date: 30/02/2026"), "bad-date", 6),
        (lambda t: t.replace("Date: 05/03/2026", "Date: 2026-03-05"), "bad-date", 6),
        (lambda t: t.replace("Date: 05/03/2026", "Date: 05/03/2027"), "date-after-capture", 6),
        (lambda t: t.replace("Source: KCNA |", "Source:  |"), "missing-source", 6),
        (
            lambda t: t.replace("Power station workers overhaul turbines ahead of summer\n\n", ""),
            "missing-title",
            4,
        ),
        (lambda t: t.split("Workers at")[0] + "More Articles\n", "empty-body", 6),
        (lambda t: "\n".join(t.splitlines()[6:]), "not-a-page-dump", 1),
        (
            lambda t: t.replace("March 9, 2026Mar 9, 2026", "February 30, 2026Feb 30, 2026"),
            "bad-date",
            1,
        ),
    ],
)
def test_bad_pages_are_rejected_with_code_and_line(change: Any, code: str, line: int) -> None:
    reject = _reject(change(CLEAN))
    assert (reject.code, reject.line) == (code, line)
    assert reject.source_file == "page.txt"


def test_date_in_future() -> None:
    text = CLEAN.replace("March 9, 2026Mar 9, 2026\n", "").replace("05/03/2026", "05/03/2030")
    assert _reject(text).code == "date-in-future"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty-file"),
        (b"  \n\n", "empty-file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary-file"),
        (
            b"<!DOCTYPE html><html><body>Date: 01/01/2025 | Source: KCNA</body></html>",
            "not-a-page-dump",
        ),
    ],
)
def test_not_page_dumps(data: bytes, code: str) -> None:
    assert _reject(data).code == code


def test_missing_date_line() -> None:
    text = "\n".join(line for line in CLEAN.splitlines() if not line.startswith("Date:"))
    assert _reject(text).code == "missing-date"


def test_utf16_page_parses_with_a_warning() -> None:
    page = parse_page(CLEAN.encode("utf-16"), "page.txt", today=TODAY)
    assert isinstance(page, Page)
    assert [w.code for w in page.warnings] == ["decoded-utf-16"]


def test_broken_utf8_keeps_the_page_and_warns() -> None:
    data = CLEAN.encode("utf-8").replace(b"Engineers said", b"Engineers\xff said")
    page = parse_page(data, "page.txt", today=TODAY)
    assert isinstance(page, Page)
    assert [(w.code, w.line) for w in page.warnings] == [("invalid-utf8", 12)]
    assert "Engineers\ufffd said" in page.article.body


def test_a_byline_with_a_blank_body_is_refused_by_the_schema_check(tmp_path: Path) -> None:
    from .table_check import check_table_schema

    row = {"source": "KCNA", "title": "T", "date_published": "2025-01-02", "body": "  ",
           "byline": "Kim Chol", "article_id": article_id("KCNA", dt.date(2025, 1, 2), "T"),
           "word_count": "0"}  # fmt: skip
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps(row) + "\n")
    codes = {issue.code for issue in check_table_schema(table, today=TODAY).issues}
    assert {"bad-byline", "empty-body"} <= codes


def test_a_byline_column_with_a_blank_body_is_the_body(tmp_path: Path) -> None:
    # The byline rule wants a body before a byline: alone, the line is the body.
    record = make_record(
        {"source": "KCNA", "title": "T", "date_published": TODAY, "body": " \n ",
         "byline": "Kim Chol"},
        today=TODAY,
        line=2,
    )  # fmt: skip
    assert (record.article["body"], record.article["byline"]) == ("Kim Chol", None)
    assert [code for code, _, _ in record.warnings] == ["byline-in-body"]


@pytest.mark.parametrize("broken", [1, 2, 3])
def test_every_related_item_is_checked_wherever_it_stands(broken: int) -> None:
    # The derived fields are checked on the first and last items only (they bound them);
    # what the input gave is checked on every item, the middle one too.
    items = [{"title": f"Item {k}", "teaser": None, "date_published": TODAY} for k in (1, 2, 3)]
    items[broken - 1]["date_published"] = "2026-01-01"  # text, not a date
    given = {"source": "KCNA", "title": "T", "date_published": TODAY, "body": "Text."}
    with pytest.raises(Rejection) as refused:
        make_record(given, items, today=TODAY, line=4)
    assert (refused.value.code, refused.value.line) == ("invalid-article", 4)
    assert refused.value.message.startswith(f"related item {broken}: date_published")


def test_a_related_rows_first_problem_is_the_first_rows_first_field() -> None:
    # Derived fields (article_id, position) and given ones (title ...) are checked apart;
    # what is reported is the first row that breaks the schema, and its first field.
    titles = ["A", "", ""]
    items: dict[str, list[Any]] = {"title": titles, "teaser": [None] * 3,
                                   "date_published": [TODAY] * 3}  # fmt: skip
    with pytest.raises(Rejection) as refused:
        related_records("not an id", items, 7, [])  # every row's article_id breaks its pattern
    assert refused.value.message.startswith("related item 1: article_id")
    with pytest.raises(Rejection) as refused:
        related_records("0123456789abcdef", items, 7, [])
    assert refused.value.message.startswith("related item 2: title")
    titles[0] = ""
    with pytest.raises(Rejection) as refused:
        related_records("not an id", items, 7, [])  # row 1: article_id before title
    assert refused.value.message.startswith("related item 1: article_id")
