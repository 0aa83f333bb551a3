"""Release versions: SemVer X.Y.Z, and picking the next one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from packager.errors import UsageError

Bump = Literal["major", "minor", "patch"]
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def parse_version(text: str) -> tuple[int, int, int]:
    match = _SEMVER.match(text)
    if not match:
        raise UsageError(f"version {text!r} is not X.Y.Z (SemVer, no leading zeros)")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def released_versions(folder: Path) -> list[str]:
    """The versions released in `folder` (OUT/NAME), oldest first; work folders ignored."""
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.iterdir() if p.is_dir() and _SEMVER.match(p.name)]
    return sorted(found, key=parse_version)


def next_version(folder: Path, bump: Bump) -> str:
    """The latest release in `folder` (or 0.0.0) bumped by `bump`."""
    released = released_versions(folder)
    major, minor, patch = parse_version(released[-1]) if released else (0, 0, 0)
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
