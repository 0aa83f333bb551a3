"""A release read by packager (a build's input, an export, a publish) is judged first, as
`packager validate` judges it: a tampered or broken release is refused with its findings,
never carried on. The judge is given by the caller (the checker is a later stage)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from packager.contract.models import Report
from packager.errors import InputError

# `packager.validate([folder])`, or another judge of a release folder.
Verify = Callable[[Path], Report]


def refuse_invalid(folder: Path, report: Report, consequence: str) -> None:
    """`InputError` naming the release, its error count and first finding, when `report`
    holds an error; `consequence` says what is not done ("not published")."""
    errors = [issue for issue in report.issues if issue.severity == "error"]
    if not errors:
        return
    first = errors[0]
    where = f"{first.file}: " if first.file else ""
    raise InputError(
        f"{folder}: does not validate ({len(errors)} errors; the first: {where}"
        f"{first.code}: {first.message}); {consequence} (packager validate {folder} lists them)"
    )
