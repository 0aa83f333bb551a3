"""packager: KCNA Watch page dumps to validated, versioned Parquet + CSV dataset releases."""

import importlib
from typing import TYPE_CHECKING, Any

# The library's names, imported when first asked for (PEP 562): importing packager is
# cheap, so that the command (`packager.command`) can set its signal handlers before the
# heavy imports (pyarrow, pydantic, typer) start.
_EXPORTS = {
    "Article": "packager.contract.models",
    "BreakingChangeError": "packager.errors",
    "BuildOptions": "packager.assemble.release",
    "BuildResult": "packager.assemble.release",
    "InputError": "packager.errors",
    "Issue": "packager.contract.models",
    "PackagerError": "packager.errors",
    "Page": "packager.contract.models",
    "Reject": "packager.contract.models",
    "Related": "packager.contract.models",
    "ReleaseDiff": "packager.release.diff",
    "ReleaseWriteError": "packager.errors",
    "Report": "packager.contract.models",
    "StrictRefusal": "packager.errors",
    "UsageError": "packager.errors",
    "VersionExistsError": "packager.errors",
    "__version__": "packager.about",
    "build_release": "packager.library",
    "diff_releases": "packager.release.diff",
    "parse_file": "packager.inputs",
    "parse_page": "packager.inputs",
    "validate": "packager.check.validate",
}

if TYPE_CHECKING:
    from packager.about import __version__
    from packager.assemble.release import BuildOptions, BuildResult
    from packager.check.validate import validate
    from packager.contract.models import Article, Issue, Page, Reject, Related, Report
    from packager.errors import (
        BreakingChangeError,
        InputError,
        PackagerError,
        ReleaseWriteError,
        StrictRefusal,
        UsageError,
        VersionExistsError,
    )
    from packager.inputs import parse_file, parse_page
    from packager.library import build_release
    from packager.release.diff import ReleaseDiff, diff_releases


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'packager' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Article",
    "BreakingChangeError",
    "BuildOptions",
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
