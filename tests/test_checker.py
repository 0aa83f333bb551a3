"""The checker (`packager.check.checker`) against the reference: `frictionless validate`
on the same files.

Each file in tests/tables/ is generated from one valid article table and breaks one rule;
packager must report exactly the (row, field, code) set frictionless reports, and the
contract's own problems on top.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import frictionless
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packager import BuildResult
from packager.check.checker import (
    _BLANK,
    Collector,
    TableChecker,
    _derived_ids,
    _frictionless_int,
    _typed,
    longer_than,
    shorter_than,
)
from packager.contract import rules
from packager.contract.schema import arrow_schema, table_schema
from packager.release.read import read_csv

from .conftest import TODAY
from .table_check import check_table_schema

Rows = list[list[str]]


def _base(example_release: BuildResult) -> Rows:
    with (example_release.path / "data/articles.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _set(rows: Rows, row: int, field: str, value: str) -> Rows:
    rows[row - 1][rows[0].index(field)] = value  # `row` counts the header as row 1
    return rows


BREAKS: dict[str, Callable[[Rows], object]] = {
    "bad-date": lambda r: _set(r, 3, "date_published", "2025-13-01"),
    "bad-integer": lambda r: _set(r, 4, "word_count", "12.5"),
    "duplicate-id": lambda r: _set(r, 5, "article_id", r[2][0]),
    "missing-title": lambda r: _set(r, 3, "title", ""),
    "too-long-byline": lambda r: _set(r, 3, "byline", "x" * 250),
    "bad-id-pattern": lambda r: _set(r, 6, "article_id", "XYZ"),
    "negative-word-count": lambda r: _set(r, 3, "word_count", "-1"),
    "short-row": lambda r: r.__setitem__(2, r[2][:-2]),
    "long-row": lambda r: r[3].append("extra"),
    "blank-row": lambda r: r.insert(3, [""] * len(r[0])),
    "empty-id": lambda r: _set(r, 4, "article_id", ""),
    "loose-integer": lambda r: _set(r, 3, "word_count", "+5"),
    "unpadded-date": lambda r: _set(r, 3, "date_captured", "2026-1-5"),
    "two-problems-one-row": lambda r: (_set(r, 7, "title", ""), _set(r, 7, "date_published", "x")),
}


def _write(rows: Rows, path: Path) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _frictionless(path: Path) -> set[tuple[Any, ...]]:
    schema = {k: v for k, v in table_schema("articles").items() if k != "$schema"}
    resource = frictionless.Resource(
        path=path.name,
        basepath=str(path.parent),
        schema=frictionless.Schema.from_descriptor(schema),
    )
    report = resource.validate()
    errors = [e for task in report.to_descriptor()["tasks"] for e in task["errors"]]
    return {(e.get("rowNumber"), e.get("fieldName"), e["type"]) for e in errors}


SCHEMA_CODES = {
    "type-error",
    "constraint-error",
    "unique-error",
    "primary-key",
    "missing-cell",
    "extra-cell",
    "blank-row",
    "missing-label",
    "extra-label",
}


def _packager(path: Path) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    report = check_table_schema(path, today=TODAY)
    schema = {(i.row, i.field, i.code) for i in report.issues if i.code in SCHEMA_CODES}
    contract = {(i.row, i.field, i.code) for i in report.issues if i.code not in SCHEMA_CODES}
    return schema, contract


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_packager_reports_what_frictionless_reports(
    name: str, example_release: BuildResult, tmp_path: Path
) -> None:
    rows = _base(example_release)
    BREAKS[name](rows)
    path = _write(rows, tmp_path / f"{name}.csv")
    expected = _frictionless(path)
    schema_issues, _ = _packager(path)
    assert schema_issues == expected
    if name not in ("loose-integer", "unpadded-date"):
        assert expected, "the broken file should be invalid"


def test_the_valid_table_is_valid_for_both(example_release: BuildResult, tmp_path: Path) -> None:
    path = _write(_base(example_release), tmp_path / "articles.csv")
    assert _frictionless(path) == set()
    assert check_table_schema(path, today=TODAY).issues == []


CONTRACT_BREAKS: dict[str, tuple[Callable[[Rows], object], set[tuple[Any, ...]]]] = {
    "word-count": (
        lambda r: _set(r, 3, "word_count", "3"),
        {(3, "word_count", "word-count-mismatch")},
    ),
    "article-id": (
        lambda r: _set(r, 4, "article_id", "0" * 16),
        {(4, "article_id", "article-id-mismatch")},
    ),
    "after-capture": (
        lambda r: _set(r, 5, "date_captured", "2000-01-01"),
        {(5, "date_published", "date-after-capture")},
    ),
    "future": (
        lambda r: (_set(r, 6, "date_published", "2030-01-01"), _set(r, 6, "date_captured", "")),
        {(6, "date_published", "date-in-future"), (6, "article_id", "article-id-mismatch")},
    ),
    "blank-body": (
        lambda r: (_set(r, 3, "body", "   "), _set(r, 3, "word_count", "0")),
        {(3, "body", "empty-body")},
    ),
    "byline": (lambda r: _set(r, 3, "byline", "Written by us."), {(3, "byline", "bad-byline")}),
    # the last letter not ASCII's: Python judges those rows (a letter, so a byline)
    "byline-letter": (lambda r: _set(r, 3, "byline", "By Kim Chŏl"), set()),
    "byline-not-letter": (
        lambda r: _set(r, 3, "byline", "By Kim Chŏl…"),
        {(3, "byline", "bad-byline")},
    ),
}


@pytest.mark.parametrize("name", sorted(CONTRACT_BREAKS))
def test_contract_rules_are_reported_too(
    name: str, example_release: BuildResult, tmp_path: Path
) -> None:
    rows = _base(example_release)
    change, expected = CONTRACT_BREAKS[name]
    change(rows)
    path = _write(rows, tmp_path / f"{name}.csv")
    schema_issues, contract = _packager(path)
    assert schema_issues == _frictionless(path) == set()
    assert contract == expected


@pytest.mark.parametrize(
    ("cell", "found"),
    [
        ('"ffffffffffffffff"', {(5, None, "foreign-key")}),  # dangling
        ("", {(5, "article_id", "constraint-error")}),  # null: required, but not dangling
    ],
)
def test_foreign_keys_match_frictionless(
    example_release: BuildResult, tmp_path: Path, cell: str, found: set[tuple[Any, ...]]
) -> None:
    release = tmp_path / "release"
    release.mkdir()
    for name in ("articles", "related"):
        (release / f"{name}.csv").write_bytes(
            (example_release.path / f"data/{name}.csv").read_bytes()
        )
    lines = (release / "related.csv").read_text().splitlines(keepends=True)
    lines[4] = cell + lines[4][lines[4].index(",") :]
    (release / "related.csv").write_text("".join(lines))
    schemas = {
        t: {k: v for k, v in table_schema(t).items() if k != "$schema"}
        for t in ("articles", "related")
    }
    package = frictionless.Package(
        {"resources": [{"name": t, "path": f"{t}.csv", "schema": schemas[t]} for t in schemas]},
        basepath=str(release),
    )
    expected = {
        (e.get("rowNumber"), e.get("fieldName"), e["type"])
        for task in package.validate().to_descriptor()["tasks"]
        for e in task["errors"]
    }
    out = Collector()
    articles = TableChecker(schemas["articles"], "articles.csv", out)
    related = TableChecker(
        schemas["related"], "related.csv", out, lookups={"articles": articles.keys}
    )
    for checker, name in ((articles, "articles"), (related, "related")):
        table = read_csv(release / f"{name}.csv", arrow_schema(name)).cast(
            pa.schema([(n, pa.string()) for n in schemas[name] and arrow_schema(name).names])
        )
        checker.check(
            table.combine_chunks().to_batches()[0],
            pa.array(range(2, table.num_rows + 2), pa.int64()),
        )
    articles.finish()
    related.finish()
    assert {(i.row, i.field, i.code) for i in out.issues} == expected == found


def test_problems_in_every_batch_are_all_reported_with_their_rows(
    example_release: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import packager.inputs.tables

    monkeypatch.setattr(packager.inputs.tables, "BLOCK_SIZE", 4096)  # a few rows per batch
    base = _base(example_release)
    rows = [base[0]] + [list(r) for _ in range(30) for r in base[1:]]
    for number in range(2, len(rows) + 1):
        _set(rows, number, "article_id", f"{number:016x}")
        _set(
            rows,
            number,
            "word_count",
            "x" if number % 7 == 0 else rows[number - 1][rows[0].index("word_count")],
        )
    path = _write(rows, tmp_path / "many.csv")
    report = check_table_schema(path, today=TODAY)
    type_errors = sorted(i.row or 0 for i in report.issues if i.code == "type-error")
    assert type_errors == [n for n in range(2, len(rows) + 1) if n % 7 == 0]
    assert type_errors == sorted(r for r, _, c in _frictionless(path) if c == "type-error")
    limited = check_table_schema(path, today=TODAY, max_errors=5)
    assert len(limited.errors) == 5 and limited.stats["truncated"]


def test_json_lines_and_parquet_inputs_with_a_column_map(
    example_release: BuildResult, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(example_release.path / "data/articles.parquet")
    other = table.drop_columns(["article_id", "word_count", "language"]).rename_columns(
        [
            "publication" if n == "source" else n
            for n in table.drop_columns(["article_id", "word_count", "language"]).column_names
        ]
    )
    pq.write_table(other, tmp_path / "scraped.parquet")
    with (tmp_path / "scraped.jsonl").open("w") as f:
        for row in other.to_pylist():
            f.write(json.dumps(row, default=str) + "\n")
    for path in (tmp_path / "scraped.parquet", tmp_path / "scraped.jsonl"):
        unmapped = check_table_schema(path, today=TODAY)
        assert ("missing-label", "source") in {(i.code, i.field) for i in unmapped.issues}
        mapped = check_table_schema(path, today=TODAY, mapping={"source": "publication"})
        assert mapped.issues == [], mapped.issues


_SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*_SPACES, "a", "\u200b", "é", "\x00"]), max_size=12))
def test_the_blank_body_test_agrees_with_str_strip(text: str) -> None:
    """The column-wise test for a body of white space alone flags what `not body.strip()`
    does (a row it flags is judged again in Python; one it misses is an error missed)."""
    found = pc.match_substring_regex(pa.array([text]), _BLANK)[0].as_py()
    assert found == (not text.strip())


def test_the_blank_body_test_knows_every_white_space_character_python_does() -> None:
    every = pa.array([chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000])
    flagged = pc.match_substring_regex(every, _BLANK).to_pylist()
    assert [c for c, f in zip(every.to_pylist(), flagged, strict=True) if f] == _SPACES


# Texts of characters of every UTF-8 length (1 to 4 bytes), and nulls, as a column.
_TEXT = st.text(alphabet=st.sampled_from(["a", "é", "한", "😀"]), max_size=14)
_TEXTS = st.lists(st.one_of(st.none(), _TEXT, st.text(alphabet="😀", max_size=14)), max_size=6)


@settings(max_examples=500, deadline=None)
@given(_TEXTS, st.integers(0, 12))
def test_the_length_constraints_count_characters(texts: list[str | None], bound: int) -> None:
    """minLength and maxLength judged from byte lengths where those decide: the same rows
    as a count of every text's characters."""
    for column in [texts, *([t] for t in texts)]:  # the rows together, and each alone
        assert shorter_than(pa.array(column, pa.string()), bound).to_pylist() == [
            None if t is None else len(t) < bound for t in column
        ]
        assert longer_than(pa.array(column, pa.string()), bound).to_pylist() == [
            None if t is None else len(t) > bound for t in column
        ]


# Sources and titles of printable ASCII with runs of spaces (the rows derived column-wise)
# or with every kind of white space Python's str.split() knows (the ASCII ones, \x1c-\x1f
# among them, and others) and characters NFKC or casefold change.
_ID_TEXT = st.one_of(
    st.lists(st.sampled_from(["a", "B", " ", "  ", "~"]), min_size=1, max_size=8),
    st.lists(
        st.sampled_from(["a", "B", " ", *_SPACES[:12], "\u3000", "é", "ß", "Ⅻ"]),
        min_size=1,
        max_size=8,
    ),
).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_ID_TEXT, _ID_TEXT, st.dates()), min_size=1, max_size=5))
def test_the_derived_ids_are_the_contracts(rows: list[tuple[str, str, dt.date]]) -> None:
    """The article_ids validate derives, column-wise where it can, are `rules.article_id`'s
    (an id it gets wrong is a correct release reported as broken)."""
    sources, titles, days = zip(*rows, strict=True)
    batch = pa.record_batch(
        {"source": list(sources), "title": list(titles), "date_published": list(days)}
    )
    expected = [rules.article_id(s, d, t) for s, t, d in rows]
    assert _derived_ids(batch).to_pylist() == expected


# Cells near an integer's or a date's shape: days, numbers of any size, signs, spaces,
# other digits and separators.
_CELLS = st.one_of(
    st.none(),
    st.dates().map(dt.date.isoformat),
    st.integers(-(10**20), 10**20).map(str),
    st.text(alphabet="0123456789-+ x_", max_size=11),
    st.sampled_from(
        ["0x10", "\u0663", "1_000", " 5", "-7", "2024-1-5", "2024-02-30", "2025-13-01"]
    ),
    st.sampled_from(["0000-01-01", "0001-01-01", "2023-02-29", "2024-00-10", "9999-12-31"]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_CELLS, max_size=8), st.sampled_from(["integer", "date"]))
def test_a_column_is_typed_as_its_cells_are_read_one_by_one(
    cells: list[str | None], kind: str
) -> None:
    """A CSV column typed column-wise where it can be (a column of dates at once, short
    runs of digits by Arrow's cast) holds what frictionless's reading of each cell gives,
    and the cells it cannot read are the type errors."""
    read = {"integer": _frictionless_int, "date": rules.parse_iso_date}[kind]
    expected = [None if cell is None else read(cell) for cell in cells]
    column, bad = _typed(pa.array(cells, pa.string()), kind)
    assert column.to_pylist() == expected
    assert bad == [i for i, cell in enumerate(cells) if cell is not None and expected[i] is None]
