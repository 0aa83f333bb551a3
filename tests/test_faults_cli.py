"""Small faults of the command line: nothing to check, forged annotations, a reader that
goes away."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from packager import build_release
from packager.cli import app

from .conftest import CREATED, EXAMPLES, PAGES, TODAY, listing


def test_validate_of_nothing_is_an_error_that_says_what_was_expected(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["validate", str(empty)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        f"Error: {empty}: nothing to check: no page dump (.txt), table or release in it\n"
    )
    release = build_release(
        [EXAMPLES], name="k", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
    )
    named = CliRunner().invoke(app, ["validate", str(tmp_path / "k")])  # the version forgotten
    assert named.exit_code == 2
    assert named.stderr.endswith(
        f"(a release is a folder with datapackage.json: {release.path}?)\n"
    )


def test_github_annotations_cannot_be_forged_by_a_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    forged = "x\n::error file=README.md::forged\n.txt"
    (pages / forged).write_text("not a page at all\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", "pages", "--format", "github"])
    assert result.exit_code == 1
    [annotation, summary] = result.stdout.splitlines()
    assert annotation.startswith(
        "::error file=pages/x%0A%3A%3Aerror file=README.md%3A%3Aforged%0A.txt,"
    )
    assert summary == "invalid: 1 errors, 0 warnings"
    table = CliRunner().invoke(app, ["validate", str(pages)])
    assert len(table.stdout.splitlines()) == 3  # header, the issue on one line, the summary
    assert "x\\n::error file=README.md::forged\\n.txt:1" in table.stdout


def test_a_closed_stdout_is_not_a_refusal(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(40):  # a report longer than what `head -1` reads
        (pages / f"{n:02d}.txt").write_bytes((PAGES / "clean.txt").read_bytes()[:-200])
        (pages / f"bad-{n:02d}.txt").write_text("nothing\n")
    build = (
        f"{sys.executable} -m packager build {pages} --name h --version 1.0.0 "
        f"--out {tmp_path / 'out'} --created {CREATED} | head -1; echo ${{PIPESTATUS[0]}}"
    )
    done = subprocess.run(["bash", "-c", build], capture_output=True, text=True, check=False)
    *_, status = done.stdout.splitlines()
    assert status == "0", done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert (tmp_path / "out" / "h" / "1.0.0" / "SHA256SUMS").is_file()


def test_a_corrupt_data_file_is_an_issue_and_the_other_checks_go_on(tmp_path: Path) -> None:
    import json
    import shutil

    release = build_release(
        [EXAMPLES], name="c", version="1.0.0", out=tmp_path, created=CREATED, today=TODAY
    ).path
    copy = tmp_path / "copy"
    shutil.copytree(release, copy)
    parquet = copy / "data/articles.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    data[-1] ^= 0xFF  # its closing magic bytes too: not a readable Parquet file
    parquet.write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["validate", str(copy), "--format", "json"])
    assert result.exit_code == 1, result.stderr
    issues = {(i["code"], i["file"]) for i in json.loads(result.stdout)["issues"]}
    assert ("unreadable-table", "data/articles.parquet") in issues
    assert ("hash-count", "data/articles.parquet") in issues
    assert ("hash-count", "SHA256SUMS") in issues


def _interrupted_build(tmp_path: Path, signum: int, group: bool) -> tuple[int, str, Path]:
    import os
    import signal
    import time

    from bench.corpus import write_corpus

    corpus = tmp_path / "corpus"
    if not corpus.is_dir():
        write_corpus(corpus, 6000, seed=9)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "packager", "build", str(corpus), "--name", "s",
               "--version", "1.0.0", "--out", str(out), "--quiet", "--workers", "2"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(out.glob("s/.1.0.0.partial-*/.spool/*.arrows")):  # a chunk is parsed
        assert time.monotonic() < deadline and process.poll() is None, "no chunk was parsed"
        time.sleep(0.01)
    # The build's processes stopped while the workers parse the other chunks, signalled,
    # then let go: the signal comes mid-parse however fast this machine parses (a pause
    # of half a second let a fast machine finish the build first).
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        assert process.poll() is None, "the build ended before it could be interrupted"
        if group:
            os.killpg(process.pid, signum)
        else:
            os.kill(process.pid, signum)
    finally:
        os.killpg(process.pid, signal.SIGCONT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr, out / "s"


def test_ctrl_c_and_sigterm_leave_one_line_and_no_release(tmp_path: Path) -> None:
    import signal

    for signum, group in ((signal.SIGINT, True), (signal.SIGTERM, False)):
        code, stderr, folder = _interrupted_build(tmp_path, signum, group)
        assert (code, stderr) == (130, "Error: interrupted\n"), (signum, stderr[-2000:])
        assert listing(folder) == []  # no version, no work folder
    again = build_release([tmp_path / "corpus"], name="s", version="1.0.0", out=tmp_path / "out",
                          created=CREATED, today=TODAY)  # fmt: skip
    assert again.path.is_dir()


def test_validate_reads_whatever_build_writes_however_long_a_value(tmp_path: Path) -> None:
    # Arrow's CSV reader takes rows of one block (2 MiB here) at most: a 6 MB page (under
    # the 8 MiB page limit) and a 20 MB body from a table are read with larger blocks.
    import json

    from packager import validate

    inputs = tmp_path / "in"
    inputs.mkdir()
    page = (PAGES / "clean.txt").read_text(encoding="utf-8")
    paragraph = "Workers of the plant gathered again to discuss the plan. " * 20
    long_body = "\n\n".join([paragraph] * (6_000_000 // len(paragraph)))
    marker = page.index("More From")
    (inputs / "long.txt").write_text(page[:marker] + long_body + "\n\n" + page[marker:])
    row = {"source": "KCNA", "title": "A long report", "date_published": "2026-01-05"}
    (inputs / "rows.jsonl").write_text(
        json.dumps({**row, "body": "word " * 4_000_000}) + "\n"
        + json.dumps({**row, "title": "A short report", "body": "Short."}) + "\n"
    )  # fmt: skip
    release = build_release(
        [inputs], name="k", version="1.0.0", out=tmp_path / "out", created=CREATED, today=TODAY
    )
    assert release.articles == 3
    report = validate([release.path], today=TODAY)
    assert report.valid, [issue.message for issue in report.errors]


def test_annotations_name_files_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In a workflow the working directory is the repository: GitHub attaches an annotation
    # to the file named from there, not from the input folder a report counts from.
    pages = tmp_path / "repo" / "data" / "pages"
    pages.mkdir(parents=True)
    (pages / "good.txt").write_bytes((PAGES / "clean.txt").read_bytes())
    (pages / "broken.txt").write_text("not a page at all\n")
    monkeypatch.chdir(tmp_path / "repo")
    checked = CliRunner().invoke(app, ["validate", "data/pages", "--format", "github"])
    assert checked.stdout.startswith("::error file=data/pages/broken.txt,line=1,")
    built = CliRunner().invoke(
        app,
        ["build", "data/pages", "--name", "k", "--version", "1.0.0", "--out", str(tmp_path),
         "--format", "github", "--created", CREATED],
    )  # fmt: skip
    assert built.exit_code == 0, built.stderr
    assert built.stdout.startswith("::error file=data/pages/broken.txt,line=1,")
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    monkeypatch.chdir(moved)
    again = CliRunner().invoke(app, ["validate", str(pages), "--format", "github"])
    assert again.stdout.startswith("::error file=../repo/data/pages/broken.txt,line=1,")


def _peak_memory_of_build(pages: Path, out: Path) -> int:
    """The peak resident memory (bytes) of `packager build pages` in a process of its own."""
    # VmHWM, not getrusage: that counts the forking test process's memory too.
    script = (
        "from packager.cli import main\n"
        "try:\n    main()\n"
        "except SystemExit as end:\n    assert not end.code, end.code\n"
        "status = open('/proc/self/status').read()\n"
        "print(status.split('VmHWM:')[1].split()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "build", str(pages), "--name", "m", "--version", "1.0.0",
         "--out", str(out), "--created", CREATED, "--max-page-bytes", str(300 << 20), "-q"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout.split()[-1]) * 1024  # in KiB


# A text with a character beyond Latin-1 is two bytes a character in Python, all ASCII one.
@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_a_large_page_is_built_within_about_three_times_its_size(
    tmp_path: Path, apostrophe: str
) -> None:
    page = (PAGES / "clean.txt").read_text(encoding="utf-8").replace("\u2019", apostrophe)
    marker = page.index("More From")
    paragraph = "Engineers of the complex overhauled the turbines ahead of the summer. " * 15
    body = "\n\n".join([paragraph] * (80_000_000 // len(paragraph)))
    (tmp_path / "large").mkdir()
    (tmp_path / "large" / "large.txt").write_text(page[:marker] + body + "\n\n" + page[marker:])
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "small.txt").write_text(page)
    size = (tmp_path / "large" / "large.txt").stat().st_size
    large = _peak_memory_of_build(tmp_path / "large", tmp_path / "out-large")
    small = _peak_memory_of_build(tmp_path / "small", tmp_path / "out-small")
    # What the page costs beyond the program itself: its bytes and its text while it is
    # read; its text and its UTF-8 while it is spooled; the spooled rows and one writer's
    # copy while they are written (a build once took ten times the page).
    assert large - small < 3.3 * size, (large - small) / size
