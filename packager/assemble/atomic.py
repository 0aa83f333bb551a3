"""A release folder whole or absent: written in a work folder beside its target
(``OUT/NAME/.VERSION.partial-*``), locked while its build is alive (work folders of dead
builds are cleared by the next build), flushed to disk and renamed into place under the
lock of the NAME folder (`release_folder`, `publish_folder`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from packager.assemble.faults import checkpoint
from packager.errors import ReleaseWriteError, VersionExistsError, os_reason

_PARTIAL = re.compile(r"^\.(?P<version>[0-9.]+)\.partial-(?P<pid>\d+)-")


@contextmanager
def release_folder(folder: Path, version: str) -> Iterator[Path]:
    """A new work folder for `version` in `folder` (made if need be), locked while the
    block runs; removed after it, whatever happened (once published, it is gone already),
    and `folder` too if this made it and it is left empty (a refused first build leaves no
    empty OUT/NAME behind)."""
    existed = folder.exists()
    work, held = _work_folder(folder, version)
    try:
        yield work
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
        os.close(held)  # the work folder's lock
        if not existed:
            with contextlib.suppress(OSError):
                folder.rmdir()


def _work_folder(folder: Path, version: str) -> tuple[Path, int]:
    """A new work folder for `version` in `folder`, once dead builds' are cleared away,
    and a descriptor of it holding its lock: the build is alive while the lock is held
    (by this process or the workers it forked), whatever its PID namespace. Clearing and
    creating happen under the lock of `folder`, so a build never clears a folder made a
    moment ago and not yet locked."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            clear_leftovers(folder)
            work = Path(tempfile.mkdtemp(prefix=f".{version}.partial-{os.getpid()}-", dir=folder))
            held = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(held, fcntl.LOCK_EX)
            return work, held
    except OSError as exc:
        raise ReleaseWriteError(
            f"{folder}: cannot create the release folder: {os_reason(exc)}"
        ) from None


@contextmanager
def _locked(folder: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive `flock` on the folder itself (no lock file is left behind);
    yields False, holding nothing, when `wait` is False and another holds it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def publish_folder(work: Path, target: Path, refresh: Callable[[], None]) -> None:
    """Flush the finished release to disk and rename it into place: a version folder is
    complete or absent. Under the lock of the NAME folder, `refresh` first brings what
    depends on the latest earlier release up to date (another build may have published
    one since this build began)."""
    work.chmod(0o755)  # mkdtemp makes it private; a release is for everyone to read
    with _locked(target.parent):
        refresh()
        _sync(work)
        checkpoint("before-rename")
        try:
            work.rename(target)
        except OSError as exc:
            if target.exists():
                raise VersionExistsError(
                    f"{target}: another build wrote this version first"
                ) from None
            raise ReleaseWriteError(
                f"{target}: cannot move the release into place: {os_reason(exc)}"
            ) from None
        _fsync_dir(target.parent)


def clear_leftovers(folder: Path) -> None:
    """Remove work folders of builds that died: those whose lock no process holds (a
    running build holds its folder's, see `_work_folder`). Called with `folder` locked."""
    for path in folder.iterdir():
        if not _PARTIAL.match(path.name) or path.is_symlink() or not path.is_dir():
            continue
        with _locked(path, wait=False) as free:
            if free:
                shutil.rmtree(path, ignore_errors=True)


def _sync(folder: Path) -> None:
    """Flush every file of the release to disk before it is renamed into place."""
    sync_files(folder)
    for path in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(path)


def sync_files(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
