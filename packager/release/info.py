"""What a release holds, without loading it: `packager info`.

Read from the descriptor and from the Parquet files' metadata and three small columns
(`source`, `date_published`, `language`, read a row group at a time), so it takes about
as long as reading those columns, whatever the size of the bodies.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel

from packager.contract.schema import TABLES
from packager.errors import InputError
from packager.release.card import CorpusStats
from packager.release.descriptor import DESCRIPTOR, read_descriptor, release_at
from packager.release.write import table_files

_COUNTED = ["source", "date_published", "language"]


class FileInfo(BaseModel):
    path: str
    bytes: int


class ReleaseInfo(BaseModel):
    """A release's summary, as `packager info --format json` prints it."""

    name: str
    version: str
    created: str | None
    packager_version: str | None
    articles: int
    related: int
    revisions: int  # earlier texts of edited articles
    edited: int  # articles with one or more earlier texts
    first_published: dt.date | None
    last_published: dt.date | None
    by_source: dict[str, int]
    by_year: dict[str, int]
    by_language: dict[str, int]
    files: list[FileInfo]
    fields: dict[str, list[str]]


def release_info(path: Path) -> ReleaseInfo:
    """The summary of the release at `path` (its folder or its datapackage.json); an
    `InputError` where there is no release or it cannot be read."""
    folder = release_at(path)
    if folder is None:
        raise InputError(f"{path}: not a release (a release is a folder with {DESCRIPTOR})")
    descriptor = read_descriptor(folder / DESCRIPTOR)
    try:
        counts = _article_counts(folder)
        related = sum(_rows(folder / p) for p in table_files(folder, "related", "parquet"))
        revisions, edited = _revision_counts(folder)
    except (OSError, ValueError) as exc:  # pyarrow's errors are ValueErrors (ArrowInvalid)
        raise InputError(f"{folder}: cannot read the release's Parquet files: {exc}") from None
    tools = descriptor.get("packager")
    return ReleaseInfo(
        name=str(descriptor.get("name", folder.parent.name)),
        version=str(descriptor.get("version", folder.name)),
        created=_text_or_none(descriptor.get("created")),
        packager_version=_text_or_none(tools.get("packager")) if isinstance(tools, dict) else None,
        articles=counts.articles,
        related=related,
        revisions=revisions,
        edited=edited,
        first_published=counts.first,
        last_published=counts.last,
        by_source=_by_count(counts.by_source),
        by_year={str(year): n for year, n in sorted(counts.by_year.items())},
        by_language=_by_count(counts.by_language),
        files=_files(folder),
        fields=_fields(descriptor),
    )


def _by_count(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _rows(path: Path) -> int:
    with pq.ParquetFile(path) as source:
        return int(source.metadata.num_rows)


def _revision_counts(folder: Path) -> tuple[int, int]:
    """The revisions, and the articles they are of (each article's are numbered from 1)."""
    rows = edited = 0
    for name in table_files(folder, "revisions", "parquet"):
        with pq.ParquetFile(folder / name) as source:
            rows += source.metadata.num_rows
            for group in range(source.num_row_groups):
                numbers = source.read_row_group(group, columns=["revision"]).column(0)
                edited += pc.sum(pc.equal(numbers, 1)).as_py() or 0
    return rows, edited


def _article_counts(folder: Path) -> CorpusStats:
    """The articles' counts, as the build gathers them for the card, from the three small
    columns they need, a row group at a time."""
    stats = CorpusStats()
    for name in table_files(folder, "articles", "parquet"):
        with pq.ParquetFile(folder / name) as source:
            for group in range(source.num_row_groups):
                stats.add_articles(source.read_row_group(group, columns=_COUNTED))
    return stats


def _files(folder: Path) -> list[FileInfo]:
    """Every file of the release, with its size, in path order."""
    found = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return [FileInfo(path=p.relative_to(folder).as_posix(), bytes=p.stat().st_size) for p in found]


def _fields(descriptor: dict[str, Any]) -> dict[str, list[str]]:
    """Each table's fields, as "name (type)", from the descriptor's CSV resources."""
    out: dict[str, list[str]] = {}
    resources = descriptor.get("resources")
    for entry in resources if isinstance(resources, list) else []:
        if isinstance(entry, dict) and entry.get("name") in TABLES:
            schema = entry.get("schema")
            fields = schema.get("fields") if isinstance(schema, dict) else None
            out[str(entry["name"])] = [
                f"{f.get('name')} ({f.get('type', 'string')})"
                for f in (fields if isinstance(fields, list) else [])
                if isinstance(f, dict)
            ]
    return out


def render_info(info: ReleaseInfo) -> str:
    """The summary as text for people."""
    span = f"{info.first_published} to {info.last_published}" if info.first_published else "none"
    lines = [
        f"{info.name} {info.version}",
        f"created      {info.created or 'unknown'} by packager {info.packager_version or '?'}",
        f"articles     {info.articles:,}",
        f"related      {info.related:,}",
        f"revisions    {info.revisions:,} earlier texts of {info.edited:,} edited articles",
        f"published    {span}",
        "",
        "sources",
        *(f"  {_shown(source):<24} {n:>10,}" for source, n in info.by_source.items()),
        "years",
        *(f"  {year:<24} {n:>10,}" for year, n in info.by_year.items()),
        "languages",
        *(f"  {_shown(language):<24} {n:>10,}" for language, n in info.by_language.items()),
        "files",
        *(f"  {_shown(f.path):<48} {f.bytes:>14,}" for f in info.files),
    ]
    for table, fields in info.fields.items():
        lines += [f"fields of {_shown(table)}", *(f"  {_shown(field)}" for field in fields)]
    return "\n".join(lines) + "\n"


def _shown(text: str) -> str:
    """`text` for a terminal: control characters (and line breaks) as escapes, never
    sent raw (a release's data cannot drive the terminal that shows it)."""
    return _UNSHOWN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f]")
