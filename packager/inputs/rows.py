"""Parsed-article tables (CSV, Parquet, JSON Lines), row by row, to records.

Other scrapers' files name columns their own way (`--map FIELD=COLUMN` renames them). A
row's values go by field name to `packager.contract.record.make_record`, as a page's do, so
a row is normalised, derived and checked exactly as a page is: what the contract derives
(`article_id`, `word_count`, `language`, the byline) is derived whatever the row says. A
record may carry its related items as a list under `related`, as `packager parse` writes
them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import re
import shlex
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from packager.contract.language import detect_language
from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Reject
from packager.contract.record import (
    DERIVED,
    LANGUAGE_DIFFERS,
    Columns,
    Record,
    lines_of,
    make_record,
)
from packager.contract.rejection import Rejection
from packager.contract.rules import UNIX_EPOCH, epoch_reading, parse_iso_date, without_controls
from packager.contract.schema import field_names, fields, is_required
from packager.errors import ColumnsError, InputError, UsageError, os_reason
from packager.inputs.files import InputFile
from packager.inputs.pages import COMPILED
from packager.inputs.tables import TableSource, open_table

RELATED = "related"
CONTROL_CHARACTERS = "control-characters"  # a row's texts held them: each made a space
# Warnings about rows summed up in one warning per file (`TableRows.closing_warnings`).
SUMMED = (LANGUAGE_DIFFERS, CONTROL_CHARACTERS)
DATES = ("date_published", "date_captured")

# Column names other scrapers use for the contract's fields: what `--map` suggests.
SYNONYMS = {
    "title": ("headline", "heading", "subject", "name"),
    "body": ("story_text", "text", "content", "article", "story", "full_text", "article_text"),
    "date_published": ("date", "date_str", "published", "pub_date", "publish_date", "datetime"),
    "source": ("outlet", "publication", "agency", "publisher", "site", "media"),
    "url": ("link", "href", "uri", "address", "permalink"),
    "date_captured": ("captured", "scraped", "scraped_at", "crawled", "retrieved", "fetched"),
    "byline": ("author", "authors", "by"),
}


@dataclass(frozen=True)
class TableOptions:
    """How tables' columns give the contract's fields: `mapping` {field: column} renames
    columns (`--map`), `constants` {field: value} gives a field one value for every row
    (`--set`)."""

    mapping: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None  # strptime's, for dates that are not ISO 8601

    def __post_init__(self) -> None:
        known = [*field_names("articles"), RELATED]
        for option, names in (("--map", self.mapping), ("--set", self.constants)):
            for name in names:
                if name not in known:
                    close = difflib.get_close_matches(name, known, n=1)
                    hint = f" (did you mean {close[0]}?)" if close else ""
                    raise UsageError(
                        f"{option} {name}=...: the contract has no field {name!r}{hint}"
                    )
        for name in self.constants:
            if name in DERIVED or name == RELATED:
                raise UsageError(f"--set {name}=...: {name} is derived, not given")
        if self.date_format is not None:
            try:
                dt.datetime.strptime("", self.date_format)
            except ValueError:
                pass  # what any format says of an empty text: the format itself is sound
            except re.error as exc:  # the format cannot be made a pattern (%Y%Y)
                raise UsageError(
                    f"--date-format {self.date_format!r}: not a strptime format ({exc})"
                ) from None

    def unknown_columns(
        self, label: str, columns: list[str], sample: Callable[[], Columns] | None = None
    ) -> list[str]:
        """The columns of a table (named `columns` before renaming) that give no field;
        `ColumnsError` when the columns cannot give a required field, or a --map names a
        column the file lacks, with the closest match (`sample()`: the first rows' values
        by column, to prefer a column that holds dates for a date)."""
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise ColumnsError(
                f"{label}: the header names {_listed(repeated)} more than once: "
                "which one holds the field is not known"
            )
        missing_sources = [c for c in self.mapping.values() if c not in columns]
        if missing_sources:
            wrong = missing_sources[0]
            target = next(t for t, c in self.mapping.items() if c == wrong)
            close = difflib.get_close_matches(wrong, columns, n=1)
            hint = f"; did you mean --map {shlex.quote(f'{target}={close[0]}')}?" if close else ""
            raise ColumnsError(
                f"{label}: --map {target}={wrong}: the file has no column {wrong!r} "
                f"(columns: {_listed(columns)}){hint}"
            )
        renamed = {self._source_of(c): c for c in columns}
        given = set(renamed) | set(self.constants)
        needed = [
            f["name"] for f in fields("articles") if is_required(f) and f["name"] not in DERIVED
        ]
        missing = [name for name in needed if name not in given]
        if missing:
            spare = [c for c in columns if self._source_of(c) not in field_names("articles")]
            values = sample() if sample is not None else {}
            hints = [h for h in (_closest(name, spare, values) for name in missing) if h]
            hint = "; did you mean " + " ".join(hints) + "?" if hints else ""
            raise ColumnsError(
                f"{label}: no column for {', '.join(missing)} (columns: {_listed(columns)})"
                f"{hint}; --map FIELD=COLUMN names one, --set FIELD=VALUE gives all rows one"
            )
        known = {*field_names("articles"), RELATED}
        return [c for c in columns if self._source_of(c) not in known]

    def _source_of(self, column: str) -> str:
        """The field a column gives (its own name, unless --map renames it)."""
        for target, source in self.mapping.items():
            if source == column:
                return target
        return column


def _closest(name: str, columns: list[str], sample: Columns) -> str | None:
    """`--map name=COLUMN` for the column most like a field: a known synonym (for a date,
    the first whose sampled values read as dates, if one does), else a name spelled
    alike."""
    folded = {c.strip().lower().replace("-", "_").replace(" ", "_"): c for c in columns}
    found = [folded[synonym] for synonym in SYNONYMS.get(name, ()) if synonym in folded]
    if name in DATES:
        found.sort(key=lambda column: not _holds_dates(sample.get(column, [])))
    if found:
        return f"--map {shlex.quote(f'{name}={found[0]}')}"
    close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
    return f"--map {shlex.quote(f'{name}={close[0]}')}" if close else None


def _first_of(rows: list[int]) -> str:
    """The first rows' numbers, for a warning that counts rows."""
    return ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")


def _holds_dates(values: list[Any]) -> bool:
    """Whether the values that are there read as dates (some are there)."""
    present = [value for value in values if value is not None]
    try:
        return bool(present) and all(read_date(v, "", None) for v in present)
    except Rejection:
        return False


SAMPLE_ROWS = 50  # rows of a table looked at to suggest a column


def _first_rows(source: TableSource) -> Columns:
    """The values of a table's first rows, by column (none where it cannot be read)."""
    try:
        batch, _, _ = next(source.batches)
    except (StopIteration, InputError, ValueError, OSError):  # Arrow's errors are ValueErrors
        return {}
    rows = python_rows(batch.slice(0, SAMPLE_ROWS))
    return {name: [row[name] for row in rows] for name in batch.schema.names}


def _listed(columns: list[str]) -> str:
    shown = ", ".join(columns[:20])
    return shown + (f", ... ({len(columns)} in all)" if len(columns) > 20 else "") or "none"


class TableRows:
    """The rows of one parsed-article table as records: iterating gives one `Record` or
    `Reject` per row, in file order, then a `Reject` for each row that could not be read
    at all. `warnings` are about the whole file (columns dropped), known once it is open."""

    def __init__(
        self,
        item: InputFile,
        options: TableOptions | None = None,
        today: dt.date | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.item, self.today, self.limits = item, today or dt.date.today(), limits
        self.options = options or TableOptions()
        path = openable(item)
        self.source = open_table(path, item.source_file, self.options.mapping, lenient=True)
        self.sha256 = file_sha256(path)
        unknown = self.options.unknown_columns(item.source_file, self.source.header)
        self.warnings: list[tuple[str, str, int | None]] = []
        self._languages: dict[tuple[str, str], list[int]] = {}  # (given, read): rows
        self._controls: list[int] = []  # rows whose texts held control characters
        if unknown:
            message = f"columns the contract does not know, dropped: {', '.join(unknown)}"
            self.warnings.append(("unknown-columns", message, None))

    def closing_warnings(self) -> list[tuple[str, str, int | None]]:
        """Warnings about the whole file known once its rows are read: rows whose given
        language the body reads otherwise, counted by pair, with the first rows' numbers."""
        out: list[tuple[str, str, int | None]] = []
        if self._controls:
            message = (
                f"{len(self._controls)} rows held control characters (other than tab and "
                f"line breaks), each made a space (rows {_first_of(self._controls)})"
            )
            out.append((CONTROL_CHARACTERS, message, self._controls[0]))
        if replaced := self.source.replaced:
            message = (
                f"{len(replaced)} rows held bytes that are not UTF-8 (or escaped lone "
                f"surrogates), read as U+FFFD (rows {_first_of(replaced)})"
            )
            out.append(("invalid-utf8", message, replaced[0]))
        for (given, read), rows in sorted(self._languages.items(), key=lambda p: -len(p[1])):
            message = (
                f"{len(rows)} rows labelled {given!r} read as {read!r} (rows "
                f"{_first_of(rows)}): packaged as labelled"
            )
            out.append((LANGUAGE_DIFFERS, message, rows[0]))
        return out

    def _noted(self, record: Record) -> Record:
        """`record` less its warnings that are summed up by file, noted for
        `closing_warnings`."""
        codes = {code for code, _, _ in record.warnings}
        if not codes.intersection(SUMMED):
            return record
        article = record.article
        if LANGUAGE_DIFFERS in codes:
            key = (article["language"], detect_language(article["body"]))
            self._languages.setdefault(key, []).append(record.line or 0)
        if CONTROL_CHARACTERS in codes:
            self._controls.append(record.line or 0)
        kept = [w for w in record.warnings if w[0] not in SUMMED]
        return record._replace(warnings=kept)

    def __iter__(self) -> Iterator[Record | Reject]:
        label, constants = self.item.source_file, self.options.constants
        for batch, rows, _missing in self.source.batches:
            mended: list[int] = []
            numbers = rows.to_pylist()
            values = python_rows(batch, mended)
            self.source.replaced += sorted({numbers[k] for k in mended})
            for number, row in zip(numbers, values, strict=True):
                try:
                    yield self._noted(
                        record_of_row(
                            row | constants if constants else row,
                            (label, self.sha256),
                            number,
                            self.today,
                            self.limits,
                            self.options.date_format,
                        )
                    )
                except Rejection as rejection:
                    yield Reject(
                        source_file=label,
                        code=rejection.code,
                        message=rejection.message,
                        line=rejection.line if rejection.line is not None else number,
                    )
        for issue in self.source.issues:  # rows too short or too long, lines that are not JSON
            yield Reject(source_file=label, code=issue.code, message=issue.message, line=issue.row)


def python_rows(batch: pa.RecordBatch, replaced: list[int] | None = None) -> list[dict[str, Any]]:
    """The batch's rows as dicts; a date or time Python cannot hold (a Parquet date32 or
    date64 far past year 9999) comes as its text, for the date rule to refuse; a Parquet
    text that is not UTF-8 (Parquet's reader does not check) has U+FFFD for its bad bytes,
    and its row's position goes into `replaced`."""
    try:
        rows: list[dict[str, Any]] = batch.to_pylist()
        return rows
    except (OverflowError, ValueError):
        pass
    columns: dict[str, list[Any]] = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        try:
            columns[name] = column.to_pylist()
        except (OverflowError, ValueError):
            columns[name] = [_held(column, k, replaced) for k in range(len(column))]
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _held(column: pa.Array, k: int, replaced: list[int] | None) -> Any:
    try:
        return column[k].as_py()
    except UnicodeDecodeError:
        if replaced is not None:
            replaced.append(k)
        data: bytes = pc.cast(column.slice(k, 1), pa.binary())[0].as_py()
        return data.decode("utf-8", "replace")
    except (OverflowError, ValueError):
        return pc.cast(column.slice(k, 1), pa.string())[0].as_py()


def check_columns(item: InputFile, options: TableOptions) -> None:
    """Raise `InputError` (naming the file, what is missing, its columns and the closest
    match) when the table's columns cannot give the contract's required fields."""
    source = open_table(openable(item), item.source_file, options.mapping)
    options.unknown_columns(item.source_file, source.header, lambda: _first_rows(source))


def openable(item: InputFile) -> Path:
    """The path of a table to open; `InputError` for one that a link takes out of its
    input folder, or that is no regular file (a pipe would wait for a writer forever), as
    for a page."""
    if item.outside_root:
        raise InputError(f"{item.source_file}: a symlink that leads out of the input folder")
    try:
        regular = stat.S_ISREG(os.stat(item.path).st_mode)
    except OSError as exc:
        raise InputError(f"{item.source_file}: cannot read: {os_reason(exc)}") from None
    if not regular:
        raise InputError(f"{item.source_file}: not a regular file (a folder, device or pipe)")
    return item.path


def file_sha256(path: Path) -> str:
    """The sha256 of a table file's bytes (as stored: a gzip file's compressed bytes)."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read: {os_reason(exc)}") from None


def record_of_row(
    row: Mapping[str, Any],
    provenance: tuple[str, str | None],
    number: int,
    today: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    date_format: str | None = None,
) -> Record:
    """The record of one table row (`number` is its row or line, for messages), from the
    table `provenance` names (its source_file and sha256). A row that names its own
    `source_file` (as `packager parse` writes them: the page it came from) keeps it and
    its own `source_sha256`; any other row is the table's. The body's paragraphs are its
    lines (`lines_of`)."""
    given = {name: value for name, value in row.items() if name != RELATED}
    controls = 0
    for name, value in given.items():
        if isinstance(value, str):
            given[name], found = without_controls(value)
            controls += found
    if not given.get("source_file"):
        given["source_file"], given["source_sha256"] = provenance
    if isinstance(given.get("body"), str):
        given["body"] = lines_of(given["body"])
    for name in DATES:
        given[name] = read_date(given.get(name), name, number, date_format)
    if given["date_published"] == UNIX_EPOCH:
        raise Rejection(
            "epoch-date",
            f"date_published {UNIX_EPOCH} is the Unix epoch: a lost date, as exports write "
            "a zero, not packaged as a date",
            number,
        )
    related = _related(row.get(RELATED), number, date_format)
    for item in related:
        for name, value in item.items():
            if isinstance(value, str):
                item[name], found = without_controls(value)
                controls += found
    record = make_record(given, related, today=today, limits=limits, line=number, compiled=COMPILED)
    if controls:
        message = f"{controls} control characters, each made a space"
        record.warnings.append((CONTROL_CHARACTERS, message, number))
    return record._replace(line=number)


def read_date(
    value: object, name: str, number: int | None, date_format: str | None = None
) -> dt.date | None:
    """A table's date: a date; the date part of a timestamp, as written (its time zone is
    not converted); text as ISO 8601 (a date, or a date and time) or `date_format`.
    Anything else, a number above all, is a `bad-date` (never 1970-01-01)."""
    if value is None or type(value) is dt.date:
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        day = parse_iso_date(text)
        if day is None:
            day = _other_date(text, date_format)
        if day is None:
            if text.isascii() and text.isdigit():
                raise _a_number(name, int(text), number)
            shape = f"{date_format!r}" if date_format else "an ISO 8601 date (YYYY-MM-DD)"
            raise Rejection("bad-date", f"{name} {value!r} is not {shape}", number)
        return day
    if isinstance(value, int) and not isinstance(value, bool):
        raise _a_number(name, value, number)
    raise Rejection("bad-date", f"{name} {value!r} is a {type(value).__name__}, not a date", number)


def _a_number(name: str, value: int, number: int | None) -> Rejection:
    """The `bad-date` of a whole number where a date belongs: what it reads as, if a Unix
    time, and the fix."""
    reading = epoch_reading(value)
    what = f" (as Unix {reading[0]}: {reading[1]} UTC)" if reading else ""
    return Rejection(
        "bad-date",
        f"{name} {value} is a number, not a date{what}; map a column that holds dates "
        f"(--map {name}=COLUMN)",
        number,
    )


def _other_date(text: str, date_format: str | None) -> dt.date | None:
    try:
        if date_format:
            return dt.datetime.strptime(text, date_format).date()
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _related(cell: Any, number: int, date_format: str | None = None) -> list[dict[str, Any]]:
    try:
        items = json.loads(cell) if isinstance(cell, str) else (cell or [])
    except (ValueError, RecursionError):
        raise Rejection("invalid-article", "related: not a JSON list of items", number) from None
    if not isinstance(items, list):
        raise Rejection("invalid-article", "related: not a list of items", number)
    out = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            message = f"related item {position}: not an object"
            raise Rejection("invalid-article", message, number)
        found = dict(item)
        found["date_published"] = read_date(
            found.get("date_published"), "date_published", number, date_format
        )
        out.append(found)
    return out
