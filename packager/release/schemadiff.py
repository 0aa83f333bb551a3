"""Schema changes between two releases, classed as the Data Package versioning recipe does.

Breaking (needs a major version): a table or field removed, renamed, retyped or reordered,
a constraint tightened, a key changed. Minor: a table or a field added at the end, a
constraint loosened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["breaking", "minor"]


@dataclass(frozen=True)
class SchemaChange:
    table: str
    kind: Kind
    message: str

    def __str__(self) -> str:
        return f"{self.table}: {self.message} ({self.kind})"


# For each bound: does a larger value tighten (True) or loosen (False) the constraint?
_BOUNDS = {"minLength": True, "minimum": True, "maxLength": False, "maximum": False}


def _constraint_changes(
    name: str, old: dict[str, Any], new: dict[str, Any]
) -> list[tuple[Kind, str]]:
    changes: list[tuple[Kind, str]] = []
    for flag in ("required", "unique"):
        was, now = bool(old.get(flag)), bool(new.get(flag))
        if was != now:
            kind: Kind = "breaking" if now else "minor"
            changes.append((kind, f"field {name!r} {'became' if now else 'is no longer'} {flag}"))
    for bound, larger_tightens in _BOUNDS.items():
        before, after = old.get(bound), new.get(bound)
        if before == after:
            continue
        if before is None:
            tighter = True
        elif after is None:
            tighter = False
        else:
            tighter = (after > before) == larger_tightens
        kind = "breaking" if tighter else "minor"
        changes.append((kind, f"field {name!r} {bound} {before} -> {after}"))
    if old.get("pattern") != new.get("pattern"):
        kind = "minor" if new.get("pattern") is None else "breaking"
        changes.append(
            (kind, f"field {name!r} pattern {old.get('pattern')!r} -> {new.get('pattern')!r}")
        )
    if old.get("enum") != new.get("enum"):
        before_set, after_set = set(old.get("enum") or ()), set(new.get("enum") or ())
        loosened = "enum" not in new or ("enum" in old and before_set <= after_set)
        kind = "minor" if loosened else "breaking"
        changes.append((kind, f"field {name!r} enum changed"))
    return changes


def table_changes(table: str, old: dict[str, Any], new: dict[str, Any]) -> list[SchemaChange]:
    """What changed from Table Schema `old` to `new` of `table`."""
    out: list[tuple[Kind, str]] = []
    old_fields = {f["name"]: f for f in old.get("fields", [])}
    new_fields = {f["name"]: f for f in new.get("fields", [])}
    old_names, new_names = list(old_fields), list(new_fields)
    removed = [n for n in old_names if n not in new_fields]
    added = [n for n in new_names if n not in old_fields]
    for name in removed:
        position = old_names.index(name)
        twin = new_names[position] if position < len(new_names) else None
        if twin in added and new_fields[twin]["type"] == old_fields[name]["type"]:
            out.append(("breaking", f"field {name!r} renamed to {twin!r}"))
            added.remove(twin)
        else:
            out.append(("breaking", f"field {name!r} removed"))
    kept_old = [n for n in old_names if n in new_fields]
    kept_new = [n for n in new_names if n in old_fields]
    if kept_old != kept_new:
        out.append(("breaking", "fields reordered"))
    for name in added:
        at_end = new_names.index(name) >= len(kept_new)
        out.append(("minor" if at_end else "breaking", f"field {name!r} added"))
    for name in kept_new:
        before, after = old_fields[name], new_fields[name]
        if before["type"] != after["type"]:
            out.append(("breaking", f"field {name!r} type {before['type']} -> {after['type']}"))
        out += _constraint_changes(
            name, before.get("constraints", {}), after.get("constraints", {})
        )
    if old.get("primaryKey") != new.get("primaryKey"):
        out.append(("breaking", f"primary key {old.get('primaryKey')} -> {new.get('primaryKey')}"))
    if old.get("foreignKeys", []) != new.get("foreignKeys", []):
        kind: Kind = "minor" if not new.get("foreignKeys") else "breaking"
        out.append((kind, "foreign keys changed"))
    return [SchemaChange(table, kind, message) for kind, message in out]


def schema_changes(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> list[SchemaChange]:
    """Changes between two {table: Table Schema} maps."""
    changes: list[SchemaChange] = []
    for table in old:
        if table not in new:
            changes.append(SchemaChange(table, "breaking", "table removed"))
        else:
            changes += table_changes(table, old[table], new[table])
    changes += [SchemaChange(t, "minor", "table added") for t in new if t not in old]
    return changes


def descriptor_schemas(descriptor: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{table: Table Schema} of a release descriptor's CSV resources."""
    return {
        r["name"]: r["schema"]
        for r in descriptor.get("resources", [])
        if isinstance(r, dict) and r.get("format") == "csv" and isinstance(r.get("schema"), dict)
    }
