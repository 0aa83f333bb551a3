"""`packager publish RELEASE URL`: a finished release copied into object storage.

A release is built into a local or shared folder, where the rename makes it appear whole.
Object storage has no rename, so publishing copies the files in an order that does the
same for readers: every file the release's SHA256SUMS lists, checked against it first
(a copy that changed since the build is not published), then SHA256SUMS, then the
descriptor, `datapackage.json`, last. Readers find a release by its descriptor, so until
that last copy there is none; a publish that fails on the way removes what it copied.
A version that is published already is never written again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packager.build.faults import checkpoint
from packager.contract.models import Report
from packager.errors import InputError, ReleaseWriteError, VersionExistsError
from packager.inputs.remote import StorageOptions, filesystem
from packager.release.checksums import Digests, read_sha256sums
from packager.release.descriptor import DESCRIPTOR, read_descriptor, release_at

SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class Published:
    """Where a release went, and what was copied."""

    url: str
    files: int
    size: int


def publish_release(
    release: Path,
    url: str,
    storage: StorageOptions = (),
    *,
    verify: Callable[[Path], Report] | None = None,
) -> Published:
    """Copy the release folder `release` to ``URL/NAME/VERSION/`` (fsspec's URL, opened
    with `storage`), its descriptor last. `verify` judges the folder first (the CLI
    gives `packager.validate`): a release with an error is not published.

    Raises:
        InputError: not a release, it does not validate, or a file differs from its
            SHA256SUMS line.
        VersionExistsError: that version is published at `url` already.
        ReleaseWriteError: the storage refused a copy (what was copied is removed).
    """
    folder = release_at(release)
    if folder is None:
        raise InputError(f"{release}: not a release (no {DESCRIPTOR})")
    descriptor = read_descriptor(folder / DESCRIPTOR)
    name, version = descriptor.get("name"), descriptor.get("version")
    if not (isinstance(name, str) and isinstance(version, str)):
        raise InputError(f"{folder / DESCRIPTOR}: no name and version to publish it under")
    names = _checked_files(folder)
    if verify is not None:
        _refuse_invalid(folder, verify(folder))
    fs, base = filesystem(url, storage)
    target = f"{base}/{name}/{version}"
    shown = f"{url.rstrip('/')}/{name}/{version}"
    try:
        if fs.exists(f"{target}/{DESCRIPTOR}"):
            raise VersionExistsError(f"{shown}: this version is published already")
        for relative in [*names, SUMS]:
            fs.put_file(str(folder / relative), f"{target}/{relative}")
        checkpoint("before-descriptor")
        fs.put_file(str(folder / DESCRIPTOR), f"{target}/{DESCRIPTOR}")
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError, ValueError):
            fs.rm(target, recursive=True)
        raise ReleaseWriteError(f"{shown}: publishing failed: {exc}") from None
    size = sum((folder / relative).stat().st_size for relative in [*names, SUMS, DESCRIPTOR])
    return Published(shown, len(names) + 2, size)


def _refuse_invalid(folder: Path, report: Report) -> None:
    errors = [issue for issue in report.issues if issue.severity == "error"]
    if errors:
        first = errors[0]
        where = f"{first.file}: " if first.file else ""
        raise InputError(
            f"{folder}: does not validate ({len(errors)} errors; the first: {where}"
            f"{first.code}: {first.message}); not published (packager validate {folder} "
            "lists them)"
        )


def _checked_files(folder: Path) -> list[str]:
    """The files SHA256SUMS lists, but the descriptor, each checked against its line."""
    sums = folder / SUMS
    if not sums.is_file():
        raise InputError(f"{folder}: no {SUMS}: not a finished release")
    entries, bad = read_sha256sums(sums)
    if bad:
        line, why = bad[0]
        raise InputError(f"{sums}:{line}: {why}")
    for line, _, name in entries:
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise InputError(f"{sums}:{line}: {name} is not a file of the release")
    digests = Digests(folder)
    digests.prefetch(name for _, _, name in entries)
    for line, digest, name in entries:
        try:
            found = digests(name)
        except OSError as exc:
            raise InputError(f"{folder}: a listed file cannot be read: {exc}") from None
        if found != digest:
            raise InputError(f"{sums}:{line}: {name} differs from its sha256: not published")
    return sorted(name for _, _, name in entries if name != DESCRIPTOR)
