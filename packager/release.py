"""`build_release`: page dumps in, one versioned release folder out.

A release is written into a work folder beside its target (``OUT/NAME/.VERSION.partial-*``)
and renamed into place only when every file is written, so a version folder is either
complete or absent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from packager import __version__
from packager.card import CorpusStats, render_card
from packager.checksums import write_sha256sums
from packager.collect import OrderedArticles, Spool, ordered_related
from packager.descriptor import make_descriptor
from packager.errors import ReleaseWriteError, StrictRefusal, UsageError, VersionExistsError
from packager.inputs import input_files
from packager.metadata import DatasetMeta, find_metadata, load_metadata
from packager.models import Issue, Reject, Report
from packager.parse import parse_file
from packager.schema import arrow_schema
from packager.versions import Bump, next_version, parse_version
from packager.write import TableWriter

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class BuildResult:
    """What a build wrote and found. `report` holds rejects (errors) and warnings."""

    path: Path
    name: str
    version: str
    pages: int
    articles: int
    duplicates: int
    rejects: int
    related: int
    report: Report = field(default_factory=Report)

    def summary(self) -> dict[str, object]:
        return {
            "release": self.path.as_posix(),
            "name": self.name,
            "version": self.version,
            "pages": self.pages,
            "articles": self.articles,
            "duplicates": self.duplicates,
            "rejects": self.rejects,
            "related": self.related,
        }


def created_timestamp(created: str | None = None) -> str:
    """RFC 3339 UTC: `created` as given, else SOURCE_DATE_EPOCH, else now."""
    if created:
        try:
            moment = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--created {created!r} is not an RFC 3339 timestamp") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    elif epoch := os.environ.get("SOURCE_DATE_EPOCH"):
        try:
            moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except ValueError:
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number") from None
    else:
        moment = dt.datetime.now(tz=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_version(folder: Path, version: str | None, bump: Bump | None) -> str:
    if (version is None) == (bump is None):
        raise UsageError("give exactly one of --version X.Y.Z and --bump major|minor|patch")
    if version is not None:
        parse_version(version)
        return version
    assert bump is not None
    return next_version(folder, bump)


def build_release(
    inputs: list[Path],
    *,
    name: str,
    version: str | None = None,
    bump: Bump | None = None,
    out: Path = Path("dist"),
    strict: bool = False,
    metadata: Path | None = None,
    created: str | None = None,
    today: dt.date | None = None,
) -> BuildResult:
    """Parse every input page and write the release ``out/name/version``.

    Raises:
        UsageError: a bad name, version or option.
        InputError: an input or the metadata file is missing or unreadable.
        VersionExistsError: ``out/name/version`` exists already (it is left untouched).
        StrictRefusal: `strict` and some page was rejected (nothing is written).
        ReleaseWriteError: the release could not be written.
    """
    if not _NAME.match(name):
        raise UsageError(f"--name {name!r}: use lower-case letters, digits, '.', '_' and '-'")
    folder = out / name
    version = resolve_version(folder, version, bump)
    target = folder / version
    if target.exists():
        raise VersionExistsError(f"{target}: this version exists already; releases never change")
    files = input_files(inputs)
    meta_path = metadata or find_metadata(inputs)
    meta = load_metadata(meta_path) if meta_path else DatasetMeta()
    stamp = created_timestamp(created)

    try:
        folder.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{version}.partial-", dir=folder))
    except OSError as exc:
        raise ReleaseWriteError(
            f"{folder}: cannot create the release folder: {exc.strerror}"
        ) from None
    try:
        result = _write(work, files, name, version, stamp, meta, strict, today)
        work.chmod(0o755)  # mkdtemp makes it private; a release is for everyone to read
        try:
            work.rename(target)
        except OSError as exc:
            raise ReleaseWriteError(
                f"{target}: cannot move the release into place: {exc.strerror}"
            ) from None
    except OSError as exc:
        raise ReleaseWriteError(
            f"{work}: writing the release failed: {exc.strerror or exc}"
        ) from None
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    result.path = target
    return result


def _write(
    work: Path,
    files: list,
    name: str,
    version: str,
    created: str,
    meta: DatasetMeta,
    strict: bool,
    today: dt.date | None,
) -> BuildResult:
    spool = Spool(work / ".spool")
    rejects: list[Reject] = []
    issues: list[Issue] = []
    for index, item in enumerate(files):
        parsed = parse_file(item, today)
        if isinstance(parsed, Reject):
            rejects.append(parsed)
            issues.append(parsed.as_issue())
            continue
        issues.extend(parsed.warnings)
        spool.add(index, parsed)
    spool.flush()
    if strict and rejects:
        raise StrictRefusal(
            f"--strict: {len(rejects)} of {len(files)} input files rejected; nothing written"
        )

    data = work / "data"
    data.mkdir()
    stats = CorpusStats()
    articles = OrderedArticles(spool)
    with TableWriter(data / "articles", arrow_schema("articles")) as writer:
        for table in articles:
            writer.write(table)
            stats.add_articles(table)
    with TableWriter(data / "related", arrow_schema("related")) as writer:
        for table in ordered_related(spool, articles.winning_pages):
            writer.write(table)
    stats.related = writer.rows
    shutil.rmtree(spool.folder)

    for merged in articles.merged:
        differs = merged.body_differs
        issues.append(
            Issue(
                code="duplicate-body-differs" if differs else "duplicate-merged",
                message=f"same article as {merged.kept} (kept)"
                + ("; their bodies differ" if differs else ""),
                file=merged.dropped,
                severity="warning",
            )
        )

    with (work / "rejects.jsonl").open("w", encoding="utf-8") as out:
        for reject in rejects:
            out.write(json.dumps(reject.model_dump(), ensure_ascii=False) + "\n")
    result = BuildResult(
        path=work,
        name=name,
        version=version,
        pages=len(files),
        articles=stats.articles,
        duplicates=len(articles.merged),
        rejects=len(rejects),
        related=stats.related,
        report=Report(issues=issues),
    )
    card = render_card(
        name=name,
        version=version,
        created=created,
        meta=meta,
        stats=stats,
        pages=result.pages,
        duplicates=result.duplicates,
        rejects=result.rejects,
    )
    (work / "README.md").write_text(card, encoding="utf-8")
    tools = {"packager": __version__, "pyarrow": pa.__version__}
    descriptor = make_descriptor(
        work, name=name, version=version, created=created, meta=meta, tools=tools
    )
    (work / "datapackage.json").write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    listed = ["datapackage.json", "README.md", "rejects.jsonl"] + [
        f"data/{t}.{fmt}" for t in ("articles", "related") for fmt in ("csv", "parquet")
    ]
    write_sha256sums(work, listed)
    result.report.stats = result.summary()
    return result
