"""Input formats. Page dumps (.txt) are parsed by `packager.parse.pagedump`."""

from __future__ import annotations

import datetime as dt

from packager.inputs import InputFile
from packager.models import Page, Reject
from packager.parse.pagedump import parse_page


def parse_file(item: InputFile, today: dt.date | None = None) -> Page | Reject:
    """Read and parse one input file; an unreadable file is a reject, not an exception."""
    try:
        data = item.path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return Reject(source_file=item.source_file, code="unreadable-file", message=reason)
    return parse_page(data, item.source_file, today=today)


__all__ = ["parse_file", "parse_page"]
