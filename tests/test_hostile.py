"""Whatever comes in, packager keeps going: every good page packaged, every bad one reported
with its code, nothing read outside the input, no traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from packager import build_release, validate
from packager.contract.limits import MIB
from packager.contract.models import Reject
from packager.inputs.files import InputFile, OpenFolders, input_files, read_input

from .conftest import CREATED, TODAY

BROKEN = Path(__file__).resolve().parent / "broken"

# source_file -> the reject code, or None for a page that is packaged (with its warning)
EXPECTED: dict[str, str | None] = {
    "empty.txt": "empty-file",
    "blank-lines-only.txt": "empty-file",
    "binary-nul.txt": "binary-file",
    "control-characters.txt": "binary-file",
    "html-saved-as-txt.txt": "not-a-page-dump",
    "not-a-page.txt": "not-a-page-dump",
    "title-too-long.txt": "title-too-long",
    "utf16-bom.txt": None,
    "windows-1252.txt": None,
    "invalid-utf8-mid-page.txt": None,
    "cut-mid-body.txt": None,
    "cut-mid-related-item.txt": None,
    # made by the fixture: what cannot be committed
    "huge-single-line.txt": "too-large",
    "pipe.txt": "not-a-regular-file",
    "loop.txt": "unreadable-file",
    "dangling-link.txt": "unreadable-file",
    "link-outside.txt": "link-outside-input",
}
WARNINGS = {
    "utf16-bom.txt": "decoded-utf-16",
    "windows-1252.txt": "decoded-windows-1252",
    "invalid-utf8-mid-page.txt": "invalid-utf8",
    "cut-mid-related-item.txt": "incomplete-related-item",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "input"
    shutil.copytree(BROKEN, folder)
    (folder / "huge-single-line.txt").write_bytes(b"x" * (50 * MIB))
    (folder / "a-folder.txt").mkdir()  # a folder, whatever its name: walked, not read
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "dangling-link.txt").symlink_to(folder / "nowhere.txt")
    secret = tmp_path / "outside.txt"
    secret.write_text((BROKEN.parent / "pages" / "clean.txt").read_text())
    (folder / "link-outside.txt").symlink_to(secret)
    (folder / "z-link-inside.txt").symlink_to(folder / "windows-1252.txt")  # same file: once
    (folder / "linked-folder").symlink_to(tmp_path, target_is_directory=True)  # not walked
    return folder


def test_build_packages_good_pages_and_reports_every_bad_one(corpus: Path, tmp_path: Path) -> None:
    result = build_release(
        [corpus], name="h", version="1.0.0", out=tmp_path / "out", created=CREATED, today=TODAY
    )
    rejects = {
        r["source_file"]: r["code"]
        for r in map(json.loads, (result.path / "rejects.jsonl").read_text().splitlines())
    }
    assert rejects == {name: code for name, code in EXPECTED.items() if code}
    kept = set(pq.read_table(result.path / "data/articles.parquet")["source_file"].to_pylist())
    merged = {i.file for i in result.report.issues if i.code.startswith("duplicate-")}
    assert kept | merged == {name for name, code in EXPECTED.items() if code is None}
    assert result.pages == len(EXPECTED)
    assert result.pages == result.articles + result.duplicates + result.rejects
    warnings = {(i.file, i.code) for i in result.report.warnings}
    assert set(WARNINGS.items()) <= warnings
    assert "picture.png" not in rejects and ".hidden.txt" not in rejects


def test_cli_build_and_validate_on_broken_input_never_trace(corpus: Path, tmp_path: Path) -> None:
    packager = [sys.executable, "-m", "packager"]
    build = subprocess.run(
        [
            *packager,
            "build",
            str(corpus),
            "--name",
            "h",
            "--version",
            "1.0.0",
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert "Traceback" not in build.stdout + build.stderr
    checked = subprocess.run(
        [*packager, "validate", str(corpus), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 1
    assert "Traceback" not in checked.stdout + checked.stderr
    codes = {
        (i["file"], i["code"])
        for i in json.loads(checked.stdout)["issues"]
        if i["severity"] == "error"
    }
    assert codes == {(name, code) for name, code in EXPECTED.items() if code}
    release = subprocess.run(
        [*packager, "validate", str(tmp_path / "out/h/1.0.0")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert release.returncode == 0, release.stdout


def test_limits_are_settable(corpus: Path) -> None:
    from packager.contract.limits import Limits

    longer_titles = validate(
        [corpus / "title-too-long.txt"], today=TODAY, limits=Limits(max_title_length=5000)
    )
    assert longer_titles.valid
    smaller_pages = validate(
        [corpus / "windows-1252.txt"], today=TODAY, limits=Limits(max_page_bytes=1000)
    )
    assert [(i.file, i.code) for i in smaller_pages.errors] == [("windows-1252.txt", "too-large")]


def test_the_same_file_named_twice_is_taken_once(tmp_path: Path) -> None:
    page = BROKEN / "windows-1252.txt"
    result = build_release(
        [page, page, BROKEN / ".." / "broken" / "windows-1252.txt"],
        name="t",
        version="1.0.0",
        out=tmp_path,
        created=CREATED,
        today=TODAY,
    )
    assert (result.pages, result.articles, result.duplicates) == (1, 1, 0)


def test_an_unreadable_file_is_a_reject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(BROKEN / "windows-1252.txt", folder / "a.txt")
    shutil.copy(BROKEN / "utf16-bom.txt", folder / "b.txt")
    real_open = os.open

    def deny(path: str, *args: Any, **kwargs: Any) -> int:
        if os.path.basename(path) == "a.txt":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)  # root reads anything: deny it the way the OS would
    result = build_release(
        [folder],
        name="t",
        version="1.0.0",
        out=tmp_path / "out",
        created=CREATED,
        today=TODAY,
        workers=1,
    )
    [reject] = list(result.report.errors)
    assert (reject.file, reject.code, reject.message) == (
        "a.txt",
        "unreadable-file",
        "Permission denied",
    )
    assert result.articles == 1


def test_a_file_read_from_its_folders_descriptor_reads_as_by_its_path(
    corpus: Path, tmp_path: Path
) -> None:
    # A build's workers open page files from their folder's descriptor: the same bytes or
    # the same reject as by the full path, for every kind of file above; a folder that
    # cannot be opened (gone) leaves its files to their full paths, and their rejects.
    (corpus / "sub").mkdir()
    (corpus / "sub" / "nested.txt").write_bytes((BROKEN / "windows-1252.txt").read_bytes())
    other = tmp_path / "other"
    other.mkdir()
    (other / "clean.txt").write_bytes((BROKEN.parent / "pages" / "clean.txt").read_bytes())
    gone = InputFile("clean.txt", str(tmp_path / "gone"))
    items = [*input_files([corpus]), *input_files([other]), gone]
    assert "sub/nested.txt" in [item.source_file for item in items]
    with OpenFolders() as folders:
        by_folder = [read_input(item, folders=folders) for item in items]
        assert folders.fd(str(corpus)) is not None and folders.fd(gone.root) is None
    assert by_folder == [read_input(item) for item in items]
    assert len({data for data in by_folder if isinstance(data, bytes)}) >= 8
    assert sum(isinstance(data, bytes) for data in by_folder) >= 8
    assert by_folder[-1] == read_input(items[-1])
    assert isinstance(by_folder[-1], Reject) and by_folder[-1].code == "unreadable-file"


def test_folders_beyond_the_most_held_open_are_read_by_their_paths(tmp_path: Path) -> None:
    # Files named one by one can come from as many folders as there are files: no more
    # than `most` descriptors are held, the other folders' files are read by full path.
    items: list[InputFile] = []
    for k in range(5):
        folder = tmp_path / f"f{k}"
        folder.mkdir()
        (folder / "page.txt").write_bytes(f"page {k}\n".encode())
        items += input_files([folder / "page.txt"])
    assert len({item.root for item in items}) == 5
    with OpenFolders(most=2) as folders:
        read = [read_input(item, folders=folders) for item in items]
        held = [folders.fd(item.root) for item in items]
    assert read == [f"page {k}\n".encode() for k in range(5)]
    assert sum(fd is not None for fd in held) == 2
