"""The dataset card: Hugging Face `datasets` loads a release from it alone, and it says
what a reader needs (counts, date range, sources, schema)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from packager import BuildResult, InputError, build_release

from .conftest import CREATED, EXAMPLES, TODAY


def _hf_load(
    release: Path, config: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> list[dict]:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(cache))
    datasets = importlib.import_module("datasets")
    loaded = datasets.load_dataset(str(release), config, split="train", cache_dir=str(cache))
    return loaded.to_list()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_datasets_loads_the_release_from_the_card_alone(
    example_release: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = example_release.path
    from_hf = _hf_load(release, "articles", tmp_path / "hf", monkeypatch)
    parquet = (release / "data/articles.parquet").as_posix()
    from_duckdb = duckdb.sql(f"SELECT * FROM '{parquet}'").pl().to_dicts()
    from_polars = pl.read_parquet(parquet).to_dicts()
    assert len(from_hf) == example_release.articles > 0
    assert from_hf == from_duckdb == from_polars
    related = _hf_load(release, "related", tmp_path / "hf", monkeypatch)
    assert related == pl.read_parquet(release / "data/related.parquet").to_dicts()


def _front_matter(card: str) -> dict:
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
