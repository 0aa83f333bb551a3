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


@dataclass(frozen=True, order=True)
class InputFile:
    source_file: str
    path: Path
    root: Path | None = None  # the folder it was found in; None when named directly

    @property
    def outside_root(self) -> bool:
        """A link found in a folder that leads out of it: never read."""
        if self.root is None:
            return False
        real_root = os.path.realpath(self.root)
        return os.path.commonpath([real_root, os.path.realpath(self.path)]) != real_root

    @property
    def is_table(self) -> bool:
        return self.path.suffix.lower() in TABLE_SUFFIXES


def _walk(root: Path) -> Iterable[InputFile]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or not name.lower().endswith(PAGE_SUFFIXES):
                continue
            path = Path(folder, name)
            yield InputFile(path.relative_to(root).as_posix(), path, root)


def input_files(inputs: Iterable[Path]) -> list[InputFile]:
    """The page files the inputs name, each once, sorted by `source_file`."""
    found: dict[Path, InputFile] = {}
    for given in inputs:
        if given.is_dir():
            candidates: Iterable[InputFile] = _walk(given)
        elif given.exists():
            candidates = [InputFile(given.name, given)]
        else:
            raise InputError(f"{given}: no such file or folder")
        for item in candidates:
            # realpath, unlike Path.resolve, does not raise on a symlink loop
            found.setdefault(Path(os.path.realpath(item.path)), item)
    return sorted(found.values())
