"""Each rule pinned by a value worked out by hand, where a small change to the rule once
survived every test: the boundary of a date, what makes a schema change breaking, what
SHA256SUMS must list, the language guess's shares and sample sizes (on the Python path and
the compiled one alike), what becomes null, which capture validate keeps, what diff
compares of a related item, and the column-wise word count that runs where the compiled
counter is not built."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from packager import build_release, validate
from packager.contract import rules
from packager.contract.language import detect_language
from packager.contract.schema import table_schema
from packager.inputs.pages import FAST
from packager.release.checksums import read_sha256sums
from packager.release.diff import diff_releases
from packager.release.schemadiff import table_changes

from .conftest import CREATED, TODAY


def _page(title: str, captured: str, published: str, body: str = "A body of words.") -> str:
    """A page dump: `captured` as "May 5, 2024", `published` as "05/05/2024"."""
    return (
        f"{captured}{captured}\nKCNA\n\n{title}\n\n"
        f"Date: {published} | Source: KCNA | Read original version at source\n\n"
        f"{body}\n\nMore Articles\n"
    )


# The date rule: a page may be published on the day it was captured, and today.


def test_published_on_the_day_of_its_capture_or_today_is_possible() -> None:
    day = dt.date(2024, 5, 5)
    assert rules.date_problem(day, day, today=day) is None
    assert rules.date_problem(dt.date(2024, 5, 6), day, today=dt.date(2024, 6, 1)) == (
        "date-after-capture",
        "published 2024-05-06 after its capture on 2024-05-05",
    )
    assert rules.date_problem(dt.date(2024, 5, 6), None, today=day) == (
        "date-in-future",
        "published 2024-05-06, after today",
    )


def test_a_page_captured_on_its_publication_day_is_built_and_validates(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "same-day.txt").write_text(_page("Same day", "May 5, 2024", "05/05/2024"))
    (pages / "day-after.txt").write_text(_page("Day after", "May 5, 2024", "06/05/2024"))
    report = validate([pages], today=TODAY)
    assert [(i.file, i.code) for i in report.errors] == [("day-after.txt", "date-after-capture")]
    result = build_release([pages], name="d", version="1.0.0", out=tmp_path / "out",
                           created=CREATED, today=TODAY)  # fmt: skip
    assert result.articles == 1
    assert [(i.file, i.code) for i in result.report.errors] == [
        ("day-after.txt", "date-after-capture")
    ]
    assert validate([result.path], today=TODAY).valid


def test_a_table_row_published_on_its_capture_day_is_checked_column_wise_as_the_rule(
    tmp_path: Path,
) -> None:
    """The release checker compares the date columns of a whole batch at once."""
    from .table_check import check_table_schema

    table = tmp_path / "articles.csv"
    table.write_text(
        "source,title,date_published,date_captured,body\n"
        "KCNA,Same day,2024-05-05,2024-05-05,Text.\n"
        "KCNA,Day after,2024-05-06,2024-05-05,Text.\n"
    )
    report = check_table_schema(table, today=TODAY)
    assert [(i.code, i.row, i.message) for i in report.errors] == [
        ("date-after-capture", 3, "published 2024-05-06 after its capture on 2024-05-05")
    ]


# Schema changes: a key changed is breaking; an enum that allows more is a loosening.

ARTICLES = table_schema("articles")


def _changed(edit: Any) -> list[tuple[str, str]]:
    new = copy.deepcopy(ARTICLES)
    edit(new)
    return [(c.kind, c.message) for c in table_changes("articles", ARTICLES, new)]


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def test_a_changed_primary_key_is_breaking() -> None:
    assert _changed(lambda s: s.update(primaryKey=["article_id", "source"])) == [
        ("breaking", "primary key ['article_id'] -> ['article_id', 'source']")
    ]


def test_an_enum_that_allows_more_is_minor_and_one_that_allows_less_is_breaking() -> None:
    def enum(values: list[str] | None) -> Any:
        def edit(schema: dict[str, Any]) -> None:
            constraints = _field(schema, "source")["constraints"]
            if values is None:
                constraints.pop("enum", None)
            else:
                constraints["enum"] = values

        return edit

    def from_enum(before: list[str], after: list[str] | None) -> list[tuple[str, str]]:
        old = copy.deepcopy(ARTICLES)
        enum(before)(old)
        new = copy.deepcopy(ARTICLES)
        enum(after)(new)
        return [(c.kind, c.message) for c in table_changes("articles", old, new)]

    assert from_enum(["KCNA"], ["KCNA", "Rodong Sinmun"]) == [
        ("minor", "field 'source' enum changed")
    ]
    assert from_enum(["KCNA", "Rodong Sinmun"], ["KCNA"]) == [
        ("breaking", "field 'source' enum changed")
    ]
    assert from_enum(["KCNA"], None) == [("minor", "field 'source' enum changed")]
    assert from_enum(["KCNA"], ["Rodong Sinmun"]) == [("breaking", "field 'source' enum changed")]


# SHA256SUMS: every file of the release listed, and written as `build` writes it.


def test_a_file_missing_from_sha256sums_is_reported(tmp_path: Path) -> None:
    result = build_release([Path(__file__).parent / "pages"], name="s", version="1.0.0",
                           out=tmp_path, created=CREATED, today=TODAY)  # fmt: skip
    sums = result.path / "SHA256SUMS"
    lines = sums.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.endswith("  data/articles.csv\n")]
    assert len(kept) == len(lines) - 1
    sums.write_text("".join(kept))
    report = validate([result.path], today=TODAY)
    assert [(i.code, i.message) for i in report.errors] == [
        ("checksum-missing", "data/articles.csv is not listed in SHA256SUMS")
    ]


def test_a_binary_mode_line_is_a_finding_and_its_digest_still_checked(tmp_path: Path) -> None:
    sums = tmp_path / "SHA256SUMS"
    digest = "0123456789abcdef" * 4
    sums.write_bytes(f"{digest}  a.csv\n{digest} *b.csv\n".encode())
    entries, bad = read_sha256sums(sums)
    assert entries == [(1, digest, "a.csv"), (2, digest, "b.csv")]
    assert bad == [(2, "a binary-mode marker ('*') before the name")]


# The language guess: the shares of a script and the sizes of the samples, the same on
# the Python path and the compiled one.


def _languages(text: str) -> set[str]:
    """The language of `text` by every path there is: the rule itself, and the compiled
    counter where it is built (the same answer, or the set has two members)."""
    found = {detect_language(text), rules.word_count_and_language(text)[1]}
    if FAST is not None:
        found.add(FAST.word_count_and_language(text)[1])
    return found


def test_a_tenth_of_kana_is_not_japanese_and_a_little_more_is() -> None:
    # 2 kana among 20 letters is a share of exactly 0.1: not more than the 0.1 that decides
    assert _languages("あい" + "b" * 18) == {"en"}
    # 2 among 19 is 0.105
    assert _languages("あい" + "b" * 17) == {"ja"}
    # Korean decides at more than 0.3: 3 of 10 is not, 3 of 9 is
    assert _languages("가나다" + "b" * 7) == {"en"}
    assert _languages("가나다" + "b" * 6) == {"ko"}


def test_the_script_is_read_from_the_first_600_characters() -> None:
    # Hangul as character 600 (index 599) is in the sample, and the only letter there
    assert _languages(" " * 599 + "가" + " the and of") == {"ko"}
    # as character 601 it is not: the sample has no letter, the words are English
    assert _languages(" " * 600 + "가" + " la la la le") == {"fr"}
    # three letters after it in the sample would make its share 1/4
    assert _languages(" " * 599 + "가bcd" + " the") == {"ko"}


def test_latin_words_are_case_folded_not_only_lower_cased() -> None:
    # "ſ" (long s) lower-cases to itself and case-folds to "s": "ſur" is French's "sur"
    assert _languages("ſur ſur ſur") == {"fr"}
    assert _languages("DER DIE DAS") == {"de"}  # ASCII: lower-cased


def test_the_latin_words_are_read_from_the_first_1500_characters() -> None:
    # the 1500th character ends " le": a French word; the German ones come after
    head = "q" * 1497 + " le"
    assert len(head) == 1500
    assert _languages(head + " der der") == {"fr"}
    # one character less and "le" is cut to "l"
    assert _languages("q" * 1498 + " le der der") == {"en"}


def test_the_word_count_counts_past_the_language_sample() -> None:
    body = "word " * 400 + "tail"  # 2,004 characters: 401 words
    assert rules.word_count_and_language(body) == (401, "en")
    cut = "x" * 1499 + "yz more"  # a word across the sample's end is one word
    assert rules.word_count_and_language(cut) == (2, "en")
    if FAST is not None:
        assert FAST.word_count_and_language(body)[0] == 401
        assert FAST.word_count_and_language(cut)[0] == 2


# What becomes null; what a table's language becomes.


def test_blank_optional_values_become_null_and_a_tables_language_lower_case(
    tmp_path: Path,
) -> None:
    table = tmp_path / "t.jsonl"
    item = {"title": "Item", "teaser": "  ", "date_published": "2024-05-04"}
    row = {"source": "KCNA", "title": "Blank fields", "date_published": "2024-05-05",
           "body": "Le texte de la page.", "byline": "   ", "url": " \t ", "language": "FR",
           "related": [item]}  # fmt: skip
    table.write_text(json.dumps(row) + "\n")
    result = build_release([table], name="n", version="1.0.0", out=tmp_path / "out",
                           created=CREATED, today=TODAY)  # fmt: skip
    import pyarrow.parquet as pq

    article = pq.read_table(result.path / "data/articles.parquet").to_pylist()[0]
    assert (article["byline"], article["url"], article["language"]) == (None, None, "fr")
    related = pq.read_table(result.path / "data/related.parquet").to_pylist()[0]
    assert (related["title"], related["teaser"]) == ("Item", None)


# Which capture validate keeps: the latest, then the smallest source_file (as build).


def test_validate_keeps_the_capture_build_keeps(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for name, captured in [("a.txt", "May 3, 2024"), ("b.txt", "May 5, 2024"),
                           ("c.txt", "May 5, 2024")]:  # fmt: skip
        (pages / name).write_text(_page("One story", captured, "02/05/2024"))
    report = validate([pages], today=TODAY)
    assert [(w.file, w.code, w.message) for w in report.warnings] == [
        ("a.txt", "duplicate-merged", "same article as b.txt (kept)"),
        ("c.txt", "duplicate-merged", "same article as b.txt (kept)"),
    ]
    result = build_release([pages], name="v", version="1.0.0", out=tmp_path / "out",
                           created=CREATED, today=TODAY)  # fmt: skip
    import pyarrow.parquet as pq

    kept = pq.read_table(result.path / "data/articles.parquet")["source_file"].to_pylist()
    assert kept == ["b.txt"]


# diff: a related item whose teaser changed is one removed and one added.


def test_a_related_items_changed_teaser_is_a_change(tmp_path: Path) -> None:
    releases = []
    for version, teaser in (("1.0.0", "The old teaser."), ("1.0.1", "The new teaser.")):
        table = tmp_path / f"{version}.jsonl"
        row = {"source": "KCNA", "title": "Story", "date_published": "2024-05-05",
               "body": "Text.", "related": [{"title": "Item", "teaser": teaser,
                                              "date_published": "2024-05-04"}]}  # fmt: skip
        table.write_text(json.dumps(row) + "\n")
        releases.append(
            build_release(
                [table],
                name="r",
                version=version,
                out=tmp_path / "out",
                created=CREATED,
                today=TODAY,
            ).path  # fmt: skip
        )
    diff = diff_releases(*releases)
    assert (len(diff.related_added), len(diff.related_removed)) == (1, 1)
    assert diff.related_added[0].title == diff.related_removed[0].title == "Item"


# The column-wise word count where the compiled counter is not built.


def test_the_arrow_word_count_is_the_rule_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    from packager.check import checker

    monkeypatch.setattr(checker, "FAST", None)
    bodies = pa.array(
        ["two words", "  lead and\ttrail  ", "line\nbreak\rand\x0bmore", "a\u00a0b", "x\u2003y",
         "", None, "single", "\x1c\x1dz", "non\u0085breaking"]
    )  # fmt: skip
    # worked out by hand with Python's str.split white space: \x0b, \x1c, \x1d, \x85,
    # U+00A0 and U+2003 split words
    expected = [2, 3, 4, 2, 2, 0, None, 1, 1, 2]
    assert checker._word_counts(bodies).to_pylist() == expected


def test_the_arrow_word_count_splits_where_python_does_at_every_character(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every code point between two letters: two words where str.isspace() takes it (29
    characters), one elsewhere."""
    import sys

    from packager.check import checker

    monkeypatch.setattr(checker, "FAST", None)
    points = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    counts = checker._word_counts(pa.array([f"a{chr(c)}b" for c in points])).to_pylist()
    splitting = [chr(c) for c, n in zip(points, counts, strict=True) if n == 2]
    assert len(splitting) == 29 and all(c.isspace() for c in splitting)
    assert set(counts) == {1, 2}


def test_a_table_removed_is_breaking_and_one_added_minor() -> None:
    from packager.release.schemadiff import schema_changes

    related = table_schema("related")
    changes = schema_changes({"articles": ARTICLES, "related": related}, {"articles": ARTICLES})
    assert [str(c) for c in changes] == ["related: table removed (breaking)"]
    changes = schema_changes({"articles": ARTICLES}, {"articles": ARTICLES, "related": related})
    assert [str(c) for c in changes] == ["related: table added (minor)"]


def test_sha256sums_lines_after_a_crlf_or_a_blank_line_are_still_read(tmp_path: Path) -> None:
    sums = tmp_path / "SHA256SUMS"
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    sums.write_bytes(f"{a}  a.csv\r\n\n{b}  b.csv\n{c}  c.csv\n".encode())
    entries, bad = read_sha256sums(sums)
    assert entries == [(1, a, "a.csv"), (3, b, "b.csv"), (4, c, "c.csv")]
    assert bad == [(1, "the line ends in CR LF, not LF"), (2, "a blank line")]


def test_whole_numbers_read_as_unix_times_at_the_edges_of_their_ranges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seconds from 10^8 up to 10^11, milliseconds from 10^11 up to 10^14, in UTC: 10^8 s
    is 1973-03-03 09:46:40 UTC (1157 days and 35,200 s), so 100,051,199 is that day's last
    second, which is the next day east of UTC."""
    import time

    from packager.contract.rules import epoch_reading

    monkeypatch.setenv("TZ", "KIT-14")  # POSIX for UTC+14: local time moves the day
    time.tzset()
    try:
        assert epoch_reading(10**8 - 1) is None
        assert epoch_reading(10**8) == ("seconds", dt.date(1973, 3, 3))
        assert epoch_reading(100_051_199) == ("seconds", dt.date(1973, 3, 3))
        assert epoch_reading(10**11) == ("milliseconds", dt.date(1973, 3, 3))
        assert epoch_reading(100_051_199_999) == ("milliseconds", dt.date(1973, 3, 3))
        assert epoch_reading(10**14) is None
    finally:
        monkeypatch.undo()
        time.tzset()
