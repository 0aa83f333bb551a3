"""The signal a parser raises for an input it cannot package; it becomes a `Reject`."""

from __future__ import annotations


class Rejection(Exception):
    """Raised inside parsers only; callers get a `packager.models.Reject` instead."""

    def __init__(self, code: str, message: str, line: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
