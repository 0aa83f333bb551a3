"""What packager raises when it cannot do what it was asked.

Bad *data* is never an exception: it is a reject or an issue in a report. These are for
things the tool cannot do at all. Each has the exit code the contract gives it::

    PackagerError                 exit 2
    ├── UsageError                a wrong combination of options or a bad value
    │   └── BreakingChangeError   a breaking schema change under a non-major version
    ├── InputError                an input that is missing or cannot be read
    ├── VersionExistsError        the release version is there already
    └── ReleaseWriteError         the release could not be written (disk full, permissions)
    StrictRefusal                 exit 1: --strict and some input was rejected
"""

from __future__ import annotations


class PackagerError(Exception):
    """Something packager cannot do; the message is one line for the user."""

    exit_code = 2


class UsageError(PackagerError):
    """A wrong combination of options or a bad option value."""


class BreakingChangeError(UsageError):
    """The tables' schema changed incompatibly, and the new version is not a major one."""


class InputError(PackagerError):
    """An input that is missing or cannot be read."""


class VersionExistsError(PackagerError):
    """The release version exists already; releases are never overwritten."""


class ReleaseWriteError(PackagerError):
    """The release could not be written."""


class StrictRefusal(PackagerError):
    """--strict was given and some input was rejected, so nothing was written."""

    exit_code = 1
