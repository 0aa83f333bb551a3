"""packager: KCNA Watch page dumps to validated, versioned Parquet + CSV dataset releases."""

from packager.about import __version__  # noqa: F401
from packager.build.release import BuildResult, build_release  # noqa: E402
from packager.check.validate import validate  # noqa: E402
from packager.contract.models import Article, Issue, Page, Reject, Related, Report  # noqa: E402
from packager.errors import (  # noqa: E402
    BreakingChangeError,
    InputError,
    PackagerError,
    ReleaseWriteError,
    StrictRefusal,
    UsageError,
    VersionExistsError,
)
from packager.inputs import parse_file, parse_page  # noqa: E402
from packager.release.diff import ReleaseDiff, diff_releases  # noqa: E402

__all__ = [
    "Article",
    "BreakingChangeError",
    "BuildResult",
    "InputError",
    "Issue",
    "PackagerError",
    "Page",
    "Reject",
    "Related",
    "ReleaseDiff",
    "ReleaseWriteError",
    "Report",
    "StrictRefusal",
    "UsageError",
    "VersionExistsError",
    "__version__",
    "build_release",
    "diff_releases",
    "parse_file",
    "parse_page",
    "validate",
]
