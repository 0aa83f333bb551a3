"""The contract's rules: how an article's id, word count and byline are computed, and
which dates are possible.

Kept in one place because the build derives them (`packager.contract.record`) and the
validator re-checks them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata

from packager.contract.language import LATIN_SAMPLE, language_of, latin_words
from packager.contract.schema import constraint

# The byline rule's length is the byline field's maxLength in the Table Schema.
MAX_BYLINE_LENGTH: int = constraint("articles", "byline", "maxLength")


def collapse(text: str) -> str:
    """Whitespace runs to one space, stripped (split and strip agree with regex `\\s` on
    what whitespace is)."""
    return " ".join(text.split())


def norm(text: str) -> str:
    """The contract's `norm`: NFKC, casefold, whitespace runs to one space, stripped."""
    return collapse(unicodedata.normalize("NFKC", text).casefold())


def article_id(source: str, date_published: dt.date, title: str) -> str:
    return id_of_key("\x1f".join((norm(source), date_published.isoformat(), norm(title))))


def id_of_key(key: str) -> str:
    """The article_id of a normalised key: the first 16 hex digits of its sha256."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def word_count(body: str) -> int:
    return len(body.split())


def word_count_and_language(body: str) -> tuple[int, str]:
    """`word_count(body)` and `detect_language(body)`, splitting the body's first
    `LATIN_SAMPLE` characters once for both."""
    words = latin_words(body)  # case-folding never turns a space into a letter or back
    count = len(words)
    tail = body[LATIN_SAMPLE:]
    if tail:
        count += len(tail.split())
        if not tail[0].isspace() and not body[LATIN_SAMPLE - 1].isspace():
            count -= 1  # a word cut in two at the sample's end
    return count, language_of(body, words)


def is_byline(last: str, *, alone: bool) -> bool:
    """Whether a body's last paragraph, `last`, is its byline: ends in a letter, short, not
    `alone` (the body's only paragraph)."""
    return not alone and bool(last) and last[-1].isalpha() and len(last) <= MAX_BYLINE_LENGTH


def date_problem(
    published: dt.date, captured: dt.date | None, today: dt.date, earliest: dt.date | None = None
) -> tuple[str, str] | None:
    """(code, message) when a publication date is after its capture or after today, or
    before `earliest` (the first day any outlet published)."""
    if captured is not None and published > captured:
        return "date-after-capture", f"published {published} after its capture on {captured}"
    if published > today:
        return "date-in-future", f"published {published}, after today"
    if earliest is not None and published < earliest:
        return (
            "date-before-outlets",
            f"published {published}, before any outlet published ({earliest}; "
            "--earliest-date changes it)",
        )
    return None


# Control characters a text field may not hold: C0 but tab, line feed and carriage return,
# DEL, and C1 (a terminal obeys ESC and CSI; no article holds them). Each becomes a space,
# so that words on either side stay apart.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(text: str) -> tuple[str, int]:
    """`text` with each control character (`CONTROL_CHARACTERS`) a space, and how many."""
    if CONTROL_CHARACTERS.search(text) is None:
        return text, 0
    return CONTROL_CHARACTERS.subn(" ", text)


# The day a zero becomes as a Unix time: what an export writes for a lost date.
UNIX_EPOCH = dt.date(1970, 1, 1)
# Whole numbers read as Unix times: seconds from 1973 (10^8) and milliseconds from 1973
# (10^11), each up to the other's range; anything else is no time.
_EPOCH_UNITS = (("seconds", 10**8, 10**11, 1), ("milliseconds", 10**11, 10**14, 1000))


def epoch_reading(value: int) -> tuple[str, dt.date] | None:
    """The unit and UTC day of a whole number that reads as a Unix time, or None."""
    for unit, low, high, per_second in _EPOCH_UNITS:
        if low <= value < high:
            return unit, dt.datetime.fromtimestamp(value // per_second, tz=dt.UTC).date()
    return None


def parse_iso_date(text: str) -> dt.date | None:
    """A Table Schema date (``YYYY-MM-DD``, as frictionless reads one), or None."""
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
