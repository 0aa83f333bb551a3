"""Limits that turn hostile input into a clear reject instead of exhausted memory."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """`max_page_bytes`: a page dump larger than this is rejected unread (`too-large`).
    `max_title_length`: a longer title is rejected (`title-too-long`)."""

    max_page_bytes: int = 8 * MIB
    max_title_length: int = 1_000


DEFAULT_LIMITS = Limits()
