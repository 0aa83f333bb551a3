"""Which files an input names.

A file named on the command line is taken whatever its name. A folder is walked
recursively and gives its ``.txt`` files (any case), leaving out hidden files and folders
(names starting with ``.``). Parsed-article tables (``.csv``, ``.parquet``, ``.jsonl``)
are taken when named on the command line, never from a folder. Each file's `source_file`
is its path relative to the folder it was found in (a named file: its own name), with
``/`` separators. Folders reached through symlinks are not walked; a symlinked file that
leads out of its folder is reported (`link-outside-input`), not read. Files are returned
sorted by `source_file`, so the order on disk never shows in a release.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packager.errors import InputError

PAGE_SUFFIXES = (".txt",)
TABLE_SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson")


@dataclass(frozen=True, order=True, slots=True)
class InputFile:
    """One input file: its `source_file` and the folder it is relative to. Kept small (two
    strings) because a build holds one per input file."""

    source_file: str
    root: str
    # a symlink found in a folder that leads out of it: reported, never read
    outside_root: bool = False

    @property
    def path(self) -> Path:
        return Path(self.root, self.source_file)

    @property
    def is_table(self) -> bool:
        return self.source_file.lower().endswith(TABLE_SUFFIXES)


Identity = int | str  # device and inode packed in one int, or the real path when stat fails


def _identity(path: str) -> Identity:
    try:
        info = os.stat(path)
    except OSError:  # a dangling link or a loop: its own real path names it
        return os.path.realpath(path)
    return info.st_dev << 64 | info.st_ino


def _walk(root: Path) -> Iterable[tuple[Identity, InputFile]]:
    """(identity, file) for the page files under `root`, with one scandir per folder and
    no stat of regular files (the directory entry gives the inode)."""
    top = str(root)
    real_root = os.path.realpath(root)
    device = os.stat(root).st_dev << 64
    pending = [(top, "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            listed = sorted(entries, key=lambda e: e.name, reverse=True)
        for entry in listed:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, f"{prefix}{entry.name}/"))
                continue
            if not entry.name.lower().endswith(PAGE_SUFFIXES):
                continue
            source_file = prefix + entry.name
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
                outside = os.path.commonpath([real_root, real]) != real_root
                yield _identity(entry.path), InputFile(source_file, top, outside)
            else:
                yield device | entry.inode(), InputFile(source_file, top)


def input_files(inputs: Iterable[Path]) -> list[InputFile]:
    """The page files the inputs name, each once, sorted by `source_file`."""
    found: dict[Identity, InputFile] = {}
    for given in inputs:
        if given.is_dir():
            candidates: Iterable[tuple[Identity, InputFile]] = _walk(given)
        elif given.exists():
            item = InputFile(given.name, str(given.parent))
            candidates = [(_identity(str(given)), item)]
        else:
            raise InputError(f"{given}: no such file or folder")
        for identity, item in candidates:
            # the same file reached twice is taken once, under its smallest name
            if identity not in found or item < found[identity]:
                found[identity] = item
    return sorted(found.values())
