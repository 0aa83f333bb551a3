"""`packager build` takes parsed-article tables too: a corpus scraped elsewhere is released
the same way as page dumps."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from packager import InputError, build_release
from packager.cli import app
from packager.inputs import tables
from packager.inputs.tables import TableSource

from .conftest import CREATED, EXAMPLES, TODAY


def _tables(release: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        t: pq.read_table(release / f"data/{t}.parquet").to_pylist() for t in ("articles", "related")
    }


def test_building_from_parse_output_gives_the_same_tables(tmp_path: Path) -> None:
    jsonl = tmp_path / "articles.jsonl"
    result = CliRunner().invoke(app, ["parse", str(EXAMPLES), "-o", str(jsonl)])
    assert result.exit_code == 0, result.stderr
    from_pages = build_release(
        [EXAMPLES], name="p", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
    )
    from_jsonl = build_release(
        [jsonl], name="j", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
    )
    assert _tables(from_jsonl.path) == _tables(from_pages.path)
    assert from_jsonl.pages == 15 and from_jsonl.duplicates == 1 and from_jsonl.rejects == 0


def test_another_scrapers_csv_with_a_column_map(tmp_path: Path) -> None:
    source = build_release(
        [EXAMPLES], name="p", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
    )
    articles = pq.read_table(source.path / "data/articles.parquet")
    theirs = articles.drop_columns(["article_id", "word_count", "language", "source_sha256"])
    theirs = theirs.rename_columns(["outlet" if n == "source" else n for n in theirs.column_names])
    dates = theirs.column("date_published").cast(pa.string()).to_pylist()
    dates[1] = "x" + dates[1]  # one unreadable date, in the second data row (row 3)
    index = theirs.column_names.index("date_published")
    theirs = theirs.set_column(index, "date_published", pa.array(dates))
    csv_path = tmp_path / "scraped.csv"
    pacsv.write_csv(theirs, csv_path)
    result = build_release(
        [csv_path],
        name="s",
        version="1.0.0",
        out=tmp_path,
        created=CREATED,
        today=TODAY,
        mapping={"source": "outlet"},
    )
    assert (result.pages, result.articles, result.rejects) == (14, 13, 1)
    [reject] = [
        json.loads(line) for line in (result.path / "rejects.jsonl").read_text().splitlines()
    ]
    assert (reject["source_file"], reject["code"], reject["line"]) == ("scraped.csv", "bad-date", 3)
    rebuilt = {r["article_id"]: r for r in _tables(result.path)["articles"]}
    original = {r["article_id"]: r for r in articles.to_pylist()}
    assert set(rebuilt) < set(original)  # ids derived again, the same as the originals
    for aid, row in rebuilt.items():
        assert row["word_count"] == original[aid]["word_count"]
        assert row["language"] == original[aid]["language"]
        assert row["source_sha256"] is None


def test_cli_build_with_map(tmp_path: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    row = {
        "outlet": "KCNA",
        "title": "A title",
        "date_published": "2025-01-02",
        "body": "One two three.",
    }
    jsonl.write_text(json.dumps(row) + "\n" + "not json\n")
    result = CliRunner().invoke(
        app,
        [
            "build",
            str(jsonl),
            "--name",
            "m",
            "--version",
            "1.0.0",
            "--out",
            str(tmp_path),
            "--map",
            "source=outlet",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "WHERE       FIELD  LEVEL  CODE        MESSAGE",
        "in.jsonl:2         error  json-error  not JSON: Expecting value",
    ]
    assert "1 articles" in result.stdout and "1 rejected" in result.stdout
    bad = CliRunner().invoke(
        app,
        [
            "build",
            str(jsonl),
            "--name",
            "m",
            "--version",
            "1.0.1",
            "--out",
            str(tmp_path),
            "--map",
            "oops",
        ],
    )
    assert bad.exit_code == 2
    assert "'oops' is not FIELD=COLUMN" in bad.stderr  # the help's own words


def _read(source: TableSource) -> list[tuple[list[int], list[tuple[str, int | None]]]]:
    """Each batch's row numbers, with the issues known when it comes."""
    seen = []
    for _, rows, _ in source.batches:
        seen.append((rows.to_pylist(), [(i.code, i.row) for i in source.issues]))
    seen.append(([], [(i.code, i.row) for i in source.issues]))
    return seen


def test_a_table_read_ahead_gives_its_batches_and_issues_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables, "BLOCK_SIZE", 256)  # many batches
    lines = ["a,b"] + [f"{k},x" if k % 37 else f"{k}" for k in range(400)]  # short rows
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    plain = _read(tables.open_table(path, "t.csv"))
    assert len(plain) > 10 and any(issues for _, issues in plain)
    assert _read(tables.read_ahead(tables.open_table(path, "t.csv"))) == plain
    # an error that ends the reading comes where it would: after the batches before it
    broken = tmp_path / "broken.parquet"
    pq.write_table(pa.table({"a": list(range(5000))}), broken, row_group_size=1000)
    data = broken.read_bytes()
    broken.write_bytes(data[:4] + data[4:-4000].replace(b"\x00", b"\x01", 2000) + data[-4000:])
    before: list[list[int]] = [[], []]
    for got, source in zip(before, (tables.open_table(broken, "b"),
                                    tables.read_ahead(tables.open_table(broken, "b"))),
                           strict=True):  # fmt: skip
        with pytest.raises(InputError, match="not a readable Parquet file"):
            for batch, _, _ in source.batches:
                got.append(batch.num_rows)
    assert before[0] == before[1]


def test_a_csv_file_is_read_a_few_blocks_ahead_of_its_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow's CSV reader reads blocks ahead on a thread of its own (32 of them);
    packager holds it to `CSV_READ_AHEAD`, and every row comes."""
    monkeypatch.setattr(tables, "BLOCK_SIZE", 1 << 16)
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "".join(f"{k},{'x' * 1000}\n" for k in range(4000)))  # 62 blocks
    reads = []
    read = tables._Paced.read

    def noted(self: Any, size: int = -1) -> Any:
        reads.append(size)
        return read(self, size)

    monkeypatch.setattr(tables._Paced, "read", noted)
    waiting = threading.Event()  # a read of Arrow's thread waits for its turn

    class Turns(threading.Semaphore):
        def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
            if super().acquire(blocking=False):
                return True
            waiting.set()
            return super().acquire(blocking, timeout)

    init = tables._Paced.__init__

    def paced(self: Any, stream: Any) -> None:
        init(self, stream)
        self.turns = Turns(tables.CSV_READ_AHEAD)

    monkeypatch.setattr(tables._Paced, "__init__", paced)
    batches: Any = tables.open_table(path, "t.csv").batches
    next(batches)
    assert waiting.wait(30)  # Arrow's thread has read all it may, and waits
    assert len(reads) <= tables.CSV_READ_AHEAD + 2
    rows = [rows.to_pylist() for _, rows, _ in batches]
    assert sum(rows, [])[-1] == 4001 and len(reads) > 60


def test_parquet_batches_hold_about_the_same_bytes_whatever_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table of short rows comes in as few batches as one of long rows, each about
    `PARQUET_BATCH_BYTES`, its rows numbered on."""
    monkeypatch.setattr(tables, "PARQUET_BATCH_BYTES", 1 << 20)
    sizes = {}
    for name, table in {
        "short": pa.table({"n": list(range(400_000)), "s": ["ab"] * 400_000}),
        "long": pa.table({"n": list(range(4_000)), "s": [f"{k:04}" * 500 for k in range(4_000)]}),
    }.items():
        path = tmp_path / f"{name}.parquet"
        pq.write_table(table, path, row_group_size=50_000, compression="zstd")
        batches = list(tables.open_table(path, path.name).batches)
        assert pa.concat_arrays([rows for _, rows, _ in batches]).to_pylist() == list(
            range(2, table.num_rows + 2)
        )
        sizes[name] = [batch.nbytes for batch, _, _ in batches[:-1]]
    for found in sizes.values():
        assert len(found) >= 3 and all((1 << 19) < size < (1 << 21) for size in found)


def test_a_read_ahead_stopped_early_ends_its_thread(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": list(range(50_000))}), path, row_group_size=1000)
    batches: Any = tables.read_ahead(tables.open_table(path, "t")).batches  # a generator
    next(batches)
    batches.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("packager-read-ahead")]


def test_a_read_ahead_reads_at_most_depth_batches_beyond_those_taken() -> None:
    """The bound holds by construction: a batch is asked for only when one is taken. The
    source notes, as it makes batch i, how many the caller had taken; the caller waits,
    after its first batch, until the source has made all it may (no sleep)."""
    depth, taken, seen = 3, [0], []
    window_full = threading.Event()

    def made() -> Iterator[tables.Batch]:
        for i in range(12):
            seen.append((i, taken[0]))
            if i == depth:  # batch 0 taken: batches 1..depth are what may be read
                window_full.set()
            yield (pa.record_batch({"a": [i]}), pa.array([i + 2]), {})

    source = tables.TableSource(Path("t"), "t", ["a"], made())
    got = []
    for batch, _, _ in tables.read_ahead(source, depth=depth).batches:
        got.append(batch.column(0)[0].as_py())
        taken[0] += 1
        if taken[0] == 1:
            assert window_full.wait(30)
    assert got == list(range(12))
    assert all(i - already <= depth for i, already in seen), seen
