"""The one step every input ends in: what a reader found, to the contract's record.

A page dump (`packager.inputs.pages`) and a row of a parsed-article table
(`packager.inputs.tables`) are read differently, but both hand their values here by field
name, and `make_record` does the rest for both: it normalises them (white space, empty
strings to null), derives what the contract derives (`article_id`, `word_count`,
`language`, the byline by the byline rule, the body's paragraphs), and checks the result
against the Table Schema and the contract's date rules. No field is written as a reader
gave it, so every record that comes out passes `packager validate`; what cannot become
such a record is a `Rejection` with the contract's code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from packager.contract import rules
from packager.contract.language import decided_language
from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.rejection import Rejection
from packager.contract.schema import columns_check, field_names, record_check

# (code, message, line): a warning about one input, plain values (a build holds many).
Warning = tuple[str, str, int | None]
# Rows held as columns: a list of values by field name, all of one length. An article's
# related rows travel so (a list a field, not a dict a row: a page has a dozen of them).
Columns = dict[str, list[Any]]
WordCounter = Callable[[str], "tuple[int, str] | None"]


class Compiled(NamedTuple):
    """The rules in compiled form (the page reader's module, `packager.inputs._fastpage`,
    where it is built): each gives the rule's own answer, or None where it leaves the
    input to the rule in Python. tests/test_fastpage.py holds each to its rule."""

    # `rules.word_count_and_language(body)`
    words: WordCounter
    # `[rules.collapse(t) for t in texts]`, a text already collapsed given back itself
    collapse_all: Callable[[list[Any]], list[str] | None]


DERIVED = ("article_id", "word_count", "language")
# A given language that the body's own reads otherwise: packaged as given, and reported
# (a table's rows are summed up in one warning).
LANGUAGE_DIFFERS = "language-differs"
# Fields whose normal form is their own (below); every other string field is stripped,
# and an empty string becomes null.
_SHAPED = frozenset({"source", "title", "body", "byline", "date_published", "date_captured"})


class Joined(NamedTuple):
    """A body given with its paragraphs joined already, as `make_record` joins them (each
    paragraph one stripped line, a blank line between them), and taken as it is: the
    compiled page reader gives bodies so, and a large body is then never held both as
    paragraphs and as one text."""

    text: str


class Record(NamedTuple):
    """One input's article (a dict by field name) and related rows (`Columns` of every
    field of the related table), as the tables hold them, and the warnings found on the
    way."""

    article: dict[str, Any]
    related: Columns
    warnings: list[Warning]
    line: int | None = None  # a table row's number in its file (None for a page)


def paragraphs_of(text: str) -> list[str]:
    """The paragraphs of `text`: runs of non-blank lines, each line stripped and the lines
    joined by one space (a wrapped paragraph reads as one line), as a page's body is read."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for block in BLOCK_BREAK.split(text):
        block = block.strip()
        if block:
            out.append(block if "\n" not in block else " ".join(map(str.strip, block.split("\n"))))
    return out


# A line break followed by one or more blank lines: what separates a page's blocks and a
# body's paragraphs.
BLOCK_BREAK = re.compile(r"\n(?:[^\S\n]*\n)+")


def lines_of(text: str) -> list[str]:
    """The paragraphs of a table's body: its lines that are not blank, each stripped. A
    scraper's text separates paragraphs with one line break (`\n`, `\r\n` or `\r`);
    blank lines between them collapse."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [line.strip() for line in text.split("\n") if line.strip()]


def make_record(
    given: Mapping[str, Any],
    related: Mapping[str, list[Any]] | Iterable[Mapping[str, Any]] = (),
    *,
    today: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    line: int | None = None,
    title_line: int | None = None,
    compiled: Compiled | None = None,
) -> Record:
    """The record of one input, from the values its reader found (`given`, by field name;
    `body` as text, as a list of paragraphs or `Joined`) and its related items (`title`, `teaser`,
    `date_published`: a mapping each, or `Columns` of them). Raises `Rejection` for an
    input that cannot be an article; `line` is the line (or table row) a problem is
    reported at. `compiled` gives the rules compiled, for speed: the same answers."""
    warnings: list[Warning] = []
    article: dict[str, Any] = {}
    for name in field_names("articles"):
        value = given.get(name)
        if name not in _SHAPED and isinstance(value, str):
            value = value.strip() or None
        article[name] = value
    source, title = _heading(given, limits, line, title_line, compiled)
    published, captured = given.get("date_published"), given.get("date_captured")
    if not isinstance(published, dt.date):
        raise Rejection("missing-date", "the article has no publication date", line)
    problem = rules.date_problem(published, captured, today, limits.earliest_date)

    body, byline = _body(given, line, warnings)
    if not body:
        raise Rejection("empty-body", "the article has no body text", line)
    if problem:
        raise Rejection(problem[0], problem[1], line)
    aid = rules.article_id(source, published, title)
    counted = compiled.words(body) if compiled is not None else None
    count, language = counted or rules.word_count_and_language(body)
    article.update(
        source=source,
        title=title,
        date_published=published,
        date_captured=captured,
        body=body,
        byline=byline,
    )
    _derive(article, "article_id", aid, line, warnings)
    _derive(article, "word_count", count, line, warnings)
    given_language = article["language"]
    if not (isinstance(given_language, str) and _LANGUAGE.fullmatch(given_language.lower())):
        _derive(article, "language", language, line, warnings)
    else:
        article["language"] = given_language.lower()
        if article["language"] != language and decided_language(body) == language:
            message = f"labelled {article['language']!r}, the body reads as {language!r}"
            warnings.append((LANGUAGE_DIFFERS, message, line))
    broken = record_check("articles")(article)
    if broken:
        raise Rejection("invalid-article", f"{broken[0]} {broken[1]}", line)
    items = related_records(aid, related, line, warnings, compiled)
    return Record(article, items, warnings)


_LANGUAGE = re.compile(r"[a-z]{2}")


def _heading(
    given: Mapping[str, Any],
    limits: Limits,
    line: int | None,
    title_line: int | None,
    compiled: Compiled | None,
) -> tuple[str, str]:
    """The source and the title, white space collapsed; both must be there."""
    source = _given_text(given, "source", line)
    # both at once where compiled (None there if the title is not a str); else the source
    # is checked before the title is read, as its reject comes first
    both = compiled.collapse_all([source, given.get("title")]) if compiled is not None else None
    source = both[0] if both is not None else rules.collapse(source)
    if not source:
        raise Rejection("missing-source", "the source is empty", line)
    title = both[1] if both is not None else rules.collapse(_given_text(given, "title", line))
    if not title:
        raise Rejection("missing-title", "the article has no title", line)
    if len(title) > limits.max_title_length:
        raise Rejection(
            "title-too-long",
            f"a title of {len(title)} characters, over the limit of {limits.max_title_length}",
            title_line if title_line is not None else line,
        )
    return source, title


def _body(
    given: Mapping[str, Any], line: int | None, warnings: list[Warning]
) -> tuple[str, str | None]:
    """The body, its paragraphs joined by a blank line, and the byline, by the byline rule
    (`rules.is_byline`) on its last paragraph. A byline given apart from the body is its
    last paragraph, for the same rule to judge. Worked on the joined text, never a list
    of paragraphs beside it: a body may be hundreds of megabytes."""
    body = given.get("body")
    if isinstance(body, Joined):
        text = body.text
    else:
        paragraphs = (
            body if isinstance(body, list) else paragraphs_of(_given_text(given, "body", line))
        )
        text = "\n\n".join(paragraphs)
    claimed = given.get("byline")
    claimed_text = " ".join(paragraphs_of(_given_text(given, "byline", line))) if claimed else ""
    if claimed_text:
        text = f"{text}\n\n{claimed_text}" if text else claimed_text
    byline = None
    cut = text.rfind("\n\n")
    if cut >= 0 and len(text) - cut - 2 <= rules.MAX_BYLINE_LENGTH:
        last = text[cut + 2 :]
        if rules.is_byline(last, alone=False):
            text, byline = text[:cut], last
    if claimed_text and byline != claimed_text:
        warnings.append(
            (
                "byline-in-body",
                f"the byline {_excerpt(claimed_text)} breaks the byline rule: "
                "kept as the body's last paragraph",
                line,
            )
        )
    return text, byline


def _derive(
    article: dict[str, Any], name: str, derived: Any, line: int | None, warnings: list[Warning]
) -> None:
    """Set a derived field; a different value the input gave is replaced, with a warning."""
    claimed = article.get(name)
    if claimed is not None and str(claimed).strip() != str(derived):
        warnings.append(
            (
                "derived-value-replaced",
                f"{name} {_excerpt(str(claimed))} replaced by {derived!r}, derived by the contract",
                line,
            )
        )
    article[name] = derived


def related_records(
    aid: str,
    items: Mapping[str, list[Any]] | Iterable[Mapping[str, Any]],
    line: int | None,
    warnings: list[Warning],
    compiled: Compiled | None = None,
) -> Columns:
    """The related rows of the article `aid`, from its items (a mapping each, or their
    columns): positions from 1, titles collapsed, teasers as one line, other values as
    given; an item with no date is a warning (a page cut short)."""
    given = items if isinstance(items, Mapping) else item_columns(items)
    count = max(map(len, given.values()), default=0)
    out: Columns = {}
    for name in field_names("related"):
        values = given.get(name)
        if values is None:
            values = [None] * count
        elif len(values) != count:
            raise ValueError(f"related columns of unequal lengths ({name})")
        if name in _MADE_AGAIN:  # a new list below; any other is copied
            out[name] = values
        else:
            out[name] = list(values)
    out["article_id"] = [aid] * count
    out["position"] = list(range(1, count + 1))
    titles = compiled.collapse_all(out["title"]) if compiled is not None else None
    out["title"] = (
        titles
        if titles is not None
        else [
            rules.collapse(t) if type(t) is str else _as_text(t, "title", line)
            for t in out["title"]
        ]
    )
    out["teaser"] = [
        (t.strip() or None if "\n" not in t else _teaser_line(t)) if type(t) is str else t
        for t in out["teaser"]
    ]
    dates = out["date_published"]
    if None in dates:
        for position, day in enumerate(dates, start=1):
            if day is None:
                message = f"related item {position} has no date: the page may be cut short"
                warnings.append(("incomplete-related-item", message, None))
    _check_related(out, count, line)
    return out


_MADE_AGAIN = frozenset({"article_id", "position", "title", "teaser"})


def item_columns(items: Iterable[Mapping[str, Any]]) -> Columns:
    """Items (a mapping each) as columns of the related table's fields; other keys are
    dropped."""
    listed = list(items)
    return {name: [item.get(name) for item in listed] for name in field_names("related")}


def related_rows(columns: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    """`Columns` as rows, a dict by field name each."""
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _check_related(columns: Columns, count: int, line: int | None) -> None:
    """Check an article's related rows against the Table Schema: the first row that breaks
    it, and its first field that does, in the schema's order. The fields derived for them
    (the article's id, the same in every row, and the positions, 1 to n) are checked on
    the first and the last row, which bound them; the others on every row."""
    if not count:
        return
    problems = []  # (row, field, problem)
    if found := columns_check("related", _PER_ARTICLE)(columns):
        problems.append(found)
    derived = record_check("related", _GIVEN)
    for k in (0, count - 1) if count > 1 else (0,):
        if broken := derived({name: columns[name][k] for name in _PER_ARTICLE}):
            problems.append((k, *broken))
    if problems:
        names = field_names("related")
        _refuse(*min(problems, key=lambda p: (p[0], names.index(p[1]))), line)


def _refuse(row: int, name: str, problem: str, line: int | None) -> None:
    raise Rejection("invalid-article", f"related item {row + 1}: {name} {problem}", line)


_PER_ARTICLE = frozenset({"article_id", "position"})
_GIVEN = frozenset(field_names("related")) - _PER_ARTICLE


def _teaser_line(text: str) -> str | None:
    """A teaser as one line: its paragraphs joined by a space; None when blank."""
    if "\n" not in text and "\r" not in text:
        return text.strip() or None
    return " ".join(paragraphs_of(text)) or None


def _given_text(values: Mapping[str, Any], name: str, line: int | None) -> str:
    """A text value: "" for null; anything but a string is refused."""
    return _as_text(values.get(name), name, line)


def _as_text(value: Any, name: str, line: int | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Rejection("invalid-article", f"{name} is not a string", line)
    return value


def _excerpt(text: str, size: int = 60) -> str:
    return repr(text if len(text) <= size else text[: size - 1] + "…")
