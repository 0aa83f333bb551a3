"""The signal a parser raises for an input it cannot package; it becomes a `Reject`."""

from __future__ import annotations

from packager.contract.models import Reject


class Rejection(Exception):
    """Raised inside parsers only; callers get a `packager.contract.models.Reject` instead."""

    def __init__(self, code: str, message: str, line: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line

    def reject(self, source_file: str) -> Reject:
        return Reject(source_file=source_file, code=self.code, message=self.message, line=self.line)
