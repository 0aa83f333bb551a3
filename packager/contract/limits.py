"""Limits that turn hostile input into a clear reject instead of exhausted memory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MIB = 1024 * 1024
# The first issue of Chongro, the paper that became Rodong Sinmun: the oldest of the
# outlets KCNA Watch collects (KCNA itself began on 5 December 1946). No article of theirs
# can be older; a date before it is a lost or misread one.
EARLIEST_DATE = dt.date(1945, 11, 1)


@dataclass(frozen=True)
class Limits:
    """`max_page_bytes`: a page dump larger than this is rejected unread (`too-large`).
    `max_title_length`: a longer title is rejected (`title-too-long`).
    `earliest_date`: an article published before it is rejected (`date-before-outlets`)."""

    max_page_bytes: int = 8 * MIB
    max_title_length: int = 1_000
    earliest_date: dt.date = EARLIEST_DATE


DEFAULT_LIMITS = Limits()
