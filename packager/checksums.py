"""sha256 of files, and the release's SHA256SUMS file (`sha256sum -c` format)."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_sha256sums(folder: Path, names: list[str]) -> Path:
    """Write SHA256SUMS in `folder` for the files `names` (relative, / separated)."""
    lines = [f"{sha256_file(folder / name)}  {name}\n" for name in sorted(names)]
    target = folder / "SHA256SUMS"
    target.write_text("".join(lines), encoding="utf-8")
    return target


def read_sha256sums(path: Path) -> list[tuple[int, str, str]]:
    """(line number, hex digest, file name) for each line of a SHA256SUMS file."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        entries.append((number, digest.strip(), name.lstrip("*")))
    return entries
