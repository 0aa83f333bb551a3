"""Trust, round three: a tampered release is never carried, exported or published; names,
versions and SHA256SUMS are judged byte for byte; a publish leaves nothing it did not
finish and follows no link."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from packager import BuildResult, InputError, build_release, validate
from packager.assemble.publish import publish_release
from packager.cli import app

from .conftest import CREATED, TODAY

RUNNER = CliRunner()


@pytest.fixture
def copy(example_release: BuildResult, tmp_path: Path) -> Path:
    target = tmp_path / "kcna-sample" / "1.0.0"
    shutil.copytree(example_release.path, target)
    return target


def _tamper_one_word(release: Path) -> None:
    """One word changed in articles.parquet's text: its bytes differ from its hashes."""
    path = release / "data/articles.parquet"
    data = path.read_bytes()
    at = data.index(b"KCNA")
    path.write_bytes(data[:at] + b"KCNX" + data[at + 4 :])


def test_a_tampered_release_is_not_carried_into_a_new_one(copy: Path, tmp_path: Path) -> None:
    _tamper_one_word(copy)
    out = tmp_path / "out"
    args = ["build", str(copy), "--name", "kcna-sample", "--version", "1.1.0", "--out", str(out)]
    refused = RUNNER.invoke(app, args)
    assert refused.exit_code == 2
    [line] = refused.stderr.splitlines()
    assert line.startswith(f"Error: {copy}: does not validate (")
    assert "the first: data/articles.parquet: hash-count: " in line
    assert line.endswith(f"not read, nothing written (packager validate {copy} lists them)")
    assert not (out / "kcna-sample" / "1.1.0").exists()
    with pytest.raises(InputError, match="does not validate"):  # the library's default too
        build_release([copy], name="k", version="1.1.0", out=out, created=CREATED, today=TODAY)


def test_a_tampered_or_broken_release_is_not_exported(copy: Path, tmp_path: Path) -> None:
    _tamper_one_word(copy)
    refused = RUNNER.invoke(app, ["export", str(copy), "--to", "sqlite", str(tmp_path / "k.db")])
    assert refused.exit_code == 2
    assert "does not validate" in refused.stderr and "not exported" in refused.stderr
    assert not (tmp_path / "k.db").exists()


def _sums(release: Path) -> bytes:
    return (release / "SHA256SUMS").read_bytes()


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        (lambda b: b[:64].upper() + b[64:], "the digest is not in lower-case hex"),
        (lambda b: b.replace(b"  README.md", b" *README.md"),
         "a binary-mode marker ('*') before the name"),
        (lambda b: b.replace(b"\n", b"\r\n"), "the line ends in CR LF, not LF"),
        (lambda b: b[:-1], "the file does not end with a line break"),
        (lambda b: b + b.splitlines(keepends=True)[0], "the file is listed already, at line 1"),
        (lambda b: b"\n" + b, "a blank line"),
        (lambda b: b"".join(reversed(b.splitlines(keepends=True))),
         "the names are not in sorted order"),
    ],
)  # fmt: skip
def test_any_change_to_sha256sums_is_a_finding(copy: Path, change: object, finding: str) -> None:
    before = _sums(copy)
    after = change(before)  # type: ignore[operator]
    assert after != before
    (copy / "SHA256SUMS").write_bytes(after)
    report = validate([copy], today=TODAY)
    assert not report.valid
    assert finding in {i.message for i in report.issues if i.code == "checksum-format"}


@pytest.mark.parametrize(
    ("key", "value"),
    [("name", "../../escaped"), ("name", "a/b"), ("name", "kcna\n"), ("version", "1.0.0\n"),
     ("version", "01.0.0")],
)  # fmt: skip
def test_a_descriptor_name_or_version_that_is_no_name_is_refused(
    copy: Path, key: str, value: str
) -> None:
    descriptor = json.loads((copy / "datapackage.json").read_text())
    descriptor[key] = value
    (copy / "datapackage.json").write_text(json.dumps(descriptor))
    report = validate([copy], today=TODAY)
    assert f"the descriptor's {key} {value!r}" in " ".join(
        i.message for i in report.issues if i.code == "package-error"
    )
    with pytest.raises(InputError, match=f"the descriptor's {key} "):
        publish_release(copy, f"file://{copy.parent.parent / 'shelf'}")
    assert not (copy.parent.parent / "shelf").exists()
    assert not (copy.parent.parent.parent / "escaped").exists()


def test_a_version_with_a_line_break_is_refused_by_build(tmp_path: Path) -> None:
    refused = RUNNER.invoke(app, ["build", "examples", "--name", "k", "--version", "1.0.0\n",
                                  "--out", str(tmp_path)])  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr == "Error: version '1.0.0\\n' is not X.Y.Z (SemVer, no leading zeros)\n"
    refused = RUNNER.invoke(app, ["build", "examples", "--name", "k\n", "--version", "1.0.0",
                                  "--out", str(tmp_path)])  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr.startswith("Error: --name 'k\\n': use lower-case letters")
    assert list(tmp_path.iterdir()) == []


def test_publish_to_a_local_folder_makes_its_folders(copy: Path, tmp_path: Path) -> None:
    shelf = tmp_path / "shelf" / "deep"
    done = publish_release(copy, f"file://{shelf}", verify=lambda folder: validate([folder]))
    assert done.url == f"file://{shelf}/kcna-sample/1.0.0"
    published = shelf / "kcna-sample" / "1.0.0"
    there = sorted(p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file())
    here = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file())
    assert there == here
    assert validate([published], today=TODAY).valid


def test_publish_follows_no_link(copy: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the bucket\n")
    card = copy / "README.md"
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    card.unlink()
    os.symlink(secret, card)
    sums = [
        f"{digest}  README.md" if line.endswith("  README.md") else line
        for line in (copy / "SHA256SUMS").read_text().splitlines()
    ]
    (copy / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    shelf = tmp_path / "shelf"
    with pytest.raises(InputError, match="README.md cannot be read without following a link"):
        publish_release(copy, str(shelf))
    assert [p for p in shelf.rglob("*") if p.is_file()] == []  # what was copied went again
    assert not (shelf / "kcna-sample").exists()


def test_an_interrupted_publish_leaves_nothing(
    copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C before the descriptor: every object copied so far is removed, and the folders
    the publish made; a folder that was there already stays, with what it held."""
    shelf = tmp_path / "shelf"
    (shelf / "kcna-sample").mkdir(parents=True)
    (shelf / "kcna-sample" / "other.txt").write_text("another publisher's\n")
    from packager.assemble import publish as module

    def interrupt(point: str) -> None:
        if point == "before-descriptor":
            raise KeyboardInterrupt

    monkeypatch.setattr(module, "checkpoint", interrupt)
    with pytest.raises(KeyboardInterrupt):
        publish_release(copy, str(shelf))
    left = sorted(p.relative_to(shelf).as_posix() for p in shelf.rglob("*"))
    assert left == ["kcna-sample", "kcna-sample/other.txt"]


def _built(inputs: list[Path], out: Path) -> BuildResult:
    return build_release(
        inputs, name="t", version="1.0.0", out=out, created=CREATED, today=TODAY,
        allow_empty=True,
    )  # fmt: skip


def _row(title: str) -> dict[str, str]:
    return {"source": "KCNA", "title": title, "date_published": "2024-11-11", "body": "Text."}


def test_two_json_arrays_appended_are_both_read(tmp_path: Path) -> None:
    table = tmp_path / "snapshots.json"
    table.write_text(json.dumps([_row("Day one")]) + "\n" + json.dumps([_row("Day two")]) + "\n")
    result = _built([table], tmp_path / "out")
    assert (result.rows, result.articles) == (2, 2)
    garbage = tmp_path / "tail.json"
    garbage.write_text(json.dumps([_row("Kept")]) + ' {"title": "not in an array"}')
    result = _built([garbage], tmp_path / "out2")
    assert result.articles == 1
    [reject] = result.report.errors
    assert (reject.code, reject.message) == (
        "json-error",
        "not JSON: something other than an array after the array",
    )


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_bytes_that_are_not_utf8_in_json_are_reported(tmp_path: Path, suffix: str) -> None:
    rows = [_row("Clean"), {**_row("Broken"), "body": "Text \udcff here."}]
    encoded = [json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogateescape") for r in rows]
    data = b"\n".join(encoded) + b"\n" if suffix == ".jsonl" else b"[" + b",\n".join(encoded) + b"]"
    table = tmp_path / f"t{suffix}"
    table.write_bytes(data)
    result = _built([table], tmp_path / "out")
    [warning] = [w for w in result.report.warnings if w.code == "invalid-utf8"]
    assert warning.message == (
        "1 rows held bytes that are not UTF-8 (or escaped lone surrogates), read as U+FFFD (rows 2)"
    )
    assert validate([table], today=TODAY).warnings[0].code == "invalid-utf8"


def test_an_escaped_lone_surrogate_in_json_lines_is_no_traceback(tmp_path: Path) -> None:
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({**_row("Odd"), "body": "A \ud800 B"}) + "\n")
    result = _built([table], tmp_path / "out")
    assert result.articles == 1
    assert [w.code for w in result.report.warnings] == ["invalid-utf8"]
    assert validate([result.path], today=TODAY).valid


def test_a_json_value_past_the_bound_is_reported_not_read(tmp_path: Path) -> None:
    from packager.inputs import tables

    table = tmp_path / "bomb.json.gz"
    import gzip

    with gzip.open(table, "wt") as handle:
        handle.write("[" + json.dumps(_row("Fine")) + ', {"body": "')
        for _ in range(80):  # 80 MiB of one string, 80 KiB packed
            handle.write("x" * (1 << 20))
        handle.write('"}]')
    result = _built([table], tmp_path / "out")
    assert result.articles == 1
    [reject] = result.report.errors
    assert reject.code == "json-error"
    assert reject.message == (
        f"a value of more than {tables.MAX_JSON_VALUE:,} characters: it and the rest of "
        "the file are not read"
    )


def _packager(
    *args: str, env: dict[str, str] | None = None, stdout: Any = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "packager", *args],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if not line.startswith(("WHERE", " "))]
    assert "Traceback" not in stderr, stderr
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


FULL_OUTPUTS = [
    ["parse", "examples", "-o", "/dev/full"],
    ["parse", "examples"],
    ["validate", "examples"],
    ["info", "EXAMPLE"],
]


@pytest.mark.parametrize("command", FULL_OUTPUTS)
def test_a_full_output_is_one_error_line(command: list[str], example_release: BuildResult) -> None:
    args = [str(example_release.path) if a == "EXAMPLE" else a for a in command]
    with open("/dev/full", "w") as full:
        done = _packager(*args, stdout=full)
    assert done.returncode == 2
    assert "No space left on device" in _one_error_line(done.stderr)


def test_tracebacks_of_options_and_environment_are_error_lines(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    build = ["build", "examples", "--name", "t", "--version", "1.0.0", "--out", out]
    cases = [
        (build, {"SOURCE_DATE_EPOCH": "99999999999999999"},
         "Error: SOURCE_DATE_EPOCH='99999999999999999' is no time in years 1-9999"),
        ([*build, "--date-format", "%Y%Y"], {}, "Error: --date-format '%Y%Y': not a strptime "
         "format (redefinition of group name 'Y' as group 2; was group 1 at position 19)"),
        (["build", "s3://bucket/pages", "--name", "t", "--version", "1.0.0", "--out", out,
          "--storage-option", "foo=bar"], {},
         "Error: s3://bucket/pages: a --storage-option the storage does not take "
         "(AioSession.__init__() got an unexpected keyword argument 'foo')"),
        ([*build, "--spool", "s3://no-bucket/spool"],
         {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": "/nonexistent",
          "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"},
         "Error: --spool s3://no-bucket/spool: cannot write there: Unable to locate credentials"),
    ]  # fmt: skip
    for args, env, expected in cases:
        done = _packager(*args, env=env)
        assert done.returncode == 2, done.stderr
        assert _one_error_line(done.stderr) == expected
        assert not (tmp_path / "out" / "t").exists()  # no empty OUT/NAME left


def test_export_failures_are_error_lines(example_release: BuildResult, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "k.db"
    done = _packager("export", str(example_release.path), "--to", "sqlite", str(missing))
    assert done.returncode == 2
    assert _one_error_line(done.stderr) == (
        f"Error: {example_release.path}: cannot export to {missing}: No such file or directory"
    )


def _in_own_mount(folder: Path, mount: str, *command: str) -> subprocess.CompletedProcess[str]:
    """Run `command` in a mount namespace of its own where `folder` is a 64 KiB tmpfs
    ("full") or itself bound read-only ("read-only"), then list the folder there (what the
    command left behind) on stdout. Root in a container can: `unshare -m` as the tests'
    machines are set up; anywhere else the test says why it cannot run."""
    import shlex

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a full or read-only filesystem needs root and unshare(1) to mount one")
    setup = {
        "full": f"mount -t tmpfs -o size=64k tmpfs {folder}",
        "read-only": f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}",
    }[mount]
    run = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "packager", *command))
    script = f"{setup} || exit 99; {run}; code=$?; ls -A {folder}; exit $code"
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    if done.returncode == 99:
        pytest.skip(f"unshare -m could not mount a {mount} filesystem: {done.stderr.strip()}")
    return done


@pytest.mark.parametrize(
    ("mount", "reason"),
    [("full", "database or disk is full"), ("read-only", "Read-only file system")],
)
def test_export_onto_a_full_or_read_only_filesystem_is_an_error_line_and_leaves_nothing(
    example_release: BuildResult, tmp_path: Path, mount: str, reason: str
) -> None:
    folder = tmp_path / "target"
    folder.mkdir()
    target = folder / "k.db"
    done = _in_own_mount(folder, mount, "export", str(example_release.path), "--to", "sqlite",
                         str(target))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert _one_error_line(done.stderr) == (
        f"Error: {example_release.path}: cannot export to {target}: {reason}"
    )
    assert done.stdout == ""  # nothing left in the folder: no database, no partial one


@pytest.mark.parametrize("which", ["INT", "TERM"])
def test_a_signal_while_the_command_starts_is_one_line_and_exit_130(which: str) -> None:
    """The signal arrives while the heavy modules load (the hook sends it there)."""
    done = _packager("build", "examples", "--name", "t", "--version", "1.0.0",
                     env={"PACKAGER_SIGNAL_AT_START": which})  # fmt: skip
    assert (done.returncode, done.stderr, done.stdout) == (130, "Error: interrupted\n", "")


def test_importing_packager_loads_nothing_heavy() -> None:
    heavy = "('pyarrow', 'pydantic', 'typer')"
    script = f"import sys, packager; print(sorted(m for m in {heavy} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (done.stdout, done.stderr) == ("[]\n", "")


def test_control_characters_in_a_table_become_spaces_with_a_warning(tmp_path: Path) -> None:
    rows = [
        {**_row("Bell\x07rings"), "body": "Text with \x1b[31mred\x1b[0m words.\nNext\x00line."},
        _row("Clean"),
        {**_row("Also"), "related": [{"title": "Item\x9bX", "date_published": "2024-11-10"}]},
    ]
    table = tmp_path / "t.jsonl"
    table.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = _built([table], tmp_path / "out")
    [warning] = [w for w in result.report.warnings if w.code == "control-characters"]
    assert warning.message == (
        "2 rows held control characters (other than tab and line breaks), each made a space "
        "(rows 1, 3)"
    )
    import pyarrow.parquet as pq

    articles = {
        r["title"]: r for r in pq.read_table(result.path / "data/articles.parquet").to_pylist()
    }
    assert sorted(articles) == ["Also", "Bell rings", "Clean"]
    assert articles["Bell rings"]["body"] == "Text with  [31mred [0m words.\n\nNext line."
    [item] = pq.read_table(result.path / "data/related.parquet").to_pylist()
    assert item["title"] == "Item X"
    shown = _packager("info", str(result.path))
    assert shown.returncode == 0 and not any(c in shown.stdout for c in "\x1b\x07\x00\x9b")


def test_parquet_dates_python_cannot_hold_are_bad_dates(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    days = pa.array([-2147483648, 2147483647, 20038], pa.date32())
    common = {"source": ["KCNA"] * 3, "title": ["Low", "High", "Fine"], "body": ["Text."] * 3}
    pq.write_table(pa.table({**common, "date_published": days}), tmp_path / "d32.parquet")
    moments = pa.array([-(2**62), 2**62, 1731283200000], pa.date64())
    pq.write_table(pa.table({**common, "date_published": moments}), tmp_path / "d64.parquet")
    for name in ("d32", "d64"):
        result = _built([tmp_path / f"{name}.parquet"], tmp_path / f"out-{name}")
        assert result.articles == 1
        assert [(r.code, r.line) for r in result.report.errors] == [
            ("bad-date", 2),
            ("bad-date", 3),
        ]


@pytest.mark.parametrize("command", ["build", "validate", "parse"])
@pytest.mark.parametrize("suffix", [".txt", ".jsonl"])
def test_a_file_name_that_is_not_utf8_is_one_error_line(
    tmp_path: Path, command: str, suffix: str
) -> None:
    name = os.fsdecode(b"caf\xe9" + suffix.encode())
    (tmp_path / name).write_text(json.dumps(_row("T")) + "\n")
    args = [command, str(tmp_path / name)]
    if command == "build":
        args += ["--name", "t", "--version", "1.0.0", "--out", str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, "-m", "packager", *map(os.fsencode, args)],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 2
    stderr = done.stderr.decode("utf-8")
    assert "Traceback" not in stderr
    assert stderr == (
        f"Error: {tmp_path}/caf\\xe9{suffix}: its name is not UTF-8 (the tables could not "
        "name it): not read; rename it\n"
    )


def test_a_csv_with_latin1_bytes_after_a_utf8_header_is_read_row_by_row(tmp_path: Path) -> None:
    table = tmp_path / "mixed.csv"
    table.write_bytes(
        b"source,title,date_published,body\n"
        b"KCNA,Clean,2024-11-11,Plain text.\n"
        b"KCNA,Caf\xe9,2024-11-12,Na\xefve text.\n"
    )
    result = _built([table], tmp_path / "out")
    assert result.articles == 2
    [warning] = [w for w in result.report.warnings if w.code == "invalid-utf8"]
    assert warning.message.startswith("1 rows held bytes that are not UTF-8")
    assert warning.message.endswith("(rows 3)")
    import pyarrow.parquet as pq

    titles = sorted(pq.read_table(result.path / "data/articles.parquet")["title"].to_pylist())
    assert titles == ["Caf\ufffd", "Clean"]


def test_a_csv_gzip_bomb_is_one_error_line(tmp_path: Path) -> None:
    """One row of 300 MiB in 300 KiB of gzip: refused at 64 MiB (its memory is a bench
    figure, bench/README.md), one line, no crash as the process ends."""
    import gzip

    table = tmp_path / "bomb.csv.gz"
    with gzip.open(table, "wb") as handle:
        handle.write(b'source,title,date_published,body\nKCNA,T,2024-11-11,"')
        for _ in range(300):
            handle.write(b"x" * (1 << 20))
        handle.write(b'"\n')
    for command in ("build", "validate"):
        more = ["--name", "t", "--version", "1.0.0", "--out", str(tmp_path / "out")]
        done = _packager(command, str(table), *(more if command == "build" else []))
        assert done.returncode == 2
        assert _one_error_line(done.stderr) == (
            f"Error: {table}: not a readable CSV file: a row over 64 MiB"
        )


def test_a_jsonl_whose_first_line_is_broken_is_read_row_by_row(tmp_path: Path) -> None:
    table = tmp_path / "t.jsonl"
    table.write_text('{"source": "KCNA", "title": \n' + json.dumps(_row("Kept")) + "\n")
    result = _built([table], tmp_path / "out")
    assert result.articles == 1
    assert [(r.code, r.line) for r in result.report.errors] == [("json-error", 1)]


def test_the_map_hint_for_a_column_with_spaces_can_be_followed(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text(" source ,title,date_published,body\nKCNA,T,2024-11-11,Text.\n")
    args = ["build", str(table), "--name", "s", "--version", "1.0.0", "--out", str(tmp_path)]
    hinted = RUNNER.invoke(app, args)
    assert hinted.exit_code == 2
    assert "did you mean --map 'source= source '?" in hinted.stderr
    followed = RUNNER.invoke(app, [*args, "--map", "source= source "])
    assert followed.exit_code == 0, followed.stderr


def test_validate_of_a_page_folder_reports_the_merges_build_makes(tmp_path: Path) -> None:
    from .conftest import EXAMPLES

    checked = validate([EXAMPLES], today=TODAY)
    built = build_release([EXAMPLES], name="x", version="1.0.0", out=tmp_path,
                          created=CREATED, today=TODAY)  # fmt: skip
    merges = [(i.code, i.file, i.message) for i in checked.warnings if i.code.startswith("dupl")]
    assert merges == [(i.code, i.file, i.message) for i in built.report.warnings
                      if i.code.startswith("dupl")]  # fmt: skip
    assert merges == [("duplicate-merged", "2025-12-09-orchard-no-related.txt",
                       "same article as 2025-12-09-orchard-recaptured.txt (kept)")]  # fmt: skip


def test_a_hard_linked_file_in_a_release_is_never_read(copy: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:the secret first line\n")
    (copy / "data/related.csv").unlink()
    os.link(secret, copy / "data/related.csv")
    report = validate([copy], today=TODAY)
    assert not report.valid
    assert ("data/related.csv", "unsafe-entry") in {(i.file, i.code) for i in report.issues}
    assert not any("secret" in i.message or "root:x" in i.message for i in report.issues)


def test_a_large_tables_finer_buckets_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot's rows crowd into one month: past TABLE_ROWS_PER_ID_PART (estimated)
    rows, a day is a bucket, cut by article_id, and the release is byte for byte the same
    (recaptures, revisions and the partitioned layout included)."""
    from packager.assemble import spool
    from packager.assemble.release import build_release as unjudged

    from .conftest import digests

    rows = [{**_row(f"Story {n}"), "date_published": f"2024-01-{1 + n % 28:02d}",
             "body": f"Text {n}."} for n in range(300)]  # fmt: skip
    rows += [{**rows[n], "body": f"Edited {n}."} for n in range(0, 300, 7)]
    table = tmp_path / "snapshot.jsonl"
    table.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for layout in ("single", "partitioned"):
        made = {}
        for threshold in (10**12, 0):
            monkeypatch.setattr(spool, "TABLE_ROWS_PER_ID_PART", threshold)
            out = tmp_path / f"{layout}-{threshold}"
            made[threshold] = unjudged([table], name="s", version="1.0.0", out=out,
                                       created=CREATED, today=TODAY, layout=layout)  # fmt: skip
        assert spool.Buckets.for_inputs(1, 300).id_parts == 16
        assert digests(made[0].path) == digests(made[10**12].path)
        assert made[0].articles == 300


def test_a_release_written_without_every_key_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past KEYED_TABLE_ROWS no article's key is kept: the articles are written first and
    tell which pages were dropped, then the related rows. The same bytes, the dropped
    captures' related rows left out as before."""
    from packager.assemble import release as module

    from .conftest import digests

    item = {"title": "Item", "teaser": "T.", "date_published": "2024-01-01"}
    rows = [{**_row(f"Story {n}"), "related": [{**item, "title": f"Item {n}"}]}
            for n in range(40)]  # fmt: skip
    rows += [{**rows[n], "body": f"Edited {n}.", "related": [{**item, "title": "Other"}]}
             for n in range(0, 40, 3)]  # fmt: skip
    table = tmp_path / "snapshot.jsonl"
    table.write_text("".join(json.dumps(r) + "\n" for r in rows))
    made = {}
    for keyed in (10**12, 0):
        monkeypatch.setattr(module, "KEYED_TABLE_ROWS", keyed)
        made[keyed] = module.build_release(
            [table], name="k", version="1.0.0", out=tmp_path / str(keyed), created=CREATED,
            today=TODAY,
        )  # fmt: skip
    assert digests(made[0].path) == digests(made[10**12].path)
    assert (made[0].articles, made[0].related, made[0].duplicates) == (40, 40, 14)


def test_parquet_text_that_is_not_utf8_is_reported_not_a_traceback(tmp_path: Path) -> None:
    """Parquet's reader does not check a string column's UTF-8 (found by the fuzz test)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    bodies = pa.array([b"Clean text.", b"Caf\xe9 text."], pa.binary()).cast(pa.string(), safe=False)
    table = pa.table({"source": ["KCNA"] * 2, "title": ["A", "B"],
                      "date_published": ["2024-11-11"] * 2, "body": bodies})  # fmt: skip
    pq.write_table(table, tmp_path / "t.parquet")
    result = _built([tmp_path / "t.parquet"], tmp_path / "out")
    assert result.articles == 2
    [warning] = [w for w in result.report.warnings if w.code == "invalid-utf8"]
    assert warning.message.endswith("(rows 3)")
    assert (
        "Caf\ufffd text."
        in pq.read_table(result.path / "data/articles.parquet")["body"].to_pylist()
    )


@pytest.mark.parametrize("keep_keys", [True, False])
def test_a_spool_that_keeps_no_keys_has_writers_that_keep_none(
    tmp_path: Path, keep_keys: bool
) -> None:
    """A table of millions of rows is read by one writer: were its articles' keys kept by
    the writer until the table ends, memory would grow with the rows (some 50 bytes a row
    at ten million rows) although the spool then throws them away."""
    import datetime as dt

    from packager.assemble.spool import Buckets, Spool
    from packager.contract.record import make_record

    spool = Spool(tmp_path / "spool", keep_keys=keep_keys)
    writer = spool.writer("table", Buckets.for_inputs(1, 30), flush_rows=10)
    for n in range(30):
        given = {"source": "KCNA", "title": f"Story {n}", "body": f"Text {n}.",
                 "date_published": dt.date(2024, 1, 2), "source_file": "t.jsonl"}  # fmt: skip
        writer.add(n, make_record(given, today=TODAY))
    segments, keys = writer.close()
    assert sum(batch.num_rows for batch in keys) == (30 if keep_keys else 0)
    spool.extend(segments, keys)
    assert spool.read("articles", spool.buckets("articles")[0]).num_rows == 30
