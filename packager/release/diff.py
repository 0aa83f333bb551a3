"""`diff_releases(old, new)`: what changed between two releases, for people and for CI.

Articles are matched by `article_id`: added, removed, and changed (naming the fields
that differ). Related rows are compared whole: added and removed. Schema changes are
classed by `packager.release.schemadiff`.

Both releases are read as streams, a few row groups at a time, never whole: their rows are
sorted (articles by date, related rows by article_id), an article keeps its date wherever
its id is (the id hashes the date), so the two streams are cut at the same key values and
compared piece by piece. Memory stays flat however large the releases are.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field

from packager.errors import InputError
from packager.release.descriptor import DESCRIPTOR, read_descriptor, release_at
from packager.release.read import parquet_batches
from packager.release.schemadiff import descriptor_schemas, schema_changes
from packager.release.write import table_files


class ArticleRef(BaseModel):
    article_id: str
    date_published: str
    title: str


class ChangedArticle(ArticleRef):
    fields: list[str]
    # What changed in the text (title, byline, body), word by word, kept short: removed
    # words as [-...-], added ones as {+...+}, a few words of context around each change.
    text_change: str | None = None


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
    folder = release_at(path)
    if folder is None:
        raise InputError(f"{path}: not a release (no {DESCRIPTOR})")
    return folder


def _descriptor(folder: Path) -> dict[str, Any]:
    return read_descriptor(folder / DESCRIPTOR)


def _stream(folder: Path, table: str, key: str) -> Iterator[pa.Table]:
    """A release table's rows in file order, a batch at a time; checks they are sorted by
    `key`, as the contract says, since the comparison relies on it."""
    parts = table_files(folder, table, "parquet")
    if not parts:
        raise InputError(f"{folder}: the release has no Parquet files for {table!r}")
    last = None
    try:
        for part in parts:
            for batch in parquet_batches(folder / part):
                rows = pa.Table.from_batches([batch])
                if not rows.num_rows:
                    continue
                keys = rows[key]
                ordered = pc.all(pc.greater_equal(keys[1:], keys[:-1])).as_py() is not False
                if not ordered or (last is not None and keys[0].as_py() < last):
                    raise InputError(f"{folder}: {table} is not sorted by {key}")
                last = keys[-1].as_py()
                yield rows
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{folder}: {table} cannot be read: {exc}") from None


class _Side:
    """One stream of `_aligned`: the rows read and not yet handed out."""

    def __init__(self, batches: Iterator[pa.Table], key: str) -> None:
        self.batches, self.key = batches, key
        self.rows: pa.Table | None = None
        self.done = False

    def read_more(self) -> None:
        batch = next(self.batches, None)
        if batch is None:
            self.done = True
        else:
            self.rows = batch if self.rows is None else pa.concat_tables([self.rows, batch])

    def last(self) -> Any:
        assert self.rows is not None
        return self.rows[self.key][-1].as_py()

    def take_below(self, cut: Any) -> pa.Table | None:
        """Hand out the rows whose key is below `cut` (all rows when `cut` is None)."""
        if self.rows is None:
            return None
        if cut is None:
            head, self.rows = self.rows, None
            return head
        keys = self.rows[self.key]
        below = pc.sum(pc.less(keys, pa.scalar(cut, keys.type))).as_py() or 0
        head, self.rows = self.rows.slice(0, below), self.rows.slice(below)
        return head


def _aligned(
    old: Iterator[pa.Table], new: Iterator[pa.Table], key: str
) -> Iterator[tuple[pa.Table | None, pa.Table | None]]:
    """Pairs of (old rows, new rows) that cover both sorted streams, cut at the same key
    values, so that all rows of one key value are in one pair."""
    sides = [_Side(old, key), _Side(new, key)]
    while True:
        for side in sides:
            while not side.done and (side.rows is None or not side.rows.num_rows):
                side.read_more()
        live = [side for side in sides if not side.done]
        if not live:
            yield sides[0].take_below(None), sides[1].take_below(None)
            return
        cut = min(side.last() for side in live)
        yield sides[0].take_below(cut), sides[1].take_below(cut)
        for side in live:  # the side that set the cut holds only rows at the cut: read on
            if side.last() == cut:
                side.read_more()


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
    """Articles in both, with the fields that differ: column by column, each new row
    against the old row of its id (no join, which would hold both sides' rows at once)."""
    shared = [n for n in old.column_names if n in new.column_names and n != "article_id"]
    if not shared or not old.num_rows or not new.num_rows:
        return []
    where = pc.index_in(new["article_id"], value_set=old["article_id"])
    both = pc.is_valid(where)
    positions = where.filter(both)
    if not len(positions):
        return []
    new = new.filter(both)
    flags = {n: _differs(old[n].take(positions), new[n]).to_pylist() for n in shared}
    out = []
    for i, aid in enumerate(new["article_id"].to_pylist()):
        fields = [n for n in shared if flags[n][i]]
        if fields:
            texts = [n for n in TEXT_FIELDS if n in fields]
            change = None
            if texts:
                before = _text_of(old, positions[i].as_py(), texts)
                change = word_diff(before, _text_of(new, i, texts))
            out.append(
                ChangedArticle(
                    article_id=aid,
                    date_published=str(new["date_published"][i].as_py()),
                    title=new["title"][i].as_py(),
                    fields=fields,
                    text_change=change,
                )
            )
    return out


TEXT_FIELDS = ("title", "byline", "body")
CONTEXT_WORDS = 3  # words shown on each side of a change
MAX_CHANGE = 240  # characters of a text change shown


def _text_of(table: pa.Table, row: int, names: list[str]) -> str:
    return " ".join(table[name][row].as_py() or "" for name in names)


def word_diff(old: str, new: str, limit: int = MAX_CHANGE) -> str:
    """What changed from `old` to `new`, word by word: removed words as ``[-...-]``, added
    ones as ``{+...+}``, `CONTEXT_WORDS` words of context around each change, hunks apart
    joined by " … ", cut at `limit` characters."""
    a, b = old.split(), new.split()
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(
        CONTEXT_WORDS
    ):
        words = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                words += a[i1:i2]
                continue
            if i2 > i1:
                words.append("[-" + " ".join(a[i1:i2]) + "-]")
            if j2 > j1:
                words.append("{+" + " ".join(b[j1:j2]) + "+}")
        hunks.append(" ".join(words))
    shown = " … ".join(hunks)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


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


def _pairs(old: Path, new: Path, table: str, key: str) -> Iterator[tuple[pa.Table, pa.Table]]:
    """`_aligned` pieces of `table` of the two releases; a side without rows in a piece
    gives an empty table."""
    for old_rows, new_rows in _aligned(_stream(old, table, key), _stream(new, table, key), key):
        if old_rows is None and new_rows is None:
            continue
        if old_rows is None:
            assert new_rows is not None
            old_rows = new_rows.schema.empty_table()
        if new_rows is None:
            new_rows = old_rows.schema.empty_table()
        yield old_rows, new_rows


def diff_releases(old: Path, new: Path) -> ReleaseDiff:
    """Compare release `old` with release `new` (folders or their datapackage.json)."""
    old_folder, new_folder = release_folder(old), release_folder(new)
    old_desc, new_desc = _descriptor(old_folder), _descriptor(new_folder)
    changes = schema_changes(descriptor_schemas(old_desc), descriptor_schemas(new_desc))
    diff = ReleaseDiff(
        old=str(old_desc.get("version", old_folder.name)),
        new=str(new_desc.get("version", new_folder.name)),
        schema_changes=[str(c) for c in changes],
        breaking=any(c.kind == "breaking" for c in changes),
    )
    for old_rows, new_rows in _pairs(old_folder, new_folder, "articles", "date_published"):
        old_ids, new_ids = old_rows["article_id"], new_rows["article_id"]
        diff.articles_added += _refs(new_rows.filter(pc.invert(pc.is_in(new_ids, old_ids))))
        diff.articles_removed += _refs(old_rows.filter(pc.invert(pc.is_in(old_ids, new_ids))))
        diff.articles_changed += _changed(old_rows, new_rows)
    for old_rows, new_rows in _pairs(old_folder, new_folder, "related", "article_id"):
        added, removed = _related_diff(old_rows, new_rows)
        diff.related_added += added
        diff.related_removed += removed
    for refs in (diff.articles_added, diff.articles_removed, diff.articles_changed):
        refs.sort(key=lambda ref: ref.article_id)
    for items in (diff.related_added, diff.related_removed):
        items.sort(key=lambda ref: (ref.article_id, ref.position))
    return diff


def render_text(diff: ReleaseDiff) -> str:
    lines = [f"{diff.old} -> {diff.new}"]
    lines.append(
        f"articles: {len(diff.articles_added)} added, {len(diff.articles_removed)} removed, "
        f"{len(diff.articles_changed)} changed"
    )
    lines += [f"  + {a.article_id} {a.date_published} {a.title}" for a in diff.articles_added]
    lines += [f"  - {a.article_id} {a.date_published} {a.title}" for a in diff.articles_removed]
    for a in diff.articles_changed:
        lines.append(f"  ~ {a.article_id} {a.date_published} {a.title} [{', '.join(a.fields)}]")
        if a.text_change:
            lines.append(f"      {a.text_change}")
    lines.append(f"related: {len(diff.related_added)} added, {len(diff.related_removed)} removed")
    lines += [f"  + {r.article_id} #{r.position} {r.title}" for r in diff.related_added]
    lines += [f"  - {r.article_id} #{r.position} {r.title}" for r in diff.related_removed]
    lines.append(
        f"schema: {len(diff.schema_changes)} changes" + (" (breaking)" if diff.breaking else "")
    )
    lines += [f"  {c}" for c in diff.schema_changes]
    return "\n".join(lines) + "\n"


def _markdown_code(text: str) -> str:
    """`text` as inline code, its fence longer than any run of backticks in it."""
    longest = max(
        (len(r) for r in "".join(c if c == "`" else " " for c in text).split()), default=0
    )
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


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
            + (f"\n  - text: {_markdown_code(a.text_change)}" if a.text_change else "")
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
