"""KCNA Watch page dumps (.txt): bytes to the values a page shows, then to a record.

The layout (docs/contract.md, section 1): a capture line, an optional header, the title,
the ``Date: DD/MM/YYYY | Source: ...`` line, the body's paragraphs (the last may be a
byline), an optional ``More From ...`` section of related items, an optional end marker.
Parsing works on blocks (runs of non-blank lines) so that extra blank lines, wrapped
paragraphs, CRLF and trailing spaces all give the same article.

Reading finds the page's pieces (source, title, dates, paragraphs, related items) by name;
`packager.contract.record.make_record` makes the record from them, as it does for a table
row. Clean pages are read by the compiled reader (`_fastpage.c`) where it is built: it
finds the same pieces as `read_pieces`, and decides nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any

from packager.contract.language import compiled_data
from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Article, Issue, Page, Reject, Related
from packager.contract.record import (
    BLOCK_BREAK,
    Compiled,
    Joined,
    Record,
    make_record,
    related_rows,
)
from packager.contract.rejection import Rejection
from packager.contract.rules import collapse
from packager.inputs.decode import Decoded as DecodedText
from packager.inputs.decode import decode

FAST: ModuleType | None
try:  # the compiled reader (packager/inputs/_fastpage.c), built where a C compiler is
    from packager.inputs import _fastpage as FAST
except ImportError:  # pragma: no cover - depends on the machine it was installed on
    FAST = None
if os.environ.get("PACKAGER_PURE_PYTHON"):  # the Python path alone, as without a compiler
    FAST = None
if FAST is not None:  # the language rule's data is the contract's, given, never restated
    FAST.configure_language(*compiled_data())
# The compiled rules (word count and language, white space collapsed), for every reader's
# records.
COMPILED: Compiled | None = (
    Compiled(FAST.word_count_and_language, FAST.collapse_all) if FAST is not None else None
)

_MONTH_NAMES = (
    "January February March April May June July August September October November December"
)
MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES.split(), start=1)}
_LONG_DATE = r"(?P<month>[A-Z][a-z]+) (?P<day>\d{1,2}), (?P<year>\d{4})"
_CAPTURE = re.compile(rf"^{_LONG_DATE}\s*(?:[A-Z][a-z]{{2}}\.? \d{{1,2}}, \d{{4}})?$")
_LONG_DATE_LINE = re.compile(rf"^{_LONG_DATE}$")
# The first line that reads, stripped, "Date: ... | Source: ..." (searched in the whole text).
_DATE_LINE = re.compile(
    r"^[^\S\n]*Date:(?P<date>[^|\n]*)\|[^\S\n]*Source:(?P<source>[^|\n]*)(?:\|[^\n]*)?$",
    re.MULTILINE,
)
_DAY_FIRST = re.compile(r"^(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})$")
_RELATED_START = re.compile(r"^More From\s+\S")
_END_MARKER = "More Articles"
_HTML = re.compile(r"<\s*(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)


class Blocks:
    """The blocks (runs of non-blank lines) of `text[start:end]`, line breaks already made
    "\n". `texts` holds each block's text: its lines stripped and joined by one space, as a
    wrapped paragraph reads; `single` says whether a block is one line. Line numbers are
    counted only when a message needs one."""

    __slots__ = ("_end", "_pieces", "_start", "_text", "single", "texts")

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text, self._start, self._end = text, start, end
        pieces = [piece.strip() for piece in BLOCK_BREAK.split(text[start:end])]
        self._pieces = pieces = [piece for piece in pieces if piece]
        self.single = ["\n" not in piece for piece in pieces]
        self.texts = [
            piece if one else " ".join(line.strip() for line in piece.split("\n"))
            for piece, one in zip(pieces, self.single, strict=True)
        ]

    def first_line(self, k: int) -> str:
        return self.texts[k] if self.single[k] else self._pieces[k].split("\n", 1)[0].strip()

    def line(self, k: int) -> int:
        """The 1-based line number of block `k`'s first line."""
        spans, position = [], self._start
        for found in BLOCK_BREAK.finditer(self._text, self._start, self._end):
            spans.append((position, found.start()))
            position = found.end()
        spans.append((position, self._end))
        pieces = [(a, self._text[a:b]) for a, b in spans]
        starts = [a + len(p) - len(p.lstrip()) for a, p in pieces if p.strip()]
        return _line_at(self._text, starts[k])


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _related_date(text: str, line: Callable[[], int]) -> dt.date | None:
    """The date of a long-form date line ("January 26, 2026"), None if it is not one."""
    known = _LONG_DATES.get(text)
    if known is not None:
        return known
    match = _LONG_DATE_LINE.match(text)
    if match is None:
        return None
    day = _long_date_of(match, line)
    if len(_LONG_DATES) >= 50_000:  # a bound: dates repeat, but a corpus has no end
        _LONG_DATES.clear()
    _LONG_DATES[text] = day
    return day


_LONG_DATES: dict[str, dt.date] = {}


def _long_date_of(match: re.Match[str], line: Callable[[], int]) -> dt.date:
    month = MONTHS.get(match["month"])
    try:
        if month is None:
            raise ValueError(match["month"])
        return dt.date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        raise Rejection("bad-date", f"impossible date {match.group(0)!r}", line()) from None


def _day_first(text: str, line: int) -> dt.date:
    match = _DAY_FIRST.match(text)
    if not match:
        raise Rejection("bad-date", f"the Date: field {text!r} is not DD/MM/YYYY", line)
    try:
        return dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise Rejection("bad-date", f"impossible date {text!r} (read day first)", line) from None


# What a page shows, by name: `given` for `make_record` (body as its paragraphs), the
# related items, the line of the Date: line and of the title (for messages).
Pieces = tuple[dict[str, Any], dict[str, list[Any]], int | None, int | None]


def parse_page(
    data: bytes,
    source_file: str,
    *,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Page | Reject:
    """Parse one page dump's bytes; bad pages come back as a `Reject`, never an exception."""
    try:
        record = read_page(data, source_file, today or dt.date.today(), limits)
    except Rejection as rejection:
        return rejection.reject(source_file)
    return to_page(record, source_file)


def to_page(record: Record, source_file: str) -> Page:
    """A `Record` as the library's models."""
    return Page(
        article=Article(**record.article),
        related=tuple(Related(**item) for item in related_rows(record.related)),
        warnings=tuple(
            Issue(code=code, message=message, file=source_file, line=line, severity="warning")
            for code, message, line in record.warnings
        ),
    )


def read_page(
    data: bytes,
    source_file: str,
    today: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    sha256: str | None = None,
) -> Record:
    """Parse one page dump's bytes to its record; raises `Rejection` for a bad page.
    `sha256` is the hex digest of `data` when the caller has it already."""
    sha256 = sha256 or hashlib.sha256(data).hexdigest()
    fast = _read_fast(data) if len(data) <= limits.max_page_bytes else None
    if fast is not None:
        given, related, decoded = fast
        given |= {
            "body": Joined(given["body"]),
            "source_file": source_file,
            "source_sha256": sha256,
        }
        try:
            record = make_record(given, related, today=today, limits=limits, compiled=COMPILED)
        except Rejection:
            pass  # read again in Python, which knows the line to report it at
        else:
            record.warnings[:0] = decoded
            return record
    return read_page_python(data, source_file, today, limits, sha256, COMPILED)


Decoded = list[tuple[str, str, int | None]]


def _read_fast(data: bytes) -> tuple[dict[str, Any], dict[str, list[Any]], Decoded] | None:
    """The page's pieces from the compiled reader, and the decoding's warnings; None where
    it is not built or leaves the page to Python (another encoding it cannot take, a
    control byte, a non-ASCII space, a page that does not read)."""
    if FAST is None:
        return None
    found = FAST.read_page(data)
    if found is not None:
        return found["given"], found["related"], []
    try:
        data.decode("utf-8")
        return None  # UTF-8 the reader declined: Python reads it
    except UnicodeDecodeError:
        pass
    try:
        decoded = decode(data)
    except Rejection:
        return None  # Python rejects it, with its line
    if decoded.text.startswith("\ufeff"):
        return None  # in UTF-8 that would read as a byte-order mark, and be dropped
    found = FAST.read_page(decoded.text.encode("utf-8"))
    if found is None:
        return None
    return found["given"], found["related"], _warnings_of(decoded)


def _decoded_text(data: bytes) -> tuple[str, Decoded]:
    decoded = decode(data)
    text = decoded.text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, _warnings_of(decoded)


def _warnings_of(decoded: DecodedText) -> Decoded:
    """The decoding's warnings as a record's: (code, message, line)."""
    return [(w.code, w.message, w.line) for w in decoded.warnings]


def read_page_python(
    data: bytes,
    source_file: str,
    today: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    sha256: str | None = None,
    compiled: Compiled | None = None,
) -> Record:
    """`read_page` with the Python reader (what the compiled reader must agree with), and
    the rules compiled where given (see `make_record`)."""
    if len(data) > limits.max_page_bytes:
        raise Rejection(
            "too-large", f"{len(data)} bytes, over the limit of {limits.max_page_bytes}", None
        )
    text, warnings = _decoded_text(data)
    given, related, line, title_line = read_pieces(text)
    given |= {
        "source_file": source_file,
        "source_sha256": sha256 or hashlib.sha256(data).hexdigest(),
    }
    record = make_record(
        given,
        related,
        today=today,
        limits=limits,
        line=line,
        title_line=title_line,
        compiled=compiled,
    )
    record.warnings[:0] = warnings
    return record


def read_pieces(text: str) -> Pieces:
    """What a page's text shows, by name; raises `Rejection` for a text that does not read
    as a page dump (no Date: line, an impossible date, no title)."""
    date_match = _DATE_LINE.search(text)
    if date_match is None:
        if _HTML.search(text[:4096]):
            raise Rejection("not-a-page-dump", "an HTML page, not a page dump", 1)
        if _CAPTURE.match(text.split("\n", 1)[0].strip()):
            raise Rejection("missing-date", "no 'Date: DD/MM/YYYY | Source: ...' line", None)
        raise Rejection("not-a-page-dump", "no capture line and no 'Date:' line", 1)
    date_line = _line_at(text, date_match.start())
    date_published = _day_first(date_match["date"].strip(), date_line)

    head = Blocks(text, 0, date_match.start())
    skip = 0  # the capture line's block, which also holds the header line
    date_captured = None
    if head.texts and (capture := _CAPTURE.match(head.first_line(0))):
        date_captured = _long_date_of(capture, lambda: head.line(0))
        skip = 1
    if len(head.texts) <= skip:
        raise Rejection("missing-title", "no title before the 'Date:' line", date_line)

    rest = Blocks(text, date_match.end(), len(text))
    body_end, related_start, related_end = _sections(rest)
    given = {
        "source": date_match["source"],
        "title": head.texts[-1],
        "date_published": date_published,
        "date_captured": date_captured,
        "body": rest.texts[:body_end],
    }
    related = _related_items(rest, related_start, related_end)
    return given, related, date_line, head.line(len(head.texts) - 1)


def _sections(blocks: Blocks) -> tuple[int, int, int]:
    """Where the body ends, and where the related section's items start and end (after its
    "More From ..." heading, before the end marker), as block indexes."""
    texts = blocks.texts
    body_end = related_start = None
    for k, text in enumerate(texts):
        if text == _END_MARKER:
            end = k
            break
        if related_start is None and blocks.single[k] and _RELATED_START.match(text):
            body_end, related_start = k, k + 1
    else:
        end = len(texts)
    if related_start is None:
        return end, end, end
    assert body_end is not None
    return body_end, related_start, end


def _related_items(blocks: Blocks, start: int, end: int) -> dict[str, list[Any]]:
    """Items are: title, the title again, teaser, long date, the teaser again. Each item
    is its `title` as shown, `teaser` and `date_published`: a list of each, an item a
    place."""
    titles: list[str] = []
    teasers: list[str | None] = []
    dates: list[dt.date | None] = []
    texts = blocks.texts
    i = start
    while i < end:
        shown = texts[i]
        i += 1
        if i < end and (texts[i] == shown or collapse(texts[i]) == collapse(shown)):
            i += 1
        teaser = published = None
        if i < end:
            published = _related_date(texts[i], partial(blocks.line, i))
            if published is None:
                teaser = texts[i]
                i += 1
                if i < end:
                    published = _related_date(texts[i], partial(blocks.line, i))
            if published is not None:
                i += 1
        if teaser is not None and i < end and texts[i] == teaser:
            i += 1
        titles.append(shown)
        teasers.append(teaser)
        dates.append(published)
    return {"title": titles, "teaser": teasers, "date_published": dates}
