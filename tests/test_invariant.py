"""The invariant: every release `build` writes passes `packager validate` and `frictionless
validate`, whatever the input kind.

Hypothesis makes the inputs: page dumps (well-formed, and with stray lines of any text),
and parsed-article tables in every format whose cells are anything a scraper might leave
(white space, blank lines, empty strings, wrong derived values, bylines that are not,
control characters, dates of every shape). Whatever the build packages, merges or rejects,
the release it writes is valid, and every input is counted once.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import frictionless
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from packager import BuildResult, build_release, validate

from .conftest import CREATED, TODAY
from .test_properties import articles, render

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Any text but lone surrogates (which no file can hold), short.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
SPACES = st.sampled_from(["", " ", "  ", "\t", "\n", "\r\n", "\n\n", " \n \n", "\u3000", "\x0b"])


@st.composite
def messy(draw: st.DrawFn, words: st.SearchStrategy[str] = ANY_TEXT) -> str:
    """Text as scrapers leave it: pieces joined by white space of every kind."""
    pieces = draw(
        st.lists(st.one_of(words, st.sampled_from(["Kim Chol", "KCNA", "the"])), max_size=5)
    )
    out = draw(SPACES)
    for piece in pieces:
        out += piece + draw(SPACES)
    return out


GOOD_DATE = st.dates(dt.date(1990, 1, 1), TODAY).map(dt.date.isoformat)
DATE_TEXT = st.one_of(
    GOOD_DATE,
    GOOD_DATE,
    st.dates(dt.date(1990, 1, 1), TODAY).map(lambda d: f" {d.isoformat()} "),
    st.sampled_from(["", "2025-02-31", "31/12/2024", "tomorrow", "2999-01-01"]),
)
WORDS = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyzKCNA평양é.,'", min_size=1, max_size=9),
    min_size=1,
    max_size=8,
).map(" ".join)


def mostly_good(good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Usable text most of the time (so that rows are packaged), messy text otherwise."""
    return st.one_of(good, good, good, messy(), messy(WORDS))


@st.composite
def rows(draw: st.DrawFn) -> dict[str, object]:
    row: dict[str, object] = {
        "source": draw(mostly_good(st.sampled_from(["KCNA", " Rodong  Sinmun ", "Naenara"]))),
        "title": draw(mostly_good(WORDS)),
        "date_published": draw(DATE_TEXT),
        "date_captured": draw(st.one_of(st.none(), DATE_TEXT)),
        "body": draw(mostly_good(messy(st.one_of(WORDS, st.just("Pyongyang, May 1 (KCNA)"))))),
    }
    optional = {
        "byline": st.one_of(st.none(), mostly_good(WORDS)),
        "article_id": st.one_of(st.none(), st.sampled_from(["0000000000000000", "xyz", ""])),
        "word_count": st.one_of(st.none(), st.sampled_from(["999", "-1", "", "many"])),
        "language": st.one_of(st.none(), st.sampled_from(["en", " KO ", "english", ""])),
        "url": st.one_of(st.none(), st.sampled_from(["", " https://kcnawatch.org/x ", "x"])),
        "source_sha256": st.one_of(st.none(), st.sampled_from(["", "0" * 64, "A" * 64, "no"])),
        "related": st.one_of(
            st.none(),
            st.lists(
                st.fixed_dictionaries(
                    {"title": mostly_good(WORDS), "teaser": st.one_of(st.none(), messy())},
                    optional={"date_published": DATE_TEXT},
                ),
                max_size=3,
            ).map(json.dumps),
        ),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            row[name] = draw(strategy)
    return row


def _write_table(rows: list[dict[str, Any]], path: Path) -> None:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows([[row.get(c, "") or "" for c in columns] for row in rows])
    else:
        table = pa.table({c: pa.array([row.get(c) for row in rows], pa.string()) for c in columns})
        pq.write_table(table, path)


LAYOUTS = st.sampled_from(["single", "partitioned"])


def _build(inputs: list[Path], out: Path, layout: str = "single") -> BuildResult:
    return build_release(
        inputs,
        name="inv",
        version="1.0.0",
        out=out,
        created=CREATED,
        today=TODAY,
        workers=1,
        allow_empty=True,
        layout=layout,
    )


def _assert_valid(result: BuildResult) -> None:
    assert result.pages == result.articles + result.duplicates + result.rejects
    report = validate([result.path], today=TODAY)
    assert report.valid, [i.model_dump() for i in report.errors[:5]]
    theirs = frictionless.validate(result.path / "datapackage.json", limit_errors=0)
    assert theirs.valid, theirs.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


@SETTINGS
@given(
    st.lists(articles(), min_size=1, max_size=4),
    st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=60), max_size=3),
    LAYOUTS,
)
def test_every_release_built_from_pages_is_valid(
    tmp_path_factory: pytest.TempPathFactory,
    pages: list[dict[str, Any]],
    stray: list[str],
    layout: str,
) -> None:
    folder = tmp_path_factory.mktemp("pages")
    for n, page in enumerate(pages):
        data = render(page)
        if stray:  # lines of any text, somewhere in the body
            text = data.decode("utf-8").replace("\n\n", f"\n\n{stray[n % len(stray)]}\n\n", 2)
            data = text.encode("utf-8")
        (folder / f"{n}.txt").write_bytes(data)
    _assert_valid(_build([folder], tmp_path_factory.mktemp("out"), layout))


# Later captures of a row: its index in the table, and the text its body has now (an
# edit, the same text, or one that the one step rejects).
RECAPTURES = st.lists(
    st.tuples(st.integers(0, 5), st.one_of(mostly_good(WORDS), st.just(""))), max_size=4
)


@SETTINGS
@given(
    st.lists(rows(), min_size=1, max_size=6),
    st.sampled_from([".jsonl", ".csv", ".parquet"]),
    LAYOUTS,
    st.booleans(),
    RECAPTURES,
)
def test_every_release_built_from_table_rows_is_valid(
    tmp_path_factory: pytest.TempPathFactory,
    table: list[dict[str, object]],
    suffix: str,
    layout: str,
    no_related: bool,
    recaptures: list[tuple[int, str]],
) -> None:
    """Tables whose rows are captured again, edited or not (so releases with revisions),
    with or without related items, in both layouts."""
    for index, body in recaptures:
        table.append({**table[index % len(table)], "body": body})
    if no_related:  # as most scrapers' tables are: no related items at all
        table = [{k: v for k, v in row.items() if k != "related"} for row in table]
    folder = tmp_path_factory.mktemp("table")
    path = folder / f"scraped{suffix}"
    _write_table(table, path)
    _assert_valid(_build([path], tmp_path_factory.mktemp("out"), layout))


_EDITED = {"source": "KCNA", "title": "T", "date_published": "2024-01-02", "body": "One text."}


@settings(SETTINGS, max_examples=6)
@given(st.lists(rows(), min_size=1, max_size=4), LAYOUTS, RECAPTURES)
@example([_EDITED], "partitioned", [(0, "Another text.")])  # a revision, certainly
@example([_EDITED], "single", [(0, "Another text.")])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's, inside mlcroissant
def test_every_release_passes_mlcroissant_and_loads_in_datasets(
    tmp_path_factory: pytest.TempPathFactory,
    table: list[dict[str, object]],
    layout: str,
    recaptures: list[tuple[int, str]],
) -> None:
    """Tables without related items, captured again (revisions), in both layouts: the
    shelves' own readers take them, every table with rows."""
    for index, body in recaptures:
        table.append({**table[index % len(table)], "body": body})
    table = [{k: v for k, v in row.items() if k != "related"} for row in table]
    path = tmp_path_factory.mktemp("table") / "scraped.jsonl"
    _write_table(table, path)
    result = _build([path], tmp_path_factory.mktemp("out"), layout)
    _assert_valid(result)
    command = Path(sys.executable).parent / "mlcroissant"
    checked = subprocess.run(
        [str(command), "validate", "--jsonld", str(result.path / "croissant.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stderr[-3000:]
    # a table with no rows has no config for datasets to load
    counts = {t: len(_rows(result.path, t)) for t in ("articles", "revisions")}
    tables = [t for t, n in counts.items() if n]
    if tables:
        loaded = subprocess.run(
            [sys.executable, "-c", _LOAD, str(result.path), *tables],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        assert loaded.stdout.split() == [str(counts[t]) for t in tables]


# datasets in a process of its own, its cache in a fresh folder: one release per process.
_LOAD = """
import sys, tempfile, datasets
datasets.disable_progress_bars()
for table in sys.argv[2:]:
    with tempfile.TemporaryDirectory() as cache:
        rows = datasets.load_dataset(sys.argv[1], table, split="train", cache_dir=cache)
    print(rows.num_rows)
"""


def test_the_frictionless_command_passes_releases_of_pages_and_of_tables(
    example_release: BuildResult, tmp_path: Path
) -> None:
    table = [
        {"source": " KCNA ", "title": "Grain  harvest", "date_published": "2025-09-01",
         "body": "Farmers gathered\r\nthe grain.\n\n\nKim Chol", "word_count": "999",
         "article_id": "0000000000000000", "language": "", "url": ""},
    ]  # fmt: skip
    path = tmp_path / "scraped.jsonl"
    _write_table(table, path)
    from_table = _build([path], tmp_path / "out")
    [row] = pq.read_table(from_table.path / "data/articles.parquet").to_pylist()
    assert (row["body"], row["byline"], row["word_count"]) == (
        "Farmers gathered\n\nthe grain.",  # a table's line break ends a paragraph
        "Kim Chol",
        4,
    )
    assert (
        row["article_id"] != "0000000000000000" and row["url"] is None and row["language"] == "en"
    )
    frictionless_bin = Path(sys.executable).parent / "frictionless"
    for release in (example_release.path, from_table.path):
        done = subprocess.run(
            [str(frictionless_bin), "validate", "datapackage.json"],
            cwd=release,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout[-2000:]


@settings(SETTINGS, max_examples=20)
@given(st.lists(rows(), min_size=1, max_size=5), RECAPTURES, LAYOUTS)
def test_a_release_carried_alone_keeps_its_articles_and_revisions(
    tmp_path_factory: pytest.TempPathFactory,
    table: list[dict[str, object]],
    recaptures: list[tuple[int, str]],
    layout: str,
) -> None:
    """A release given as the only input gives the same articles and the same revisions:
    nothing an earlier release held is lost or renumbered by carrying it."""
    for index, body in recaptures:
        table.append({**table[index % len(table)], "body": body})
    path = tmp_path_factory.mktemp("table") / "scraped.jsonl"
    _write_table(table, path)
    out = tmp_path_factory.mktemp("out")
    first = _build([path], out, layout)
    if not first.articles:
        return
    again = build_release(
        [first.path], name="inv", version="1.1.0", out=out, created=CREATED, today=TODAY,
        workers=1, layout=layout,
    )  # fmt: skip
    _assert_valid(again)
    for table_name in ("articles", "revisions"):
        assert _rows(first.path, table_name) == _rows(again.path, table_name)


def _rows(release: Path, table: str) -> list[dict[str, object]]:
    files = sorted(release.glob(f"data/{table}.parquet")) or sorted(
        release.glob(f"data/parquet/{table}/*/*.parquet")
    )
    return [row for part in files for row in pq.read_table(part).to_pylist()]
