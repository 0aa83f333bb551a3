"""`validate(paths)`: check page dumps, parsed-article tables and releases.

Bad data is a `Report`, never an exception; only what cannot be read at all raises
`InputError`. A path is:

- a release when it is a folder holding ``datapackage.json``, or a ``.json`` descriptor;
- a parsed-article table when it ends in ``.csv``, ``.parquet`` or ``.jsonl``;
- otherwise page dumps (a file, or a folder of ``.txt`` files).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa

from packager.check.checker import (
    Collector,
    ContractRules,
    ErrorLimit,
    TableChecker,
)
from packager.check.keys import Keys
from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Issue, Reject, Report
from packager.contract.schema import ARROW_TYPES, TABLES, table_schema
from packager.errors import InputError
from packager.inputs import parse_file
from packager.inputs.files import (
    NOT_UTF8,
    TABLE_SUFFIXES,
    InputFile,
    input_files,
    is_utf8,
    shown_path,
)
from packager.inputs.rows import TableOptions, TableRows
from packager.inputs.tables import Batch, TableSource, open_tables, read_ahead
from packager.release.checksums import Digests, read_sha256sums
from packager.release.descriptor import (
    DESCRIPTOR,
    METADATA_FILES,
    PARQUET_BYTES,
    PARTS,
    DescriptorError,
    read_descriptor,
)
from packager.release.versions import name_problem, version_problem


def validate(
    paths: list[Path],
    *,
    today: dt.date | None = None,
    mapping: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    date_format: str | None = None,
    max_errors: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Report:
    """Check every path; a missing or unreadable path raises `InputError`. Page dumps and
    parsed-article tables are judged as `build` would judge them (what it would reject is
    an error, what it would merge a warning); a release is checked file by file and row by
    row. `mapping`, `constants` and `date_format` are build's options for tables."""
    out = Collector(max_errors=max_errors)
    stats: dict[str, Any] = {"pages": 0, "rejects": 0, "tables": 0, "rows": 0, "releases": 0}
    contract = ContractRules(today=today or dt.date.today())
    try:
        kinds = [(path, _kind(path)) for path in paths]
    except OSError as exc:  # a name too long to look up
        raise InputError(f"{shown_path(Path(exc.filename or ''))}: {exc.strerror}") from None
    options = TableOptions(mapping or {}, constants or {}, date_format)
    try:
        for path, kind in kinds:
            if kind == "release":
                stats["releases"] += 1
                stats["rows"] += validate_release(_descriptor_path(path), out, contract)
        pages = [path for path, kind in kinds if kind == "pages"]
        listed = input_files(pages) if pages else None
        found = list(listed) if listed is not None else []
        for name, why in listed.skipped if listed is not None else []:
            out.add(Issue(code="skipped-file", message=why, file=name, severity="warning"))
        for path, kind in kinds:
            if kind == "table" and not is_utf8(path.name):
                raise InputError(f"{shown_path(path)}: {NOT_UTF8}")
        tables = [InputFile(p.name, str(p.parent)) for p, kind in kinds if kind == "table"]
        tables += [item for item in found if item.is_table]
        stats["tables"] = len(tables)
        stats["rows"] += _judge_tables(tables, out, contract.today, options, limits)
        pages_kept: list[tuple[str, int, str, int]] = []  # id, capture day, file, body hash
        for item in (item for item in found if not item.is_table):
            stats["pages"] += 1
            parsed = parse_file(item, today, limits)
            if isinstance(parsed, Reject):
                stats["rejects"] += 1
                out.add(parsed.as_issue())
            else:
                for warning in parsed.warnings:
                    out.add(warning)
                article = parsed.article
                captured = article.date_captured
                day = captured.toordinal() if captured else -1
                pages_kept.append((article.article_id, day, item.source_file, hash(article.body)))
        _report_page_merges(pages_kept, out)
    except ErrorLimit:
        pass
    if not (stats["pages"] or stats["tables"] or stats["releases"]):
        raise InputError(_nothing_to_check(paths))
    stats["truncated"] = out.truncated
    return Report(issues=out.issues, stats=stats)


def _report_page_merges(pages: list[tuple[str, int, str, int]], out: Collector) -> None:
    """The pages `build` would merge, as build reports them: of each article's pages the
    latest capture is kept (no capture date counts as oldest), then the smallest
    source_file; every other is `duplicate-merged` (or `-body-differs`)."""
    pages.sort(key=lambda page: (page[0], -page[1], page[2]))
    for _, group in itertools.groupby(pages, key=lambda page: page[0]):
        kept, *merged = group
        for _, _, file, body in sorted(merged, key=lambda page: page[2]):
            out.add(_merge_issue(kept[2], file, None, body != kept[3]))


def _merge_issue(kept: str, file: str, line: int | None, differs: bool) -> Issue:
    """The warning of an input `build` would merge into the `kept` one, as build words it."""
    return Issue(
        code="duplicate-body-differs" if differs else "duplicate-merged",
        message=f"same article as {kept} (kept)" + ("; their bodies differ" if differs else ""),
        file=file,
        line=line,
        severity="warning",
    )


def _nothing_to_check(paths: list[Path]) -> str:
    """The error for paths that hold no page dump, table or release, with the release a
    folder of releases (OUT/NAME) was perhaps meant to name."""
    named = ", ".join(str(path) for path in paths)
    message = f"{named}: nothing to check: no page dump (.txt), table or release in it"
    for path in paths:
        versions = (
            sorted(p.name for p in path.iterdir() if (p / DESCRIPTOR).is_file())
            if path.is_dir()
            else []
        )
        if versions:
            return f"{message} (a release is a folder with {DESCRIPTOR}: {path / versions[-1]}?)"
    return message


def _kind(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if (path.is_dir() and any(os.path.lexists(path / name) for name in _RELEASE_FILES)) or (
        path.is_file() and path.suffix == ".json" and not _holds_json_array(path)
    ):
        return "release"  # a descriptor: a .json file holding an object
    if path.is_file() and path.name.lower().endswith(TABLE_SUFFIXES):
        return "table"
    return "pages"


# A folder holding either (of any kind: a link or a pipe is reported, not read) is a
# release: a damaged one, that lost its descriptor, is checked as one.
_RELEASE_FILES = (DESCRIPTOR, "SHA256SUMS")


def _holds_json_array(path: Path) -> bool:
    """Whether a .json file holds an array (a table of articles), by its first byte."""
    try:
        with path.open("rb") as handle:
            return handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
    except OSError:
        return False


def _descriptor_path(path: Path) -> Path:
    return path / DESCRIPTOR if path.is_dir() else path


# -- parsed-article tables ---------------------------------------------------------------


def _drain(source: TableSource, out: Collector) -> None:
    while source.issues:
        out.add(source.issues.pop(0))


class _Kept(NamedTuple):
    """The row that keeps an article_id so far, as build's dedup decides."""

    rank: tuple[int, int, int]  # (capture day or -1, file, row): the largest wins
    file: str
    line: int | None
    body: int  # hash of the body, to say whether a merged body differs


def _judge_table(
    position: int,
    item: InputFile,
    out: Collector,
    today: dt.date,
    options: TableOptions,
    limits: Limits,
    kept: dict[str, _Kept],
    merged: list[tuple[str, str, int | None, int]],
) -> int:
    """One table of `_judge_tables`: its rows judged, the kept and merged rows noted;
    the number of rows read. Raises `InputError` where the table cannot be read."""
    table = TableRows(item, options, today, limits)
    for code, message, line in table.warnings:
        out.add(Issue(code=code, message=message, file=item.source_file, line=line,
                      severity="warning"))  # fmt: skip
    rows = 0
    for number, result in enumerate(table):
        rows += 1
        if isinstance(result, Reject):
            out.add(result.as_issue())
            continue
        for code, message, line in result.warnings:
            out.add(Issue(code=code, message=message, file=item.source_file, line=line,
                          severity="warning"))  # fmt: skip
        article = result.article
        captured = article["date_captured"]
        row = _Kept(
            (captured.toordinal() if captured else -1, position, number),
            item.source_file,
            result.line,
            hash(article["body"]),
        )
        aid = article["article_id"]
        before = kept.get(aid)
        if before is not None:
            loser, row = (before, row) if row.rank > before.rank else (row, before)
            merged.append((aid, loser.file, loser.line, loser.body))
        kept[aid] = row
    for code, message, line in table.closing_warnings():
        out.add(Issue(code=code, message=message, file=item.source_file, line=line,
                      severity="warning"))  # fmt: skip
    return rows


def _judge_tables(
    items: list[InputFile], out: Collector, today: dt.date, options: TableOptions, limits: Limits
) -> int:
    """Read parsed-article tables as build reads them: a row build would reject is an
    error, a row it would merge into another is a warning (duplicate-merged,
    duplicate-body-differs), the tables' warnings are warnings. Returns the rows read."""
    kept: dict[str, _Kept] = {}
    merged: list[tuple[str, str, int | None, int]] = []  # article_id, file, line, body hash
    rows = 0
    for position, item in enumerate(items):
        rows += _judge_table(position, item, out, today, options, limits, kept, merged)
    for aid, file, line, body in merged:
        winner = kept[aid]
        out.add(_merge_issue(f"{winner.file} row {winner.line}", file, line, body != winner.body))
    return rows


# -- releases ----------------------------------------------------------------------------


def _issue(code: str, message: str, file: str, **where: Any) -> Issue:
    return Issue(code=code, message=message, file=file, **where)


def release_files(folder: Path, out: Collector) -> set[str]:
    """The regular files of a release (names relative to it, "/" between parts), found
    without following a link. A symbolic link, a hard link (a file of more than one
    name), a pipe, a socket or a device in a release is an error, and is never opened:
    nothing outside the release is read."""
    found: set[str] = set()
    pending = [(folder, "")]
    while pending:
        where, prefix = pending.pop()
        try:
            entries = sorted(os.scandir(where), key=lambda entry: entry.name)
        except OSError as exc:
            out.add(_issue("unreadable-file", exc.strerror or "cannot be listed", prefix or "."))
            continue
        for entry in entries:
            name = prefix + entry.name
            if entry.is_symlink():
                why = "a symbolic link: a release holds regular files and folders only"
                out.add(_issue("unsafe-entry", why, name))
            elif entry.is_dir(follow_symlinks=False):
                pending.append((Path(entry.path), name + "/"))
            elif entry.is_file(follow_symlinks=False):
                links = entry.stat(follow_symlinks=False).st_nlink
                if links > 1:  # its bytes may be any file's of the machine: not read
                    why = f"a hard link ({links} names): a release's files are its own; not read"
                    out.add(_issue("unsafe-entry", why, name))
                else:
                    found.add(name)
            else:
                why = "not a regular file (a pipe, socket or device): not opened"
                out.add(_issue("unsafe-entry", why, name))
    return found


def safe_path(folder: Path, value: object, files: set[str]) -> Path | None:
    """The file `value` names when it is one of the release's regular `files` (see
    `release_files`), else None: a name that leaves the release, or goes through a link,
    is none of them."""
    if isinstance(value, str) and value in files:
        return folder / value
    return None


def _read_descriptor(path: Path, out: Collector) -> dict[str, Any] | None:
    name = path.name
    try:
        descriptor = read_descriptor(path)
    except DescriptorError as exc:
        out.add(_issue("package-error", exc.why, name))
        return None
    if not isinstance(descriptor.get("resources"), list):
        out.add(_issue("package-error", "the descriptor has no list of resources", name))
        return None
    for key in ("$schema", "name", "version", "created"):
        if key not in descriptor:
            out.add(_issue("package-error", f"the descriptor has no {key!r}", name))
    for key, problem in (("name", name_problem), ("version", version_problem)):
        if key in descriptor and (why := problem(descriptor[key])):
            out.add(_issue("package-error", f"the descriptor's {why}", name))
    return descriptor


def validate_release(descriptor_path: Path, out: Collector, contract: ContractRules) -> int:
    """Check a release: descriptor, every file's size and sha256, SHA256SUMS, every row.

    Returns the number of rows read."""
    folder = descriptor_path.parent
    files = release_files(folder, out)
    # Every regular file hashed once, two at a time: the descriptor and SHA256SUMS name
    # the same data files.
    hashes = Digests(folder)
    regular = [name for name in sorted(files) if (folder / name).is_file()]
    hashes.prefetch(name for name in regular if not (folder / name).is_symlink())
    return _validate_release(descriptor_path, folder, files, hashes, out, contract)


def _validate_release(
    descriptor_path: Path,
    folder: Path,
    files: set[str],
    hashes: Digests,
    out: Collector,
    contract: ContractRules,
) -> int:
    if descriptor_path.name not in files:
        if not os.path.lexists(descriptor_path):  # else a link or a pipe: reported, not read
            out.add(_issue("package-error", "the release has no datapackage.json", DESCRIPTOR))
        _check_sha256sums(folder, files, hashes, out)
        return 0
    descriptor = _read_descriptor(descriptor_path, out)
    if descriptor is None:
        return 0
    tables: dict[str, list[tuple[dict[str, Any], list[Path]]]] = {}
    broken = False
    for index, resource in enumerate(descriptor["resources"]):
        if not isinstance(resource, dict):
            out.add(_issue("package-error", f"resource {index + 1} is not an object", DESCRIPTOR))
            broken = True
            continue
        paths = _resource_files(folder, files, resource, index, out)
        if paths is None:
            broken = True
            continue
        label = _table_label(resource, paths)
        if len(paths) == 1:
            _check_size_and_hash(resource, paths[0], label, hashes, out)
        else:
            _check_parts(resource, folder, files, hashes, out)
        if not _schema_ok(resource.get("schema"), label, out):
            broken = True
            continue
        table = str(resource.get("name", label)).removesuffix("-parquet")
        tables.setdefault(table, []).append((resource, paths))
    _check_listed(descriptor.get(METADATA_FILES), folder, files, hashes, out)
    _check_sha256sums(folder, files, hashes, out)
    if broken:
        return 0
    return _check_rows(tables, out, contract)


def _table_label(resource: dict[str, Any], paths: list[Path]) -> str:
    """How the report names a table's files: its one file, or its parts' folder."""
    return str(resource.get("path")) if len(paths) == 1 else _parts_label(resource)


def _parts_label(resource: dict[str, Any]) -> str:
    """data/csv/articles for parts data/csv/articles/year=2024/part-0.csv, ..."""
    return str(Path(resource["path"][0]).parent.parent.as_posix())


def _resource_files(
    folder: Path, files: set[str], resource: dict[str, Any], index: int, out: Collector
) -> list[Path] | None:
    """The files of a resource (one, or a list of parts), each inside the release; None
    (and the issue reported) when one is unsafe or missing."""
    given = resource.get("path")
    names = given if isinstance(given, list) and given else [given]
    paths = []
    for name in names:
        path = safe_path(folder, name, files)
        if path is None and _unsafe(folder, name):
            message = f"resource {index + 1}: path {excerpt(name)} is {_unsafe(folder, name)}"
            out.add(_issue("unsafe-path", message, DESCRIPTOR))
            return None
        if path is None:
            out.add(_issue("scheme-error", "the resource's file is missing", str(name)))
            return None
        paths.append(path)
    return paths


def _unsafe(folder: Path, name: object) -> str:
    """Why `name`, none of the release's regular files, is unsafe to follow ("" when it is
    just missing): it leaves the release, or is a link, a pipe or a device."""
    if not isinstance(name, str) or not name or name.startswith(("/", "\\")) or "://" in name:
        return "not a file inside the release"
    if ".." in Path(name).parts or "\\" in name or ":" in name.split("/")[0]:
        return "not a file inside the release"
    if os.path.lexists(folder / name):
        return "not a regular file inside the release (a link, a pipe or a device)"
    return ""


def _check_parts(
    resource: dict[str, Any], folder: Path, files: set[str], hashes: Digests, out: Collector
) -> None:
    _check_listed(resource.get(PARTS), folder, files, hashes, out)


def _check_listed(
    parts: object, folder: Path, files: set[str], hashes: Digests, out: Collector
) -> None:
    """The size and sha256 of each file a descriptor lists with them (a partitioned table's
    parts, the release's metadata files)."""
    if not isinstance(parts, list):
        return  # no sizes or hashes recorded: SHA256SUMS still covers the files
    for part in parts:
        path = safe_path(folder, part.get("path"), files) if isinstance(part, dict) else None
        if path is None:
            out.add(_issue("scheme-error", f"listed file {excerpt(part)} is missing", DESCRIPTOR))
            continue
        _check_size_and_hash(part, path, str(part["path"]), hashes, out)


def _schema_ok(schema: object, label: str, out: Collector) -> bool:
    if not isinstance(schema, dict):
        out.add(_issue("schema-error", "the resource has no inline Table Schema", label))
        return False
    fields = schema.get("fields")
    if not isinstance(fields, list) or not all(
        isinstance(f, dict)
        and isinstance(f.get("name"), str)
        and isinstance(f.get("type", "string"), str)
        and f.get("type", "string") in ARROW_TYPES
        for f in fields
    ):
        out.add(
            _issue(
                "schema-error",
                "the Table Schema's fields are not name/type objects of string, integer or date",
                label,
            )
        )
        return False
    if any(schema == _own_schema(t) for t in TABLES):
        return True  # packager's own schema, known good: skip the costly full check
    import frictionless  # noqa: PLC0415 - 0.7 s to import; needed only for foreign schemas

    try:
        frictionless.Schema.from_descriptor(schema)
    except frictionless.FrictionlessException as exc:
        out.add(_issue("schema-error", f"invalid Table Schema: {exc.error.message}", label))
        return False
    return True


def _own_schema(table: str) -> dict[str, Any]:
    return {k: v for k, v in table_schema(table).items() if k != "$schema"}


def _check_size_and_hash(
    resource: dict[str, Any], path: Path, label: str, hashes: Digests, out: Collector
) -> None:
    expected_bytes = resource.get("bytes", resource.get(PARQUET_BYTES))
    actual_bytes = path.stat().st_size
    if expected_bytes is not None and expected_bytes != actual_bytes:
        out.add(
            _issue("byte-count", f"expected {expected_bytes} bytes, found {actual_bytes}", label)
        )
    expected_hash = resource.get("hash")
    if isinstance(expected_hash, str):
        algorithm, _, digest = expected_hash.rpartition(":")
        if algorithm not in ("", "sha256"):
            out.add(_issue("hash-count", f"unsupported hash algorithm {algorithm!r}", label))
        elif digest != hashes.of(path):
            out.add(_issue("hash-count", "the file's sha256 differs from the descriptor's", label))


def _check_sha256sums(folder: Path, files: set[str], hashes: Digests, out: Collector) -> None:
    if "SHA256SUMS" not in files:
        if not (folder / "SHA256SUMS").is_symlink():  # a link is reported as unsafe
            out.add(_issue("checksum-missing", "the release has no SHA256SUMS file", "SHA256SUMS"))
        return
    listed = set()
    entries, bad = read_sha256sums(folder / "SHA256SUMS")
    for line, problem in bad:
        out.add(_issue("checksum-format", problem, "SHA256SUMS", line=line))
    for line, digest, name in entries:
        listed.add(name)
        path = safe_path(folder, name, files)
        if path is None and _unsafe(folder, name):
            message = f"{excerpt(name)} is {_unsafe(folder, name)}"
            out.add(_issue("unsafe-path", message, "SHA256SUMS", line=line))
        elif path is None:
            message = f"{excerpt(name)} is listed but missing"
            out.add(_issue("scheme-error", message, "SHA256SUMS", line=line))
        elif hashes.of(path) != digest.lower():
            message = f"{excerpt(name)}: sha256 differs from SHA256SUMS"
            out.add(_issue("hash-count", message, "SHA256SUMS", line=line))
    for name in sorted(files - listed - {"SHA256SUMS"}):
        out.add(_issue("checksum-missing", f"{name} is not listed in SHA256SUMS", "SHA256SUMS"))


def excerpt(value: object, size: int = 60) -> str:
    """A value of a release's file for a message: its repr (escaped), cut short."""
    text = repr(value)
    return text if len(text) <= size else text[: size - 1] + "…"


def _check_all(checker: TableChecker, source: TableSource, out: Collector) -> None:
    for batch, rows, missing in source.batches:
        _drain(source, out)
        checker.check(batch, rows, missing)
    _drain(source, out)


def _check_both(
    first: TableChecker, second: TableChecker, a: TableSource, b: TableSource, out: Collector
) -> bool:
    """Check a table's two formats, the second's rows taken as many at a time as each
    batch of the first holds; whether the two hold equal rows. Where a batch of the
    second equals the first's, typed, row for row and number for number, the first's
    cells were each present and of their type and both have the same fields, the
    second's findings are the first's (the same Table Schema judging the same values):
    they are reported under its name, not found again."""
    rest = _Rechunked(b, out)
    equal = True
    alike = first.fields == second.fields  # the same fields, types and constraints
    for batch, rows, missing in a.batches:
        _drain(a, out)
        typed = first.check(batch, rows, missing)
        parts = rest.take(batch.num_rows)
        if not parts:
            equal = equal and not batch.num_rows
            continue
        if alike and first.clean and _equal_parts(second, parts, typed, rows):
            second.adopt(first.findings, batch.num_rows)
            continue
        other, other_rows, other_missing = _joined(parts)
        checked = second.check(other, other_rows, other_missing)
        whole = other.num_rows == batch.num_rows  # else the second has ended
        equal = equal and whole and _plain(checked).equals(_plain(typed))
    for other, other_rows, other_missing in rest.rest():
        equal = equal and not other.num_rows
        second.check(other, other_rows, other_missing)
    return equal


def _equal_parts(
    checker: TableChecker, parts: list[Batch], typed: pa.RecordBatch, rows: pa.Array
) -> bool:
    """Whether `parts`, one after the other, hold `typed`'s rows with the same numbers,
    each cell present and of its type."""
    start = 0
    for batch, numbers, missing in parts:
        if missing or not numbers.equals(rows.slice(start, len(numbers))):
            return False
        candidate, fine = checker.typed(batch)
        if not fine or not _plain(candidate).equals(_plain(typed.slice(start, len(numbers)))):
            return False
        start += len(numbers)
    return bool(start == typed.num_rows)


class _Rechunked:
    """A table's batches (`source`'s, its issues reported as each is read) taken a given
    number of rows at a time, whatever their own sizes."""

    def __init__(self, source: TableSource, out: Collector) -> None:
        self.source, self.out = source, out
        self.batches = iter(source.batches)
        self.held: Batch | None = None  # the part of a batch not taken yet

    def _next(self) -> Batch | None:
        if self.held is not None:
            held, self.held = self.held, None
            return held
        item = next(self.batches, None)
        _drain(self.source, self.out)
        return item

    def take(self, count: int) -> list[Batch]:
        """The next `count` rows (fewer at the end, none after it), in parts."""
        parts: list[Batch] = []
        taken = 0
        while taken < count:
            item = self._next()
            if item is None:
                break
            if item[0].num_rows > count - taken:
                item, self.held = _cut(item, count - taken)
            parts.append(item)
            taken += item[0].num_rows
        return parts

    def rest(self) -> Iterator[Batch]:
        while (item := self._next()) is not None:
            yield item


def _cut(item: Batch, at: int) -> tuple[Batch, Batch]:
    batch, rows, missing = item
    head = {i: names for i, names in missing.items() if i < at}
    tail = {i - at: names for i, names in missing.items() if i >= at}
    return (batch.slice(0, at), rows.slice(0, at), head), (batch.slice(at), rows.slice(at), tail)


def _joined(parts: list[Batch]) -> Batch:
    if len(parts) == 1:
        return parts[0]
    missing: dict[int, set[str]] = {}
    start = 0
    for batch, _, held in parts:
        missing.update({start + i: names for i, names in held.items()})
        start += batch.num_rows
    table = pa.concat_tables(
        [pa.Table.from_batches([batch]) for batch, _, _ in parts], promote_options="permissive"
    ).combine_chunks()
    batch = table.to_batches()[0] if table.num_rows else parts[0][0].slice(0, 0)
    rows = pa.concat_arrays([rows for _, rows, _ in parts])
    return batch, rows, missing


def _plain(batch: pa.RecordBatch) -> pa.RecordBatch:
    """`batch` with every field nullable and no metadata, to be compared by value."""
    schema = pa.schema([f.with_nullable(True).remove_metadata() for f in batch.schema])
    return pa.RecordBatch.from_arrays(batch.columns, schema=schema)


def _check_rows(
    tables: dict[str, list[tuple[dict[str, Any], list[Path]]]],
    out: Collector,
    contract: ContractRules,
) -> int:
    rows = 0
    lookups: dict[str, Keys | None] = {}
    # Referenced tables first, so their keys are there for the foreign keys.
    order = sorted(tables, key=lambda t: any(_foreign_keys(r) for r, _ in tables[t]))
    for table in order:
        try:
            rows += _check_table(table, tables[table], out, contract, lookups)
            _sort_referenced(table, tables, lookups)
        except InputError as exc:  # a data file that cannot be read: the rest goes on
            out.add(_issue("unreadable-table", *_unreadable(exc, tables[table])))
            lookups[table] = None
        except (pa.ArrowException, TypeError, ValueError, KeyError, IndexError) as exc:
            # A Table Schema other than packager's that frictionless's check let through
            # (a constraint of the wrong type, a key naming no field): its table's rows
            # cannot be checked against it. The rest goes on.
            label = _table_label(tables[table][0][0], tables[table][0][1])
            why = f"the rows cannot be checked against the Table Schema: {excerpt(str(exc), 120)}"
            out.add(_issue("schema-error", why, label))
            lookups[table] = None
    return rows


def _sort_referenced(
    table: str,
    tables: dict[str, list[tuple[dict[str, Any], list[Path]]]],
    lookups: dict[str, Keys | None],
) -> None:
    """Sort the values of `table` that other tables' foreign keys look up, as soon as the
    table is checked: its keys are then let go before the next table's batches are read,
    not held beside them."""
    keys = lookups.get(table)
    if keys is None:
        return
    for entries in tables.values():
        for resource, _ in entries:
            for fk in _foreign_keys(resource):
                reference = fk.get("reference", {}) if isinstance(fk, dict) else {}
                if reference.get("resource") == table and isinstance(reference.get("fields"), list):
                    for name in reference["fields"]:
                        if name in keys.names:
                            keys.values(name)


def _foreign_keys(resource: dict[str, Any]) -> list[Any]:
    keys = resource["schema"].get("foreignKeys", [])
    return keys if isinstance(keys, list) else []


def _unreadable(
    exc: InputError, entries: list[tuple[dict[str, Any], list[Path]]]
) -> tuple[str, str]:
    """(message, file) of a data file that cannot be read: the message without the path
    it starts with, the file as the descriptor names it."""
    text = str(exc)
    for resource, paths in entries:
        for number, path in enumerate(paths):
            if text.startswith(f"{path}: "):
                named = resource["path"]
                return text.removeprefix(f"{path}: "), str(
                    named[number] if isinstance(named, list) else named
                )
    return text, str(entries[0][0].get("path"))


def _check_table(
    table: str,
    entries: list[tuple[dict[str, Any], list[Path]]],
    out: Collector,
    contract: ContractRules,
    lookups: dict[str, Keys | None],
) -> int:
    """Check one table's files (one a format): rows, keys, the formats equal; returns the
    rows read, and leaves the table's keys in `lookups`."""
    rows = 0
    checkers = []
    sources = []
    for n, (resource, paths) in enumerate(entries):
        # a partitioned table is one table: its rows are numbered across its parts
        label = _table_label(resource, paths)
        # The contract's rules and the key checks run on one format; the other must equal it.
        own_rules = contract if table == "articles" and n == 0 else None
        checker = TableChecker(
            resource["schema"], label, out, contract=own_rules, keys=n == 0, lookups=lookups
        )
        source = read_ahead(open_tables(paths, label))
        checker.header(source.columns)
        checkers.append(checker)
        sources.append(source)
    if len(sources) == 2:
        if not _check_both(checkers[0], checkers[1], sources[0], sources[1], out):
            message = f"the Parquet and CSV files of {table!r} hold different rows"
            out.add(_issue("table-mismatch", message, checkers[1].file))
    else:
        for checker, source in zip(checkers, sources, strict=True):
            _check_all(checker, source, out)
    for checker in checkers:
        checker.finish()
        rows += checker.rows
    lookups[table] = checkers[0].keys
    return rows
