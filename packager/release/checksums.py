"""sha256 of files, and the release's SHA256SUMS file (`sha256sum -c` format)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Digests:
    """The sha256 of files in `folder` (by relative name), each file read once: the
    descriptor and SHA256SUMS list the same files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._known: dict[str, str] = {}

    def prefetch(self, names: Iterable[str]) -> None:
        """Hash `names` two at a time (hashlib releases the GIL on large reads). A file
        that cannot be read is left out: asked for, it is read again, and the error is
        the asker's."""
        todo = [n for n in names if n not in self._known]

        def digest(name: str) -> str | None:
            try:
                return sha256_file(self.folder / name)
            except OSError:
                return None

        with ThreadPoolExecutor(2) as pool:
            for name, found in zip(todo, pool.map(digest, todo), strict=True):
                if found is not None:
                    self._known[name] = found

    def of(self, path: Path) -> str:
        """The digest of `path`, a file in `folder`."""
        return self(path.relative_to(self.folder).as_posix())

    def __call__(self, name: str) -> str:
        if name not in self._known:
            self._known[name] = sha256_file(self.folder / name)
        return self._known[name]


def write_sha256sums(folder: Path, names: list[str], digests: Digests | None = None) -> Path:
    """Write SHA256SUMS in `folder` for the files `names` (relative, / separated)."""
    digest = digests or Digests(folder)
    lines = [f"{digest(name)}  {name}\n" for name in sorted(names)]
    target = folder / "SHA256SUMS"
    target.write_text("".join(lines), encoding="utf-8")
    return target


def read_sha256sums(path: Path) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """The lines of a SHA256SUMS file: (line number, hex digest, file name) for each good
    line, and (line number, what is wrong) for each line that is not "DIGEST  NAME" in
    UTF-8 (the file's text is not repeated: it may be anything), and for each way the file
    differs from the form `write_sha256sums` writes (lower-case hex, two spaces, names
    sorted and each once, lines ending in LF alone, a final one, no blank line): any byte
    changed is a finding."""
    entries: list[tuple[int, str, str]] = []
    bad: list[tuple[int, str]] = []
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines[-1]:
        bad.append((len(lines), "the file does not end with a line break"))
    else:
        lines.pop()
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if raw.endswith(b"\r"):
            bad.append((number, "the line ends in CR LF, not LF"))
            raw = raw[:-1]
        if not raw.strip():
            bad.append((number, "a blank line"))
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append((number, "not UTF-8 text"))
            continue
        found = _SUMS_LINE.fullmatch(line)
        if found is None:
            bad.append((number, "not a line of 64 hex digits, two spaces and a file name"))
            continue
        digest, marker, name = found["digest"], found["marker"], found["name"]
        if digest != digest.lower():
            bad.append((number, "the digest is not in lower-case hex"))
        if marker != " ":
            bad.append((number, "a binary-mode marker ('*') before the name"))
        if name in seen:
            bad.append((number, f"the file is listed already, at line {seen[name]}"))
            continue
        if entries and name < entries[-1][2]:
            bad.append((number, "the names are not in sorted order"))
        seen[name] = number
        entries.append((number, digest.lower(), name))
    return entries, bad


_SUMS_LINE = re.compile(r"(?P<digest>[0-9a-fA-F]{64}) (?P<marker>[ *])(?P<name>.+)")
