"""The dataset card: Hugging Face `datasets` loads a release from it alone, and it says
what a reader needs (counts, date range, sources, schema)."""

from __future__ import annotations

import importlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from packager import BuildResult, InputError, build_release

from .conftest import CREATED, EXAMPLES, TODAY


def _hf_load(
    release: Path, config: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(cache))
    datasets = importlib.import_module("datasets")
    loaded = datasets.load_dataset(str(release), config, split="train", cache_dir=str(cache))
    rows: list[dict[str, Any]] = loaded.to_list()
    return rows


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_datasets_loads_the_release_from_the_card_alone(
    example_release: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = example_release.path
    from_hf = _hf_load(release, "articles", tmp_path / "hf", monkeypatch)
    parquet = (release / "data/articles.parquet").as_posix()
    relation = duckdb.sql(f"SELECT * FROM '{parquet}'")
    assert relation is not None
    from_duckdb = relation.pl().to_dicts()
    from_polars = pl.read_parquet(parquet).to_dicts()
    assert len(from_hf) == example_release.articles > 0
    assert from_hf == from_duckdb == from_polars
    related = _hf_load(release, "related", tmp_path / "hf", monkeypatch)
    assert related == pl.read_parquet(release / "data/related.parquet").to_dicts()


def _front_matter(card: str) -> dict[str, Any]:
    assert card.startswith("---\n")
    block = card.split("---\n")[1]
    return {
        line.split(": ", 1)[0]: json.loads(line.split(": ", 1)[1]) for line in block.splitlines()
    }


def test_card_front_matter_and_contents(example_release: BuildResult) -> None:
    card = (example_release.path / "README.md").read_text()
    meta = _front_matter(card)
    assert meta["license"] == "cc0-1.0"
    assert meta["language"] == ["en", "ko"]
    assert meta["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in meta["configs"]] == ["articles", "related"]
    assert "# KCNA Watch sample" in card
    assert "- 14 articles and 33 related items, published 2025-06-03 to 2026-03-18" in card
    assert "- from 21 pages: 1 duplicate captures merged (see `merges.jsonl`), 6 rejected" in card
    assert "| Pyongyang Times | 4 |" in card
    assert "| 2026 | 5 |" in card
    assert "| `date_published` | date | yes |" in card


def test_bad_dataset_toml_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "dataset.toml"
    cases = [
        (
            'title = "x"\nlicenses = "CC0"\n',
            r"dataset.toml: licenses: Input should be a valid list",
        ),
        ("title = \n", "not valid TOML"),
    ]
    for text, message in cases:
        bad.write_text(text)
        with pytest.raises(InputError, match=message):
            build_release(
                [EXAMPLES],
                name="k",
                version="1.0.0",
                out=tmp_path / "o",
                metadata=bad,
                created=CREATED,
                today=TODAY,
            )
    assert not (tmp_path / "o").exists()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_datasets_loads_both_tables_of_the_partitioned_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = build_release(
        [EXAMPLES], name="k", version="1.0.0", out=tmp_path / "out", created=CREATED,
        today=TODAY, layout="partitioned",
    ).path  # fmt: skip
    for table, key in (("articles", ["article_id"]), ("related", ["article_id", "position"])):
        loaded = _hf_load(release, table, tmp_path / "hf", monkeypatch)
        parts = sorted(release.glob(f"data/parquet/{table}/*/*.parquet"))
        expected = pl.concat([pl.read_parquet(p) for p in parts]).to_dicts()
        assert sorted(loaded, key=lambda r: [r[k] for k in key]) == sorted(
            expected, key=lambda r: [r[k] for k in key]
        )
    card = (release / "README.md").read_text()
    named = set(re.findall(r"`(data/[^`*]+)`", card))
    patterns = set(re.findall(r"`(data/[^`]*\*[^`]*)`", card))
    assert named <= {p.relative_to(release).as_posix() for p in release.rglob("*")}
    assert all(list(release.glob(pattern)) for pattern in patterns), patterns


def test_the_card_metadata_reads_back_with_the_real_counts(example_release: BuildResult) -> None:
    hub = importlib.import_module("huggingface_hub")
    card = hub.DatasetCard.load(example_release.path / "README.md")
    infos = importlib.import_module("datasets.info").DatasetInfosDict.from_dataset_card_data(
        card.data
    )
    configs = importlib.import_module("datasets.utils.metadata").MetadataConfigs
    found = configs.from_dataset_card_data(card.data)
    assert sorted(found) == ["articles", "related"]
    counts = {"articles": example_release.articles, "related": example_release.related}
    for table, info in infos.items():
        assert info.splits["train"].num_examples == counts[table]
        assert info.splits["train"].num_bytes > 0
        path = example_release.path / f"data/{table}.parquet"
        assert info.download_size == path.stat().st_size
        assert list(info.features) == [
            f["name"] for f in json.loads((example_release.path / "datapackage.json").read_text())[
                "resources"][["articles", "related"].index(table)]["schema"]["fields"]
        ]  # fmt: skip


def _with_line(card: Path, key: str, line: str) -> None:
    """`card` with its front matter's `key` line replaced by `line`."""
    lines = card.read_text().split("\n")
    card.write_text("\n".join(line if t.startswith(f"{key}: ") else t for t in lines))


def _front_line(card: Path, key: str) -> str:
    return next(t for t in card.read_text().split("\n") if t.startswith(f"{key}: "))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_two_releases_in_folders_of_one_name_load_their_own_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hugging Face keys its cache by the folder's name and the card's metadata, not by the
    # data: version 1.0.0 built twice (into two OUT folders) from different pages, loaded
    # one after the other in one process. The cards' counts and sizes are made the same
    # (as they are when a change keeps every size), so only the data's sha256 on the card
    # tells the releases apart.
    changed = tmp_path / "changed"
    shutil.copytree(EXAMPLES, changed)
    page = changed / "2025-10-21-digital-reading-rooms-bom.txt"
    page.write_bytes(page.read_bytes().replace(b"adds digital reading", b"adds digital riading"))
    first, second = (
        build_release([inputs], name="k", version="1.0.0", out=tmp_path / out,
                      created=CREATED, today=TODAY).path / "README.md"
        for inputs, out in ((EXAMPLES, "a"), (changed, "b"))
    )  # fmt: skip
    _with_line(second, "dataset_info", _front_line(first, "dataset_info"))

    def titles(cache: str) -> list[bool]:
        loaded = [
            _hf_load(c.parent, "articles", tmp_path / cache, monkeypatch) for c in (first, second)
        ]
        return [any("riading" in row["title"] for row in rows) for rows in loaded]

    assert titles("hf") == [False, True]
    # What the sha256 prevents: without it, the second release's rows are the first's.
    for card in (first, second):
        configs = json.loads(_front_line(card, "configs").split(": ", 1)[1])
        for config in configs:
            config.pop("description")
        _with_line(card, "configs", f"configs: {json.dumps(configs)}")
    assert titles("hf-without") == [False, False]
