"""The library's own entry points, where stages meet: a build whose input releases are
judged by the checker first."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packager.assemble.release import BuildOptions, BuildResult
from packager.assemble.release import build_release as _build_release
from packager.check.validate import validate
from packager.contract.models import Report


def build_release(
    inputs: Sequence[Path | str], options: BuildOptions | None = None, **keywords: Any
) -> BuildResult:
    """`packager.assemble.release.build_release` (a `BuildOptions`, or its fields by
    keyword), with every release given as an input judged by `validate` first
    (`verify`): a tampered or broken release is refused (`InputError`), never carried
    into the new one."""
    keywords.setdefault("verify", judge)
    return _build_release(inputs, options, **keywords)


def judge(folder: Path) -> Report:
    """`packager validate FOLDER`'s report: what a release is judged by before packager
    reads it to carry, export or publish it."""
    return validate([folder])
