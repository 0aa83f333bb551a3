"""Versions and schema compatibility: bumping, SemVer, breaking changes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from packager import BreakingChangeError, UsageError, build_release
from packager.contract.schema import table_schema
from packager.release.schemadiff import table_changes
from packager.release.versions import next_version, parse_version

from .conftest import CREATED, EXAMPLES, TODAY, listing


def _build(out: Path, **options: Any) -> Path:
    return build_release(
        [EXAMPLES], name="s", out=out, created=CREATED, today=TODAY, **options
    ).path


def test_bump_picks_the_next_version(tmp_path: Path) -> None:
    assert _build(tmp_path, bump="patch").name == "0.0.1"
    assert _build(tmp_path, bump="minor").name == "0.1.0"
    assert _build(tmp_path, bump="major").name == "1.0.0"
    assert _build(tmp_path, bump="patch").name == "1.0.1"
    assert _build(tmp_path, version="1.10.0").name == "1.10.0"
    assert _build(tmp_path, bump="minor").name == "1.11.0"  # numeric, not string, order
    (tmp_path / "s" / ".2.0.0.partial-1-x").mkdir()  # a work folder is not a release
    (tmp_path / "s" / "notes").mkdir()
    assert next_version(tmp_path / "s", "patch") == "1.11.1"


@pytest.mark.parametrize("text", ["1.0", "01.0.0", "1.0.0-rc1", "v1.0.0", "1.0.0.0", ""])
def test_bad_versions_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_version(text)


def _previous_with_schema(tmp_path: Path, change: Any) -> Path:
    """A 1.0.0 release whose articles schema was `change`d (as an older packager wrote it)."""
    release = _build(tmp_path, version="1.0.0")
    descriptor_path = release / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text())
    for resource in descriptor["resources"]:
        if resource["name"] == "articles":
            change(resource["schema"])
    descriptor_path.write_text(json.dumps(descriptor))
    return release


def test_breaking_change_under_minor_bump_is_refused(tmp_path: Path) -> None:
    def older_had_extra_field(schema: dict[str, Any]) -> None:
        schema["fields"].append({"name": "section", "type": "string"})

    _previous_with_schema(tmp_path, older_had_extra_field)
    with pytest.raises(BreakingChangeError, match="field 'section' removed"):
        _build(tmp_path, bump="minor")
    with pytest.raises(BreakingChangeError, match="field 'section' removed"):
        _build(tmp_path, version="1.0.1")
    assert listing(tmp_path / "s") == ["1.0.0"]
    assert _build(tmp_path, bump="major").name == "2.0.0"


def test_breaking_changes_are_judged_against_the_latest_earlier_release(tmp_path: Path) -> None:
    def older_had_extra_field(schema: dict[str, Any]) -> None:
        schema["fields"].append({"name": "section", "type": "string"})

    # 1.0.0 had another schema, 2.0.0 (a major version) has today's: 2.1.0 is compared
    # with 2.0.0, so it is not refused.
    _previous_with_schema(tmp_path / "a", older_had_extra_field)
    assert _build(tmp_path / "a", bump="major").name == "2.0.0"
    assert _build(tmp_path / "a", bump="minor").name == "2.1.0"
    # 1.0.0 has today's schema, 1.1.0 another: 1.2.0 is compared with 1.1.0, and refused.
    _build(tmp_path / "b", version="1.0.0")
    release = _build(tmp_path / "b", version="1.1.0")
    descriptor = json.loads((release / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        if resource["name"] == "articles":
            older_had_extra_field(resource["schema"])
    (release / "datapackage.json").write_text(json.dumps(descriptor))
    with pytest.raises(BreakingChangeError, match="since 1.1.0"):
        _build(tmp_path / "b", bump="minor")


def test_loosened_constraint_is_not_breaking(tmp_path: Path) -> None:
    def older_required_byline(schema: dict[str, Any]) -> None:
        [field] = [f for f in schema["fields"] if f["name"] == "byline"]
        field["constraints"]["required"] = True

    _previous_with_schema(tmp_path, older_required_byline)
    release = _build(tmp_path, bump="minor")
    assert release.name == "1.1.0"
    changes = (release / "CHANGES.md").read_text()
    assert "articles: field 'byline' is no longer required (minor)" in changes


ARTICLES = table_schema("articles")


def _changed(edit: Any) -> list[tuple[str, str]]:
    new = copy.deepcopy(ARTICLES)
    edit(new)
    return [(c.kind, c.message) for c in table_changes("articles", ARTICLES, new)]


def test_schema_change_classes() -> None:
    def field(schema: dict[str, Any], name: str) -> dict[str, Any]:
        return next(f for f in schema["fields"] if f["name"] == name)

    assert _changed(lambda s: None) == []
    assert _changed(lambda s: s["fields"].append({"name": "x", "type": "string"})) == [
        ("minor", "field 'x' added")
    ]
    assert _changed(lambda s: s["fields"].pop()) == [("breaking", "field 'source_sha256' removed")]
    assert _changed(lambda s: field(s, "url").update(name="link")) == [
        ("breaking", "field 'url' renamed to 'link'")
    ]
    assert _changed(lambda s: field(s, "word_count").update(type="number")) == [
        ("breaking", "field 'word_count' type integer -> number")
    ]
    assert _changed(lambda s: s["fields"].reverse())[0] == ("breaking", "fields reordered")
    assert _changed(lambda s: field(s, "byline")["constraints"].update(maxLength=100)) == [
        ("breaking", "field 'byline' maxLength 200 -> 100")
    ]
    assert _changed(lambda s: field(s, "byline")["constraints"].update(maxLength=300)) == [
        ("minor", "field 'byline' maxLength 200 -> 300")
    ]
    assert _changed(lambda s: field(s, "word_count")["constraints"].update(minimum=1)) == [
        ("breaking", "field 'word_count' minimum 0 -> 1")
    ]
    assert _changed(lambda s: field(s, "word_count")["constraints"].update(minimum=-1)) == [
        ("minor", "field 'word_count' minimum 0 -> -1")
    ]
    assert _changed(lambda s: field(s, "url").update(constraints={"required": True})) == [
        ("breaking", "field 'url' became required")
    ]
    assert _changed(lambda s: field(s, "source")["constraints"].update(enum=["KCNA"])) == [
        ("breaking", "field 'source' enum changed")
    ]
