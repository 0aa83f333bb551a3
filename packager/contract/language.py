"""A small, deterministic guess at a body's language (ISO 639-1).

State media pages come in a handful of languages whose scripts tell them apart; among Latin
scripts, the commonest short words do. No model, no download, the same answer every run.
"""

from __future__ import annotations

import re

# (code, characters of its script, share of letters that decides). Japanese mixes Kana with
# Han, so a little Kana decides before Han is looked at.
_SCRIPTS = (
    ("ko", re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"), 0.3),
    ("ja", re.compile(r"[\u3040-\u30ff]"), 0.1),
    ("zh", re.compile(r"[\u4e00-\u9fff]"), 0.3),
    ("ru", re.compile(r"[\u0400-\u04ff]"), 0.3),
    ("ar", re.compile(r"[\u0600-\u06ff]"), 0.3),
)
_LATIN_STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "was", "for", "with", "on", "that", "by"},
    "fr": {"le", "la", "les", "et", "des", "du", "est", "une", "dans", "pour", "au", "sur"},
    "es": {"el", "la", "los", "las", "y", "del", "en", "que", "por", "una", "con", "para"},
    "de": {"der", "die", "das", "und", "ist", "mit", "von", "den", "ein", "eine", "zu", "im"},
}
SAMPLE = 600  # characters looked at for the script: a page is written in one script
LATIN_SAMPLE = 1500  # characters whose words are counted among Latin-script languages


_STOPWORDS = frozenset().union(*_LATIN_STOPWORDS.values())


def detect_language(text: str) -> str:
    """The ISO 639-1 code of `text`'s language; "en" when nothing says otherwise."""
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
    best = max(scores, key=lambda c: (scores[c], c == "en"))
    return best if scores[best] else "en"


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
    return {code: sum(map(stop.__contains__, hits)) for code, stop in _LATIN_STOPWORDS.items()}
