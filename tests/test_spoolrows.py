"""The spool's buffer in C (packager/_spoolrows.c) gives pyarrow's own batches.

`SpoolWriter` buffers rows in `_ColumnRows` where the C buffer is built and in
`_TupleRows` (pyarrow converting Python values) where it is not. Both must spool the same
rows in the same buckets, value for value; the C buffer must refuse what pyarrow refuses
and take back a row it could not add whole."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packager import collect
from packager.collect import Buckets, Spool, SpoolWriter
from packager.limits import DEFAULT_LIMITS
from packager.parse.pagedump import RawPage, read_page
from packager.parse.rejection import Rejection

from .conftest import TODAY, skip_unless_c_builds

ROWS = collect._spoolrows
needs_rows = pytest.mark.skipif(
    ROWS is None, reason="the compiled spool buffer is not built here (no C compiler at install)"
)


def test_the_spool_buffer_is_built_where_a_compiler_is() -> None:
    skip_unless_c_builds("pyarrow's conversion only")
    assert ROWS is not None, "a C compiler is here, but packager._spoolrows was not built"


def _pages(folder: Path, count: int, seed: int) -> list[RawPage]:
    from bench.corpus import write_corpus

    write_corpus(folder, count, seed=seed)
    pages = []
    for path in sorted(folder.rglob("*.txt")):
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        try:
            pages.append(read_page(data, path.name, TODAY, DEFAULT_LIMITS, sha))
        except Rejection:
            continue
    return pages


SPREAD = Buckets(related=7, month_parts=2)  # more buckets than a small build has


def _spooled(
    folder: Path,
    pages: list[RawPage],
    buffer: type,
    flush_rows: int | None,
    buckets: Buckets = SPREAD,
) -> dict[tuple[str, Any], pa.Table]:
    """Every bucket of every table, as `pages` spooled by a writer using `buffer`."""
    spool = Spool(folder)
    original = collect._buffer
    collect._buffer = buffer  # type: ignore[assignment]
    try:
        writer = SpoolWriter(folder, "w", buckets, flush_rows)
        for i, page in enumerate(pages):
            writer.add(i << 32, page)
        spool.extend(writer.close())
    finally:
        collect._buffer = original
    return {
        (table, bucket): spool.read(table, bucket)
        for table in ("articles", "related")
        for bucket in spool.buckets(table)
    }


@needs_rows
@pytest.mark.parametrize("flush_rows", [None, 500])
def test_c_and_pyarrow_spool_the_same_rows(tmp_path: Path, flush_rows: int | None) -> None:
    pages = _pages(tmp_path / "pages", 400, seed=5)
    assert len(pages) > 350
    # Values the parser rarely gives, so that each kind's nulls and limits are spooled too.
    pages.append(
        RawPage(
            (
                "ffff000011112222",
                "KCNA",
                "Ünïcödé 조선",
                dt.date(1, 1, 1),
                None,
                None,
                "",
                -(2**63),
                None,
                None,
                "x.txt",
                None,
            ),
            [("ffff000011112222", 2**63 - 1, None, "", dt.date(9999, 12, 31))],
            [],
        )
    )
    c = _spooled(tmp_path / "c", pages, collect._ColumnRows, flush_rows)
    python = _spooled(tmp_path / "py", pages, collect._TupleRows, flush_rows)
    assert c.keys() == python.keys()
    assert sum(table.num_rows for table in c.values()) == len(pages) + sum(
        len(page.related) for page in pages
    )
    for key, table in c.items():
        assert table.equals(python[key]), key


@needs_rows
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.text(),
            st.none() | st.integers(-(2**63), 2**63 - 1),
            st.none() | st.dates(),
        ),
        max_size=40,
    )
)
def test_any_values_make_pyarrows_columns(rows: list[tuple[Any, Any, Any]]) -> None:
    rows = [row for row in rows if not _surrogates(row[0])]
    built = ROWS.Rows("sqdq")
    for i, row in enumerate(rows):
        built.append(row, i)
    schema = pa.schema(
        [("s", pa.string()), ("q", pa.int64()), ("d", pa.date32()), ("p", pa.int64())]
    )
    columns = [[row[k] for row in rows] for k in range(3)] + [list(range(len(rows)))]
    expected = pa.table(
        [pa.array(column, f.type) for column, f in zip(columns, schema, strict=True)],
        schema=schema,
    )
    buffer = collect._ColumnRows(schema)
    buffer._buckets[0] = built
    ((bucket, batch),) = buffer.take_batches()
    batch.validate(full=True)
    assert pa.Table.from_batches([batch]).equals(expected)


def _surrogates(text: str | None) -> bool:
    return text is not None and any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@needs_rows
@pytest.mark.parametrize(
    "bad",
    [
        (1, 1, None),  # an int where a string goes
        ("a", "1", None),  # a string where an int goes
        ("a", 1, dt.datetime(2020, 1, 1)),  # a datetime is not a date
        ("a", 2**63, None),  # past int64
        ("\ud800", 1, None),  # a lone surrogate: no UTF-8
    ],
)
def test_a_bad_row_is_refused_and_taken_back(bad: tuple[Any, ...]) -> None:
    rows = ROWS.Rows("sqdq")
    rows.append(("kept", None, dt.date(2020, 2, 29)), 1)
    with pytest.raises((TypeError, OverflowError, UnicodeEncodeError)):
        rows.append(bad, 2)
    with pytest.raises((TypeError, OverflowError, UnicodeEncodeError)):
        rows.extend([("fine", 3, None), bad], 3)  # all the rows or none
    rows.append(("after", 4, None), 5)
    assert len(rows) == 2
    schema = pa.schema(
        [("s", pa.string()), ("q", pa.int64()), ("d", pa.date32()), ("p", pa.int64())]
    )
    buffer = collect._ColumnRows(schema)
    buffer._buckets[0] = rows
    ((_, batch),) = buffer.take_batches()
    batch.validate(full=True)
    assert batch.to_pylist() == [
        {"s": "kept", "q": None, "d": dt.date(2020, 2, 29), "p": 1},
        {"s": "after", "q": 4, "d": None, "p": 5},
    ]


@needs_rows
def test_a_full_bucket_is_written_before_the_row_that_would_overflow_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = _pages(tmp_path / "pages", 60, seed=9)
    one = Buckets(related=1)  # every related row in one bucket
    expected = _spooled(tmp_path / "whole", pages, collect._ColumnRows, None, one)
    # 20,000 bytes a string column of a bucket stand for Arrow's 2 GiB.
    monkeypatch.setattr(collect._ColumnRows, "max_bytes", 20_000)
    cut = _spooled(tmp_path / "cut", pages, collect._ColumnRows, None, one)
    assert len(list((tmp_path / "cut").glob("*-related-*.arrows"))) > 2  # written as it filled
    assert len(list((tmp_path / "whole").glob("*-related-*.arrows"))) == 1
    assert cut.keys() == expected.keys()
    for key, table in cut.items():
        assert table.equals(expected[key]), key
