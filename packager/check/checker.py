"""The validation engine: Table Schema and contract checks over Arrow record batches.

A `TableChecker` takes a table batch by batch (raw strings from CSV or JSON Lines, or typed
columns from Parquet) and reports what frictionless would report for the same rows and
schema, with frictionless's codes and row numbers, plus the contract's own rules. Cells are
checked with pyarrow.compute; only cells that fail the fast path are looked at in Python,
to decide them exactly as frictionless does. Keys for `unique`, `primaryKey` and
`foreignKeys` go to `packager.check.keys`, which checks them as they pass where they come
sorted, so memory holds a batch, never the table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from packager.check.keys import ROW, Keys, Lookup
from packager.contract import rules
from packager.contract.models import Issue
from packager.contract.schema import ARROW_TYPES
from packager.inputs.pages import FAST


class ErrorLimit(Exception):
    """Raised inside the engine when `max_errors` issues have been collected."""


@dataclass
class Collector:
    """Issues, up to a limit shared by every table of one validation."""

    max_errors: int | None = None
    issues: list[Issue] = field(default_factory=list)
    errors: int = 0
    truncated: bool = False

    def add(self, issue: Issue) -> None:
        if issue.severity == "error":
            if self.max_errors is not None and self.errors >= self.max_errors:
                self.truncated = True
                raise ErrorLimit
            self.errors += 1
        self.issues.append(issue)


def _frictionless_int(text: str) -> int | None:
    """An integer as frictionless reads one (Python's int()), or None; one a 64-bit
    integer cannot hold (the type of an integer field in Parquet and in Arrow) is none."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if -(1 << 63) <= value < 1 << 63 else None


_SLOW_PARSERS = {"integer": _frictionless_int, "date": rules.parse_iso_date}
_DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_FIRST_DAY = pa.scalar(dt.date(1, 1, 1), pa.date32())


def _typed(column: pa.Array, kind: str) -> tuple[pa.Array, list[int]]:
    """`column` as the Table Schema type `kind`, and the indices of cells that are not."""
    target = ARROW_TYPES[kind]
    if column.type == target:
        return column, []
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        try:
            return pc.cast(column, target), []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            column = pc.cast(column, pa.string())
    if kind == "string":
        return column, []
    if kind == "date":
        # Arrow's cast takes YYYY-MM-DD of a real day, and nothing else (but year 0, which
        # Python's dates lack): a column of them (every date a release holds) is typed at
        # once; else cell by cell, below.
        with contextlib.suppress(pa.ArrowInvalid):
            typed = pc.cast(column, target)
            if not pc.any(pc.less(typed, _FIRST_DAY)).as_py():
                return typed, []
        fast = pc.fill_null(pc.match_substring_regex(column, _DATE_SHAPE), False)
    else:  # up to 18 ASCII digits, no sign: there Arrow's cast and int() agree
        short = pc.less_equal(pc.binary_length(column), 18)
        fast = pc.fill_null(pc.and_(pc.ascii_is_decimal(column), short), False)
    placeholder = "0" if kind == "integer" else "1970-01-01"
    candidates = pc.if_else(fast, column, placeholder)
    if kind == "integer":
        typed = pc.cast(candidates, target)
    else:
        parsed = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
        typed = pc.cast(parsed, target)
        # strptime moves a day past its month's end into the next (0001-02-30 is March 2)
        # and takes year 0: those go to Python, which reads neither.
        kept = pc.fill_null(pc.equal(pc.cast(typed, pa.string()), candidates), False)
        fast = pc.and_(fast, pc.and_(kept, pc.greater_equal(candidates, "0001")))
    typed = pc.if_else(fast, typed, pa.scalar(None, target))
    slow = pc.indices_nonzero(pc.and_(pc.is_valid(column), pc.invert(fast))).to_pylist()
    if not slow:
        return typed, []
    values = typed.to_pylist()
    bad = []
    for i in slow:
        value = _SLOW_PARSERS[kind](column[i].as_py())
        if value is None:
            bad.append(i)
        values[i] = value
    return pa.array(values, target), bad


@dataclass
class ContractRules:
    """The contract's own rules for the `articles` table (docs/codes.md)."""

    today: dt.date = field(default_factory=dt.date.today)


class TableChecker:
    """Checks one table against its Table Schema (and, for articles, the contract)."""

    def __init__(
        self,
        schema: dict[str, Any],
        file: str,
        collector: Collector,
        *,
        contract: ContractRules | None = None,
        keys: bool = True,
        lookups: Mapping[str, Lookup | None] | None = None,
    ) -> None:
        self.schema = schema
        # A field's type is "string" where the schema leaves it out (Table Schema's default).
        self.fields: list[dict[str, Any]] = [{"type": "string", **f} for f in schema["fields"]]
        self.names = [f["name"] for f in self.fields]
        self.file = file
        self.out = collector
        self.contract = contract
        self.rows = 0
        # keys=False: the caller checks keys elsewhere (a release's second format, which
        # must equal the first row for row), so they are not kept.
        self.keys: Keys | None = Keys(schema, lookups or {}) if keys else None
        # The last batch's Table Schema findings (blank-row, type-error, constraint-error)
        # as (code, message, row, field), and whether each of its cells was of its type
        # and present: then a batch of equal typed rows has the same findings (`adopt`).
        self.findings: list[tuple[str, str, int, str | None]] = []
        self.clean = True

    # -- reporting ---------------------------------------------------------------------

    def _issue(self, code: str, message: str, row: int | None, name: str | None) -> None:
        self.out.add(Issue(code=code, message=message, file=self.file, row=row, field=name))

    def _finding(self, code: str, message: str, row: int, name: str | None) -> None:
        self.findings.append((code, message, row, name))
        self._issue(code, message, row, name)

    def header(self, columns: list[str], *, required_only: set[str] | None = None) -> None:
        """Report schema fields missing from the file, and columns the schema lacks."""
        for name in self.names:
            if name not in columns and (required_only is None or name in required_only):
                self._issue("missing-label", f'there is no column "{name}"', None, name)
        for name in columns:
            if name not in self.names:
                self._issue("extra-label", f'the column "{name}" is not in the schema', None, name)

    # -- rows ----------------------------------------------------------------------------

    def check(
        self,
        batch: pa.RecordBatch,
        rows: pa.Array,
        missing: dict[int, set[str]] | None = None,
    ) -> pa.RecordBatch:
        """Check a batch whose rows have the given row numbers; return it typed."""
        self.rows += batch.num_rows
        self.findings = []
        missing = missing or {}
        raw = self._columns(batch)
        blank = pc.invert(
            reduce(pc.or_, [pc.is_valid(raw[n]) for n in self.names])
            if self.names
            else pa.array([])
        )
        blank_rows = set(pc.indices_nonzero(blank).to_pylist())
        row_list: list[int] | None = None

        def row_of(i: int) -> int:
            nonlocal row_list
            if row_list is None:
                row_list = rows.to_pylist()
            return row_list[i]

        for i in sorted(blank_rows):
            self._finding("blank-row", "the row is empty", row_of(i), None)

        columns, wrong = self._typed_columns(raw)
        self.clean = not missing and not any(wrong)
        problems: list[tuple[int, int, str, str]] = []  # (row index, field index, code, message)
        for position, (f, column, bad) in enumerate(zip(self.fields, columns, wrong, strict=True)):
            for i in bad:
                if i not in blank_rows:
                    problems.append((i, position, "type-error", f'type is "{f["type"]}/default"'))
            skip = blank_rows | set(bad)  # a cell of the wrong type is not checked further
            problems += self._constraints(position, f, column, skip, missing)
        for i, position, code, message in sorted(problems):
            self._finding(code, message, row_of(i), self.fields[position]["name"])
        result = pa.RecordBatch.from_arrays(columns, names=self.names)
        if self.keys is not None and self.keys.names:
            # Row numbers as int32 (two billion rows) halve the memory the keys take.
            keys = result.select(self.keys.names).append_column(ROW, pc.cast(rows, pa.int32()))
            self.keys.add(pa.Table.from_batches([keys]))
        if self.contract is not None:
            self._contract(result, row_of)
        return result

    def _columns(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        """The batch's column of each field (nulls where it has none)."""
        names = batch.schema.names
        return {
            n: batch.column(n) if n in names else pa.nulls(batch.num_rows, pa.string())
            for n in self.names
        }

    def _typed_columns(self, raw: dict[str, pa.Array]) -> tuple[list[pa.Array], list[list[int]]]:
        """Each field's column as its type, and the indices of its cells that are not."""
        typed = [_typed(raw[f["name"]], f["type"]) for f in self.fields]
        return [column for column, _ in typed], [bad for _, bad in typed]

    def typed(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, bool]:
        """`batch` typed as `check` types it, and whether every cell was of its type;
        nothing is checked or counted."""
        columns, wrong = self._typed_columns(self._columns(batch))
        return pa.RecordBatch.from_arrays(columns, names=self.names), not any(wrong)

    def adopt(self, findings: list[tuple[str, str, int, str | None]], rows: int) -> None:
        """Take a batch of `rows` rows whose findings are known (another checker's of the
        same Table Schema, for equal typed rows, each cell of its type): report them as
        this file's."""
        self.rows += rows
        for code, message, row, name in findings:
            self._issue(code, message, row, name)

    def _constraints(
        self,
        position: int,
        f: dict[str, Any],
        column: pa.Array,
        blank_rows: set[int],
        missing: dict[int, set[str]],
    ) -> list[tuple[int, int, str, str]]:
        constraints = f.get("constraints", {})
        name = f["name"]
        out: list[tuple[int, int, str, str]] = []

        def flag(mask: pa.Array, constraint: str) -> None:
            hits = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
            message = f'constraint "{constraint}" is "{constraints[constraint]}"'
            out.extend(
                (i, position, "constraint-error", message) for i in hits if i not in blank_rows
            )

        if constraints.get("required"):
            nulls = pc.indices_nonzero(pc.is_null(column)).to_pylist()
            for i in nulls:
                if i in blank_rows or name in missing.get(i, ()):
                    continue
                out.append((i, position, "constraint-error", 'constraint "required" is "True"'))
        if "minLength" in constraints:
            flag(shorter_than(column, constraints["minLength"]), "minLength")
        if "maxLength" in constraints:
            flag(longer_than(column, constraints["maxLength"]), "maxLength")
        if "minimum" in constraints:
            flag(pc.less(column, pa.scalar(constraints["minimum"], column.type)), "minimum")
        if "maximum" in constraints:
            flag(pc.greater(column, pa.scalar(constraints["maximum"], column.type)), "maximum")
        if "pattern" in constraints:
            anchored = f"^(?:{constraints['pattern']})$"
            flag(pc.invert(pc.match_substring_regex(column, anchored)), "pattern")
        if "enum" in constraints:
            values = pa.array(constraints["enum"]).cast(column.type)
            flag(pc.invert(pc.is_in(column, value_set=values)), "enum")
        return out

    def _contract(self, table: pa.RecordBatch, row_of: Any) -> None:
        assert self.contract is not None
        names = set(table.schema.names)
        want = (
            "article_id",
            "source",
            "title",
            "date_published",
            "date_captured",
            "byline",
            "body",
            "word_count",
        )
        if not names.issuperset(want):
            return
        derived_ids, counts = _derived_ids(table), _word_counts(table.column("body"))
        columns = {n: table.column(n) for n in want}
        # Rows that break a rule, found column-wise; only those are looked at row by row.
        suspects = reduce(
            pc.or_,
            [
                pc.fill_null(pc.not_equal(columns["article_id"], derived_ids), True),
                pc.fill_null(pc.not_equal(columns["word_count"], counts), False),
                pc.fill_null(pc.match_substring_regex(columns["body"], _BLANK), False),
                pc.fill_null(
                    pc.greater(columns["date_published"], columns["date_captured"]), False
                ),
                pc.fill_null(
                    pc.greater(
                        columns["date_published"], pa.scalar(self.contract.today, pa.date32())
                    ),
                    False,
                ),
                _byline_suspects(columns["byline"], columns["body"]),
            ],
        )
        for i in pc.indices_nonzero(suspects).to_pylist():
            row = {n: columns[n][i].as_py() for n in want}
            self._contract_row(row, row_of(i), self.contract.today)

    def _contract_row(self, row: dict[str, Any], number: int, today: dt.date) -> None:
        source, published, title = row.get("source"), row.get("date_published"), row.get("title")
        body, byline = row.get("body"), row.get("byline")
        if source and published and title and row.get("article_id"):
            expected = rules.article_id(source, published, title)
            if row["article_id"] != expected:
                self._issue(
                    "article-id-mismatch", f"article_id should be {expected}", number, "article_id"
                )
        if body is not None and row.get("word_count") is not None:
            count = rules.word_count(body)
            if row["word_count"] != count:
                self._issue(
                    "word-count-mismatch", f"the body has {count} words", number, "word_count"
                )
        if body is not None and not body.strip():
            self._issue("empty-body", "the body is only whitespace", number, "body")
        problem = (
            rules.date_problem(published, row.get("date_captured"), today) if published else None
        )
        if problem:
            self._issue(problem[0], problem[1], number, "date_published")
        if byline is not None and not rules.is_byline(byline, alone=not (body or "").strip()):
            self._issue(
                "bad-byline",
                "a byline ends in a letter, has at most 200 characters and follows a body",
                number,
                "byline",
            )

    # -- end of table --------------------------------------------------------------------

    def finish(self) -> None:
        """The checks that need the whole table: unique, primary key, foreign keys
        (`packager.check.keys`)."""
        if self.keys is None:
            return
        for found in self.keys.finish():
            if found.kind == "unique":
                name = self.keys.unique[found.key][0]
                message = f"the same as in the row at position {found.first}"
                self._issue("unique-error", message, found.row, name)
            elif found.kind == "primary-null":
                message = 'cells composing the primary keys are all "None"'
                self._issue("primary-key", message, found.row, None)
            elif found.kind == "primary":
                message = f"the same as in the row at position {found.first}"
                self._issue("primary-key", message, found.row, None)
            else:
                fk = self.keys.foreign[found.key]
                message = (
                    f'for "{fk.local}": values "{found.first}" not found in the lookup table '
                    f'"{fk.resource}" as "{fk.remote}"'
                )
                self._issue("foreign-key", message, found.row, None)


# A word as Python's str.split() finds them: a run of anything but the characters
# str.isspace() takes (these, and the Unicode separators Zs, Zl, Zp). RE2's \s is ASCII.
_WORD = "[^\t\n\x0b\x0c\r\x1c-\x1f\x85\\p{Z}]+"
# A text of white space alone, as str.strip() knows it (every character str.isspace()
# takes: these, and the Unicode separators Zs, Zl, Zp): a test that stops at the first
# other character, where trimming made a copy of every body.
_BLANK = r"^[\t\n\x0b\f\r\x1c-\x1f\x85\pZ]*$"


# A character is 1 to 4 bytes of UTF-8: a text's length in characters is bounded by its
# length in bytes (free: Arrow's offsets), and is counted only where the bounds leave a
# length constraint open, which a column of bodies and a minLength of 1 never do.
def shorter_than(column: pa.Array, least: int) -> pa.Array:
    """`pc.less(pc.utf8_length(column), least)`: under `least` bytes is shorter, `4 *
    least` bytes or more is not."""
    size = pc.binary_length(column)
    if pc.any(pc.and_(pc.greater_equal(size, least), pc.less(size, 4 * least))).as_py():
        return pc.less(pc.utf8_length(column), least)
    return pc.less(size, least)


def longer_than(column: pa.Array, most: int) -> pa.Array:
    """`pc.greater(pc.utf8_length(column), most)`: `most` bytes or fewer is not longer,
    over `4 * most` bytes is."""
    size = pc.binary_length(column)
    if pc.any(pc.and_(pc.greater(size, most), pc.less_equal(size, 4 * most))).as_py():
        return pc.greater(pc.utf8_length(column), most)
    return pc.greater(size, most)


def _word_counts(body: pa.Array) -> pa.Array:
    """len(body.split()) for every row (null for a null body): by the compiled counter on
    the column's own buffers where it is built (no str made, no list of words), else
    column-wise by Arrow, counting the runs of `_WORD`."""
    if FAST is not None and (pa.types.is_string(body.type) or pa.types.is_large_string(body.type)):
        return _compiled_word_counts(body)
    return pc.cast(pc.count_substring_regex(body, _WORD), pa.int64())


def _compiled_word_counts(body: pa.Array) -> pa.Array:
    assert FAST is not None
    _, offsets, data = body.buffers()
    if data is None:  # no text at all (every row null or empty)
        data = pa.py_buffer(b"")
    wide = pa.types.is_large_string(body.type)
    counted = FAST.word_counts(offsets, data, body.offset, len(body), wide)
    counts = pa.Array.from_buffers(pa.int64(), len(body), [None, pa.py_buffer(counted)])
    if body.null_count:
        counts = pc.if_else(pc.is_valid(body), counts, pa.scalar(None, pa.int64()))
    return counts


def _derived_ids(table: pa.RecordBatch) -> pa.Array:
    """The article_id each row should have. Where source and title are printable ASCII
    with no two spaces together (titles as build writes them), NFKC and casefold change
    nothing but case and white space is single spaces: the key is made column-wise, by
    lower-casing and trimming. Other rows go through `rules.article_id`."""
    source, title, published = (table.column(n) for n in ("source", "title", "date_published"))

    def plain(column: pa.Array) -> pa.Array:
        return pc.and_(pc.ascii_is_printable(column), pc.equal(pc.count_substring(column, "  "), 0))

    def norm(column: pa.Array) -> pa.Array:
        return pc.ascii_trim_whitespace(pc.ascii_lower(column))

    keys = pc.binary_join_element_wise(
        norm(source), pc.cast(published, pa.string()), norm(title), "\x1f"
    )
    plain_rows = pc.and_(plain(source), plain(title))
    key_list, plain_list = keys.to_pylist(), plain_rows.to_pylist()
    ids: list[str | None] = []
    for i, key in enumerate(key_list):
        if key is None:
            ids.append(None)
        elif plain_list[i]:
            ids.append(rules.id_of_key(key))
        else:
            ids.append(rules.article_id(source[i].as_py(), published[i].as_py(), title[i].as_py()))
    return pa.array(ids, pa.string())


def _byline_suspects(byline: pa.Array, body: pa.Array) -> pa.Array:
    """Rows whose byline may break the byline rule (`rules.is_byline`), column-wise: those
    longer than the rule allows, not ending in an ASCII letter (a non-ASCII last letter is
    Python's to judge), or with no body (a blank one is a suspect of its own)."""
    last = pc.utf8_slice_codeunits(byline, -1)
    fine = pc.and_(
        pc.less_equal(pc.utf8_length(byline), rules.MAX_BYLINE_LENGTH), pc.ascii_is_alpha(last)
    )
    odd = pc.or_(pc.invert(pc.fill_null(fine, False)), pc.is_null(body))
    return pc.and_(pc.is_valid(byline), odd)
