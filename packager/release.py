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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

from packager import __version__
from packager.cache import FILENAME as CACHE_FILE
from packager.card import CorpusStats, render_card
from packager.checksums import Digests, write_sha256sums
from packager.collect import Buckets, OrderedArticles, Spool, ordered_related, winning_pages
from packager.descriptor import make_descriptor
from packager.diff import ReleaseDiff, diff_releases, render_changes
from packager.errors import (
    BreakingChangeError,
    ReleaseWriteError,
    StrictRefusal,
    UsageError,
    VersionExistsError,
)
from packager.faults import checkpoint
from packager.inputs import InputList, input_files
from packager.limits import DEFAULT_LIMITS, Limits
from packager.metadata import DatasetMeta, find_metadata, load_metadata
from packager.models import Issue, Report
from packager.parse.spooling import Job, parse_into
from packager.schema import TABLES, arrow_schema, table_schema
from packager.schemadiff import descriptor_schemas, schema_changes
from packager.versions import Bump, next_version, parse_version, released_versions
from packager.write import PartitionedWriter, TableWriter, table_files

Layout = Literal["single", "partitioned"]
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_PARTIAL = re.compile(r"^\.(?P<version>[0-9.]+)\.partial-(?P<pid>\d+)-")


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
    cached: int = 0  # pages taken from the page cache instead of parsed
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
            "cached": self.cached,
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
    workers: int | None = None,
    mapping: dict[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Callable[[int, int], None] | None = None,
    use_cache: bool = True,
    layout: Layout = "single",
    today: dt.date | None = None,
) -> BuildResult:
    """Parse every input page (or parsed-article table) and write ``out/name/version``.

    `mapping` ({field: column}) renames the columns of parsed-article tables;
    `progress(done, total)` is called as input files are parsed. With `use_cache`, pages
    parsed by an earlier build of NAME are taken from the cache in ``out/name/.packager-cache/``.
    `layout` "partitioned" writes each table as Hive partitions (articles by year,
    related rows by the first hex digit of article_id) instead of one file per format.

    Raises:
        UsageError: a bad name, version or option.
        BreakingChangeError: the schema changed incompatibly and the version is not major.
        InputError: an input or the metadata file is missing or unreadable.
        VersionExistsError: ``out/name/version`` exists already (it is left untouched).
        StrictRefusal: `strict` and some page was rejected (nothing is written).
        ReleaseWriteError: the release could not be written.
    """
    if not _NAME.match(name):
        raise UsageError(f"--name {name!r}: use lower-case letters, digits, '.', '_' and '-'")
    if layout not in ("single", "partitioned"):
        raise UsageError(f"--layout {layout!r}: use single or partitioned")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: give 1 or more")
    folder = out / name
    version = resolve_version(folder, version, bump)
    target = folder / version
    if target.exists():
        raise VersionExistsError(f"{target}: this version exists already; releases never change")
    previous = previous_release(folder, version)
    if previous is not None:
        check_schema_compatible(previous, version)
    files = input_files(inputs)
    meta_path = metadata or find_metadata(inputs)
    meta = load_metadata(meta_path) if meta_path else DatasetMeta()
    stamp = created_timestamp(created)

    try:
        folder.mkdir(parents=True, exist_ok=True)
        clear_leftovers(folder)
        work = Path(tempfile.mkdtemp(prefix=f".{version}.partial-{os.getpid()}-", dir=folder))
    except OSError as exc:
        raise ReleaseWriteError(
            f"{folder}: cannot create the release folder: {_reason(exc)}"
        ) from None
    try:
        checkpoint("started")
        result = _write(
            work,
            files,
            name=name,
            version=version,
            created=stamp,
            meta=meta,
            strict=strict,
            workers=workers or os.cpu_count() or 1,
            today=today,
            previous=previous,
            mapping=mapping or {},
            limits=limits,
            progress=progress,
            cache=folder / CACHE_FILE if use_cache else None,
            layout=layout,
        )
        work.chmod(0o755)  # mkdtemp makes it private; a release is for everyone to read
        _sync(work)
        checkpoint("before-rename")
        try:
            work.rename(target)
        except OSError as exc:
            if target.exists():
                raise VersionExistsError(
                    f"{target}: another build wrote this version first"
                ) from None
            raise ReleaseWriteError(
                f"{target}: cannot move the release into place: {_reason(exc)}"
            ) from None
        _fsync_dir(folder)
    except OSError as exc:
        raise ReleaseWriteError(f"{folder}: writing the release failed: {_reason(exc)}") from None
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    result.path = target
    result.report.stats = result.summary()
    return result


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def previous_release(folder: Path, version: str) -> Path | None:
    """The latest release in `folder` older than `version`, if any."""
    older = [v for v in released_versions(folder) if parse_version(v) < parse_version(version)]
    return folder / older[-1] if older else None


def check_schema_compatible(previous: Path, version: str) -> None:
    """Refuse a breaking schema change unless `version` is a new major version."""
    try:
        descriptor = json.loads((previous / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # not a readable release: nothing to compare with
    current = {t: {k: v for k, v in table_schema(t).items() if k != "$schema"} for t in TABLES}
    breaking = [
        c for c in schema_changes(descriptor_schemas(descriptor), current) if c.kind == "breaking"
    ]
    if breaking and parse_version(version)[0] <= parse_version(previous.name)[0]:
        raise BreakingChangeError(
            f"version {version}: breaking schema change since {previous.name} "
            f"({'; '.join(str(c) for c in breaking)}); use --bump major"
        )


def clear_leftovers(folder: Path) -> None:
    """Remove work folders of builds that died (their process is gone)."""
    for path in folder.iterdir():
        match = _PARTIAL.match(path.name)
        if not match or not path.is_dir():
            continue
        pid = int(match["pid"])
        if pid != os.getpid() and _alive(pid):
            continue  # a build running now
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sync(folder: Path) -> None:
    """Flush every file of the release to disk before it is renamed into place."""
    _sync_files(folder)
    for path in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(path)


def _sync_files(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(
    work: Path,
    files: InputList,
    *,
    name: str,
    version: str,
    created: str,
    meta: DatasetMeta,
    strict: bool,
    workers: int,
    today: dt.date | None,
    previous: Path | None,
    mapping: dict[str, str],
    limits: Limits,
    progress: Callable[[int, int], None] | None,
    cache: Path | None,
    layout: Layout,
) -> BuildResult:
    """Parse `files` into a spool, then write the release's files into `work`. Clears
    `files` once parsed: the writing never needs it."""
    spool = Spool(work / ".spool")
    buckets = Buckets.for_inputs(len(files))
    job = Job(spool.folder, today or dt.date.today(), limits, cache, buckets)
    parsed = parse_into(spool, files, job, workers=workers, mapping=mapping, progress=progress)
    files.clear()  # not needed for writing (and the caller built it for this build only)
    findings = parsed.findings  # kept as plain tuples until the tables are written
    rejects = [finding for finding in findings if finding.severity == "error"]
    records, cached = parsed.records, parsed.cached
    checkpoint("parsed")
    if strict and rejects:
        raise StrictRefusal(
            f"--strict: {len(rejects)} of {records} inputs rejected; nothing written"
        )

    data = work / "data"
    data.mkdir()
    stats = CorpusStats()
    articles = OrderedArticles(spool)

    def writer(table: str) -> TableWriter | PartitionedWriter:
        if layout == "partitioned":
            return PartitionedWriter(data, table, arrow_schema(table))
        return TableWriter(data / table, arrow_schema(table))

    def write_related() -> int:
        with writer("related") as out:
            for table in ordered_related(spool, winning_pages(spool)):
                out.write(table)
        return out.rows

    # The two tables are written at once: Arrow's readers, sorts and writers release the
    # GIL, and the articles alone left a core idle for a third of a build.
    with ThreadPoolExecutor(1, thread_name_prefix="packager-related") as pool:
        related = pool.submit(write_related)
        with writer("articles") as out:
            for table in articles:
                out.write(table)
                stats.add_articles(table)
        stats.related = related.result()
    shutil.rmtree(spool.folder)
    checkpoint("data-written")
    # The data files go to the disk while the rest of the release is made, so that the
    # final flush before the rename finds them written (it was a second at 100,000 pages).
    with ThreadPoolExecutor(1, thread_name_prefix="packager-fsync") as syncing:
        flushed = syncing.submit(_sync_files, data)

        issues = [finding.issue() for finding in findings]
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
                out.write(json.dumps(reject.reject(), ensure_ascii=False) + "\n")
        result = BuildResult(
            path=work,
            name=name,
            version=version,
            pages=records,
            articles=stats.articles,
            duplicates=len(articles.merged),
            rejects=len(rejects),
            related=stats.related,
            cached=cached,
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
            layout=layout,
        )
        (work / "README.md").write_text(card, encoding="utf-8")
        tools = {"packager": __version__, "pyarrow": pa.__version__}
        data_files = [
            name for t in TABLES for fmt in ("csv", "parquet") for name in table_files(work, t, fmt)
        ]
        digests = Digests(work)
        digests.prefetch(data_files)
        descriptor = make_descriptor(
            work,
            name=name,
            version=version,
            created=created,
            meta=meta,
            tools=tools,
            digests=digests,
        )
        (work / "datapackage.json").write_text(
            json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        # CHANGES.md is the diff against the previous release, so it needs the new descriptor.
        changes: ReleaseDiff | None = diff_releases(previous, work) if previous else None
        (work / "CHANGES.md").write_text(render_changes(changes, name, version), encoding="utf-8")
        listed = ["datapackage.json", "README.md", "CHANGES.md", "rejects.jsonl", *data_files]
        write_sha256sums(work, listed, digests)
        checkpoint("files-written")
        flushed.result()
    return result
