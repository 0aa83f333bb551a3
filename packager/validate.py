"""`validate(paths)`: check page dumps or releases; bad data is a `Report`, never raised.

A path is a release when it is a folder holding ``datapackage.json`` or is a ``.json``
descriptor; anything else is taken as page dumps (files, or folders of ``.txt`` files).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import frictionless
import pyarrow as pa

from packager.checksums import read_sha256sums, sha256_file
from packager.descriptor import PARQUET_BYTES
from packager.errors import InputError
from packager.inputs import input_files
from packager.models import Issue, Reject, Report
from packager.parse import parse_file
from packager.read import read_csv, read_parquet
from packager.schema import TABLES, arrow_schema

DESCRIPTOR = "datapackage.json"


def validate(paths: list[Path], *, today: dt.date | None = None) -> Report:
    """Check every path; missing paths raise `InputError`, bad data lands in the report."""
    issues: list[Issue] = []
    stats: dict[str, int] = {"pages": 0, "rejects": 0, "releases": 0}
    pages: list[Path] = []
    for path in paths:
        descriptor = _descriptor_of(path)
        if descriptor is None:
            pages.append(path)
            continue
        stats["releases"] += 1
        issues.extend(validate_release(descriptor))
    for item in input_files(pages) if pages else []:
        stats["pages"] += 1
        parsed = parse_file(item, today)
        if isinstance(parsed, Reject):
            stats["rejects"] += 1
            issues.append(parsed.as_issue())
        else:
            issues.extend(parsed.warnings)
    return Report(issues=issues, stats=stats)


def _descriptor_of(path: Path) -> Path | None:
    if path.is_dir() and (path / DESCRIPTOR).is_file():
        return path / DESCRIPTOR
    if path.is_file() and path.suffix == ".json":
        return path
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    return None


def _issue(code: str, message: str, file: str, **where: Any) -> Issue:
    return Issue(code=code, message=message, file=file, **where)


def _safe_path(folder: Path, value: object) -> Path | None:
    """The resource's file when its path stays inside the release folder, else None."""
    if not isinstance(value, str) or not value or "://" in value or value.startswith("/"):
        return None
    if ".." in Path(value).parts or "\\" in value:
        return None
    resolved = (folder / value).resolve()
    return resolved if resolved.is_relative_to(folder.resolve()) else None


def validate_release(descriptor_path: Path) -> list[Issue]:
    """Check a release: its descriptor, every file's size and sha256, and every row."""
    folder = descriptor_path.parent
    name = descriptor_path.name
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [_issue("package-error", f"the descriptor cannot be read as JSON: {exc}", name)]
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        return [_issue("package-error", "the descriptor has no list of resources", name)]
    issues = [
        _issue("package-error", f"the descriptor has no {key!r}", name)
        for key in ("$schema", "name", "version", "created")
        if key not in descriptor
    ]
    files: dict[str, Path] = {}
    for index, resource in enumerate(descriptor["resources"]):
        label = resource.get("path") if isinstance(resource, dict) else None
        path = _safe_path(folder, label) if isinstance(resource, dict) else None
        if path is None:
            issues.append(
                _issue(
                    "unsafe-path",
                    f"resource {index + 1}: path {label!r} is not a file inside the release",
                    name,
                )
            )
            continue
        if not path.is_file():
            issues.append(_issue("scheme-error", "the resource's file is missing", str(label)))
            continue
        files[resource.get("name", label)] = path
        issues.extend(_check_size_and_hash(resource, path, str(label)))
    issues.extend(_check_sha256sums(folder))
    if not any(i.code in {"unsafe-path", "scheme-error", "package-error"} for i in issues):
        issues.extend(_check_rows(descriptor, folder))
    return issues


def _check_size_and_hash(resource: dict[str, Any], path: Path, label: str) -> list[Issue]:
    issues = []
    expected_bytes = resource.get("bytes", resource.get(PARQUET_BYTES))
    actual_bytes = path.stat().st_size
    if expected_bytes is not None and expected_bytes != actual_bytes:
        issues.append(
            _issue("byte-count", f"expected {expected_bytes} bytes, found {actual_bytes}", label)
        )
    expected_hash = resource.get("hash")
    if isinstance(expected_hash, str):
        algorithm, _, digest = expected_hash.rpartition(":")
        if algorithm not in ("", "sha256"):
            issues.append(_issue("hash-count", f"unsupported hash algorithm {algorithm!r}", label))
        elif digest != sha256_file(path):
            issues.append(
                _issue("hash-count", "the file's sha256 differs from the descriptor's", label)
            )
    return issues


def _check_sha256sums(folder: Path) -> list[Issue]:
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return [_issue("checksum-missing", "the release has no SHA256SUMS file", "SHA256SUMS")]
    issues = []
    listed = set()
    for line, digest, name in read_sha256sums(sums):
        listed.add(name)
        path = _safe_path(folder, name)
        if path is None or not path.is_file():
            issues.append(
                _issue("scheme-error", f"{name} is listed but missing", "SHA256SUMS", line=line)
            )
        elif sha256_file(path) != digest:
            issues.append(
                _issue(
                    "hash-count", f"{name}: sha256 differs from SHA256SUMS", "SHA256SUMS", line=line
                )
            )
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name != "SHA256SUMS" and name not in listed:
            issues.append(
                _issue("checksum-missing", f"{name} is not listed in SHA256SUMS", "SHA256SUMS")
            )
    return issues


def _check_rows(descriptor: dict[str, Any], folder: Path) -> list[Issue]:
    """Rows of the CSV resources through frictionless; each Parquet file equal to its CSV."""
    csv_resources = [r for r in descriptor["resources"] if r.get("format") == "csv"]
    package = frictionless.Package(
        {
            "resources": [
                {k: v for k, v in r.items() if k not in ("bytes", "hash")} for r in csv_resources
            ]
        },
        basepath=str(folder),
    )
    issues = []
    report = package.validate(limit_errors=1000)
    for task in report.tasks:
        for error in task.errors:
            issues.append(
                _issue(
                    error.type,
                    error.message,
                    task.place,
                    row=getattr(error, "row_number", None),
                    field=getattr(error, "field_name", None),
                )
            )
    for table in TABLES:
        csv_path, parquet_path = folder / f"data/{table}.csv", folder / f"data/{table}.parquet"
        if not (csv_path.is_file() and parquet_path.is_file()):
            continue
        if not _same_rows(csv_path, parquet_path, arrow_schema(table)):
            issues.append(
                _issue(
                    "table-mismatch",
                    f"data/{table}.parquet and data/{table}.csv hold different rows",
                    f"data/{table}.parquet",
                )
            )
    return issues


def _same_rows(csv_path: Path, parquet_path: Path, schema: pa.Schema) -> bool:
    try:
        from_csv = read_csv(csv_path, schema)
        from_parquet = read_parquet(parquet_path)
    except (pa.ArrowInvalid, OSError):
        return False
    plain = pa.schema([f.with_nullable(True).remove_metadata() for f in schema])
    try:
        return (
            from_csv.select(plain.names)
            .cast(plain)
            .equals(from_parquet.select(plain.names).cast(plain))
        )
    except (pa.ArrowInvalid, KeyError):
        return False
