"""packager: KCNA Watch page dumps to validated, versioned Parquet + CSV dataset releases."""

import os

# Arrow's memory from the C library's allocator (unless the user chose another, or pyarrow
# was imported first): Arrow's default, mimalloc, keeps freed large blocks for itself, so
# the copies a large page takes on its way to the files add up instead of taking one
# another's place (a 200 MB page: 730 MB at peak with it, 527 MB with this). Builds and
# validations of 100,000 pages take the same time with either, and less memory with this.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from packager.about import __version__  # noqa: E402, F401
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
