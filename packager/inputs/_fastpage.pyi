from typing import Any

def read_page(data: bytes) -> dict[str, Any] | None:
    """A clean page dump's pieces, {"given": {...}, "related": {"title": [...], ...}}, or
    None for the Python reader (packager.inputs.pages.read_pieces)."""

def word_count_and_language(body: str) -> tuple[int, str] | None: ...
def configure_language(
    sample: int,
    latin_sample: int,
    scripts: tuple[Any, ...],
    latin_codes: tuple[str, ...],
    stopwords: tuple[Any, ...],
) -> None:
    """The language rule's data (packager.contract.language.compiled_data()); until it is
    given, word_count_and_language gives None. ValueError where it does not fit."""

def word_counts(offsets: Any, data: Any, start: int, count: int, wide: bool) -> bytes:
    """len(s.split()) of each of `count` strings of an Arrow string array from row `start`
    (its offsets buffer, int64 where `wide`, and its data buffer), as native int64."""
