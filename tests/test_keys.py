"""The key checks (`packager.check.keys`): found as sorted batches pass, or by one sort
when a batch comes out of order, the findings are the same as those of one sort over the
whole table; a sorted stream's keys are never held in memory."""

from __future__ import annotations

import gc
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import packager.check.validate as validate_module
from packager import BuildResult, validate
from packager.check.keys import ROW, Finding, Keys, duplicates

from .conftest import TODAY

RELATED = {
    "fields": [
        {"name": "article_id", "type": "string"},
        {"name": "position", "type": "integer"},
        {"name": "title", "type": "string"},
    ],
    "primaryKey": ["article_id", "position"],
    "foreignKeys": [
        {"fields": ["article_id"], "reference": {"resource": "articles", "fields": ["article_id"]}}
    ],
}
ARTICLES = {
    "fields": [{"name": "article_id", "type": "string", "constraints": {"unique": True}}],
    "primaryKey": ["article_id"],
}


def _batches(rows: list[tuple[Any, Any]], cuts: list[int], start: int = 2) -> list[pa.Table]:
    """Rows (article_id, position) as key tables, cut at `cuts`, numbered from `start`."""
    table = pa.table(
        {
            "article_id": pa.array([r[0] for r in rows], pa.string()),
            "position": pa.array([r[1] for r in rows], pa.int64()),
            ROW: pa.array(range(start, len(rows) + start), pa.int32()),
        }
    )
    bounds = sorted({0, len(rows), *(c % (len(rows) + 1) for c in cuts)})
    return [table.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]


def _expected(rows: list[tuple[Any, Any]], referenced: list[str]) -> list[Finding]:
    """What one sort over the whole table finds (the reference)."""
    whole = pa.concat_tables(_batches(rows, [])) if rows else None
    out: list[Finding] = []
    if whole is None:
        return out
    nulls = pc.and_(pc.is_null(whole["article_id"]), pc.is_null(whole["position"]))
    out += [Finding("primary-null", 0, r) for r in whole.filter(nulls)[ROW].to_pylist()]
    out += [Finding("primary", 0, r, f) for r, f in duplicates(whole, ["article_id", "position"])]
    values = pa.array(referenced, pa.string())
    present = whole.filter(pc.is_valid(whole["article_id"]))
    missing = present.filter(pc.invert(pc.is_in(present["article_id"], value_set=values)))
    out += [
        Finding("foreign", 0, r, v)
        for v, r in zip(missing["article_id"].to_pylist(), missing[ROW].to_pylist(), strict=True)
    ]
    return out


def _articles(ids: list[str]) -> Keys:
    keys = Keys(ARTICLES, {})
    keys.add(pa.table({"article_id": pa.array(ids, pa.string()), ROW: pa.array(
        range(2, len(ids) + 2), pa.int32())}))  # fmt: skip
    list(keys.finish())
    return keys


ids = st.sampled_from(["a1", "a2", "b7", "c0", "é9", None])
rows = st.lists(st.tuples(ids, st.one_of(st.none(), st.integers(1, 4))), max_size=40)


@settings(max_examples=300, deadline=None)
@given(rows, st.booleans(), st.lists(st.integers(0, 40), max_size=6), st.booleans())
def test_findings_equal_one_sort_over_the_whole_table(
    found: list[tuple[Any, Any]], in_order: bool, cuts: list[int], referenced_first: bool
) -> None:
    if in_order:  # as a release holds them: sorted, nulls anywhere
        found = sorted(found, key=lambda r: (r[0] or "", r[1] or 0))
    referenced = ["a1", "b7", "é9"]
    articles = _articles(referenced)
    keys = Keys(RELATED, {"articles": articles if referenced_first else None})
    for batch in _batches(found, cuts):
        keys.add(batch)
    if not referenced_first:  # the referenced table is given only at the end
        keys._lookups = {"articles": articles}
    assert list(keys.finish()) == _expected(found, referenced)


def test_keys_wait_on_disk_until_the_table_ends_even_after_a_break(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A table's keys are read back into memory once, when it ends: not while its batches
    # (and those of the formats read beside it) are still being read.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows = [(f"{n:04d}", p) for n in range(50) for p in (1, 2)]
    keys = Keys(RELATED, {"articles": _articles([f"{n:04d}" for n in range(50)])})
    for batch in _batches(rows, [10, 30, 60]):
        keys.add(batch)
    assert keys.held() == 0  # every key spilled: memory holds a batch
    keys.add(_batches([("0003", 2)], [], start=102)[0])  # out of order: repeats row 9
    assert keys.held() == 0
    assert [p.name[:14] for p in tmp_path.iterdir()] == ["packager-keys-"]
    assert list(keys.finish()) == [Finding("primary", 0, 102, 9)]
    assert keys.held() == len(rows) + 1
    assert list(tmp_path.iterdir()) == []  # the spill file is gone once read


def test_a_spill_let_go_unread_removes_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    keys = Keys(RELATED, {"articles": None})
    keys.add(_batches([("a1", 1), ("a1", 2)], [])[0])
    assert len(list(tmp_path.iterdir())) == 1
    del keys  # a check stopped early (--max-errors)
    gc.collect()
    assert list(tmp_path.iterdir()) == []


def test_unique_field_repeats_across_batches_name_their_first_row() -> None:
    keys = Keys(ARTICLES, {})
    table = pa.table({"article_id": ["x", "x", "y", "y", "y"], ROW: pa.array(
        [2, 3, 4, 5, 6], pa.int32())})  # fmt: skip
    for k in range(5):
        keys.add(table.slice(k, 1))
    assert list(keys.finish()) == [
        Finding("unique", 0, 3, 2),
        Finding("unique", 0, 5, 4),
        Finding("unique", 0, 6, 4),
        Finding("primary", 0, 3, 2),
        Finding("primary", 0, 5, 4),
        Finding("primary", 0, 6, 4),
    ]


def test_a_referenced_tables_keys_are_sorted_and_let_go_before_the_next_table(
    example_release: BuildResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The related rows look their article_ids up in the articles' sorted ids: those are
    # made when the articles are done, and the articles' keys let go, before the related
    # files are opened (not beside the batches they are read in).
    seen: dict[str, tuple[int, list[str]]] = {}
    check_table = validate_module._check_table

    def watched(table: str, entries: Any, out: Any, contract: Any, lookups: Any) -> int:
        articles = lookups.get("articles")
        if articles is not None:
            seen[table] = (articles.held(), sorted(articles._values))
        return check_table(table, entries, out, contract, lookups)

    monkeypatch.setattr(validate_module, "_check_table", watched)
    assert validate([example_release.path], today=TODAY).valid
    assert seen == {"related": (0, ["article_id"]), "revisions": (0, ["article_id"])}
