from typing import Any

def read_page(data: bytes) -> dict[str, Any] | None:
    """A clean page dump's pieces, {"given": {...}, "related": {"title": [...], ...}}, or
    None for the Python reader (packager.inputs.pages.read_pieces)."""
