"""`packager publish RELEASE URL`: a finished release copied into object storage.

A release is built into a local or shared folder, where the rename makes it appear whole.
Object storage has no rename, so publishing copies the files in an order that does the
same for readers: every file the release's SHA256SUMS lists, checked against it first
(a copy that changed since the build is not published), then SHA256SUMS, then the
descriptor, `datapackage.json`, last. Readers find a release by its descriptor, so until
that last copy there is none; a publish that fails or is interrupted on the way removes
what it copied, and nothing else. A version that is published already is never written
again. Files are read through descriptors opened without following links: a link in a
release is never published, nor what it points to.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packager.assemble.faults import checkpoint
from packager.errors import InputError, ReleaseWriteError, VersionExistsError, os_reason
from packager.inputs.remote import StorageOptions, filesystem
from packager.release.checksums import Digests, read_sha256sums
from packager.release.descriptor import DESCRIPTOR, read_descriptor, release_at
from packager.release.trust import Verify, refuse_invalid
from packager.release.versions import name_problem, version_problem

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
    verify: Verify | None = None,
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
    for problem in (name_problem(name), version_problem(version)):
        if problem:
            raise InputError(f"{folder / DESCRIPTOR}: the descriptor's {problem}: not published")
    assert isinstance(name, str) and isinstance(version, str)
    names = _checked_files(folder)
    if verify is not None:
        refuse_invalid(folder, verify(folder), "not published")
    fs, base = filesystem(url, storage)
    target = f"{base.rstrip('/')}/{name}/{version}"
    shown = f"{url.rstrip('/')}/{name}/{version}"
    copier = _Copier(fs, folder, target)
    try:
        if fs.exists(f"{target}/{DESCRIPTOR}"):
            raise VersionExistsError(f"{shown}: this version is published already")
        for relative in [*names, SUMS]:
            copier.copy(relative)
        checkpoint("before-descriptor")
        copier.copy(DESCRIPTOR)
    except (OSError, ValueError) as exc:
        copier.undo()
        raise ReleaseWriteError(f"{shown}: publishing failed: {exc}") from None
    except BaseException:  # an interruption: what was copied goes, then it goes on
        copier.undo()
        raise
    return Published(shown, len(names) + 2, copier.size)


class _Copier:
    """Copies a release's files to `target` in `fs`, each read from a descriptor opened
    without following a link; remembers what it wrote, to remove that (and only that)
    when the publish does not finish."""

    def __init__(self, fs: object, folder: Path, target: str) -> None:
        self.fs: Any = fs
        self.folder, self.target = folder, target
        self.local = "file" in _protocols(fs)
        self.written: list[str] = []
        self.folders: list[str] = []  # made by this publish (a local target's)
        self.size = 0

    def copy(self, relative: str) -> None:
        destination = f"{self.target}/{relative}"
        with _open_regular(self.folder, relative) as source:
            if self.local:
                self._make_folders(destination.rsplit("/", 1)[0])
            self.written.append(destination)
            with self.fs.open(destination, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            self.size += os.fstat(source.fileno()).st_size

    def _make_folders(self, folder: str) -> None:
        missing = []
        while folder and not self.fs.exists(folder):
            missing.append(folder)
            folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
        for made in reversed(missing):
            self.fs.mkdir(made)
            self.folders.append(made)

    def undo(self) -> None:
        for path in reversed(self.written):
            with contextlib.suppress(OSError, ValueError):
                self.fs.rm_file(path)
        for folder in reversed(self.folders):
            with contextlib.suppress(OSError, ValueError):
                self.fs.rmdir(folder)
        self.written, self.folders = [], []


def _protocols(fs: object) -> tuple[str, ...]:
    found = getattr(fs, "protocol", ())
    return (found,) if isinstance(found, str) else tuple(found)


def _open_regular(folder: Path, relative: str) -> Any:
    """The release's file `relative`, opened for reading; `InputError` where it or a
    folder on its way is a link, or it is not a regular file."""
    parts = Path(relative).parts
    at = folder
    for part in parts[:-1]:
        at = at / part
        if at.is_symlink() or not at.is_dir():
            raise InputError(f"{folder}: {relative}: a link or no folder on its way: not published")
    try:
        fd = os.open(folder / relative, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise InputError(
            f"{folder}: {relative} cannot be read without following a link: "
            f"{os_reason(exc)}; not published"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{folder}: {relative} is not a regular file: not published")
    return os.fdopen(fd, "rb")


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
