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
from dataclasses import dataclass, field

from pydantic import ValidationError

from packager import rules
from packager.language import detect_language
from packager.limits import DEFAULT_LIMITS, Limits
from packager.models import Article, Issue, Page, Reject, Related
from packager.parse.decode import decode
from packager.parse.rejection import Rejection

_MONTH_NAMES = (
    "January February March April May June July August September October November December"
)
MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES.split(), start=1)}
_LONG_DATE = r"(?P<month>[A-Z][a-z]+) (?P<day>\d{1,2}), (?P<year>\d{4})"
_CAPTURE = re.compile(rf"^{_LONG_DATE}\s*(?:[A-Z][a-z]{{2}}\.? \d{{1,2}}, \d{{4}})?$")
_LONG_DATE_LINE = re.compile(rf"^{_LONG_DATE}$")
_DATE_LINE = re.compile(r"^Date:(?P<date>[^|]*)\|\s*Source:(?P<source>[^|]*)(?:\|.*)?$")
_DAY_FIRST = re.compile(r"^(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})$")
_RELATED_START = re.compile(r"^More From\s+\S")
_END_MARKER = "More Articles"
_HTML = re.compile(r"<\s*(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class Block:
    """A run of non-blank lines; `line` is the 1-based number of its first line."""

    line: int
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        # A paragraph wrapped over several lines reads as one line joined by spaces.
        return " ".join(self.lines)


def _blocks(lines: list[str], first_line: int) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    for number, raw in enumerate(lines, start=first_line):
        stripped = raw.strip()
        if not stripped:
            current = None
            continue
        if current is None:
            current = Block(number)
            blocks.append(current)
        current.lines.append(stripped)
    return blocks


def _long_date(match: re.Match[str], line: int) -> dt.date:
    month = MONTHS.get(match["month"])
    try:
        if month is None:
            raise ValueError(match["month"])
        return dt.date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        raise Rejection("bad-date", f"impossible date {match.group(0)!r}", line) from None


def _day_first(text: str, line: int) -> dt.date:
    match = _DAY_FIRST.match(text)
    if not match:
        raise Rejection("bad-date", f"the Date: field {text!r} is not DD/MM/YYYY", line)
    try:
        return dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise Rejection("bad-date", f"impossible date {text!r} (read day first)", line) from None


def parse_page(
    data: bytes,
    source_file: str,
    *,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Page | Reject:
    """Parse one page dump's bytes; bad pages come back as a `Reject`, never an exception."""
    try:
        if len(data) > limits.max_page_bytes:
            raise Rejection(
                "too-large", f"{len(data)} bytes, over the limit of {limits.max_page_bytes}", None
            )
        return _parse(data, source_file, today or dt.date.today(), limits)
    except Rejection as rejection:
        return Reject(
            source_file=source_file,
            code=rejection.code,
            message=rejection.message,
            line=rejection.line,
        )


def _parse(data: bytes, source_file: str, today: dt.date, limits: Limits) -> Page:
    decoded = decode(data)
    warnings = [
        Issue(code=code, message=message, file=source_file, line=line, severity="warning")
        for code, message, line in decoded.warnings
    ]
    lines = _LINE_BREAK.split(decoded.text)

    date_index = next((i for i, raw in enumerate(lines) if _DATE_LINE.match(raw.strip())), None)
    if date_index is None:
        if _HTML.search(decoded.text[:4096]):
            raise Rejection("not-a-page-dump", "an HTML page, not a page dump", 1)
        if lines and _CAPTURE.match(lines[0].strip()):
            raise Rejection("missing-date", "no 'Date: DD/MM/YYYY | Source: ...' line", None)
        raise Rejection("not-a-page-dump", "no capture line and no 'Date:' line", 1)
    date_line = date_index + 1
    date_match = _DATE_LINE.match(lines[date_index].strip())
    assert date_match is not None
    date_published = _day_first(date_match["date"].strip(), date_line)
    source = rules.collapse(date_match["source"])
    if not source:
        raise Rejection("missing-source", "the 'Source:' field is empty", date_line)

    head = _blocks(lines[:date_index], 1)
    date_captured = None
    if head and (capture := _CAPTURE.match(head[0].lines[0])):
        date_captured = _long_date(capture, head[0].line)
        head = head[1:]  # the capture line's block also holds the header line
    if not head:
        raise Rejection("missing-title", "no title before the 'Date:' line", date_line)
    title = rules.collapse(head[-1].text)
    if len(title) > limits.max_title_length:
        raise Rejection(
            "title-too-long",
            f"a title of {len(title)} characters, over the limit of {limits.max_title_length}",
            head[-1].line,
        )

    rest = _blocks(lines[date_index + 1 :], date_line + 1)
    body_blocks, related_blocks = _split_sections(rest)
    paragraphs = [b.text for b in body_blocks]
    byline = paragraphs.pop() if rules.is_byline(paragraphs) else None
    if not paragraphs:
        raise Rejection("empty-body", "the article has no body text", date_line)
    body = "\n\n".join(paragraphs)

    problem = rules.date_problem(date_published, date_captured, today)
    if problem:
        raise Rejection(problem[0], problem[1], date_line)

    aid = rules.article_id(source, date_published, title)
    try:
        article = Article(
            article_id=aid,
            source=source,
            title=title,
            date_published=date_published,
            date_captured=date_captured,
            byline=byline,
            body=body,
            word_count=rules.word_count(body),
            language=detect_language(body),
            url=None,
            source_file=source_file,
            source_sha256=hashlib.sha256(data).hexdigest(),
        )
        related = tuple(_related_items(aid, related_blocks))
        warnings += [
            Issue(
                code="incomplete-related-item",
                message=f"related item {item.position} has no date: the page may be cut short",
                file=source_file,
                severity="warning",
            )
            for item in related
            if item.date_published is None
        ]
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise Rejection("invalid-article", f"{where}: {error['msg']}", date_line) from None
    return Page(article=article, related=related, warnings=tuple(warnings))


def _split_sections(blocks: list[Block]) -> tuple[list[Block], list[Block]]:
    """Body blocks, and the related section's blocks (without its heading or end marker)."""
    body: list[Block] = []
    related: list[Block] = []
    target = body
    for block in blocks:
        text = block.text
        if text == _END_MARKER:
            break
        if target is body and len(block.lines) == 1 and _RELATED_START.match(text):
            target = related
            continue
        target.append(block)
    return body, related


def _related_items(aid: str, blocks: list[Block]) -> list[Related]:
    """Items are: title, the title again, teaser, long date, the teaser again."""
    items: list[Related] = []
    i, n = 0, len(blocks)
    while i < n:
        title = rules.collapse(blocks[i].text)
        i += 1
        if i < n and rules.collapse(blocks[i].text) == title:
            i += 1
        teaser = None
        if i < n and not _LONG_DATE_LINE.match(blocks[i].text):
            teaser = blocks[i].text
            i += 1
        published = None
        if i < n and (match := _LONG_DATE_LINE.match(blocks[i].text)):
            published = _long_date(match, blocks[i].line)
            i += 1
        if teaser is not None and i < n and blocks[i].text == teaser:
            i += 1
        items.append(
            Related(
                article_id=aid,
                position=len(items) + 1,
                title=title,
                teaser=teaser,
                date_published=published,
            )
        )
    return items
