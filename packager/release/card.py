"""The dataset card: the release's ``README.md``, for people and for Hugging Face.

Its YAML front matter follows the Hugging Face dataset-card form, so that
``datasets.load_dataset(<release folder>)`` finds the tables without other help.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from packager.contract.schema import is_required, table_schema
from packager.release.checksums import Digests
from packager.release.citation import Citable, bibtex, citation_text
from packager.release.descriptor import origin
from packager.release.metadata import DatasetMeta
from packager.release.write import parts_glob, table_files

_HF_DTYPES = {"string": "string", "integer": "int64", "date": "date32"}


@dataclass
class CorpusStats:
    """Counts gathered from the article batches as they are written."""

    articles: int = 0
    related: int = 0
    revisions: int = 0  # earlier texts of articles
    revised: int = 0  # articles with one or more earlier texts
    by_source: Counter[str] = field(default_factory=Counter)
    by_year: Counter[int] = field(default_factory=Counter)
    by_language: Counter[str] = field(default_factory=Counter)
    first: dt.date | None = None
    last: dt.date | None = None

    def add_articles(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self.articles += table.num_rows
        for column, counter in (("source", self.by_source), ("language", self.by_language)):
            for item in pc.value_counts(table[column]).to_pylist():
                counter[item["values"] or "(none)"] += item["counts"]
        for item in pc.value_counts(pc.year(table["date_published"])).to_pylist():
            self.by_year[item["values"]] += item["counts"]
        low, high = pc.min_max(table["date_published"]).values()
        self.first = min(filter(None, (self.first, low.as_py())))
        self.last = max(filter(None, (self.last, high.as_py())))

    def merge(self, other: CorpusStats) -> None:
        """Add the counts of `other` (another part of the same release's rows)."""
        self.articles += other.articles
        self.related += other.related
        self.revisions += other.revisions
        self.revised += other.revised
        self.by_source.update(other.by_source)
        self.by_year.update(other.by_year)
        self.by_language.update(other.by_language)
        self.first = min(filter(None, (self.first, other.first)), default=None)
        self.last = max(filter(None, (self.last, other.last)), default=None)


def _size_category(rows: int) -> str:
    for limit, label in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if rows < limit:
            return label
    return "n>10M"


@dataclass(frozen=True)
class TableData:
    """What the card says of one table's data: its files as written, in both formats."""

    table: str
    parquet: list[str]
    csv: list[str]
    rows: int
    uncompressed: int  # bytes of the Parquet data, uncompressed (Hugging Face's num_bytes)
    size: int  # bytes of the Parquet files
    sha256: str  # of the Parquet file, or of its parts' sums in order

    @classmethod
    def of(cls, folder: Path, table: str, digests: Digests) -> TableData:
        parquet = table_files(folder, table, "parquet")
        rows = uncompressed = 0
        for name in parquet:
            metadata = pq.read_metadata(folder / name)
            rows += metadata.num_rows
            uncompressed += sum(
                metadata.row_group(k).total_byte_size for k in range(metadata.num_row_groups)
            )
        sums = [digests(name) for name in parquet]
        whole = sums[0] if len(sums) == 1 else hashlib.sha256("\n".join(sums).encode()).hexdigest()
        return cls(
            table,
            parquet,
            table_files(folder, table, "csv"),
            rows,
            uncompressed,
            sum((folder / name).stat().st_size for name in parquet),
            whole,
        )

    @property
    def parquet_pattern(self) -> str:
        """The Parquet data as one path: the file, or a glob of the parts."""
        if len(self.parquet) == 1 and self.parquet[0] == f"data/{self.table}.parquet":
            return self.parquet[0]
        return parts_glob(self.table, "parquet")


def _front_matter(
    name: str, version: str, meta: DatasetMeta, stats: CorpusStats, data: list[TableData]
) -> str:
    # A table with no rows has no config: Hugging Face cannot load an empty one.
    tables = [d for d in data if d.table == "articles" or d.rows]
    license_id = (
        meta.licenses[0].name.lower() if meta.licenses and meta.licenses[0].name else "other"
    )
    info: dict[str, Any] = {
        "pretty_name": meta.title or name,
        "license": license_id,
        "language": sorted(k for k in stats.by_language if k != "(none)") or ["en"],
        "size_categories": [_size_category(stats.articles)],
        "tags": meta.keywords or ["north-korea", "state-media", "news"],
        "configs": [
            {
                "config_name": d.table,
                "data_files": [{"split": "train", "path": d.parquet_pattern}],
                # Hugging Face keys its cache by the card's metadata and the folder's name,
                # not by the data: the data's sha256 here gives every release its own.
                "description": f"{name} {version}, {d.table}: Parquet sha256 {d.sha256}",
                **({"default": True} if d.table == "articles" else {}),
            }
            for d in tables
        ],
        "dataset_info": [
            {
                "config_name": d.table,
                "features": [
                    {"name": f["name"], "dtype": _HF_DTYPES[f["type"]]}
                    for f in table_schema(d.table)["fields"]
                ],
                "splits": [{"name": "train", "num_bytes": d.uncompressed, "num_examples": d.rows}],
                "download_size": d.size,
                "dataset_size": d.uncompressed,
            }
            for d in tables
        ],
    }
    # JSON is valid YAML: the front matter needs no YAML library to write or to read.
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in info.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def _recipe_section(recipe: dict[str, Any]) -> str:
    """The inputs, in words: pages counted, each table with how its columns were read,
    each release carried; the descriptor's `packager:inputs` holds the same."""
    lines = []
    if recipe.get("pages"):
        lines.append(
            f"- {recipe['pages']:,} page dumps: each field from its place on the page "
            "(docs/contract.md of packager)"
        )
    for table in recipe.get("tables", []):
        how = [f"`{f}` from column `{c}`" for f, c in table["map"].items()]
        how += [f"`{f}` = {_quoted(v)} for every row" for f, v in table["set"].items()]
        if table["date_format"]:
            how.append(f"dates read as `{table['date_format']}`")
        read = "; ".join(how) or "columns named as the fields"
        lines.append(
            f"- table `{table['name']}` ({table['rows']:,} rows, sha256 `{table['sha256']}`): "
            f"{read}"
        )
    for release in recipe.get("releases", []):
        lines.append(
            f"- release `{release['name']}` {release['version']} ({release['articles']:,} "
            f"articles, {release['revisions']:,} revisions; its datapackage.json's sha256 "
            f"`{release['descriptor_sha256']}`)"
        )
    return "\n".join(lines) or "- no input"


def _quoted(value: str) -> str:
    return "`" + value.replace("`", "'") + "`"


def _fenced(text: str | None) -> str | None:
    """A description as Markdown that ends where it ends: a code fence it opens and does
    not close is closed, so that the rest of the card is not swallowed into it."""
    if text is None:
        return None
    fences = [line.lstrip()[:3] for line in text.splitlines() if line.lstrip()[:3] in _FENCES]
    return text + f"\n{fences[-1]}" if len(fences) % 2 else text


_FENCES = ("```", "~~~")


def _edited(stats: CorpusStats) -> str:
    if not stats.revisions:
        return "no article was edited: every capture of an article held the same text"
    return (
        f"{stats.revised} articles edited after publication: their {stats.revisions} earlier "
        "texts are in `revisions` (every text an input held can be read back)"
    )


def _schema_table(table: str) -> str:
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for f in table_schema(table)["fields"]:
        required = "yes" if is_required(f) else ""
        rows.append(f"| `{f['name']}` | {f['type']} | {required} | {f.get('description', '')} |")
    return "\n".join(rows)


_WHAT = {
    "articles": "one row per article (its newest text)",
    "related": 'the "More From" items',
    "revisions": "every earlier text of an edited article",
}


def _files_section(data: list[TableData]) -> str:
    """The data files as written: each file, or a table's parts as a pattern."""
    lines = []
    for d in data:
        what = _WHAT[d.table]
        for fmt, files in (("parquet", d.parquet), ("csv", d.csv)):
            if len(files) == 1:
                lines.append(f"- `{files[0]}`: {what}")
            else:
                folders = ", ".join(Path(f).parent.name for f in files[:6])
                more = f" and {len(files) - 6} more" if len(files) > 6 else ""
                lines.append(
                    f"- `data/{fmt}/{d.table}/*/part-0.{fmt}`: {what}, in {len(files)} Hive "
                    f"partitions ({folders}{more})"
                )
    return "\n".join(lines)


def _loading_section(data: list[TableData]) -> str:
    articles = next(d for d in data if d.table == "articles")
    path = articles.parquet_pattern
    if path == "data/articles.parquet":
        pandas = f'pd.read_parquet("{path}")'
        polars = f'pl.read_parquet("{path}")'
        duckdb = f"FROM '{path}'"
    else:
        pandas = 'pd.read_parquet("data/parquet/articles")  # the partition column `year` too'
        polars = f'pl.read_parquet("{path}", hive_partitioning=True)'
        duckdb = f"FROM read_parquet('{path}', hive_partitioning = true)"
    related = "".join(
        f'\n{d.table} = load_dataset("path/to/this/folder", "{d.table}", split="train")'
        for d in data
        if d.table != "articles" and d.rows
    )
    return f"""```python
import pandas as pd
articles = {pandas}

import polars as pl
articles = {polars}

import duckdb
duckdb.sql("SELECT source, count(*) {duckdb} GROUP BY source")

from datasets import load_dataset
articles = load_dataset("path/to/this/folder", "articles", split="train"){related}
```"""


def describe_inputs(inputs: int, rows: int = 0, tables: int = 0, carried: int = 0) -> str:
    """What a build read, in words: "21 pages", "3 pages and 2,111 rows of 1 table",
    "5 pages and 14 articles of earlier releases"."""

    def count(n: int, one: str) -> str:
        return f"{n:,} {one}{'' if n == 1 else 's'}"

    pages = inputs - rows - carried
    parts = [count(pages, "page")] if pages or not (tables or carried) else []
    if tables:
        parts.append(f"{count(rows, 'row')} of {count(tables, 'table')}")
    if carried:
        parts.append(f"{count(carried, 'article')} of earlier releases")
    return " and ".join(parts)


def render_card(
    release: Citable,
    *,
    stats: CorpusStats,
    inputs: str,
    duplicates: int,
    rejects: int,
    data: list[TableData],
    kinds: list[str] | None = None,
    recipe: dict[str, Any] | None = None,
) -> str:
    """The card of `release` once its data files are written (`data`, a `TableData` a
    table)."""
    name, version, created, meta = release.name, release.version, release.created, release.meta
    kinds = kinds or ["pages"]
    title = meta.title or name
    span = f"{stats.first} to {stats.last}" if stats.first else "no articles"
    sources = "\n".join(
        f"| {source} | {count} |" for source, count in sorted(stats.by_source.items())
    )
    years = "\n".join(f"| {year} | {count} |" for year, count in sorted(stats.by_year.items()))
    licenses = (
        ", ".join(lic.title or lic.name or lic.path or "" for lic in meta.licenses) or "not stated"
    )
    citable = release
    return f"""{_front_matter(name, version, meta, stats, data)}
# {title}

{_fenced(meta.description) or f"Articles from North Korean state media, packaged from {origin(kinds)}."}

Release `{name}` version `{version}`, created {created} by packager. License: {licenses}.

## Counts

- {stats.articles} articles and {stats.related} related items, published {span}
- from {inputs}: {duplicates} duplicate captures merged (see `merges.jsonl`), {rejects} rejected (see `rejects.jsonl`)
- {_edited(stats)}

| source | articles |
|---|---|
{sources}

| year | articles |
|---|---|
{years}

## How it was made

{_recipe_section(recipe or {})}

## Files

{_files_section(data)}
- `datapackage.json`: the Frictionless Data Package descriptor; `croissant.json`: Croissant metadata; `CITATION.cff`: how to cite it; `SHA256SUMS`: checksums (`sha256sum -c SHA256SUMS`)

## Schema: articles

{_schema_table("articles")}

## Schema: related

{_schema_table("related")}

## Schema: revisions

{_schema_table("revisions")}

## Loading

{_loading_section(data)}

## How to cite

{citation_text(citable)}

```bibtex
{bibtex(citable)}
```
"""
