"""A tampered release fails `packager validate` with the code that names the tampering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager import BuildResult, validate
from packager.check.checker import TableChecker
from packager.inputs import tables

from .conftest import TODAY


@pytest.fixture
def copy(example_release: BuildResult, tmp_path: Path) -> Path:
    target = tmp_path / "release"
    shutil.copytree(example_release.path, target)
    return target


def _found(release: Path) -> set[tuple[str | None, str]]:
    report = validate([release], today=TODAY)
    assert not report.valid
    return {(i.file, i.code) for i in report.issues}


def test_the_untouched_release_is_valid(copy: Path) -> None:
    report = validate([copy], today=TODAY)
    assert report.issues == []
    assert report.stats["rows"] == 2 * (14 + 33)  # every row of both formats was read


def test_one_byte_changed_in_a_parquet_file(copy: Path) -> None:
    path = copy / "data/related.parquet"
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    found = _found(copy)
    assert ("data/related.parquet", "hash-count") in found
    assert ("SHA256SUMS", "hash-count") in found


def test_a_row_deleted_from_a_csv(copy: Path) -> None:
    path = copy / "data/related.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:5] + lines[6:]))
    found = _found(copy)
    assert {("data/related.csv", "hash-count"), ("data/related.csv", "byte-count")} <= found
    assert ("data/related.csv", "table-mismatch") in found or (
        "data/related.parquet",
        "table-mismatch",
    ) in found


def test_a_row_edited_consistently_is_still_caught(copy: Path) -> None:
    """Even with the checksums redone, the CSV and Parquet files no longer agree."""
    from packager.release.checksums import sha256_file, write_sha256sums

    path = copy / "data/articles.csv"
    path.write_text(path.read_text().replace("Spring sowing begins", "Autumn sowing begins"))
    descriptor = json.loads((copy / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        if resource["path"] == "data/articles.csv":
            resource["bytes"] = path.stat().st_size
            resource["hash"] = f"sha256:{sha256_file(path)}"
    (copy / "datapackage.json").write_text(json.dumps(descriptor))
    names = [
        p.relative_to(copy).as_posix()
        for p in copy.rglob("*")
        if p.is_file() and p.name != "SHA256SUMS"
    ]
    write_sha256sums(copy, names)
    found = _found(copy)
    assert ("data/articles.parquet", "table-mismatch") in found
    assert ("data/articles.csv", "article-id-mismatch") in found


@pytest.mark.parametrize(
    "path", ["../outside.csv", "/etc/passwd", "https://example.org/a.csv", "data/../../x.csv"]
)
def test_a_resource_path_leaving_the_release_is_refused_unopened(copy: Path, path: str) -> None:
    descriptor = json.loads((copy / "datapackage.json").read_text())
    descriptor["resources"][0]["path"] = path
    (copy / "datapackage.json").write_text(json.dumps(descriptor))
    assert ("datapackage.json", "unsafe-path") in _found(copy)


def test_a_symlink_out_of_the_release_is_refused(copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_bytes((copy / "data/articles.csv").read_bytes())
    (copy / "data/articles.csv").unlink()
    (copy / "data/articles.csv").symlink_to(outside)
    assert ("datapackage.json", "unsafe-path") in _found(copy)


def test_a_linked_sha256sums_is_never_read(copy: Path, tmp_path: Path) -> None:
    # A secret beside the release, SHA256SUMS a link to it: the link is an error, and
    # nothing of the file reaches the report.
    secret = tmp_path / "secrets.env"
    secret.write_text("API_TOKEN=s3cr3t-value-never-to-print\n")
    (copy / "SHA256SUMS").unlink()
    (copy / "SHA256SUMS").symlink_to(secret)
    report = validate([copy], today=TODAY)
    assert ("SHA256SUMS", "unsafe-entry") in {(i.file, i.code) for i in report.issues}
    assert "s3cr3t" not in report.model_dump_json()


def test_links_pipes_and_linked_folders_in_a_release_are_errors(copy: Path, tmp_path: Path) -> None:
    import os

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "notes.txt").write_text("PASSWORD=hunter2\n")
    (copy / "more").symlink_to(outside, target_is_directory=True)
    os.mkfifo(copy / "data" / "pipe")  # opening it would wait for a writer forever
    (copy / "README.md").unlink()
    (copy / "README.md").symlink_to(outside / "notes.txt")
    report = validate([copy], today=TODAY)
    found = {(i.file, i.code) for i in report.issues}
    assert {("more", "unsafe-entry"), ("data/pipe", "unsafe-entry")} <= found
    assert ("README.md", "unsafe-entry") in found
    assert "hunter2" not in report.model_dump_json()
    assert report.stats["rows"] == 2 * (14 + 33)  # the tables are still checked


@pytest.mark.parametrize(
    "line",
    [b"\xff\xfe not text", b"API_TOKEN=abc", b"0" * 64 + b"  ../../etc/passwd"],
)
def test_a_bad_sha256sums_line_is_an_issue_at_its_line(copy: Path, line: bytes) -> None:
    sums = copy / "SHA256SUMS"
    sums.write_bytes(sums.read_bytes() + line + b"\n")
    report = validate([copy], today=TODAY)
    last = len(sums.read_bytes().splitlines())
    at_line = {(i.code, i.line) for i in report.issues if i.file == "SHA256SUMS"}
    assert at_line & {("checksum-format", last), ("unsafe-path", last)}
    assert "abc" not in report.model_dump_json()


@pytest.mark.parametrize("text", ["{not json", "[]", '{"resources": 5}', "[" * 100_000])
def test_a_malformed_descriptor_is_a_package_error(copy: Path, text: str) -> None:
    (copy / "datapackage.json").write_text(text)
    assert ("datapackage.json", "package-error") in _found(copy)


def test_an_enormous_descriptor_is_refused_unread(copy: Path) -> None:
    from packager.release.descriptor import MAX_DESCRIPTOR_BYTES

    with (copy / "datapackage.json").open("w") as handle:
        handle.write('{"resources": [], "padding": "')
        handle.write("x" * MAX_DESCRIPTOR_BYTES)
        handle.write('"}')
    report = validate([copy], today=TODAY)
    [issue] = [i for i in report.issues if i.code == "package-error"]
    assert "over the limit" in issue.message


# Values that break the articles Table Schema (and some the contract), set in a row of
# one format or of both; "csv-text" and "parquet-text" put a date that is not one in one
# format's date_published (as text: the Parquet column then holds text) and null in the
# other's, so that their typed rows are equal and one has a cell of the wrong type.
_BREAKS: dict[str, list[Any]] = {
    "title": [None, ""],
    "language": ["xyz", "E"],
    "byline": ["x" * 201],
    "word_count": [-1],
    "article_id": ["zz", None],
    "source_sha256": ["0" * 63],
}
_ROW, _NAME, _WHICH = st.integers(0, 13), st.sampled_from(sorted(_BREAKS)), st.integers(0, 1)
# Edits that keep the formats' typed rows equal, and at most one that does not.
_EDITS = st.tuples(
    st.lists(
        st.tuples(
            _ROW, _NAME, _WHICH, st.sampled_from(["both", "blank", "csv-text", "parquet-text"])
        ),
        max_size=4,
    ),
    st.lists(st.tuples(_ROW, _NAME, _WHICH, st.sampled_from(["csv", "parquet"])), max_size=1),
).map(lambda edits: edits[0] + edits[1])


def _rewrite(release: Path, edits: list[tuple[int, str, int, str]]) -> None:
    """Rewrite the release's articles in both formats, each edit in the format(s) it
    names ("blank": the row emptied in both)."""
    table = pq.read_table(release / "data/articles.parquet")
    rows: dict[str, list[dict[str, Any]]] = {"csv": table.to_pylist(), "parquet": table.to_pylist()}
    text_dates = False
    for row, name, which, where in edits:
        values = _BREAKS[name]
        if where.endswith("-text"):
            text, null = ("csv", "parquet") if where == "csv-text" else ("parquet", "csv")
            rows[text][row]["date_published"] = "not a date"
            rows[null][row]["date_published"] = None
            text_dates = text_dates or text == "parquet"
            continue
        for fmt in ("csv", "parquet") if where in ("both", "blank") else (where,):
            if where == "blank":
                rows[fmt][row] = dict.fromkeys(rows[fmt][row])
            else:
                rows[fmt][row][name] = values[which % len(values)]
    nullable = [f.with_nullable(True) for f in table.schema]
    as_text = pa.schema([f.with_type(pa.string()) for f in nullable])
    dates = pa.schema(
        [f.with_type(pa.string()) if f.name == "date_published" and text_dates else f
         for f in nullable]
    )  # fmt: skip
    parquet = [{k: _text(v) if k == "date_published" and text_dates else v
                for k, v in row.items()} for row in rows["parquet"]]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(parquet, dates), release / "data/articles.parquet")
    csv_rows = [{k: _text(v) for k, v in row.items()} for row in rows["csv"]]
    pacsv.write_csv(pa.Table.from_pylist(csv_rows, as_text), release / "data/articles.csv")


def _text(value: object) -> str | None:
    return (
        None if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    _EDITS,
    st.sampled_from([600, 2_000, 9_000, 1 << 20]),
    st.sampled_from([500, 3_000, 1 << 20]),
)
def test_the_second_formats_findings_are_found_or_taken_alike(
    copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    edits: list[tuple[int, str, int, str]],
    block: int,
    parquet_bytes: int,
) -> None:
    """Where a batch of a release's second format equals the first's, its findings are
    the first's, reported under its name, not found again: the same report, issue for
    issue and in order, as when every batch of both is checked, whatever the batches'
    sizes and whether the formats agree."""
    release = copy.parent / "edited"
    shutil.rmtree(release, ignore_errors=True)
    shutil.copytree(copy, release)
    _rewrite(release, edits)
    monkeypatch.setattr(tables, "BLOCK_SIZE", block)
    monkeypatch.setattr(tables, "PARQUET_BATCH_BYTES", parquet_bytes)
    taken = validate([release], today=TODAY)
    with monkeypatch.context() as patch:  # undone for hypothesis's next example
        patch.setattr(TableChecker, "typed", _never_equal)  # every batch checked
        found = validate([release], today=TODAY)
    assert taken.issues == found.issues
    assert taken.stats == found.stats


def _never_equal(self: TableChecker, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, bool]:
    return batch, False


def test_the_second_format_is_not_checked_again_where_it_equals_the_first(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _rewrite(copy, [(3, "title", 1, "both"), (5, "language", 0, "both")])
    checked: list[str] = []
    check = TableChecker.check

    def noted(self: TableChecker, *a: Any, **k: Any) -> Any:
        checked.append(self.file)
        return check(self, *a, **k)

    monkeypatch.setattr(TableChecker, "check", noted)
    report = validate([copy], today=TODAY)
    assert set(checked) == {"data/articles.csv", "data/related.csv"}
    assert {(i.file, i.row, i.field) for i in report.issues if i.code == "constraint-error"} == {
        (f"data/articles.{fmt}", row, field)
        for fmt in ("csv", "parquet")
        for row, field in ((5, "title"), (7, "language"))
    }


def test_a_second_format_with_a_schema_of_its_own_is_checked_against_it(copy: Path) -> None:
    """The formats' rows are equal, but the Parquet resource's Table Schema has no pattern
    for language: its rows are checked against it, not given the CSV's findings."""
    _rewrite(copy, [(5, "language", 0, "both")])
    descriptor = json.loads((copy / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        if resource["path"] == "data/articles.parquet":
            for field in resource["schema"]["fields"]:
                if field["name"] == "language":
                    del field["constraints"]
    (copy / "datapackage.json").write_text(json.dumps(descriptor))
    report = validate([copy], today=TODAY)
    found = {(i.file, i.row, i.field) for i in report.issues if i.code == "constraint-error"}
    assert found == {("data/articles.csv", 7, "language")}
    assert "table-mismatch" not in {i.code for i in report.issues}
