"""The checks that need a whole table: unique fields, primary keys and foreign keys.

A table's key columns come a batch at a time (`Keys.add`), with each row's number. Where
a key's values come sorted (a release's related rows by `(article_id, position)`, as
build writes them), its repeats are found as the batches pass, each batch with the last
key before it, and nothing of it stays in memory: a release of millions of rows is
checked in the memory of a batch. The first batch out of order ends that for its key:
its repeats are found when the table ends, by one sort, as for any table. Every batch's
keys wait in a temporary file until then, out of order or not, and are read back into
memory once, when the table ends.

A foreign key is checked against the referenced table's key column, sorted once: a sorted
batch is looked up in the slice of it between the batch's least and greatest value; a
batch out of order, or one that comes before the referenced table is done, is kept and
looked up when the table ends.

Every finding is reported when the table ends, in the order frictionless gives: each
unique field's repeats, then the primary key's null and repeated rows, then the foreign
keys' dangling rows, each by row.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import weakref
from collections.abc import Callable, Iterator, Mapping
from functools import reduce
from typing import Any, NamedTuple, Protocol

import pyarrow as pa
import pyarrow.compute as pc

ROW = "__row"

# The types whose order Python and Arrow agree on (strings by code point, which UTF-8's
# bytes keep), so that a slice of sorted values can be found by bisection in Python.
_BISECTABLE = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer,
               pa.types.is_date)  # fmt: skip


class Finding(NamedTuple):
    """One row a key check reports: `first` is the row it repeats (a repeat), or the
    value not found (a dangling foreign key)."""

    kind: str  # "unique", "primary-null", "primary", "foreign"
    key: int  # which unique field or foreign key (0 for the primary key)
    row: int
    first: Any = None


class Lookup(Protocol):
    """What a foreign key is looked up in: the referenced table's values of a field."""

    def ready(self) -> bool: ...

    def values(self, name: str) -> pa.Array: ...


class _Spill:
    """Tables of one schema written to a temporary file, read back on demand. Written and
    read by Arrow's own file (not a Python file object, whose reads would be Python bytes
    in the C library's heap, kept there after they are freed): the keys read back go to
    Arrow's allocator, which gives them back when they are let go."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            # open across calls: closed and removed by `read` or `close`, or when the spill
            # is let go (a check stopped by --max-errors)
            handle, self._path = tempfile.mkstemp(prefix="packager-keys-", suffix=".arrows")
            os.close(handle)
            weakref.finalize(self, _remove, self._path)
            self._writer = pa.ipc.new_stream(pa.OSFile(self._path, "wb"), table.schema)
        self._writer.write_table(table)

    def read(self) -> list[pa.Table]:
        """What was written, in order; the file is removed."""
        if self._writer is None or self._path is None:
            return []
        writer, self._writer = self._writer, None
        writer.close()
        with pa.ipc.open_stream(pa.OSFile(self._path, "rb")) as reader:
            tables = [reader.read_all()]
        self.close()
        return tables

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._path is not None:
            _remove(self._path)
        self._path = self._writer = None


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


class _Sorted:
    """Repeats of one key (`names`) found as its sorted values pass; `broken` once a batch
    comes out of order."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.broken = False
        self.repeats: list[tuple[int, int]] = []  # (row, first row with the same key)
        self._last: pa.Table | None = None  # the last key seen, with its row
        self._origin = 0  # the first row of the last key's run

    def add(self, keys: pa.Table) -> None:
        """Take a batch's keys (the key's columns and ROW; rows with a null in the key
        left out)."""
        if self.broken or not keys.num_rows:
            return
        table = keys if self._last is None else pa.concat_tables([self._last, keys])
        table = table.combine_chunks()
        columns = [table.column(n) for n in self.names]
        n = table.num_rows
        before, after = [c.slice(0, n - 1) for c in columns], [c.slice(1) for c in columns]
        # lexicographic: each key is at least the one before it
        in_order = pc.less_equal(before[-1], after[-1])
        same = pc.equal(before[-1], after[-1])
        for b, a in zip(reversed(before[:-1]), reversed(after[:-1]), strict=True):
            in_order = pc.or_(pc.less(b, a), pc.and_(pc.equal(b, a), in_order))
            same = pc.and_(pc.equal(b, a), same)
        if n > 1 and not pc.all(in_order).as_py():
            self.broken = True
            self.repeats = []
            return
        rows = table.column(ROW)
        first: dict[int, int] = {0: self._origin} if self._last is not None else {}
        repeats = pc.indices_nonzero(same).to_pylist() if n > 1 else []
        self.repeats += _runs(repeats, lambda i: rows[i].as_py(), first)
        self._origin = first.get(n - 1, rows[n - 1].as_py())
        self._last = table.slice(n - 1)


class _Foreign:
    """One foreign key: the local field, the referenced resource and field."""

    def __init__(self, local: str, resource: str, remote: str) -> None:
        self.local, self.resource, self.remote = local, resource, remote
        self.pending: list[pa.Table] = []  # batches looked up when the table ends
        self.dangling: list[tuple[int, Any]] = []  # (row, value)

    def add(self, keys: pa.Table, lookup: Lookup | None) -> None:
        """Look up a batch's values (nulls left out) now where it can be done cheaply,
        else keep them for the end."""
        if not keys.num_rows:
            return
        column = keys.column(self.local).combine_chunks()
        if lookup is None or not lookup.ready() or not _bisectable(column.type):
            self.pending.append(keys)
            return
        values = lookup.values(self.remote)
        if values.type != column.type:
            self.pending.append(keys)
            return
        in_order = pc.all(pc.less_equal(column.slice(0, len(column) - 1), column.slice(1)))
        if len(column) > 1 and not in_order.as_py():
            self.pending.append(keys)
            return
        least, most = column[0].as_py(), column[len(column) - 1].as_py()
        start, stop = _bisect(values, least, right=False), _bisect(values, most, right=True)
        self._look_up(keys, values.slice(start, stop - start))

    def finish(self, lookup: Lookup | None) -> None:
        if lookup is None or not self.pending:
            return  # a table that cannot be read is reported on its own
        keys, self.pending = pa.concat_tables(self.pending), []
        self._look_up(keys, lookup.values(self.remote))

    def _look_up(self, keys: pa.Table, values: pa.Array) -> None:
        found = pc.is_in(keys.column(self.local), value_set=values)
        missing = keys.filter(pc.invert(found))
        for value, row in zip(
            missing.column(self.local).to_pylist(), missing.column(ROW).to_pylist(), strict=True
        ):
            self.dangling.append((row, value))


def _bisectable(kind: pa.DataType) -> bool:
    return any(test(kind) for test in _BISECTABLE)


def _bisect(values: pa.Array, value: Any, *, right: bool) -> int:
    """The position in sorted `values` before the first value greater than `value`
    (`right`), or not less than it."""
    low, high = 0, len(values)
    while low < high:
        middle = (low + high) // 2
        found = values[middle].as_py()
        if found < value or (right and found == value):
            low = middle + 1
        else:
            high = middle
    return low


class Keys:
    """The key checks of one table, whose Table Schema is `schema`; `lookups` are the
    tables its foreign keys reference, by resource name (each looked up once it is
    `ready`)."""

    def __init__(self, schema: Mapping[str, Any], lookups: Mapping[str, Lookup | None]) -> None:
        fields = schema["fields"]
        self.unique = [[f["name"]] for f in fields if f.get("constraints", {}).get("unique")]
        self.primary: list[str] = list(schema.get("primaryKey", []))
        self.foreign: list[_Foreign] = []
        for fk in schema.get("foreignKeys", []):
            local, remote = fk["fields"], fk["reference"]["fields"]
            if len(local) != 1:
                raise NotImplementedError("composite foreign keys")
            self.foreign.append(_Foreign(local[0], fk["reference"]["resource"], remote[0]))
        names = {n for key in [*self.unique, self.primary] for n in key}
        names |= {fk.local for fk in self.foreign}
        self.names = [f["name"] for f in fields if f["name"] in names]
        self._lookups = lookups
        # A key named twice (a unique field that is also the primary key) is checked once.
        self._sorted = {tuple(key): _Sorted(key) for key in [*self.unique, self.primary] if key}
        self._sorted_once: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        self._spill = _Spill()  # every batch's keys, until the table ends
        self._kept: list[pa.Table] = []
        self._values: dict[str, pa.Array] = {}
        self._primary_nulls: list[int] = []  # rows whose primary key is all null
        self.done = False

    def add(self, keys: pa.Table) -> None:
        """Take a batch's key columns (`names`) and ROW, its rows' numbers."""
        if self.primary:
            nulls = keys.filter(_all_null(keys, self.primary)).column(ROW)
            self._primary_nulls += nulls.to_pylist()
        for check in self._sorted.values():
            if not check.broken:
                check.add(keys.filter(_all_valid(keys, check.names)))
        for fk in self.foreign:
            valid = keys.select([fk.local, ROW]).filter(pc.is_valid(keys.column(fk.local)))
            fk.add(valid, self._lookups.get(fk.resource))
        self._spill.write(keys)

    def held(self) -> int:
        """How many keys are held in memory (none until the table ends: they wait in the
        spill file)."""
        return sum(table.num_rows for table in self._kept)

    def table(self) -> pa.Table:
        """Every key taken so far (read back from the spill if need be)."""
        self._kept += self._spill.read()  # the spill is read once: then it is empty
        if not self._kept:
            return pa.table({n: [] for n in [*self.names, ROW]})
        return pa.concat_tables(self._kept)

    # -- a referenced table ---------------------------------------------------------------

    def ready(self) -> bool:
        return self.done

    def values(self, name: str) -> pa.Array:
        """The table's values of `name`, nulls left out, sorted (made once)."""
        if name not in self._values:
            column = self.table().column(name).combine_chunks()
            if column.null_count:
                column = column.filter(pc.is_valid(column))
            self._values[name] = column.take(pc.array_sort_indices(column))
            if self.done and self._values.keys() >= set(self.names):
                self._kept = []  # every key is in `_values` now: the table is not needed
        return self._values[name]

    # -- the end of the table ----------------------------------------------------------

    def finish(self) -> Iterator[Finding]:
        """Every finding, in frictionless's order."""
        self.done = True  # a spill is kept: a table referencing this one may read it
        for index, names in enumerate(self.unique):
            for row, first in self._repeats(names):
                yield Finding("unique", index, row, first)
        if self.primary:
            for row in self._primary_nulls:
                yield Finding("primary-null", 0, row)
            for row, first in self._repeats(self.primary):
                yield Finding("primary", 0, row, first)
        for index, fk in enumerate(self.foreign):
            fk.finish(self._lookups.get(fk.resource))
            for row, value in sorted(fk.dangling):
                yield Finding("foreign", index, row, value)

    def _repeats(self, names: list[str]) -> list[tuple[int, int]]:
        key = tuple(names)
        if not self._sorted[key].broken:
            return sorted(self._sorted[key].repeats)
        if key not in self._sorted_once:  # one sort for a key named twice
            self._sorted_once[key] = list(duplicates(self.table(), names))
        return self._sorted_once[key]


def _all_valid(keys: pa.Table, names: list[str]) -> pa.ChunkedArray:
    return reduce(pc.and_, [pc.is_valid(keys.column(n)) for n in names])


def _all_null(keys: pa.Table, names: list[str]) -> pa.ChunkedArray:
    return reduce(pc.and_, [pc.is_null(keys.column(n)) for n in names])


def duplicates(keys: pa.Table, names: list[str]) -> Iterator[tuple[int, int]]:
    """(row, first row with the same key) for each repeated non-null key, by one sort."""
    table = keys.select([*names, ROW])
    table = table.filter(_all_valid(table, names))
    if table.num_rows < 2:
        return
    table = table.sort_by([*((n, "ascending") for n in names), (ROW, "ascending")])
    same = reduce(
        pc.and_,
        [
            pc.equal(column.slice(1), column.slice(0, len(column) - 1))
            for column in (table.column(n).combine_chunks() for n in names)
        ],
    )
    repeats = pc.indices_nonzero(same).to_pylist()
    if not repeats:
        return
    # the row numbers of the repeats and of the keys they repeat, not of every key
    wanted = sorted({*repeats, *(i + 1 for i in repeats)})
    rows = table.column(ROW).take(pa.array(wanted, pa.int64())).to_pylist()
    yield from sorted(_runs(repeats, dict(zip(wanted, rows, strict=True)).__getitem__, {}))


def _runs(
    repeats: list[int], row_at: Callable[[int], int], first: dict[int, int]
) -> list[tuple[int, int]]:
    """(row, first row of its run) for each key at `i + 1` that repeats the key at `i`
    (`repeats`, increasing), the keys in sorted order; `first` holds the run's first row
    of a key whose run began earlier, and is left holding each repeat's."""
    found = []
    for i in repeats:
        origin = first.get(i, row_at(i))
        first[i + 1] = origin
        found.append((row_at(i + 1), origin))
    return found
