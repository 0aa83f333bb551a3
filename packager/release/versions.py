"""Release names and versions (SemVer X.Y.Z), and picking the next version. build,
validate and publish judge a name and a version by these rules alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from packager.errors import UsageError

Bump = Literal["major", "minor", "patch"]
# Whole-string matches (fullmatch): "$" would take a name or version ending in a newline.
_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
# A release's name is a folder's and an object-storage prefix's: no separator, no dot
# first (so never "." or ".."), no control character, nothing a shell or URL must quote.
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


def name_problem(name: object) -> str | None:
    """Why `name` cannot name a release, or None."""
    if isinstance(name, str) and _NAME.fullmatch(name):
        return None
    return f"name {name!r}: use lower-case letters, digits, '.', '_' and '-'"


def version_problem(version: object) -> str | None:
    """Why `version` is not a release version, or None."""
    if isinstance(version, str) and _SEMVER.fullmatch(version):
        return None
    return f"version {version!r} is not X.Y.Z (SemVer, no leading zeros)"


def parse_version(text: str) -> tuple[int, int, int]:
    match = _SEMVER.fullmatch(text)
    if not match:
        raise UsageError(f"version {text!r} is not X.Y.Z (SemVer, no leading zeros)")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def released_versions(folder: Path) -> list[str]:
    """The versions released in `folder` (OUT/NAME), oldest first; work folders ignored."""
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.iterdir() if p.is_dir() and _SEMVER.fullmatch(p.name)]
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
