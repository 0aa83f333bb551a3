"""Asking the OS for the page files ahead of the workers (`assemble.parsing.Prefetch`): only
once a worker waited for the disk, only the chunks after those being parsed, never a
change to what is built; and the chunks the workers take (`assemble.parsing.chunk_spans`)."""

from __future__ import annotations

import os
import threading
from concurrent import futures
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import packager.assemble.parsing as engine
from bench.corpus import write_corpus
from packager import build_release
from packager.assemble.parsing import MIN_CHUNK, Parsed, Prefetch, chunk_spans
from packager.inputs.files import input_files, prefetch

from .conftest import TODAY, digests


def _pages(folder: Path, count: int) -> Path:
    folder.mkdir()
    for k in range(count):
        (folder / f"{k:02d}.txt").write_text(f"page {k}\n")
    return folder


def test_asking_starts_when_a_worker_waited_and_skips_the_chunks_being_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = input_files([_pages(tmp_path / "pages", 15)])
    monkeypatch.setattr(engine, "_INPUTS", (files, frozenset()))
    asked: list[str] = []
    monkeypatch.setattr(engine, "prefetch", lambda item: asked.append(item.source_file))
    ahead = Prefetch([(0, 3), (3, 6), (6, 9), (9, 12), (12, 15)], skip=1, ahead=2)
    try:
        ahead.done_one(Parsed(seconds=1.0, cpu=0.99))  # on the CPU all along: nothing asked
        assert ahead.asking == []
        # 2 chunks done, the third being parsed: the fourth is asked for (2 + 2 ahead)
        ahead.done_one(Parsed(seconds=1.0, cpu=0.5))
        assert len(ahead.asking) == 1
        futures.wait(ahead.asking)
        assert asked == ["09.txt", "10.txt", "11.txt"]
        # once started, every chunk done asks for the next (whatever its worker's CPU)
        ahead.done_one(Parsed(seconds=1.0, cpu=0.99))
        futures.wait(ahead.asking)
        assert asked[3:] == ["12.txt", "13.txt", "14.txt"]
        ahead.done_one(Parsed(seconds=1.0, cpu=0.5))  # nothing is left to ask for
        assert len(ahead.asking) == 2
    finally:
        ahead.close()


def test_an_interrupt_while_the_asking_starts_leaves_only_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C or SIGTERM arriving inside the thread's start: closing the Prefetch (the
    build's clean-up) does not raise over it (a thread not started cannot be joined)."""

    def interrupted(self: threading.Thread) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", interrupted)
    ahead = Prefetch([(0, 3), (3, 6), (6, 9)], skip=1, ahead=2)
    with pytest.raises(KeyboardInterrupt):
        try:
            ahead.done_one(Parsed(seconds=1.0, cpu=0.5))
        finally:
            ahead.close()


def test_asking_for_a_file_never_fails_nor_waits(tmp_path: Path) -> None:
    folder = _pages(tmp_path / "pages", 1)
    os.mkfifo(folder / "pipe.txt")  # opened without waiting for a writer
    for item in input_files([folder]):
        prefetch(item)
    (folder / "00.txt").unlink()  # gone since it was listed: the reader reports it
    for item in input_files([folder]):
        prefetch(item)


def test_builds_asking_ahead_or_not_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 6 * MIN_CHUNK, seed=11)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    runs = []
    for label, bound in (("never", 0.0), ("always", 100.0)):
        monkeypatch.setattr(engine, "IO_BOUND", bound)
        result = build_release(
            [corpus], name="p", version="1.0.0", out=tmp_path / label, workers=2, today=TODAY
        )
        runs.append(digests(result.path))
    assert runs[0] == runs[1]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 200_000), st.integers(MIN_CHUNK, 4_096), st.integers(1, 8))
def test_chunks_cover_every_input_once_and_get_smaller_at_the_end(
    count: int, size: int, workers: int
) -> None:
    spans = chunk_spans(count, size, workers)
    assert [start for start, _ in spans] == [0, *(stop for _, stop in spans)][: len(spans)]
    assert (spans[-1][1] if spans else 0) == count
    for start, stop in spans:
        assert stop > start and stop - start <= size
        # a chunk is at most a 2 x workers share of what is left, unless it is the smallest
        assert (
            stop - start == MIN_CHUNK
            or stop == count
            or (stop - start) * 2 * workers <= count - start
        )
