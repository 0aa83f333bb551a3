"""packager: KCNA Watch page dumps to validated, versioned Parquet + CSV dataset releases."""

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _arrow_pool() -> str:
    """Arrow's allocator for packager: jemalloc where this pyarrow was built with it (its
    build configuration, shipped with it, says so; naming a pool it lacks would print a
    warning), else the C library's."""
    spec = importlib.util.find_spec("pyarrow")  # found, not imported
    if spec is not None and spec.origin is not None:
        config = Path(spec.origin).parent / "include" / "arrow" / "util" / "config.h"
        try:
            if "#define ARROW_JEMALLOC\n" in config.read_text(encoding="utf-8"):
                return "jemalloc"
        except OSError:
            pass
    return "system"


# Arrow's memory from jemalloc, unless the user chose another (or pyarrow was imported
# first): chosen here, before pyarrow is loaded, as Arrow reads it once, so that the
# memory Arrow allocates inside its readers and kernels comes from the pool the `packager`
# command tells to give freed memory back at once (`cli._return_memory_promptly`). Arrow's
# default, mimalloc, keeps freed large blocks for itself: a 200 MB page then took 730 MB
# at peak. Validating a million-page release: 245 MB at peak against 299 MB with the C
# library's allocator (bench/README.md).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", _arrow_pool())

from packager.about import __version__  # noqa: E402, F401
from packager.build.release import BuildResult  # noqa: E402
from packager.build.release import build_release as _build_release  # noqa: E402
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


def build_release(inputs: Sequence[Path | str], **options: Any) -> BuildResult:
    """`packager.build.release.build_release` (its options, by keyword), with every
    release given as an input judged by `validate` first (`verify`): a tampered or broken
    release is refused (`InputError`), never carried into the new one."""
    options.setdefault("verify", _judge)
    return _build_release(inputs, **options)


def _judge(folder: Path) -> Report:
    return validate([folder])


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
