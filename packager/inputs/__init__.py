"""What comes in: input files found and read (`files`), page dumps (`pages`, with the
compiled reader `_fastpage.c`), parsed-article tables (`tables`, `rows`). Every reader
ends in `packager.contract.record.make_record`."""

from __future__ import annotations

import datetime as dt

from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Page, Reject
from packager.inputs.files import InputFile, read_input
from packager.inputs.pages import parse_page


def parse_file(
    item: InputFile,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Page | Reject:
    """Read and parse one page file; whatever is wrong with it is a reject, not an exception."""
    data = read_input(item, limits)
    if isinstance(data, Reject):
        return data
    return parse_page(data, item.source_file, today=today, limits=limits)


__all__ = ["parse_file", "parse_page", "read_input"]
