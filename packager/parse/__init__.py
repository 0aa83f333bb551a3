"""Input formats. Page dumps (.txt) are parsed by `packager.parse.pagedump`, parsed-article
tables by `packager.parse.table`; `packager.parse.spooling` runs a build's parsing."""

from __future__ import annotations

import datetime as dt
import os
import stat

from packager.inputs import InputFile
from packager.limits import DEFAULT_LIMITS, Limits
from packager.models import Page, Reject
from packager.parse.pagedump import parse_page, read_page, to_page
from packager.parse.rejection import Rejection


def read_input(item: InputFile, limits: Limits = DEFAULT_LIMITS) -> bytes | Reject:
    """The bytes of one page file, or a `Reject` saying why they cannot be read."""

    def reject(code: str, message: str) -> Reject:
        return Reject(source_file=item.source_file, code=code, message=message)

    if item.outside_root:
        return reject(
            "link-outside-input", "a symlink that leads out of the input folder: not read"
        )
    try:
        # Non-blocking, so that opening a pipe never waits for a writer; the descriptor's
        # own stat says what was opened. Plain os calls: this runs once per page.
        fd = os.open(os.path.join(item.root, item.source_file), _OPEN_FLAGS)
    except OSError as exc:
        return reject("unreadable-file", exc.strerror or type(exc).__name__)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return reject(
                "not-a-regular-file", "not a regular file (a folder, device or pipe): not read"
            )
        if info.st_size > limits.max_page_bytes:
            return reject(
                "too-large",
                f"{info.st_size} bytes, over the limit of {limits.max_page_bytes} "
                "(--max-page-bytes)",
            )
        # Up to one byte over the limit, so that a file that grew is still caught.
        parts, total, limit = [], 0, limits.max_page_bytes + 1
        step = min(max(info.st_size + 1, 1 << 16), limit)
        while total < limit and (part := os.read(fd, want := min(step, limit - total))):
            parts.append(part)
            total += len(part)
            if len(part) < want and total == info.st_size:
                break  # a regular file's short read at its size is its end: one call saved
        return b"".join(parts)
    except OSError as exc:
        return reject("unreadable-file", exc.strerror or type(exc).__name__)
    finally:
        os.close(fd)


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def parse_file(
    item: InputFile,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Page | Reject:
    """Read and parse one page file; whatever is wrong with it is a reject, not an exception."""
    data = read_input(item, limits)
    if isinstance(data, Reject):
        return data
    try:
        raw = read_page(data, item.source_file, today or dt.date.today(), limits)
        return to_page(raw, item.source_file)
    except Rejection as rejection:
        return rejection.reject(item.source_file)


__all__ = ["parse_file", "parse_page", "read_input"]
