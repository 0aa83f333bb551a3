"""Hostile names and values end in a code and a line, never a traceback; the rest of the
input goes on. Each case runs the real command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import CREATED, PAGES

GOOD_ROW = {"source": "KCNA", "title": "A good row", "date_published": "2026-01-05", "body": "B."}


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, "-m", "packager", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        errors="replace",
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode in (0, 1, 2), (run.returncode, run.stderr[-3000:])
    if run.returncode == 2:
        [line] = run.stderr.strip().splitlines()[-1:]
        assert line.startswith("Error: ")
    return run


def _build(inputs: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return _cli("build", str(inputs), "--name", "k", "--version", "1.0.0", "--out", str(out),
                "--created", CREATED, "--format", "json")  # fmt: skip


def test_a_file_name_that_is_not_utf8_is_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "good.txt").write_bytes((PAGES / "clean.txt").read_bytes())
    with open(os.path.join(os.fsencode(pages), b"bad-\xff\xfe.txt"), "wb") as handle:
        handle.write((PAGES / "clean.txt").read_bytes())
    built = _build(pages, tmp_path / "out")
    assert built.returncode == 0
    report = json.loads(built.stdout)
    assert [(i["file"], i["code"]) for i in report["issues"]] == [
        ("bad-\\xff\\xfe.txt", "skipped-file")
    ]
    assert report["stats"]["articles"] == 1
    checked = _cli("validate", str(pages), "--format", "json")
    assert json.loads(checked.stdout)["issues"][0]["code"] == "skipped-file"
    assert _cli("parse", str(pages), "-o", str(tmp_path / "a.jsonl")).returncode == 0


def test_a_path_over_path_max_is_one_line(tmp_path: Path) -> None:
    long = "a/" * 2_100 + "x"
    for command in (["validate", long], ["build", long, "--name", "k", "--version", "1.0.0"]):
        run = _cli(*command, cwd=tmp_path)
        assert run.returncode == 2 and "File name too long" in run.stderr


@pytest.mark.parametrize(
    "line",
    ["[" * 100_000 + "]" * 100_000, '{"title": ' + "9" * 5_000 + "}"],
    ids=["nested-100000-deep", "integer-of-5000-digits"],
)
def test_a_json_lines_line_that_cannot_be_read_is_a_reject(tmp_path: Path, line: str) -> None:
    table = tmp_path / "rows.jsonl"
    table.write_text(json.dumps(GOOD_ROW) + "\n" + line + "\n")
    built = _build(table, tmp_path / "out")
    assert built.returncode == 0
    report = json.loads(built.stdout)
    assert report["stats"]["articles"] == 1
    [issue] = report["issues"]
    assert (issue["code"], issue["line"]) == ("json-error", 2) and "not JSON" in issue["message"]


def test_a_csv_header_with_a_bad_byte_or_a_repeated_column_is_one_line(tmp_path: Path) -> None:
    bad_byte = tmp_path / "bad.csv"
    bad_byte.write_bytes(b"source,ti\xfftle,date_published,body\nKCNA,T,2026-01-05,B.\n")
    run = _cli("validate", str(bad_byte))
    assert run.returncode == 2 and "its header is not UTF-8" in run.stderr
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("source,title,title,date_published,body\nKCNA,T,U,2026-01-05,B.\n")
    build = ["build", str(repeated), "--name", "k", "--version", "1.0.0", "--out", str(tmp_path)]
    for command in (["validate", str(repeated)], build):
        run = _cli(*command)
        assert run.returncode == 2 and "names title more than once" in run.stderr


@pytest.mark.parametrize(
    "title",
    [pa.array([5]), pa.array([{"a": 1}]), pa.array([b"T"])],
    ids=["integer", "struct", "binary"],
)
def test_a_parquet_column_of_the_wrong_type_is_a_reject(tmp_path: Path, title: pa.Array) -> None:
    table = pa.table(
        {"source": ["KCNA"], "title": title, "date_published": [dt.date(2026, 1, 5)],
         "body": ["B."]}
    )  # fmt: skip
    pq.write_table(table, tmp_path / "rows.parquet")
    run = _cli("validate", str(tmp_path / "rows.parquet"), "--format", "json")
    assert run.returncode == 1
    [issue] = json.loads(run.stdout)["issues"]
    assert (issue["code"], issue["line"]) == ("invalid-article", 2)


@pytest.mark.parametrize(
    "text", ['{"name": "x", "version": 1' + "0" * 5_000 + ', "resources": []}', "[]"]
)
def test_diff_and_validate_of_strange_descriptors_are_one_line(tmp_path: Path, text: str) -> None:
    for name in ("old", "new"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "datapackage.json").write_text(text)
    run = _cli("diff", str(tmp_path / "old"), str(tmp_path / "new"))
    assert run.returncode == 2
    checked = _cli("validate", str(tmp_path / "old"), "--format", "json")
    assert checked.returncode == 1
    assert json.loads(checked.stdout)["issues"][0]["code"] == "package-error"


def test_a_subfolder_that_cannot_be_listed_is_reported_and_the_rest_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Permissions do not stop root (CI runs as root): the refusal is made by hand here.
    from packager import build_release

    pages = tmp_path / "pages"
    (pages / "locked").mkdir(parents=True)
    (pages / "good.txt").write_bytes((PAGES / "clean.txt").read_bytes())
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = build_release([pages], name="k", version="1.0.0", out=tmp_path / "out")
    assert result.articles == 1
    skipped = [(i.file, i.message) for i in result.report.issues if i.code == "skipped-file"]
    assert skipped == [("locked", "cannot be listed: Permission denied")]
