"""The dataset card: the release's ``README.md``, for people and for Hugging Face.

Its YAML front matter follows the Hugging Face dataset-card form, so that
``datasets.load_dataset(<release folder>)`` finds the tables without other help.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from packager.contract.schema import TABLES, is_required, table_schema
from packager.release.descriptor import origin
from packager.release.metadata import DatasetMeta

_HF_DTYPES = {"string": "string", "integer": "int64", "date": "date32"}


@dataclass
class CorpusStats:
    """Counts gathered from the article batches as they are written."""

    articles: int = 0
    related: int = 0
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


def _front_matter(name: str, meta: DatasetMeta, stats: CorpusStats, layout: str) -> str:
    # A table with no rows has no config: Hugging Face cannot load an empty one.
    tables = [t for t in TABLES if t == "articles" or stats.related]
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
                "config_name": table,
                "data_files": [{"split": "train", "path": f"data/{table}.parquet"}],
                **({"default": True} if table == "articles" else {}),
            }
            for table in tables
        ],
        "dataset_info": [
            {
                "config_name": table,
                "features": [
                    {"name": f["name"], "dtype": _HF_DTYPES[f["type"]]}
                    for f in table_schema(table)["fields"]
                ],
            }
            for table in tables
        ],
    }
    # JSON is valid YAML: the front matter needs no YAML library to write or to read.
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in info.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def _schema_table(table: str) -> str:
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for f in table_schema(table)["fields"]:
        required = "yes" if is_required(f) else ""
        rows.append(f"| `{f['name']}` | {f['type']} | {required} | {f.get('description', '')} |")
    return "\n".join(rows)


def _files_section(layout: str) -> str:
    if layout == "partitioned":
        return (
            "- `data/articles/year=YYYY/part-0.parquet` and `.csv`: one row per article, a folder per year of `date_published`\n"
            '- `data/related/id_prefix=X/part-0.parquet` and `.csv`: the "More From" items, a folder per first hex digit of `article_id`\n'
            '- Read each table as one Hive-partitioned dataset: `pyarrow.dataset.dataset("data/articles", partitioning="hive")`, '
            "`polars.scan_parquet(\"data/articles/**/*.parquet\", hive_partitioning=True)`, DuckDB `read_parquet('data/articles/*/*.parquet', hive_partitioning = true)`"
        )
    return (
        "- `data/articles.parquet`, `data/articles.csv`: one row per article, sorted by `(date_published, article_id)`\n"
        '- `data/related.parquet`, `data/related.csv`: the "More From" items of each article\'s page, sorted by `(article_id, position)`'
    )


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
    *,
    name: str,
    version: str,
    created: str,
    meta: DatasetMeta,
    stats: CorpusStats,
    inputs: str,
    duplicates: int,
    rejects: int,
    layout: str = "single",
    kinds: list[str] | None = None,
) -> str:
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
    files = _files_section(layout)
    return f"""{_front_matter(name, meta, stats, layout)}
# {title}

{meta.description or f"Articles from North Korean state media, packaged from {origin(kinds)}."}

Release `{name}` version `{version}`, created {created} by packager. License: {licenses}.

## Counts

- {stats.articles} articles and {stats.related} related items, published {span}
- from {inputs}: {duplicates} duplicate captures merged (see `merges.jsonl`), {rejects} rejected (see `rejects.jsonl`)

| source | articles |
|---|---|
{sources}

| year | articles |
|---|---|
{years}

## Files

{files}
- `datapackage.json`: the Frictionless Data Package descriptor; `SHA256SUMS`: checksums (`sha256sum -c SHA256SUMS`)

## Schema: articles

{_schema_table("articles")}

## Schema: related

{_schema_table("related")}

## Loading

```python
import pandas as pd
articles = pd.read_parquet("data/articles.parquet")

import polars as pl
articles = pl.read_parquet("data/articles.parquet")

import duckdb
duckdb.sql("SELECT source, count(*) FROM 'data/articles.parquet' GROUP BY source")

from datasets import load_dataset
articles = load_dataset("path/to/this/folder", "articles", split="train")
```
"""
