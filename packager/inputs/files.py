"""Which files an input names.

A file named on the command line is taken whatever its name. A folder is walked
recursively and gives its page dumps (``.txt``, any case) and parsed-article tables
(``.csv``, ``.parquet``, ``.jsonl``, ``.json``, and gzip-compressed ``.csv.gz``,
``.jsonl.gz``, ``.json.gz``), leaving out hidden files and folders (names starting with
``.``). Each file's `source_file`
is its path relative to the folder it was found in (a named file: its own name), with
``/`` separators. Folders reached through symlinks are not walked; a symlinked file that
leads out of its folder is reported (`link-outside-input`), not read. Files are returned
sorted by `source_file`, so the order on disk never shows in a release.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Reject
from packager.errors import InputError, os_reason
from packager.inputs.remote import StorageOptions, is_url, list_url, read_url

PAGE_SUFFIXES = (".txt",)
TABLE_SUFFIXES = (
    ".csv",
    ".parquet",
    ".jsonl",
    ".ndjson",
    ".json",
    ".csv.gz",
    ".jsonl.gz",
    ".ndjson.gz",
    ".json.gz",
)
INPUT_SUFFIXES = PAGE_SUFFIXES + TABLE_SUFFIXES


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


BATCH = 10_000  # directory entries turned into Arrow arrays at a time


class InputList:
    """Input files sorted by `source_file`, held as Arrow arrays (about 40 bytes a file, a
    fifth of what `InputFile` objects take, and nothing left on the Python heap for the
    rest of a build). Iterating makes `InputFile`s a slice at a time."""

    def __init__(self, names: pa.Array, roots: list[str], root_of: pa.Array, outside: pa.Array):
        self._names, self._roots, self._root_of, self._outside = names, roots, root_of, outside
        # Files found in folders and not read, (source_file, why), sorted: reported, never
        # dropped silently.
        self.skipped: list[tuple[str, str]] = []

    def __len__(self) -> int:
        return len(self._names)

    def clear(self) -> None:
        """Let go of the arrays (a million files hold some 40 MB)."""
        # new empty arrays: an empty slice would keep the buffers alive
        self._names = pa.array([], self._names.type)
        self._root_of = pa.array([], self._root_of.type)
        self._outside = pa.array([], self._outside.type)

    def __getitem__(self, i: int) -> InputFile:
        return next(self.items(i, i + 1))

    def __iter__(self) -> Iterator[InputFile]:
        return self.items(0, len(self))

    def table_positions(self) -> list[int]:
        """The positions of parsed-article tables (`InputFile.is_table`), found without
        making an `InputFile` for every page: Arrow sets aside the names ending in ".txt",
        and `is_table` decides for the few others."""
        txt = pc.match_substring_regex(self._names, r"\.[tT][xX][tT]$")
        others = pc.indices_nonzero(pc.invert(txt)).to_pylist()
        return [i for i in others if self[i].is_table]

    def items(self, start: int, stop: int) -> Iterator[InputFile]:
        """The files at positions `start` to `stop`."""
        for low in range(start, stop, BATCH):
            high = min(stop, low + BATCH)
            names = self._names[low:high].to_pylist()
            roots = self._root_of[low:high].to_pylist()
            outside = self._outside[low:high].to_pylist()
            for name, root, out in zip(names, roots, outside, strict=True):
                yield InputFile(name, self._roots[root], out)


_REAL_PATH_DEVICE = (1 << 64) - 1  # the device of a file known only by its real path


class _Listing:
    """What the walk finds, gathered into Arrow arrays `BATCH` entries at a time."""

    def __init__(self) -> None:
        self.skipped: list[tuple[str, str]] = []
        self.roots: list[str] = []
        self.batches: list[pa.RecordBatch] = []
        self._rows: tuple[list[str], list[int], list[bool], list[int], list[int]] = (
            [],
            [],
            [],
            [],
            [],
        )
        self._real_paths: dict[str, int] = {}
        self._root_numbers: dict[str, int] = {}

    def root(self, root: str) -> int:
        number = self._root_numbers.setdefault(root, len(self.roots))
        if number == len(self.roots):
            self.roots.append(root)
        return number

    def add(self, name: str, root: int, outside: bool, identity: int | str) -> None:
        if isinstance(identity, str):  # a dangling link or a loop: its real path names it
            number = self._real_paths.setdefault(identity, len(self._real_paths))
            device, inode = _REAL_PATH_DEVICE, number
        else:
            device, inode = identity >> 64, identity & ((1 << 64) - 1)
        names, roots, outsides, devices, inodes = self._rows
        names.append(name)
        roots.append(root)
        outsides.append(outside)
        devices.append(device)
        inodes.append(inode)
        if len(self._rows[0]) >= BATCH:
            self.flush()

    def add_regular(self, names: list[str], root: int, device: int, inodes: list[int]) -> None:
        """Regular files of one folder and device: `add` for each, in one step."""
        count = len(names)
        listed, roots, outsides, devices, numbers = self._rows
        listed.extend(names)
        roots.extend([root] * count)
        outsides.extend([False] * count)
        devices.extend([device] * count)
        numbers.extend(inodes)
        if len(self._rows[0]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        names, roots, outside, devices, inodes = self._rows
        if names:
            self.batches.append(
                pa.record_batch(
                    [
                        pa.array(names, pa.string()),
                        pa.array(roots, pa.uint32()),
                        pa.array(outside, pa.bool_()),
                        pa.array(devices, pa.uint64()),
                        pa.array(inodes, pa.uint64()),
                    ],
                    names=["name", "root", "outside", "device", "inode"],
                )
            )
        for column in self._rows:
            column.clear()

    def sorted_unique(self) -> InputList:
        """Each file once, under its smallest (name, root, outside), sorted by those."""
        self.flush()
        if not self.batches:
            empty = pa.array([], pa.string())
            return InputList(empty, [], pa.array([], pa.uint32()), pa.array([], pa.bool_()))
        table = pa.Table.from_batches(self.batches).combine_chunks()
        self.batches = []
        ranks = sorted(range(len(self.roots)), key=self.roots.__getitem__)
        rank_of = [0] * len(self.roots)
        for rank, root in enumerate(ranks):
            rank_of[root] = rank
        table = table.append_column("rank", pc.take(pa.array(rank_of, pa.uint32()), table["root"]))
        order = ["name", "rank", "outside"]
        table = table.sort_by([(c, "ascending") for c in ("device", "inode", *order)])
        device, inode = table["device"].combine_chunks(), table["inode"].combine_chunks()
        new = pc.or_(pc.not_equal(device[1:], device[:-1]), pc.not_equal(inode[1:], inode[:-1]))
        first = pa.concat_arrays([pa.array([True]), new])  # the same file reached twice
        table = table.filter(first).sort_by([(c, "ascending") for c in order])
        return InputList(
            table["name"].combine_chunks(),
            self.roots,
            table["root"].combine_chunks(),
            table["outside"].combine_chunks(),
        )


def _identity(path: str) -> int | str:
    try:
        info = os.stat(path)
    except OSError:  # a dangling link or a loop: its own real path names it
        return os.path.realpath(path)
    return info.st_dev << 64 | info.st_ino


def _walk(root: Path, listing: _Listing) -> None:
    """Add the page files under `root` to `listing`, with one scandir per folder and no
    stat of regular files (the directory entry gives the inode)."""
    top = str(root)
    # Files are found again by their root: an absolute one, so that a worker in another
    # folder (a cluster's) finds them too.
    number = listing.root(os.path.abspath(top))
    real_root = os.path.realpath(root)
    device = os.stat(root).st_dev << 64
    pending = [(top, "")]
    while pending:
        folder, prefix = pending.pop()
        names: list[str] = []  # the folder's regular page files, added at once
        inodes: list[int] = []
        try:
            entries = os.scandir(folder)
        except OSError as exc:  # a subfolder without read permission: reported, the rest goes on
            if not prefix:
                raise
            listing.skipped.append((prefix.rstrip("/"), f"cannot be listed: {exc.strerror}"))
            continue
        with entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if not is_utf8(entry.name):
                    shown = os.fsencode(prefix + entry.name).decode("utf-8", "backslashreplace")
                    listing.skipped.append((shown, NOT_UTF8))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if os.path.isfile(os.path.join(entry.path, RELEASE_DESCRIPTOR)):
                        why = "a release: not walked (name it as an input to carry it)"
                        listing.skipped.append((prefix + entry.name, why))
                    else:
                        pending.append((entry.path, f"{prefix}{entry.name}/"))
                    continue
                if not entry.name.lower().endswith(INPUT_SUFFIXES):
                    if entry.name != METADATA_FILE:
                        listing.skipped.append((prefix + entry.name, _why_skipped(entry)))
                    continue
                source_file = prefix + entry.name
                if entry.is_symlink():
                    real = os.path.realpath(entry.path)
                    outside = os.path.commonpath([real_root, real]) != real_root
                    listing.add(source_file, number, outside, _identity(entry.path))
                else:
                    names.append(source_file)
                    inodes.append(entry.inode())
        listing.add_regular(names, number, device >> 64, inodes)


METADATA_FILE = "dataset.toml"  # read as the dataset's metadata, not as an input
NOT_UTF8 = "its name is not UTF-8 (the tables could not name it): not read; rename it"


def is_utf8(name: str) -> bool:
    """Whether a file name (as Python decodes it from the disk) is UTF-8 text."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


RELEASE_DESCRIPTOR = "datapackage.json"  # a folder holding one is a release


def _why_skipped(entry: os.DirEntry[str]) -> str:
    if entry.is_dir():
        return "a folder reached through a link: not walked"
    return "not a page dump (.txt) or a table (.csv, .parquet, .jsonl, .json, .gz): not read"


def input_files(inputs: Iterable[Path | str], storage: StorageOptions = ()) -> InputList:
    """The page files the inputs name (paths, or object-storage URLs read with the
    `storage` options), each once, sorted by `source_file`."""
    listing = _Listing()
    for named in inputs:
        if isinstance(named, str) and is_url(named):
            _list_url(named, listing, storage)
            continue
        given = Path(named)
        try:
            if given.is_dir():
                _walk(given, listing)
            elif given.exists():
                if not is_utf8(given.name):
                    raise InputError(f"{shown_path(given)}: {NOT_UTF8}")
                root = listing.root(os.path.abspath(given.parent))
                listing.add(given.name, root, False, _identity(str(given)))
            else:
                raise InputError(f"{given}: no such file or folder")
        except OSError as exc:  # a name too long, a folder that cannot be listed
            raise InputError(f"{shown_path(given)}: {os_reason(exc)}") from None
    found = listing.sorted_unique()
    found.skipped = sorted(listing.skipped)
    return found


_TABLE_IN_STORAGE = "a table in object storage: not read (copy it to a folder to build from it)"


def _list_url(url: str, listing: _Listing, storage: StorageOptions) -> None:
    """Add the page files under the object-storage URL `url` to `listing`; the same
    object named twice is taken once (its URL is its identity)."""
    for root, name in list_url(url, storage):
        if (
            any(part.startswith(".") for part in name.split("/"))
            or name.endswith("/" + METADATA_FILE)
            or name == METADATA_FILE
        ):
            continue
        lowered = name.lower()
        if lowered.endswith(TABLE_SUFFIXES):
            listing.skipped.append((name, _TABLE_IN_STORAGE))
        elif not lowered.endswith(INPUT_SUFFIXES):
            listing.skipped.append((name, "not a page dump (.txt): not read"))
        else:
            listing.add(name, listing.root(root), False, f"{root}/{name}")


def shown_path(path: Path, size: int = 100) -> str:
    """A path for a one-line message: cut short in the middle when long."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")  # bytes not UTF-8 escaped
    return text if len(text) <= size else f"{text[: size // 2]}…{text[-size // 2 :]}"


class OpenFolders:
    """The input folders that page files are opened in, each opened once (a descriptor a
    folder): a file is then opened by its `source_file` from its folder's descriptor, and
    the kernel walks the folder's own path once, not again for every file. A context:
    the descriptors are closed at its end.
    A folder that cannot be opened is left out: its files are opened by their full path,
    and reported as that open fails. At most `most` folders are held open (files named one
    by one may come from as many folders as files: descriptors are limited); the files of
    any other folder are opened by their full path."""

    def __init__(self, most: int = 64) -> None:
        self._fds: dict[str, int | None] = {}
        self._most = most

    def fd(self, root: str) -> int | None:
        found = self._fds.get(root, -1)
        if found == -1:
            if len(self._fds) >= self._most:
                return None
            try:
                found = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
            except OSError:
                found = None
            self._fds[root] = found
        return found

    def close(self) -> None:
        for fd in self._fds.values():
            if fd is not None:
                os.close(fd)
        self._fds.clear()

    def __enter__(self) -> OpenFolders:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def read_input(
    item: InputFile,
    limits: Limits = DEFAULT_LIMITS,
    storage: StorageOptions = (),
    folders: OpenFolders | None = None,
) -> bytes | Reject:
    """The bytes of one page file, or a `Reject` saying why they cannot be read; opened
    from its folder's descriptor in `folders` where given."""

    def reject(code: str, message: str) -> Reject:
        return Reject(source_file=item.source_file, code=code, message=message)

    if is_url(item.root):
        found = read_url(f"{item.root}/{item.source_file}", limits.max_page_bytes, storage)
        if isinstance(found, tuple):
            return reject(*found)
        if len(found) > limits.max_page_bytes:
            return reject(
                "too-large",
                f"over {limits.max_page_bytes} bytes, the limit (--max-page-bytes)",
            )
        return found

    if item.outside_root:
        return reject(
            "link-outside-input", "a symlink that leads out of the input folder: not read"
        )
    try:
        # Non-blocking, so that opening a pipe never waits for a writer; the descriptor's
        # own stat says what was opened. Plain os calls: this runs once per page.
        folder = folders.fd(item.root) if folders is not None else None
        if folder is None:
            fd = os.open(os.path.join(item.root, item.source_file), _OPEN_FLAGS)
        else:
            fd = os.open(item.source_file, _OPEN_FLAGS, dir_fd=folder)
    except OSError as exc:
        return reject("unreadable-file", exc.strerror or type(exc).__name__)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return reject(
                "not-a-regular-file", "not a regular file (a folder, device or pipe): not read"
            )
        if info.st_size > limits.max_page_bytes:
            return reject(
                "too-large",
                f"{info.st_size} bytes, over the limit of {limits.max_page_bytes} "
                "(--max-page-bytes)",
            )
        # Up to one byte over the limit, so that a file that grew is still caught.
        parts, total, limit = [], 0, limits.max_page_bytes + 1
        step = min(max(info.st_size + 1, 1 << 16), limit)
        while total < limit and (part := os.read(fd, want := min(step, limit - total))):
            parts.append(part)
            total += len(part)
            if len(part) < want and total == info.st_size:
                break  # a regular file's short read at its size is its end: one call saved
        return b"".join(parts)
    except OSError as exc:
        return reject("unreadable-file", exc.strerror or type(exc).__name__)
    finally:
        os.close(fd)


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC


def prefetch(item: InputFile) -> None:
    """Ask the OS to read the page file `item` into its cache ahead of `read_input`: a
    hint, whose failures are left for the reading to report."""
    if is_url(item.root) or item.outside_root or not _FADVISE:
        return
    try:
        fd = os.open(os.path.join(item.root, item.source_file), _OPEN_FLAGS)
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
    except OSError:  # not a regular file
        pass
    finally:
        os.close(fd)


_FADVISE = hasattr(os, "posix_fadvise")
