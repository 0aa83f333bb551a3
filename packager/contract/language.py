"""A small, deterministic guess at a body's language (ISO 639-1).

State media pages come in a handful of languages whose scripts tell them apart; among Latin
scripts, the commonest short words do. No model, no download, the same answer every run.
"""

from __future__ import annotations

import re
from typing import Any

# (code, code-point ranges of its script, share of letters above which it decides), in
# the order they are tried. Japanese mixes Kana with Han, so a little Kana decides before
# Han is looked at.
SCRIPTS: tuple[tuple[str, tuple[tuple[int, int], ...], float], ...] = (
    ("ko", ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F)), 0.3),
    ("ja", ((0x3040, 0x30FF),), 0.1),
    ("zh", ((0x4E00, 0x9FFF),), 0.3),
    ("ru", ((0x0400, 0x04FF),), 0.3),
    ("ar", ((0x0600, 0x06FF),), 0.3),
)
# The commonest short words of each Latin-script language. The first language is the
# default: it wins a tie, and is the guess where no word counts.
LATIN_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        {"the", "and", "of", "to", "in", "is", "was", "for", "with", "on", "that", "by"}
    ),
    "fr": frozenset(
        {"le", "la", "les", "et", "des", "du", "est", "une", "dans", "pour", "au", "sur"}
    ),
    "es": frozenset(
        {"el", "la", "los", "las", "y", "del", "en", "que", "por", "una", "con", "para"}
    ),
    "de": frozenset(
        {"der", "die", "das", "und", "ist", "mit", "von", "den", "ein", "eine", "zu", "im"}
    ),
}
DEFAULT_LANGUAGE = next(iter(LATIN_STOPWORDS))
SAMPLE = 600  # characters looked at for the script: a page is written in one script
LATIN_SAMPLE = 1500  # characters whose words are counted among Latin-script languages

_SCRIPTS = tuple(
    (code, re.compile("[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges) + "]"),
     share)
    for code, ranges, share in SCRIPTS
)  # fmt: skip
_STOPWORDS = frozenset().union(*LATIN_STOPWORDS.values())


def compiled_data() -> tuple[int, int, tuple[Any, ...], tuple[str, ...], tuple[Any, ...]]:
    """The rule's data as the compiled counter takes it (`configure_language`): the sample
    sizes, the scripts, the Latin languages in order, and each stop word with a bit for
    each language it counts for."""
    codes = tuple(LATIN_STOPWORDS)
    words = tuple(
        (word, sum(1 << k for k, code in enumerate(codes) if word in LATIN_STOPWORDS[code]))
        for word in sorted(_STOPWORDS)
    )
    return SAMPLE, LATIN_SAMPLE, SCRIPTS, codes, words


def detect_language(text: str) -> str:
    """The ISO 639-1 code of `text`'s language; `DEFAULT_LANGUAGE` when nothing says
    otherwise."""
    return language_of(text, latin_words(text))


def decided_language(text: str) -> str | None:
    """`detect_language(text)` where something decides it (a script's share, or a Latin
    language's short words outnumbering every other's), else None: the default "en" of a
    text that says nothing is no reading to hold a given language against."""
    script = _script_of(text)
    if script is not None:
        return script
    scores = sorted(
        ((n, code) for code, n in _latin_scores(latin_words(text)).items()), reverse=True
    )
    (best, code), (second, _) = scores[0], scores[1]
    return code if best > second else None


def latin_words(text: str) -> list[str]:
    """The case-folded words of `text`'s first `LATIN_SAMPLE` characters."""
    head = text[:LATIN_SAMPLE]
    return (head.lower() if head.isascii() else head.casefold()).split()


def language_of(text: str, words: list[str]) -> str:
    """`detect_language(text)`, given `latin_words(text)`."""
    script = _script_of(text)
    if script is not None:
        return script
    scores = _latin_scores(words)
    best = max(scores, key=scores.__getitem__)  # the first of equals: the default first
    return best if scores[best] else DEFAULT_LANGUAGE


def _script_of(text: str) -> str | None:
    """The code of the script that holds its share of `text`'s first letters, if any."""
    sample = text[:SAMPLE]
    if not sample.isascii():  # ASCII text has no other script to look for
        letters = sum(map(str.isalpha, sample)) or 1
        for code, pattern, share in _SCRIPTS:
            if len(pattern.findall(sample)) / letters > share:
                return code
    return None


def _latin_scores(words: list[str]) -> dict[str, int]:
    """How many of `words` are each Latin-script language's short words."""
    hits = list(filter(_STOPWORDS.__contains__, words))
    return {code: sum(map(stop.__contains__, hits)) for code, stop in LATIN_STOPWORDS.items()}
