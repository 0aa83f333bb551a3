"""packager: KCNA Watch page dumps to validated, versioned Parquet + CSV dataset releases."""

__version__ = "0.1.0"

from packager.errors import (  # noqa: E402
    InputError,
    PackagerError,
    ReleaseWriteError,
    StrictRefusal,
    UsageError,
    VersionExistsError,
)
from packager.models import Article, Issue, Page, Reject, Related, Report  # noqa: E402
from packager.parse import parse_file, parse_page  # noqa: E402
from packager.release import BuildResult, build_release  # noqa: E402
from packager.validate import validate  # noqa: E402

__all__ = [
    "Article",
    "BuildResult",
    "InputError",
    "Issue",
    "PackagerError",
    "Page",
    "Reject",
    "Related",
    "ReleaseWriteError",
    "Report",
    "StrictRefusal",
    "UsageError",
    "VersionExistsError",
    "__version__",
    "build_release",
    "parse_file",
    "parse_page",
    "validate",
]
