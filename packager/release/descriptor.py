"""The release's ``datapackage.json``: a Frictionless Data Package v2 descriptor, made
(`make_descriptor`) and read (`read_descriptor`) here alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from packager.contract.schema import TABLES, table_schema
from packager.errors import InputError
from packager.release.checksums import Digests
from packager.release.citation import Citable
from packager.release.write import table_files

DESCRIPTOR = "datapackage.json"
MAX_DESCRIPTOR_BYTES = 16 << 20  # a descriptor is a few KB; a huge one is refused unread
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
MEDIATYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
# frictionless reports `byte-count` for any `bytes` on a Parquet resource (it cannot
# measure one), so the size of a Parquet file is recorded under this key instead.
PARQUET_BYTES = "packager:bytes"
# A partitioned table's files, each with its size and sha256.
PARTS = "packager:parts"
# The release's other metadata files (croissant.json, CITATION.cff), each with its size and
# sha256: not resources, which Frictionless would read as tables.
METADATA_FILES = "packager:metadata"
DEFAULT_DESCRIPTION = (
    "Articles from North Korean state media (KCNA, Rodong Sinmun, Pyongyang Times and others), "
    "packaged by packager from {origin}."
)
# What each kind of input is called where dataset.toml names no sources.
SOURCE_TITLES = {
    "pages": "KCNA Watch page dumps",
    "tables": "Tables of articles parsed by other scrapers",
    "releases": "Earlier releases of this dataset",
}


def origin(kinds: list[str]) -> str:
    """The inputs' kinds in words, for a default description: "KCNA Watch page dumps"."""
    return " and ".join(SOURCE_TITLES[kind][0].lower() + SOURCE_TITLES[kind][1:] for kind in kinds)


# The descriptor's record of how the release was made: pages counted, each table (name,
# sha256, rows, --map, --set, --date-format) and each release carried (name, version,
# the sha256 of its descriptor, articles, revisions).
INPUTS = "packager:inputs"


def resource_name(table: str, fmt: str) -> str:
    # The CSV resources carry the plain table names: foreign keys refer to them.
    return table if fmt == "csv" else f"{table}-{fmt}"


def resource(folder: Path, table: str, fmt: str, digests: Digests) -> dict[str, Any]:
    """The descriptor entry of `table` in `fmt` in the release `folder`.

    One file (the single layout) carries its size and sha256 as `bytes` and `hash`. The
    partitioned layout's files are listed in `path`, each with its size and sha256 under
    `packager:parts`; SHA256SUMS lists them too."""
    paths = table_files(folder, table, fmt)
    entry: dict[str, Any] = {
        "name": resource_name(table, fmt),
        "type": "table",
        "path": paths[0] if len(paths) == 1 else paths,
        "format": fmt,
        "mediatype": MEDIATYPES[fmt],
    }
    if fmt == "csv":
        entry["encoding"] = "utf-8"
    if len(paths) == 1:
        size = (folder / paths[0]).stat().st_size
        entry["bytes" if fmt == "csv" else PARQUET_BYTES] = size
        entry["hash"] = f"sha256:{digests(paths[0])}"
    else:
        entry[PARTS] = [
            {
                "path": p,
                "bytes": (folder / p).stat().st_size,
                "hash": f"sha256:{digests(p)}",
            }
            for p in paths
        ]
    schema = dict(table_schema(table))
    schema.pop("$schema", None)
    entry["schema"] = schema
    return entry


def metadata_file(folder: Path, path: str, digests: Digests) -> dict[str, Any]:
    """A `packager:metadata` entry: the file's path, size and sha256."""
    return {
        "path": path,
        "bytes": (folder / path).stat().st_size,
        "hash": f"sha256:{digests(path)}",
    }


def make_descriptor(
    folder: Path,
    release: Citable,
    *,
    tools: dict[str, str],
    digests: Digests | None = None,
    kinds: list[str] | None = None,
) -> dict[str, Any]:
    """The descriptor of the release in `folder`; `kinds` are the kinds of input it was
    built from ("pages", "tables", "releases"), named where dataset.toml names none."""
    name, version, created, meta = release.name, release.version, release.created, release.meta
    kinds = kinds or ["pages"]
    descriptor: dict[str, Any] = {
        "$schema": PROFILE,
        "name": name,
        "title": meta.title or f"{name} {version}",
        "version": version,
        "created": created,
        "description": meta.description or DEFAULT_DESCRIPTION.format(origin=origin(kinds)),
    }
    if meta.homepage:
        descriptor["homepage"] = meta.homepage
    if meta.keywords:
        descriptor["keywords"] = meta.keywords
    if meta.licenses:
        descriptor["licenses"] = [lic.model_dump(exclude_none=True) for lic in meta.licenses]
    sources = meta.sources or []
    descriptor["sources"] = [s.model_dump(exclude_none=True) for s in sources] or [
        {"title": SOURCE_TITLES[kind]} for kind in kinds
    ]
    if meta.contributors:
        descriptor["contributors"] = [
            c.model_dump(exclude_none=True, exclude_defaults=True) | {"title": c.title}
            for c in meta.contributors
        ]
    digests = digests or Digests(folder)
    descriptor["resources"] = [
        resource(folder, table, fmt, digests) for fmt in ("csv", "parquet") for table in TABLES
    ]
    descriptor["packager"] = tools
    return descriptor


class DescriptorError(InputError):
    """A descriptor that cannot be read: `why` says why, without the file's name."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.why = why


def release_at(path: Path) -> Path | None:
    """The release folder `path` names (the folder, or its datapackage.json), or None
    where there is no release."""
    folder = path.parent if path.name == DESCRIPTOR else path
    try:
        return folder if (folder / DESCRIPTOR).is_file() else None
    except OSError:  # a name too long to look up: no release (the caller reports the path)
        return None


def read_descriptor(path: Path) -> dict[str, Any]:
    """The JSON object in the descriptor file `path`; `DescriptorError` when it is too
    large, unreadable, not JSON, or not an object."""
    try:
        size = path.stat().st_size
        if size > MAX_DESCRIPTOR_BYTES:
            why = f"the descriptor is {size} bytes, over the limit of {MAX_DESCRIPTOR_BYTES}"
            raise DescriptorError(path, why)
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # ValueError: not UTF-8 or JSON,
        # or an integer of more digits than Python converts
        why = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)[:200]
        raise DescriptorError(path, f"the descriptor cannot be read as JSON: {why}") from None
    if not isinstance(descriptor, dict):
        raise DescriptorError(path, "the descriptor is not a JSON object")
    return descriptor


def write_json(path: Path, value: Any) -> None:
    """JSON as a release writes it: indented, keys in the order given, UTF-8."""
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
