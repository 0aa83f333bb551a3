"""Which files a build takes: each once, under its smallest name, sorted by source_file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import packager.inputs.files
from packager.inputs.files import InputFile, input_files


def _tree(root: Path) -> None:
    names = (
        "b/2.txt",
        "b/1.TXT",
        "a.txt",
        "c/d/3.txt",
        ".hidden/4.txt",
        "b/.5.txt",
        "x.csv",
        "n.md",
    )
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


@pytest.mark.parametrize("batch", [2, 10_000])  # many Arrow batches, or one
def test_overlapping_inputs_and_hard_links_give_each_file_once_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(packager.inputs.files, "BATCH", batch)
    root = tmp_path / "pages"
    _tree(root)
    os.link(root / "a.txt", root / "c" / "z-hard-link.txt")  # one file, two names
    files = input_files([root / "b", root, root / "c" / "d" / "3.txt", root])
    assert list(files) == [
        InputFile("1.TXT", str(root / "b")),  # its own folder's name is the smallest
        InputFile("2.txt", str(root / "b")),
        InputFile("3.txt", str(root / "c" / "d")),
        InputFile("a.txt", str(root)),  # the hard link's other name is larger
        InputFile("x.csv", str(root)),  # a table in a folder is an input too; n.md is not
    ]
    assert len(files) == 5
    assert files[2] == InputFile("3.txt", str(root / "c" / "d"))


def test_no_inputs_found_is_an_empty_list(tmp_path: Path) -> None:
    assert list(input_files([tmp_path])) == []
    assert len(input_files([tmp_path])) == 0


def test_a_cleared_list_lets_go_of_its_arrays(tmp_path: Path) -> None:
    _tree(tmp_path)
    files = input_files([tmp_path])
    assert len(files) == 5
    files.clear()
    assert len(files) == 0 and list(files) == []
