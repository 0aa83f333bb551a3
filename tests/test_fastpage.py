"""The compiled reader (packager/inputs/_fastpage.c) agrees with the Python reader.

The rule it must keep, checked page by page: on a page it takes, it returns exactly the
pieces `read_pieces` finds (by name: source, title, dates, the paragraphs joined by a blank
line, related items). It
takes no page the Python reader cannot read or does not read as plain UTF-8 (another
encoding, a control byte); it may leave a page with a non-ASCII space or digit to Python;
it takes every other page. It decides no rule of the contract: the record is made from the
pieces by `make_record` whichever reader found them."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager.contract import rules
from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.record import Record
from packager.contract.rejection import Rejection
from packager.inputs import pages
from packager.inputs.pages import read_page, read_page_python, read_pieces

from .conftest import EXAMPLES, PAGES, TODAY, skip_unless_c_builds

FAST = pages.FAST
needs_fast = pytest.mark.skipif(
    FAST is None, reason="the compiled parser is not built here (no C compiler at install)"
)
BROKEN = Path(__file__).resolve().parent / "broken"
CONTROL = frozenset([*range(0x09), *range(0x0E, 0x20), 0x7F])


def test_the_compiled_parser_is_built_where_a_compiler_is() -> None:
    skip_unless_c_builds("Python parser only")
    assert FAST is not None, "a C compiler is here, but packager.inputs._fastpage was not built"


def _utf8(data: bytes) -> str | None:
    """The text of a page the fast path may take: plain UTF-8, no control byte."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    if CONTROL.intersection(data):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _unsure(text: str) -> bool:
    """Whether the fast path may leave the page to Python: a non-ASCII space or digit."""
    return any(not c.isascii() and (c.isspace() or c.isdecimal()) for c in text)


def _agree(data: bytes) -> bool:
    """Assert the rule for `data`; True if the compiled reader took the page."""
    assert FAST is not None
    fast = FAST.read_page(data)
    try:
        given, related, _, _ = read_pieces(pages._decoded_text(data)[0])
    except Rejection as rejection:
        assert fast is None, (data[:200], rejection)
        return False
    text = _utf8(data)
    if text is None:
        assert fast is None, data[:200]
        return False
    if fast is None and _unsure(text):
        return False
    assert fast is not None, data[:200]
    # The compiled reader gives the body as one text: the paragraphs joined, made in place
    # (a str of the wrong width would not compare equal).
    given["body"] = "\n\n".join(given["body"])
    assert fast == {"given": given, "related": related}
    assert {k: type(v) for k, v in fast["given"].items()} == {k: type(v) for k, v in given.items()}
    assert {k: [type(v) for v in column] for k, column in fast["related"].items()} == {
        k: [type(v) for v in column] for k, column in related.items()
    }
    return True


def _files() -> list[Path]:
    found = [*EXAMPLES.rglob("*.txt"), *PAGES.glob("*.txt"), *BROKEN.iterdir()]
    return sorted(p for p in found if p.is_file())


@needs_fast
@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_example_and_broken_page(path: Path) -> None:
    _agree(path.read_bytes())


@needs_fast
def test_clean_ascii_pages_take_the_fast_path() -> None:
    taken = [p.name for p in _files() if _agree(p.read_bytes())]
    assert "2025-08-26-textile-mill.txt" in taken
    assert "2026-02-11-hydropower.txt" in taken  # CRLF
    assert "2025-10-21-digital-reading-rooms-bom.txt" in taken
    assert "clean.txt" in taken  # a curly apostrophe
    assert "korean.txt" in taken
    assert "2025-06-03-cafe-windows-1252.txt" not in taken


@needs_fast
def test_the_seed_page(seed_bytes: bytes) -> None:
    _agree(seed_bytes)


def test_a_limit_broken_on_a_page_read_in_c_is_reported_at_its_line() -> None:
    data = (EXAMPLES / "2025-08-26-textile-mill.txt").read_bytes()
    title = read_page_python(data, "p.txt", TODAY).article["title"]
    for limits in (Limits(max_title_length=len(title) - 1), Limits(max_title_length=len(title))):
        assert _answer(data, limits) == _python_answer(data, limits)
    answer = _answer(data, Limits(max_title_length=len(title) - 1))
    assert isinstance(answer, tuple) and not isinstance(answer, Record)
    assert (answer[0], answer[2]) == ("title-too-long", 4)


@needs_fast
def test_a_generated_corpus(tmp_path: Path) -> None:
    from bench.corpus import write_corpus

    write_corpus(tmp_path, 1500, seed=7)
    pages = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    taken = sum(_agree(p.read_bytes()) for p in pages)
    assert taken >= 0.9 * len(pages)  # all but other encodings and broken pages


# Pieces that steer the parser: mutants made of them reach its every branch.
# fmt: off
PIECES = [
    b" ", b"\t", b"\n", b"\n\n", b"\r", b"\r\n", b"\x0b", b"\x0c", b"|", b":", b"/", b",",
    b".", b"1", b"31", b"2026", b"02", b"a", b"Z", b"Date:", b"Date: 01/02/2025 | Source: KCNA",
    b" | Source:", b"Source:", b"More From KCNA", b"More From", b"More Articles",
    b"January 5, 2025", b"February 30, 2025", b"Jan 5, 2025", b"Jan. 5, 2025", b"Smarch 5, 2025",
    b"the", b"der", b"la", b"\x00", b"\x7f",
    *(piece.encode() for piece in [
        "é", "’", "“the”", "—", "평양", "평양 새 학교 건설", "Пхеньян", "ſ", "K", "ß", "ǅ", "İ",
        "\u00a0", "\u0085", "\u3000", "\u2028", "١", "٢٠٢٥", "\ufeff", "\U0001f600",
    ]),
    b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80",
]
# fmt: on


def _mutant(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(buf) + 1)
        kind = rng.random()
        if kind < 0.45:
            buf[at:at] = rng.choice(PIECES)
        elif kind < 0.8:
            del buf[at : at + rng.randint(1, 40)]
        else:  # a line moved elsewhere
            lines = bytes(buf).split(b"\n")
            line = lines.pop(rng.randrange(len(lines)))
            lines.insert(rng.randrange(len(lines) + 1), line)
            buf = bytearray(b"\n".join(lines))
    return bytes(buf)


@needs_fast
def test_mutants_of_clean_pages() -> None:
    rng = random.Random(20261125)
    sources = [p.read_bytes() for p in _files() if _agree(p.read_bytes())]
    taken = sum(_agree(_mutant(rng.choice(sources), rng)) for _ in range(4000))
    assert 400 < taken < 3600  # both ways are reached


PAGE_LINES = [
    line
    for page in (
        EXAMPLES / "2025-08-26-textile-mill.txt",
        PAGES / "clean.txt",
        PAGES / "korean.txt",
    )
    for line in page.read_text(encoding="utf-8").splitlines()
]
ASCII = st.text(alphabet=st.characters(min_codepoint=0x09, max_codepoint=0x7E), max_size=80)


@needs_fast
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PAGE_LINES), ASCII, st.text(max_size=80)), max_size=60))
def test_any_mix_of_page_lines(lines: list[str]) -> None:
    _agree("\n".join(lines).encode("utf-8"))


@needs_fast
@pytest.mark.parametrize(
    "widest",
    ["", "\u00e9", "\u00ff", "\u0100", "\u07ff", "\u0800", "\u2019", "\uffff", "\U00010000"],
    ids=repr,
)
def test_the_body_is_made_as_wide_as_its_widest_character(widest: str) -> None:
    # Python's str has a width (one, two or four bytes a character) chosen by its widest
    # character; the compiled reader makes the body in place and must choose the same.
    page = (PAGES / "clean.txt").read_text(encoding="utf-8").replace("\u2019", "'")
    marker = page.index("More From")
    data = f"{page[:marker]}Plain words.\n\nA wrapped\nline {widest}.\n\n{page[marker:]}"
    assert _agree(data.encode("utf-8"))
    found = FAST.read_page(data.encode("utf-8")) if FAST is not None else None
    assert found is not None
    body = found["given"]["body"]
    assert body.endswith(f"Plain words.\n\nA wrapped line {widest}.")
    assert sys.getsizeof(body) == sys.getsizeof(body[:-1] + ".")  # a canonical str


def _answer(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Record | tuple[str, str, int | None]:
    try:
        return read_page(data, "p.txt", TODAY, limits)
    except Rejection as rejection:
        return rejection.code, rejection.message, rejection.line


def _python_answer(
    data: bytes, limits: Limits = DEFAULT_LIMITS
) -> Record | tuple[str, str, int | None]:
    try:
        return read_page_python(data, "p.txt", TODAY, limits)
    except Rejection as rejection:
        return rejection.code, rejection.message, rejection.line


def test_read_page_gives_the_python_parsers_answer() -> None:
    # With or without the fast path, read_page is the Python parser's answer, rejects too.
    for path in _files():
        data = path.read_bytes()
        assert _answer(data) == _python_answer(data), path.name


def _encodings(data: bytes) -> list[bytes]:
    """`data` as Windows-1252, UTF-16 (both byte orders) and broken UTF-8."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return [
        text.encode("cp1252", errors="replace"),
        text.encode("utf-16"),
        b"\xfe\xff" + text.encode("utf-16-be"),
        data + b"\xff",
    ]


@needs_fast
def test_other_encodings_are_read_in_c_with_the_same_answer() -> None:
    # Pages in another encoding are decoded in Python, then read by the fast path.
    rng = random.Random(20261126)
    sources = [p.read_bytes() for p in _files() if _utf8(p.read_bytes()) is not None]
    encoded = [page for source in sources for page in _encodings(source)]
    encoded += [_mutant(rng.choice(encoded), rng) for _ in range(1500)]
    for data in encoded:
        assert _answer(data) == _python_answer(data), data[:120]
    in_c = [
        isinstance(_python_answer(data), Record) and pages._read_fast(data) is not None
        for data in encoded[: 4 * len(sources)]
    ]
    assert sum(in_c) > 2 * len(sources)  # most re-encoded pages are read in C


# Words that steer the language guess: stop words of each language, words of each script,
# characters whose case-folding is long or odd, digits and punctuation.
GUESS_WORDS = [
    "the", "and", "The", "THE", "la", "le", "Les", "el", "y", "der", "Die", "und", "ist",
    "평양", "새", "学校", "代表団", "です", "Пхеньян", "и", "مرحبا", "ſ", "ß", "İ", "ǅ", "ﬁ",
    "é", "straße", "word", "2026", "—", "’", "x" * 30,
]  # fmt: skip
SPACES = [" ", "  ", "\n", "\n\n", "\t", "\x0b", "\x0c", "\r", "\u00a0", "\u3000", "\x1c", "\x85"]


@needs_fast
@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(GUESS_WORDS), st.text(max_size=6)), st.sampled_from(SPACES)
        ),
        max_size=400,
    )
)
def test_the_compiled_word_count_is_the_rule(pieces: list[tuple[str, str]]) -> None:
    assert FAST is not None
    text = "".join(word + space for word, space in pieces)
    found = FAST.word_count_and_language(text)
    if found is None:  # only where its white space is not all ASCII's, or a surrogate
        assert any(
            c.isspace() and not (c.isascii() and c not in "\x1c\x1d\x1e\x1f") for c in text
        ) or any("\ud800" <= c <= "\udfff" for c in text)
        return
    assert found == rules.word_count_and_language(text)


# ASCII text as the compiled count reads it, eight bytes at a time: words of every length
# about eight, stop words, every kind of white space the page reader knows in runs of
# every length about eight, perhaps one odd byte (a separator str.split splits at, or a
# control byte it does not) anywhere, the whole repeated past the language's sample.
ASCII_WORD = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=11)
ASCII_GAP = st.text(" \t\n\x0b\x0c\r", min_size=1, max_size=10)


@needs_fast
@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(ASCII_WORD, st.sampled_from(GUESS_WORDS[:13])), ASCII_GAP)),
    st.sampled_from(["", " ", "\n\n"]),
    st.sampled_from(["", "\x1c", "\x1d", "\x1e", "\x1f", "\x00", "\x1b", "\x20\x1f", "\x7f"]),
    st.integers(min_value=0),
    st.integers(min_value=1, max_value=40),
)
def test_the_compiled_count_of_ascii_is_str_split(
    pieces: list[tuple[str, str]], lead: str, odd: str, at: int, times: int
) -> None:
    text = lead + "".join(word + gap for word, gap in pieces)
    text = text[: at % (len(text) + 1)] + odd + text[at % (len(text) + 1) :]
    assert FAST is not None
    text = (text * times).rstrip(" ") if at % 2 else text * times
    found = FAST.word_count_and_language(text)
    if any("\x1c" <= c <= "\x1f" for c in text):  # str.split's, not the page reader's
        assert found is None
    else:
        assert found == rules.word_count_and_language(text)


# Every character Python's str.split() splits at, and some that it does not.
PY_SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]
NOT_SPACES = ["a", "Z", "é", "’", "\u200b", "\u180e", "\ufeff", "조", "😀", "\x00", "-"]


@needs_fast
@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(PY_SPACES + NOT_SPACES), max_size=40).map("".join),
            st.text(max_size=30),
        ),
        max_size=30,
    ),
    st.booleans(),
    st.integers(0, 3),
)
def test_the_compiled_word_counts_of_a_column_are_str_split(
    texts: list[str | None], wide: bool, cut: int
) -> None:
    import pyarrow as pa

    from packager.check.checker import _word_counts

    # Arrow holds UTF-8: no lone surrogates
    texts = [t if t is None else "".join(c for c in t if not "\ud800" <= c <= "\udfff")
             for t in texts]  # fmt: skip
    column = pa.array(texts, pa.large_string() if wide else pa.string()).slice(cut)
    expected = [None if t is None else len(t.split()) for t in texts[cut:]]
    assert _word_counts(column).to_pylist() == expected


# Texts with runs of ASCII long enough to be counted eight bytes at a time: words and
# every ASCII white space of str.split, in runs of every length about eight, and now and
# then a character of another length in UTF-8 (a space or not) that breaks a run.
MOSTLY_ASCII = st.lists(
    st.one_of(
        ASCII_WORD,
        st.text("".join(c for c in PY_SPACES if c.isascii()), min_size=1, max_size=10),
        st.sampled_from(["é", "\u00a0", "\u3000", "조", "😀", "\x85"]),
    ),
    max_size=60,
).map("".join)


@needs_fast
@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.none(), MOSTLY_ASCII), max_size=8), st.booleans())
def test_the_column_count_of_mostly_ascii_text_is_str_split(
    texts: list[str | None], wide: bool
) -> None:
    import pyarrow as pa

    from packager.check.checker import _word_counts

    column = pa.array(texts, pa.large_string() if wide else pa.string())
    assert _word_counts(column).to_pylist() == [
        None if t is None else len(t.split()) for t in texts
    ]


ASCII_SPACES = [c for c in PY_SPACES if c.isascii()]
# Words between runs of white space of every kind, mixed; and words with one separator
# each (one white-space character of any kind, or two spaces), perhaps at the ends too:
# a text clean but for its one kind of separator.
MIXED_TEXT = st.lists(
    st.sampled_from([" ", " ", "  ", "a", "bc", "Z-", "\x00", *ASCII_SPACES]), max_size=20
).map("".join)
ONE_SEPARATOR = st.builds(
    lambda words, gap, edges: (gap if edges else "") + gap.join(words) + (gap if edges else ""),
    st.lists(st.sampled_from(["a", "bc", "Z-", "\x00"]), max_size=5),
    st.sampled_from([*ASCII_SPACES, "  "]),
    st.booleans(),
)
ASCII_TEXT = st.one_of(MIXED_TEXT, ONE_SEPARATOR)


@needs_fast
@settings(max_examples=1500, deadline=None)
@given(
    st.lists(st.one_of(ASCII_TEXT, ASCII_TEXT, st.text(max_size=20)), max_size=12),
    st.sampled_from([(), (None,), (7,), (b"a  b",)]),
    st.integers(0, 12),
)
def test_the_compiled_collapse_is_the_rule(
    texts: list[object], odd: tuple[object, ...], at: int
) -> None:
    assert FAST is not None
    texts[at % (len(texts) + 1) : at % (len(texts) + 1)] = odd  # perhaps one item not a str
    found = FAST.collapse_all(texts)
    if found is None:  # only where an item is not an ASCII str: Python's to collapse
        assert not all(type(t) is str and t.isascii() for t in texts)
        return
    assert found == [rules.collapse(t) for t in texts if isinstance(t, str)]
    for given_text, made in zip(texts, found, strict=True):  # a collapsed text: itself
        assert (made is given_text) == (made == given_text)


@needs_fast
def test_the_compiled_word_count_takes_every_body_of_a_corpus(tmp_path: Path) -> None:
    from bench.corpus import write_corpus

    write_corpus(tmp_path, 300, seed=5)
    bodies = []
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        try:
            bodies.append(read_page_python(path.read_bytes(), path.name, TODAY).article["body"])
        except Rejection:
            continue
    assert len(bodies) > 250
    assert FAST is not None
    for body in bodies:
        assert FAST.word_count_and_language(body) == rules.word_count_and_language(body)


# The language rule's data lives in packager.contract.language alone: the compiled counter
# is given it at import, so a change there is a change in both paths.


@needs_fast
def test_the_compiled_language_takes_the_contracts_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from packager.contract import language

    assert FAST is not None
    texts = ["あい" + "b" * 18, " " * 599 + "가 the", "el la los le", "der la"]
    assert [FAST.word_count_and_language(t)[1] for t in texts] == ["en", "ko", "es", "fr"]
    # the same data, changed: a tenth of Kana decides, the sample is 500 characters, and
    # German is the default and first among equals
    monkeypatch.setattr(language, "SCRIPTS", (("ja", ((0x3040, 0x30FF),), 0.09),))
    monkeypatch.setattr(language, "SAMPLE", 500)
    stopwords = {"de": frozenset({"der", "und"}), "es": frozenset({"el", "la", "los"})}
    monkeypatch.setattr(language, "LATIN_STOPWORDS", stopwords)
    monkeypatch.setattr(language, "_STOPWORDS", frozenset({"der", "und", "el", "la", "los"}))
    try:
        FAST.configure_language(*language.compiled_data())
        assert [FAST.word_count_and_language(t)[1] for t in texts] == ["ja", "de", "es", "de"]
    finally:
        monkeypatch.undo()
        FAST.configure_language(*language.compiled_data())
    assert [FAST.word_count_and_language(t)[1] for t in texts] == ["en", "ko", "es", "fr"]


@needs_fast
@pytest.mark.parametrize(
    "stopwords",
    [(("longer", 1),), (("The", 1),), (("été", 1),), (("the", 2),)],
    ids=["five-letters", "upper-case", "not-ascii", "an-unknown-language"],
)
def test_language_data_the_compiled_counter_cannot_hold_is_refused(
    stopwords: tuple[tuple[str, int], ...],
) -> None:
    from packager.contract import language

    assert FAST is not None
    sample, latin, scripts, _, _ = language.compiled_data()
    try:
        with pytest.raises(ValueError, match="stop word"):
            FAST.configure_language(sample, latin, scripts, ("en",), stopwords)
        # refused data leaves no language guessed in C: Python's to count
        assert FAST.word_count_and_language("the cat") is None
    finally:
        FAST.configure_language(*language.compiled_data())
    assert FAST.word_count_and_language("the cat") == (2, "en")


def test_a_release_built_without_the_compiled_part_is_byte_identical(tmp_path: Path) -> None:
    """PACKAGER_PURE_PYTHON=1 is the machine without a compiler: every rule in Python."""
    import os
    import subprocess

    from .conftest import digests

    made = {}
    for pure in ("", "1"):
        out = tmp_path / f"pure-{pure or 0}"
        env = {**os.environ, "PACKAGER_PURE_PYTHON": pure, "SOURCE_DATE_EPOCH": "1763856000"}
        code = (
            "import datetime as dt, sys; from packager.inputs import pages; "
            "from packager import build_release; "
            "assert (pages.FAST is None) == bool(sys.argv[1]), pages.FAST; "
            "from pathlib import Path as P; "
            "build_release([P(sys.argv[2]), P(sys.argv[3])], name='p', version='1.0.0', "
            "out=P(sys.argv[4]), today=dt.date(2026, 11, 23))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, pure, str(EXAMPLES), str(PAGES), str(out)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        made[pure] = digests(out / "p" / "1.0.0")
    assert made[""] == made["1"]
