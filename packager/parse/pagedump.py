"""KCNA Watch page dumps (.txt) to `Page` records.

The layout (docs/contract.md, section 1): a capture line, an optional header, the title,
the ``Date: DD/MM/YYYY | Source: ...`` line, the body's paragraphs (the last may be a
byline), an optional ``More From ...`` section of related items, an optional end marker.
Parsing works on blocks (runs of non-blank lines) so that extra blank lines, wrapped
paragraphs, CRLF and trailing spaces all give the same article.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from pydantic import ValidationError

from packager import rules
from packager.limits import DEFAULT_LIMITS, Limits
from packager.models import ARTICLE_FIELDS, RELATED_FIELDS, Article, Issue, Page, Reject, Related
from packager.parse.decode import decode
from packager.parse.rejection import Rejection

try:  # the compiled fast path (packager/parse/_fastpage.c), built where a C compiler is
    from packager.parse import _fastpage as FAST
except ImportError:  # pragma: no cover - depends on the machine it was installed on
    FAST = None

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


# A line break followed by one or more blank lines: what separates blocks.
_BLOCK_BREAK = re.compile(r"\n(?:[^\S\n]*\n)+")


class Blocks:
    """The blocks (runs of non-blank lines) of `text[start:end]`, line breaks already made
    "\n". `texts` holds each block's text: its lines stripped and joined by one space, as a
    wrapped paragraph reads; `single` says whether a block is one line. Line numbers are
    counted only when a message needs one."""

    __slots__ = ("_end", "_pieces", "_start", "_text", "single", "texts")

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text, self._start, self._end = text, start, end
        pieces = [piece.strip() for piece in _BLOCK_BREAK.split(text[start:end])]
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
        for found in _BLOCK_BREAK.finditer(self._text, self._start, self._end):
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


class RawPage(NamedTuple):
    """A parsed page as plain values, the form a build spools: the article's values in
    `ARTICLE_FIELDS` order, each related item's in `RELATED_FIELDS` order, and warnings as
    (code, message, line)."""

    article: tuple[Any, ...]
    related: list[tuple[Any, ...]]
    warnings: list[tuple[str, str, int | None]]


def parse_page(
    data: bytes,
    source_file: str,
    *,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Page | Reject:
    """Parse one page dump's bytes; bad pages come back as a `Reject`, never an exception."""
    try:
        raw = read_page(data, source_file, today or dt.date.today(), limits)
        return to_page(raw, source_file)
    except Rejection as rejection:
        return rejection.reject(source_file)


def to_page(raw: RawPage, source_file: str) -> Page:
    """A `RawPage` as validated models (raises `Rejection` "invalid-article" if a model
    refuses a value)."""
    try:
        article = Article(**dict(zip(ARTICLE_FIELDS, raw.article, strict=True)))
        related = tuple(
            Related(**dict(zip(RELATED_FIELDS, item, strict=True))) for item in raw.related
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise Rejection("invalid-article", f"{where}: {error['msg']}", None) from None
    warnings = tuple(
        Issue(code=code, message=message, file=source_file, line=line, severity="warning")
        for code, message, line in raw.warnings
    )
    return Page(article=article, related=related, warnings=warnings)


def read_page(
    data: bytes,
    source_file: str,
    today: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    sha256: str | None = None,
) -> RawPage:
    """Parse one page dump's bytes to plain values; raises `Rejection` for a bad page.
    `sha256` is the hex digest of `data` when the caller has it already.

    Clean pages (UTF-8 with ASCII white space, no reject), most of a corpus, are read by
    the compiled fast path where it is built; it gives the same values, and leaves every
    other page to `read_page_python`."""
    if FAST is not None and len(data) <= limits.max_page_bytes:
        sha256 = sha256 or hashlib.sha256(data).hexdigest()
        found = FAST.read_page(data, source_file, today, limits.max_title_length, sha256)
        if found is not None:
            return RawPage(*found)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:  # another encoding: decoded here, then read in C
            page = _read_decoded(data, source_file, today, limits, sha256)
            if page is not None:
                return page
    return read_page_python(data, source_file, today, limits, sha256)


def _read_decoded(
    data: bytes, source_file: str, today: dt.date, limits: Limits, sha256: str
) -> RawPage | None:
    """A page in another encoding (Windows-1252, UTF-16, broken UTF-8) read by the fast
    path from its text in UTF-8, with the decoding's warnings first, as
    `read_page_python` gives them; None where the fast path leaves it to Python."""
    assert FAST is not None
    decoded = decode(data)  # raises the Rejection read_page_python would raise first
    if decoded.text.startswith("\ufeff"):
        return None  # in UTF-8 that would read as a byte-order mark, and be dropped
    found = FAST.read_page(
        decoded.text.encode("utf-8"), source_file, today, limits.max_title_length, sha256
    )
    if found is None:
        return None
    article, related, warnings = found
    return RawPage(article, related, [tuple(w) for w in decoded.warnings] + warnings)


def read_page_python(
    data: bytes,
    source_file: str,
    today: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    sha256: str | None = None,
) -> RawPage:
    """`read_page` in Python alone: every page, every reject and warning."""
    if len(data) > limits.max_page_bytes:
        raise Rejection(
            "too-large", f"{len(data)} bytes, over the limit of {limits.max_page_bytes}", None
        )
    decoded = decode(data)
    warnings: list[tuple[str, str, int | None]] = [
        (code, message, line) for code, message, line in decoded.warnings
    ]
    text = decoded.text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")

    date_match = _DATE_LINE.search(text)
    if date_match is None:
        if _HTML.search(text[:4096]):
            raise Rejection("not-a-page-dump", "an HTML page, not a page dump", 1)
        if _CAPTURE.match(text.split("\n", 1)[0].strip()):
            raise Rejection("missing-date", "no 'Date: DD/MM/YYYY | Source: ...' line", None)
        raise Rejection("not-a-page-dump", "no capture line and no 'Date:' line", 1)
    date_line = _line_at(text, date_match.start())
    date_published = _day_first(date_match["date"].strip(), date_line)
    source = rules.collapse(date_match["source"])
    if not source:
        raise Rejection("missing-source", "the 'Source:' field is empty", date_line)

    head = Blocks(text, 0, date_match.start())
    skip = 0  # the capture line's block, which also holds the header line
    date_captured = None
    if head.texts and (capture := _CAPTURE.match(head.first_line(0))):
        date_captured = _long_date_of(capture, lambda: head.line(0))
        skip = 1
    if len(head.texts) <= skip:
        raise Rejection("missing-title", "no title before the 'Date:' line", date_line)
    title = rules.collapse(head.texts[-1])
    if len(title) > limits.max_title_length:
        raise Rejection(
            "title-too-long",
            f"a title of {len(title)} characters, over the limit of {limits.max_title_length}",
            head.line(len(head.texts) - 1),
        )

    rest = Blocks(text, date_match.end(), len(text))
    body_end, related_start, related_end = _sections(rest)
    paragraphs = rest.texts[:body_end]
    byline = paragraphs.pop() if rules.is_byline(paragraphs) else None
    if not paragraphs:
        raise Rejection("empty-body", "the article has no body text", date_line)
    body = "\n\n".join(paragraphs)

    problem = rules.date_problem(date_published, date_captured, today)
    if problem:
        raise Rejection(problem[0], problem[1], date_line)

    aid = rules.article_id(source, date_published, title)
    word_count, language = rules.word_count_and_language(body)
    article = (
        aid,
        source,
        title,
        date_published,
        date_captured,
        byline,
        body,
        word_count,
        language,
        None,  # url: page dumps do not carry one
        source_file,
        sha256 or hashlib.sha256(data).hexdigest(),
    )
    related = _related_items(aid, rest, related_start, related_end)
    warnings += [
        (
            "incomplete-related-item",
            f"related item {item[1]} has no date: the page may be cut short",
            None,
        )
        for item in related
        if item[4] is None
    ]
    return RawPage(article, related, warnings)


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


def _related_items(aid: str, blocks: Blocks, start: int, end: int) -> list[tuple[Any, ...]]:
    """Items are: title, the title again, teaser, long date, the teaser again. Each item is
    (article_id, position, title, teaser, date_published)."""
    items: list[tuple[Any, ...]] = []
    texts = blocks.texts
    i = start
    while i < end:
        shown = texts[i]
        title = rules.collapse(shown)
        i += 1
        if i < end and (texts[i] == shown or rules.collapse(texts[i]) == title):
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
        items.append((aid, len(items) + 1, title, teaser, published))
    return items
