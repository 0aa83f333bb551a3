"""What packager raises when it cannot do what it was asked.

Bad *data* is never an exception: it is a reject or an issue in a report. These are for
things the tool cannot do at all. Each has the exit code the contract gives it::

    PackagerError                 exit 2
    ├── UsageError                a wrong combination of options or a bad value
    │   └── BreakingChangeError   a breaking schema change under a non-major version
    ├── InputError                an input that is missing or cannot be read
    ├── NoArticlesError           the inputs gave no article (and no --allow-empty)
    ├── VersionExistsError        the release version is there already
    └── ReleaseWriteError         the release could not be written (disk full, permissions)
    StrictRefusal                 exit 1: --strict and some input was rejected
"""

from __future__ import annotations

from typing import Any


class PackagerError(Exception):
    """Something packager cannot do; the message is one line for the user. `report` is
    the report of what was found on the way, where there is one (a refused build's)."""

    exit_code = 2

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class UsageError(PackagerError):
    """A wrong combination of options or a bad option value."""


class BreakingChangeError(UsageError):
    """The tables' schema changed incompatibly, and the new version is not a major one."""


class InputError(PackagerError):
    """An input that is missing or cannot be read."""


class ColumnsError(InputError):
    """A table whose columns cannot give the contract's required fields (or a --map names
    a column it lacks): build refuses it whole; validate reports it and goes on."""


class NoArticlesError(PackagerError):
    """No input gave an article, so no release was written (unless allowed)."""


class VersionExistsError(PackagerError):
    """The release version exists already; releases are never overwritten."""


class ReleaseWriteError(PackagerError):
    """The release could not be written."""


class StrictRefusal(PackagerError):
    """--strict was given and some input was rejected, so nothing was written."""

    exit_code = 1


def os_reason(exc: BaseException) -> str:
    """An OS error's own words ("No space left on device", without Python's `[Errno N]`),
    else the exception's text."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
