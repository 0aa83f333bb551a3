"""`diff_releases(old, new)`: what changed between two releases, for people and for CI.

Articles are matched by `article_id`: added, removed, and changed (naming the fields
that differ). Related rows are compared whole: added and removed. Schema changes are
classed by `packager.schemadiff`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field

from packager.errors import InputError
from packager.read import read_parquet
from packager.schemadiff import descriptor_schemas, schema_changes
from packager.write import table_files

DESCRIPTOR = "datapackage.json"


class ArticleRef(BaseModel):
    article_id: str
    date_published: str
    title: str


class ChangedArticle(ArticleRef):
    fields: list[str]


class RelatedRef(BaseModel):
    article_id: str
    position: int
    title: str


class ReleaseDiff(BaseModel):
    old: str
    new: str
    articles_added: list[ArticleRef] = Field(default_factory=list)
    articles_removed: list[ArticleRef] = Field(default_factory=list)
    articles_changed: list[ChangedArticle] = Field(default_factory=list)
    related_added: list[RelatedRef] = Field(default_factory=list)
    related_removed: list[RelatedRef] = Field(default_factory=list)
    schema_changes: list[str] = Field(default_factory=list)
    breaking: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.articles_added
            or self.articles_removed
            or self.articles_changed
            or self.related_added
            or self.related_removed
            or self.schema_changes
        )


def release_folder(path: Path) -> Path:
    """The release folder `path` names (the folder itself or its datapackage.json)."""
    folder = path.parent if path.name == DESCRIPTOR else path
    if not (folder / DESCRIPTOR).is_file():
        raise InputError(f"{path}: not a release (no {DESCRIPTOR})")
    return folder


def _descriptor(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / DESCRIPTOR).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{folder / DESCRIPTOR}: cannot be read: {exc}") from None


def _table(folder: Path, table: str) -> pa.Table:
    parts = table_files(folder, table, "parquet")
    if not parts:
        raise InputError(f"{folder}: the release has no Parquet files for {table!r}")
    try:
        return pa.concat_tables([read_parquet(folder / part) for part in parts])
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{folder}: {table} cannot be read: {exc}") from None


def _refs(table: pa.Table) -> list[ArticleRef]:
    table = table.sort_by("article_id")
    return [
        ArticleRef(article_id=a, date_published=str(d), title=t)
        for a, d, t in zip(
            table["article_id"].to_pylist(),
            table["date_published"].to_pylist(),
            table["title"].to_pylist(),
            strict=True,
        )
    ]


def _differs(a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.ChunkedArray:
    unequal = pc.fill_null(pc.not_equal(a, b), False)
    return pc.or_(unequal, pc.xor(pc.is_null(a), pc.is_null(b)))


def _changed(old: pa.Table, new: pa.Table) -> list[ChangedArticle]:
    shared = [n for n in old.column_names if n in new.column_names and n != "article_id"]
    if not shared or not old.num_rows or not new.num_rows:
        return []
    joined = old.select(["article_id", *shared]).join(
        new.select(["article_id", *shared]),
        keys="article_id",
        join_type="inner",
        left_suffix="__old",
        right_suffix="__new",
    )
    flags = {n: _differs(joined[f"{n}__old"], joined[f"{n}__new"]).to_pylist() for n in shared}
    out = []
    for i, aid in enumerate(joined["article_id"].to_pylist()):
        fields = [n for n in shared if flags[n][i]]
        if fields:
            out.append(
                ChangedArticle(
                    article_id=aid,
                    date_published=str(joined["date_published__new"][i].as_py()),
                    title=joined["title__new"][i].as_py(),
                    fields=fields,
                )
            )
    return sorted(out, key=lambda c: c.article_id)


def _related_keys(table: pa.Table) -> pa.Array:
    parts = [
        pc.cast(table[name], pa.string()) if name != "teaser" else table[name]
        for name in ("article_id", "position", "title", "teaser", "date_published")
        if name in table.column_names
    ]
    parts = [pc.fill_null(part, "\x00") for part in parts]
    return pc.binary_join_element_wise(*parts, "\x1f")


def _related_diff(old: pa.Table, new: pa.Table) -> tuple[list[RelatedRef], list[RelatedRef]]:
    old_keys, new_keys = _related_keys(old), _related_keys(new)

    def refs(table: pa.Table, keep: pa.Array) -> list[RelatedRef]:
        rows = table.filter(keep).sort_by([("article_id", "ascending"), ("position", "ascending")])
        return [
            RelatedRef(article_id=r["article_id"], position=r["position"], title=r["title"])
            for r in rows.select(["article_id", "position", "title"]).to_pylist()
        ]

    added = refs(new, pc.invert(pc.is_in(new_keys, value_set=old_keys)))
    removed = refs(old, pc.invert(pc.is_in(old_keys, value_set=new_keys)))
    return added, removed


def diff_releases(old: Path, new: Path) -> ReleaseDiff:
    """Compare release `old` with release `new` (folders or their datapackage.json)."""
    old_folder, new_folder = release_folder(old), release_folder(new)
    old_desc, new_desc = _descriptor(old_folder), _descriptor(new_folder)
    changes = schema_changes(descriptor_schemas(old_desc), descriptor_schemas(new_desc))
    old_articles, new_articles = _table(old_folder, "articles"), _table(new_folder, "articles")
    old_ids, new_ids = old_articles["article_id"], new_articles["article_id"]
    related_added, related_removed = _related_diff(
        _table(old_folder, "related"), _table(new_folder, "related")
    )
    return ReleaseDiff(
        old=str(old_desc.get("version", old_folder.name)),
        new=str(new_desc.get("version", new_folder.name)),
        articles_added=_refs(new_articles.filter(pc.invert(pc.is_in(new_ids, value_set=old_ids)))),
        articles_removed=_refs(
            old_articles.filter(pc.invert(pc.is_in(old_ids, value_set=new_ids)))
        ),
        articles_changed=_changed(old_articles, new_articles),
        related_added=related_added,
        related_removed=related_removed,
        schema_changes=[str(c) for c in changes],
        breaking=any(c.kind == "breaking" for c in changes),
    )


def render_text(diff: ReleaseDiff) -> str:
    lines = [f"{diff.old} -> {diff.new}"]
    lines.append(
        f"articles: {len(diff.articles_added)} added, {len(diff.articles_removed)} removed, "
        f"{len(diff.articles_changed)} changed"
    )
    lines += [f"  + {a.article_id} {a.date_published} {a.title}" for a in diff.articles_added]
    lines += [f"  - {a.article_id} {a.date_published} {a.title}" for a in diff.articles_removed]
    lines += [
        f"  ~ {a.article_id} {a.date_published} {a.title} [{', '.join(a.fields)}]"
        for a in diff.articles_changed
    ]
    lines.append(f"related: {len(diff.related_added)} added, {len(diff.related_removed)} removed")
    lines += [f"  + {r.article_id} #{r.position} {r.title}" for r in diff.related_added]
    lines += [f"  - {r.article_id} #{r.position} {r.title}" for r in diff.related_removed]
    lines.append(
        f"schema: {len(diff.schema_changes)} changes" + (" (breaking)" if diff.breaking else "")
    )
    lines += [f"  {c}" for c in diff.schema_changes]
    return "\n".join(lines) + "\n"


def render_changes(diff: ReleaseDiff | None, name: str, version: str) -> str:
    """CHANGES.md: the diff against the previous release, in Markdown."""
    if diff is None:
        return f"# Changes in {name} {version}\n\nThe first release of {name}.\n"

    def section(title: str, rows: list[str]) -> list[str]:
        return [f"## {title} ({len(rows)})", "", *(rows or ["None."]), ""]

    out = [f"# Changes in {name} {version}", "", f"Compared with {name} {diff.old}.", ""]
    out += section(
        "Articles added",
        [f"- `{a.article_id}` {a.date_published} {a.title}" for a in diff.articles_added],
    )
    out += section(
        "Articles removed",
        [f"- `{a.article_id}` {a.date_published} {a.title}" for a in diff.articles_removed],
    )
    out += section(
        "Articles changed",
        [
            f"- `{a.article_id}` {a.date_published} {a.title}: {', '.join(a.fields)}"
            for a in diff.articles_changed
        ],
    )
    out += section(
        "Related items added",
        [f"- `{r.article_id}` #{r.position} {r.title}" for r in diff.related_added],
    )
    out += section(
        "Related items removed",
        [f"- `{r.article_id}` #{r.position} {r.title}" for r in diff.related_removed],
    )
    out += section("Schema changes", [f"- {c}" for c in diff.schema_changes])
    return "\n".join(out)
