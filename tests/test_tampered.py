"""A tampered release fails `packager validate` with the code that names the tampering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from packager import BuildResult, validate

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
