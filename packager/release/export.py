"""A release as one SQLite database with a full-text index: `packager export --to sqlite`.

The tables keep the release's fields, keys and foreign key (from the Table Schemas); dates
are ISO 8601 text. `articles_fts` indexes `title` and `body` (SQLite FTS5, made by
sqlite-utils), so that `datasette FILE` opens a searchable, browsable corpus at once.
Rows are read from the release's Parquet files 2,000 at a time and the database is
written beside its target and renamed into place when complete.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packager.contract.schema import TABLES, is_required, table_schema
from packager.errors import InputError, UsageError, os_reason
from packager.release.descriptor import DESCRIPTOR, release_at
from packager.release.read import parquet_batches
from packager.release.trust import Verify, refuse_invalid
from packager.release.write import table_files

SEARCHED = ["title", "body"]  # the articles' fields of the full-text index
_SQLITE_TYPES = {"string": str, "integer": int, "date": str}


@dataclass
class Exported:
    path: Path
    rows: dict[str, int]


def export_sqlite(release: Path, target: Path, *, verify: Verify | None = None) -> Exported:
    """Write the release at `release` (folder or descriptor) to the SQLite file `target`,
    which must not exist; an `InputError` where there is no release, or `verify` (the CLI
    gives `packager validate`) finds an error in it, a `UsageError` where `target`
    exists."""
    folder = release_at(release)
    if folder is None:
        raise InputError(f"{release}: not a release (a release is a folder with {DESCRIPTOR})")
    if target.exists():
        raise UsageError(f"{target}: exists already (export writes a new database)")
    if verify is not None:
        refuse_invalid(folder, verify(folder), "not exported")
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        partial.touch()  # the folder's own error (read-only, missing), not SQLite's guess
        rows = _write(folder, partial)
        os.replace(partial, target)
    except (OSError, ValueError, sqlite3.Error) as exc:  # ValueError: pyarrow's errors
        raise InputError(f"{folder}: cannot export to {target}: {os_reason(exc)}") from None
    finally:
        with contextlib.suppress(OSError):  # a read-only folder refuses even this
            partial.unlink(missing_ok=True)
    return Exported(target, rows)


def _write(folder: Path, path: Path) -> dict[str, int]:
    import sqlite_utils  # noqa: PLC0415 - 0.4 s to import; only export needs it

    db = sqlite_utils.Database(path)
    rows: dict[str, int] = {}
    try:
        for table in TABLES:
            schema = table_schema(table)
            columns = {f["name"]: _SQLITE_TYPES[f.get("type", "string")] for f in schema["fields"]}
            keys = schema["primaryKey"]
            db[table].create(  # type: ignore[union-attr]
                columns,
                pk=keys[0] if len(keys) == 1 else tuple(keys),
                not_null=[f["name"] for f in schema["fields"] if is_required(f)],
                foreign_keys=[
                    (key["fields"][0], key["reference"]["resource"], key["reference"]["fields"][0])
                    for key in schema.get("foreignKeys", [])
                ],
            )
            rows[table] = 0
            for name in table_files(folder, table, "parquet"):
                for batch in parquet_batches(folder / name):
                    records: list[dict[str, Any]] = batch.to_pylist()
                    for record in records:
                        for key, value in record.items():
                            if hasattr(value, "isoformat"):
                                record[key] = value.isoformat()
                    db[table].insert_all(records, batch_size=500)  # type: ignore[union-attr]
                    rows[table] += len(records)
        db["articles"].enable_fts(SEARCHED)  # type: ignore[union-attr]
        db["articles_fts"].optimize()  # type: ignore[union-attr]
        db.vacuum()
    finally:
        db.close()
    return rows
