"""A release on the ecosystem's shelves: Croissant (checked and loaded by mlcroissant),
CITATION.cff (checked by cffconvert), and a card that Hugging Face reads in both layouts.
Each is tested with the real tool."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from packager import BuildResult, InputError, build_release, validate
from packager.contract.schema import table_schema

from .conftest import CREATED, EXAMPLES, TODAY

ROOT = Path(__file__).resolve().parent.parent
CFFCONVERT = ROOT / ".venv-cffconvert" / "bin" / "cffconvert"
DATASET_TOML = """
title = "KCNA Watch sample"
description = "Sample pages."
homepage = "https://example.org/kcna"
doi = "10.5281/zenodo.1234567"
keywords = ["north-korea", "kcna"]

[[licenses]]
name = "CC-BY-4.0"
path = "https://creativecommons.org/licenses/by/4.0/"

[[authors]]
given-names = "Kim"
family-names = "Researcher"
orcid = "https://orcid.org/0000-0002-1825-0097"
affiliation = "A University"

[[authors]]
name = "The KCNA Watch team"
"""


def _build(out: Path, layout: str = "single", metadata: Path | None = None) -> BuildResult:
    return build_release(
        [EXAMPLES], name="kcna-sample", version="1.0.0", out=out, created=CREATED,
        today=TODAY, layout=layout, metadata=metadata,
    )  # fmt: skip


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    out = tmp_path_factory.mktemp("shelves")
    meta = out / "dataset.toml"
    meta.write_text(DATASET_TOML)
    return {
        "single": _build(out / "single", metadata=meta),
        "partitioned": _build(out / "partitioned", "partitioned", metadata=meta),
    }


def _mlcroissant(*args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "mlcroissant"
    return subprocess.run([str(command), *args], capture_output=True, text=True, timeout=300)


def _plain(value: Any) -> Any:
    """A value as mlcroissant gives it (bytes for text, a timestamp for a date), as Python."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if hasattr(value, "date") and not isinstance(value, dt.date):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's, inside mlcroissant
@pytest.mark.parametrize("layout", ["single", "partitioned"])
def test_croissant_is_valid_and_loads_the_releases_rows(
    releases: dict[str, BuildResult], layout: str
) -> None:
    release = releases[layout].path
    checked = _mlcroissant("validate", "--jsonld", str(release / "croissant.json"))
    assert checked.returncode == 0, checked.stderr[-3000:]
    count = releases[layout].articles
    jsonld = str(release / "croissant.json")
    loaded_by_cli = _mlcroissant(
        "load", "--jsonld", jsonld, "--record_set", "articles", "--num_records", str(count + 5)
    )
    assert loaded_by_cli.returncode == 0, loaded_by_cli.stderr[-3000:]
    ids = re.findall(r"'articles/article_id': b'([0-9a-f]{16})'", loaded_by_cli.stdout)
    expected_ids = [
        row["article_id"]
        for part in sorted(release.glob("data/**/*.parquet"))
        if "related" not in part.as_posix()
        for row in pq.read_table(part, columns=["article_id"]).to_pylist()
    ]
    assert sorted(ids) == sorted(expected_ids) and len(ids) == count
    mlc = importlib.import_module("mlcroissant")
    dataset = mlc.Dataset(jsonld=str(release / "croissant.json"))
    for table, key in (("articles", ["article_id"]), ("related", ["article_id", "position"])):
        loaded = [
            {name.split("/", 1)[1]: _plain(v) for name, v in row.items()}
            for row in dataset.records(table)
        ]
        parts = sorted(release.glob(f"data/**/{table}*.parquet")) or sorted(
            release.glob(f"data/parquet/{table}/*/*.parquet")
        )
        expected = [row for part in parts for row in pq.read_table(part).to_pylist()]
        assert len(loaded) == len(expected) > 0
        by_key = {tuple(row[k] for k in key): row for row in expected}
        assert {tuple(row[k] for k in key): row for row in loaded} == by_key


def test_croissant_describes_every_file_field_key_and_reference(
    releases: dict[str, BuildResult],
) -> None:
    release = releases["single"].path
    document = json.loads((release / "croissant.json").read_text())
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert document["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert document["url"] == "https://doi.org/10.5281/zenodo.1234567"
    assert [c["name"] for c in document["creator"]] == ["Kim Researcher", "The KCNA Watch team"]
    sums: dict[str, str] = {}
    for line in (release / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    files = {d["contentUrl"]: d["sha256"] for d in document["distribution"]}
    assert files == {name: sums[name] for name in sums if name.startswith("data/")}
    for record_set in document["recordSet"]:
        schema = table_schema(record_set["name"])
        assert [(f["name"], f["description"]) for f in record_set["field"]] == [
            (f["name"], f["description"]) for f in schema["fields"]
        ]
        assert [k["@id"] for k in record_set["key"]] == [
            f"{record_set['name']}/{k}" for k in schema["primaryKey"]
        ]
    related = next(r for r in document["recordSet"] if r["name"] == "related")
    article_id = next(f for f in related["field"] if f["name"] == "article_id")
    assert article_id["references"] == {"field": {"@id": "articles/article_id"}}
    partitioned = json.loads((releases["partitioned"].path / "croissant.json").read_text())
    sets = [d for d in partitioned["distribution"] if d["@type"] == "cr:FileSet"]
    assert sorted(d["includes"] for d in sets) == [
        "data/csv/articles/*/*.csv", "data/csv/related/*/*.csv",
        "data/parquet/articles/*/*.parquet", "data/parquet/related/*/*.parquet",
    ]  # fmt: skip


def _cffconvert_validate(path: Path) -> subprocess.CompletedProcess[str]:
    if not CFFCONVERT.exists():
        pytest.skip(f"{CFFCONVERT} is not here: `make test` makes it (cffconvert needs a venv "
                    "of its own, as it pins jsonschema<4)")  # fmt: skip
    return subprocess.run(
        [str(CFFCONVERT), "--validate", "-i", str(path)], capture_output=True, text=True
    )


def test_citation_cff_is_valid_and_says_who_and_what(releases: dict[str, BuildResult]) -> None:
    release = releases["single"].path
    checked = _cffconvert_validate(release / "CITATION.cff")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    cff = yaml.safe_load((release / "CITATION.cff").read_text())
    assert cff["type"] == "dataset"
    assert (cff["title"], cff["version"], cff["date-released"]) == (
        "KCNA Watch sample", "1.0.0", CREATED[:10]
    )  # fmt: skip
    assert cff["doi"] == "10.5281/zenodo.1234567"
    assert cff["license"] == "CC-BY-4.0"
    assert cff["authors"] == [
        {"given-names": "Kim", "family-names": "Researcher", "affiliation": "A University",
         "orcid": "https://orcid.org/0000-0002-1825-0097"},
        {"name": "The KCNA Watch team"},
    ]  # fmt: skip


def test_citation_cff_without_metadata_is_still_valid(example_release: BuildResult) -> None:
    checked = _cffconvert_validate(example_release.path / "CITATION.cff")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_card_says_how_to_cite(releases: dict[str, BuildResult]) -> None:
    card = (releases["single"].path / "README.md").read_text()
    cite = card.split("## How to cite\n", 1)[1]
    assert cite.startswith(
        "\nKim Researcher; The KCNA Watch team (2026). KCNA Watch sample (version 1.0.0) "
        "[Data set]. https://doi.org/10.5281/zenodo.1234567\n"
    )
    assert "  author = {Researcher, Kim and {The KCNA Watch team}},\n" in cite
    assert "  doi = {10.5281/zenodo.1234567},\n" in cite


def test_dataset_toml_citation_text_is_the_preferred_citation(tmp_path: Path) -> None:
    meta = tmp_path / "dataset.toml"
    meta.write_text('citation = "Researcher, K. (2026). KCNA Watch sample."\n')
    release = _build(tmp_path / "out", metadata=meta).path
    card = (release / "README.md").read_text()
    assert "## How to cite\n\nResearcher, K. (2026). KCNA Watch sample.\n" in card
    cff = yaml.safe_load((release / "CITATION.cff").read_text())
    assert cff["message"] == "Researcher, K. (2026). KCNA Watch sample."
    bad = tmp_path / "bad.toml"
    for text, where in (
        ('doi = "https://doi.org/10.5281/x"\n', "doi"),
        ('[[authors]]\norcid = "https://orcid.org/0000-0002-1825-0097"\n', "authors.0"),
    ):
        bad.write_text(text)
        with pytest.raises(InputError, match=f"bad.toml: {where}"):
            _build(tmp_path / "never", metadata=bad)


def test_a_tampered_croissant_or_citation_is_caught(
    releases: dict[str, BuildResult], tmp_path: Path
) -> None:
    for name in ("croissant.json", "CITATION.cff"):
        copy = tmp_path / name
        shutil.copytree(releases["single"].path, copy)
        path = copy / name
        path.write_text(path.read_text().replace("KCNA Watch sample", "KCNA Watch sampler"))
        found = {(i.file, i.code) for i in validate([copy], today=TODAY).errors}
        assert found == {(name, "byte-count"), (name, "hash-count"), ("SHA256SUMS", "hash-count")}
        # SHA256SUMS made to agree: the descriptor, which lists the file, still says no.
        sums = copy / "SHA256SUMS"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        sums.write_text("".join(
            f"{digest}  {name}\n" if line.endswith(f"  {name}\n") else line
            for line in sums.read_text().splitlines(keepends=True)
        ))  # fmt: skip
        found = {(i.file, i.code) for i in validate([copy], today=TODAY).errors}
        assert found == {(name, "byte-count"), (name, "hash-count")}


@pytest.mark.parametrize(
    ("toml", "where"),
    [
        ('homepage = "example.org/kcna"', "homepage: String should match pattern"),
        ('[[authors]]\nname = "T"\nemail = "not an email"', "authors.0.email: String should"),
        ('keywords = ["kcna", ""]', "keywords.1: String should have at least 1 character"),
        ('title = "A\\u0000title"', "title: String should match pattern"),
        ('title = "Two\\nlines"', "title: String should match pattern"),
        ('[[authors]]\nfamily-names = "Kim\\u001b[31m"', "authors.0.family-names: String"),
    ],
)
def test_metadata_its_readers_would_refuse_is_refused_before_a_build(
    tmp_path: Path, toml: str, where: str
) -> None:
    meta = tmp_path / "dataset.toml"
    meta.write_text(toml + "\n")
    with pytest.raises(InputError, match=re.escape(f"{meta}: {where}")):
        build_release(
            [EXAMPLES], name="m", version="1.0.0", out=tmp_path / "out", created=CREATED,
            today=TODAY, metadata=meta,
        )  # fmt: skip
    assert not (tmp_path / "out" / "m").exists()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's, inside mlcroissant
def test_hostile_but_valid_metadata_keeps_every_reader_whole(tmp_path: Path) -> None:
    meta = tmp_path / "dataset.toml"
    meta.write_text(
        'title = "KCNA * [sample] | `1`"\n'
        'description = "Opens a fence:\\n```\\nnever closed"\n'
        'keywords = ["a|b", "{x}"]\n'
        '[[authors]]\ngiven-names = "Ann"\nfamily-names = "O}{Brien"\nemail = "ann@example.org"\n'
    )
    result = build_release(
        [EXAMPLES], name="m", version="1.0.0", out=tmp_path / "out", created=CREATED,
        today=TODAY, metadata=meta,
    )  # fmt: skip
    checked = _cffconvert_validate(result.path / "CITATION.cff")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    card = (result.path / "README.md").read_text()
    body = card.split("\n---\n", 1)[1]
    fences = [line for line in body.splitlines() if line.lstrip().startswith("```")]
    assert len(fences) % 2 == 0  # every fence the card opens is closed
    assert "\n## Loading\n" in card
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["pretty_name"] == "KCNA * [sample] | `1`"
    bib = json.loads((result.path / "croissant.json").read_text())["citeAs"]
    depth = 0
    for char in bib:  # the BibTeX's braces balance, so no field ends early
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    assert validate([result.path], today=TODAY).valid
    checked = _mlcroissant("validate", "--jsonld", str(result.path / "croissant.json"))
    assert checked.returncode == 0, checked.stderr[-3000:]
    from .test_invariant import _LOAD

    loaded = subprocess.run(
        [sys.executable, "-c", _LOAD, str(result.path), "articles"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert (loaded.returncode, loaded.stdout.split()) == (0, [str(result.articles)])
