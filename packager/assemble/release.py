"""`build_release`: page dumps in, one versioned release folder out.

A release is written into a work folder beside its target (``OUT/NAME/.VERSION.partial-*``)
and renamed into place only when every file is written, so a version folder is either
complete or absent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from packager.about import __version__
from packager.assemble.atomic import publish_folder, release_folder, sync_files
from packager.assemble.faults import checkpoint
from packager.assemble.parsing import Engine, Finding, Job, LocalEngine, Parsed, parse_into
from packager.assemble.partitions import write_partitioned
from packager.assemble.spool import (
    Buckets,
    Merged,
    OrderedArticles,
    Spool,
    SpoolPlace,
    dropped_pages,
    ordered_related,
    release_ordered,
)
from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Issue, Report
from packager.contract.schema import TABLES, arrow_schema, table_schema
from packager.errors import (
    BreakingChangeError,
    InputError,
    NoArticlesError,
    ReleaseWriteError,
    StrictRefusal,
    UsageError,
    VersionExistsError,
    os_reason,
)
from packager.inputs.files import InputList, input_files
from packager.inputs.remote import StorageOptions, is_url
from packager.inputs.rows import TableOptions, check_columns
from packager.release.card import CorpusStats, TableData, describe_inputs, render_card
from packager.release.checksums import Digests, write_sha256sums
from packager.release.citation import CITATION, Citable, render_cff
from packager.release.croissant import CROISSANT, make_croissant
from packager.release.descriptor import (
    DESCRIPTOR,
    INPUTS,
    METADATA_FILES,
    make_descriptor,
    metadata_file,
    read_descriptor,
    release_at,
    write_json,
)
from packager.release.diff import ReleaseDiff, diff_releases, render_changes
from packager.release.metadata import DatasetMeta, find_metadata, load_metadata
from packager.release.schemadiff import descriptor_schemas, schema_changes
from packager.release.trust import Verify, refuse_invalid
from packager.release.versions import (
    Bump,
    name_problem,
    next_version,
    parse_version,
    released_versions,
)
from packager.release.write import TableWriter, table_files

Layout = Literal["single", "partitioned"]


@dataclass
class BuildResult:
    """What a build wrote and found. `report` holds rejects (errors) and warnings."""

    path: Path
    name: str
    version: str
    pages: int  # inputs: page files, and rows of tables
    articles: int
    duplicates: int
    rejects: int
    related: int
    rows: int = 0  # of the inputs, rows of tables
    tables: int = 0  # table files read
    carried: int = 0  # of the inputs, articles of releases given as inputs
    report: Report = field(default_factory=Report)
    # How the release was made from its inputs (the descriptor's `packager:inputs`): the
    # number of pages, each table (name, sha256, rows, how it was read), each release.
    recipe: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        return {
            "release": self.path.as_posix(),
            "name": self.name,
            "version": self.version,
            "pages": self.pages,
            "rows": self.rows,
            "tables": self.tables,
            "carried": self.carried,
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
        except (OverflowError, OSError):  # past the years a timestamp can name
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is no time in years 1-9999") from None
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


@dataclass(frozen=True)
class BuildOptions:
    """What a build is asked for, as one value: the CLI makes it once from its options;
    `build_release` takes it, or the same fields by keyword (`mapping`, `constants` and
    `date_format` then make its `tables`).

    An input is a file or folder, or an object-storage URL of page dumps (read with
    `storage_options`, ``(key, value)`` pairs for fsspec). `spool` is where the parsed rows
    wait (a folder or object-storage URL every worker reaches; default: the work folder).
    `tables` says how tables' columns give the contract's fields (`--map`, `--set`,
    `--date-format`). `layout` "partitioned" writes each table as Hive partitions
    (articles by year, related rows by the first hex digit of article_id) instead of one
    file per format. `workers` parsing processes (default: every core); `today` the day
    dates are judged by (default: today)."""

    name: str
    version: str | None = None
    bump: Bump | None = None
    out: Path = Path("dist")
    strict: bool = False
    metadata: Path | None = None
    created: str | None = None
    workers: int | None = None
    tables: TableOptions = field(default_factory=TableOptions)
    limits: Limits = DEFAULT_LIMITS
    layout: Layout = "single"
    today: dt.date | None = None
    allow_empty: bool = False
    storage_options: StorageOptions = ()
    spool: str | None = None

    @classmethod
    def of(
        cls,
        *,
        mapping: dict[str, str] | None = None,
        constants: dict[str, str] | None = None,
        date_format: str | None = None,
        **fields: Any,
    ) -> BuildOptions:
        """The options of `build_release`'s keywords: the tables' three as one value."""
        return cls(**fields, tables=TableOptions(mapping or {}, constants or {}, date_format))


def build_release(
    inputs: Sequence[Path | str],
    options: BuildOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    engine: Engine | None = None,
    verify: Verify | None = None,
    **fields: Any,
) -> BuildResult:
    """Parse every input page (or parsed-article table) and write ``out/name/version``
    as `options` (a `BuildOptions`, or its fields by keyword: ``name=..., version=...``)
    say.

    `progress(done, total)` is called as input files are parsed. `engine` runs the
    parsing of pages (default: a pool of `workers` processes on this machine). `verify`
    judges each release given as an input before a row of it is read
    (`packager.build_release` gives `packager.validate`): one with an error is refused.

    Raises:
        UsageError: a bad name, version or option.
        BreakingChangeError: the schema changed incompatibly and the version is not major.
        InputError: an input or the metadata file is missing or unreadable, or a table's
            columns cannot give the contract's fields (before anything is written).
        VersionExistsError: ``out/name/version`` exists already (it is left untouched).
        StrictRefusal: `strict` and some input was rejected (nothing is written).
        NoArticlesError: no input gave an article and not `allow_empty` (nothing is
            written, and the version stays free).
        ReleaseWriteError: the release could not be written.
    """
    if options is None:
        options = BuildOptions.of(**fields)
    elif fields:
        raise TypeError(f"build_release: options given, and {', '.join(fields)} besides")
    name, layout, workers = options.name, options.layout, options.workers
    _check_options(name, layout, workers)
    folder = options.out / name
    version = resolve_version(folder, options.version, options.bump)
    target = folder / version
    if target.exists():
        raise VersionExistsError(f"{target}: this version exists already; releases never change")
    previous = previous_release(folder, version)
    if previous is not None:
        check_schema_compatible(previous, version)
    urls = [given for given in inputs if isinstance(given, str) and is_url(given)]
    paths = [Path(given) for given in inputs if given not in urls]
    named = [(path, release_at(path)) for path in paths]
    releases = [folder for _, folder in named if folder is not None]
    for carried in releases if verify is not None else []:
        assert verify is not None
        refuse_invalid(carried, verify(carried), "not read, nothing written")
    local = [path for path, folder in named if folder is None]
    files = input_files([*local, *urls], options.storage_options)
    for position in files.table_positions():
        check_columns(files[position], options.tables)
    meta_path = options.metadata or find_metadata(local)
    meta = load_metadata(meta_path) if meta_path else DatasetMeta()
    stamp = created_timestamp(options.created)

    try:
        with release_folder(folder, version) as work:
            checkpoint("started")
            plan = _Plan(name, version, stamp, meta, layout, previous)
            run = _Run(
                options,
                workers=workers or os.cpu_count() or 1,
                today=options.today or dt.date.today(),
                releases=releases,
                progress=progress,
                engine=engine,
            )
            result = _write(work, files, plan, run)
            publish_folder(work, target, lambda: _compare_with_latest(folder, work, plan, result))
    except OSError as exc:
        raise ReleaseWriteError(f"{folder}: writing the release failed: {os_reason(exc)}") from None
    result.path = target
    result.report.stats = result.summary()
    return result


def _compare_with_latest(folder: Path, work: Path, plan: _Plan, result: BuildResult) -> None:
    """Where another build published an earlier version while this one ran, compare with
    that one: the breaking-change check and CHANGES.md are against the release that is
    latest when this one is published (called with the NAME folder locked)."""
    latest = previous_release(folder, plan.version)
    if latest == plan.previous:
        return
    if latest is not None:
        check_schema_compatible(latest, plan.version)
    write_changes(work, latest, plan, result, Digests(work))


def _check_options(name: str, layout: str, workers: int | None) -> None:
    if problem := name_problem(name):
        raise UsageError(f"--{problem}")
    if layout not in ("single", "partitioned"):
        raise UsageError(f"--layout {layout!r}: use single or partitioned")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: give 1 or more")


def previous_release(folder: Path, version: str) -> Path | None:
    """The latest release in `folder` older than `version`, if any."""
    older = [v for v in released_versions(folder) if parse_version(v) < parse_version(version)]
    return folder / older[-1] if older else None


def check_schema_compatible(previous: Path, version: str) -> None:
    """Refuse a breaking schema change unless `version` is a new major version."""
    try:
        descriptor = read_descriptor(previous / DESCRIPTOR)
    except InputError:
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


@dataclass(frozen=True)
class _Plan:
    """What a build writes: the release's name, version and metadata, and how."""

    name: str
    version: str
    created: str
    meta: DatasetMeta
    layout: Layout
    previous: Path | None

    @property
    def release(self) -> Citable:
        """The release's identity, as every document renders it."""
        return Citable(self.name, self.version, self.created, self.meta)


@dataclass(frozen=True)
class _Run:
    """How a build does its work: its options, with what they leave to the day and the
    machine decided, and the releases given as inputs."""

    options: BuildOptions
    workers: int
    today: dt.date
    releases: list[Path]
    progress: Callable[[int, int], None] | None
    engine: Engine | None


@contextmanager
def _spool_place(
    work: Path, plan: _Plan, spool_url: str | None, storage: StorageOptions
) -> Iterator[SpoolPlace]:
    """The build's spool: a folder in the work folder, or a folder of its own under
    `spool_url` (object storage every worker reaches); removed when the tables are
    written, or the build fails."""
    if spool_url:
        folder = f"{plan.name}-{plan.version}-{os.urandom(6).hex()}"
        place = SpoolPlace(f"{spool_url.rstrip('/')}/{folder}", storage)
    else:
        place = SpoolPlace(str((work / ".spool").absolute()))  # as workers elsewhere see it
    try:
        place.create()
    except OSError:
        raise
    except Exception as exc:  # noqa: BLE001 - storage libraries raise their own (credentials)
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise ReleaseWriteError(f"--spool {spool_url}: cannot write there: {text}") from None
    try:
        yield place
    finally:
        place.remove()


def _write(work: Path, files: InputList, plan: _Plan, run: _Run) -> BuildResult:
    """Parse `files` into a spool, then write the release's files into `work`. Clears
    `files` once parsed: the writing never needs it. Closes the engine once its work is
    done (the parsing; for the partitioned layout, the partitions too)."""
    tasks = run.engine or LocalEngine(run.workers)
    try:
        with _spool_place(work, plan, run.options.spool, run.options.storage_options) as place:
            parsed, rejects, stats, merged = _parse_and_write(
                place, work / "data", files, plan, run, tasks
            )
    finally:
        tasks.close()
    checkpoint("data-written")
    result = BuildResult(
        path=work,
        name=plan.name,
        version=plan.version,
        pages=parsed.records,
        articles=stats.articles,
        duplicates=len(merged),
        rejects=len(rejects),
        related=stats.related,
        rows=parsed.rows,
        tables=parsed.tables,
        carried=parsed.carried,
        report=Report(issues=_issues(parsed.findings, merged)),
        recipe=_recipe(parsed),
    )
    # The data files go to the disk while the rest of the release is made, so that the
    # final flush before the rename finds them written.
    with ThreadPoolExecutor(1, thread_name_prefix="packager-fsync") as syncing:
        flushed = syncing.submit(sync_files, work / "data")
        _write_lines(work / "rejects.jsonl", [reject.reject() for reject in rejects])
        _write_lines(work / "merges.jsonl", [one.trace() for one in merged])
        _write_documents(work, plan, stats, result)
        checkpoint("files-written")
        flushed.result()
    return result


def _parse_and_write(
    place: SpoolPlace, data: Path, files: InputList, plan: _Plan, run: _Run, engine: Engine
) -> tuple[Parsed, list[Finding], CorpusStats, list[Merged]]:
    """`files` parsed into the spool at `place` (on `engine`), and both tables written
    into `data`."""
    table_rows = _table_rows(files)
    # Every article's key (~40 bytes) is kept to write the related rows while the articles
    # are written; not for the partitioned layout (its years find their own), nor for
    # tables of millions of rows (they have few related rows to overlap, and the keys
    # were what grew with their rows).
    overlap = plan.layout != "partitioned" and table_rows < KEYED_TABLE_ROWS
    spool = Spool(place, keep_keys=overlap)
    buckets = Buckets.for_inputs(len(files), table_rows)
    job = Job(place, run.today, run.options.limits, buckets, run.options.storage_options)
    parsed = parse_into(
        spool,
        files,
        job,
        workers=run.workers,
        tables=run.options.tables,
        progress=run.progress,
        # parse_into sizes a local pool to the pages (one process for a few)
        engine=None if isinstance(engine, LocalEngine) else engine,
        releases=run.releases,
    )
    new_inputs = len(files) > 0  # inputs besides releases: pages or tables
    files.clear()  # not needed for writing (and the caller built it for this build only)
    rejects = [finding for finding in parsed.findings if finding.severity == "error"]
    checkpoint("parsed")
    if run.options.strict and rejects:
        raise StrictRefusal(
            f"--strict: {len(rejects)} of {parsed.records} inputs rejected; nothing written",
            Report(issues=[finding.issue() for finding in parsed.findings]),
        )
    if not run.options.allow_empty:
        _refuse_empty(parsed, len(rejects), new_inputs)
    if plan.layout == "partitioned":
        stats, merged = write_partitioned(spool, data, buckets, engine)
    else:
        engine.close()  # not needed to write single files: its memory goes now
        stats, merged = _write_tables(spool, data, buckets)
    return parsed, rejects, stats, merged


ROW_BYTES = 100  # a table row's fewest bytes, about: rows are estimated from a file's size
KEYED_TABLE_ROWS = 1_000_000  # table rows (estimated) from which no article's key is kept


def _table_rows(files: InputList) -> int:
    """About how many rows the tables among `files` hold (Parquet's metadata says; other
    files by their size, as if every row were short, gzip counted eight times over): what
    the spool's buckets are cut by, before a row is read."""
    rows = 0
    for position in files.table_positions():
        path = files[position].path
        try:
            if path.name.lower().endswith(".parquet"):
                rows += pq.read_metadata(path).num_rows
            else:
                size = path.stat().st_size
                rows += size * (8 if path.name.lower().endswith(".gz") else 1) // ROW_BYTES
        except (OSError, ValueError):  # read and reported as the table is read
            continue
    return rows


def _refuse_empty(parsed: Parsed, rejects: int, new_inputs: bool) -> None:
    """`NoArticlesError` when no input gave an article, or when pages or tables were given
    beside releases and every one of them was rejected: a broken scraper's week is not
    published on the strength of the articles carried from earlier releases."""
    new = parsed.records - parsed.carried
    new_rejects = rejects - parsed.carried_rejects
    if rejects == parsed.records:
        why = f"no article: {parsed.records} inputs, {rejects} rejected"
    elif new_inputs and new_rejects == new:
        why = (
            f"no new article: every one of the {new} pages and table rows given beside "
            f"the {parsed.carried} articles of earlier releases was rejected"
        )
    else:
        return
    raise NoArticlesError(
        f"{why}; nothing written (--allow-empty writes the release all the same)",
        Report(issues=[finding.issue() for finding in parsed.findings]),
    )


def _write_tables(spool: Spool, data: Path, buckets: Buckets) -> tuple[CorpusStats, list[Merged]]:
    """Every table from the spool into `data` (one file a format), in release order; the
    corpus's counts and the duplicates merged. The revisions are found as the articles
    are resolved, spooled, and written once the articles are."""
    data.mkdir()
    stats = CorpusStats()
    articles = OrderedArticles(spool, buckets)

    def write_related(dropped: Callable[[], pa.Array]) -> int:
        with TableWriter(data / "related", arrow_schema("related")) as out:
            for table in ordered_related(spool, dropped()):
                out.write(table)
        return out.rows

    def write_articles() -> None:
        with TableWriter(data / "articles", arrow_schema("articles")) as out:
            for table in articles:
                out.write(table)
                stats.add_articles(table)

    if not spool.keep_keys:  # the articles first: they tell which pages were dropped
        write_articles()
        stats.related = write_related(lambda: articles.dropped)
    else:
        # The two tables are written at once: Arrow's readers, sorts and writers release
        # the GIL, and the articles alone left a core idle for a third of a build.
        with ThreadPoolExecutor(1, thread_name_prefix="packager-related") as pool:
            related = pool.submit(write_related, lambda: dropped_pages(spool))
            write_articles()
            stats.related = related.result()
    spool.extend(articles.revisions.segments, [])
    with TableWriter(data / "revisions", arrow_schema("revisions")) as out:
        for table in ordered_related(spool, pa.array([], pa.int64()), table_name="revisions"):
            out.write(table)
    stats.revisions = out.rows
    stats.revised = articles.revised
    return stats, release_ordered(articles.merged)


def _recipe(parsed: Parsed) -> dict[str, Any]:
    """How a release was made: its inputs by kind, each table and release by name."""

    def of(kind: str) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in one.items() if k != "kind"}
            for one in parsed.inputs
            if one["kind"] == kind
        ]

    return {
        "pages": parsed.records - parsed.rows - parsed.carried,
        "tables": of("table"),
        "releases": of("release"),
    }


def _issues(findings: list[Finding], merged: list[Merged]) -> list[Issue]:
    """The build's report: rejects and warnings in input order, then the merges."""
    issues = [finding.issue() for finding in findings]
    for one in merged:
        differs = one.body_differs
        kept = one.kept if one.kept_line is None else f"{one.kept} row {one.kept_line}"
        issues.append(
            Issue(
                code="duplicate-body-differs" if differs else "duplicate-merged",
                message=f"same article as {kept} (kept)"
                + ("; their bodies differ" if differs else ""),
                file=one.dropped,
                line=one.dropped_line,
                severity="warning",
            )
        )
    return issues


def _kinds(result: BuildResult) -> list[str]:
    """The kinds of input a build read: pages, tables, releases."""
    pages = result.pages - result.rows - result.carried
    found = [("pages", pages), ("tables", result.tables), ("releases", result.carried)]
    return [kind for kind, count in found if count] or ["pages"]


def _write_lines(path: Path, lines: list[dict[str, Any]]) -> None:
    """JSON Lines, as rejects.jsonl and merges.jsonl are written."""
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def _write_documents(work: Path, plan: _Plan, stats: CorpusStats, result: BuildResult) -> None:
    """The card, croissant.json, CITATION.cff, the descriptor, CHANGES.md and SHA256SUMS,
    once the data files are written."""
    digests = Digests(work)
    digests.prefetch(_data_files(work))
    card = render_card(
        plan.release,
        stats=stats,
        inputs=describe_inputs(result.pages, result.rows, result.tables, result.carried),
        duplicates=result.duplicates,
        rejects=result.rejects,
        data=[TableData.of(work, table, digests) for table in TABLES],
        kinds=_kinds(result),
        recipe=result.recipe,
    )
    (work / "README.md").write_text(card, encoding="utf-8")
    descriptor = make_descriptor(
        work,
        plan.release,
        tools={"packager": __version__, "pyarrow": pa.__version__},
        digests=digests,
        kinds=_kinds(result),
    )
    # How to cite it and what shelves read, before the descriptor, which lists them.
    citable = plan.release
    (work / CITATION).write_text(render_cff(citable), encoding="utf-8")
    write_json(work / CROISSANT, make_croissant(work, citable, descriptor["description"], digests))
    descriptor[METADATA_FILES] = [
        metadata_file(work, name, digests) for name in (CROISSANT, CITATION)
    ]
    descriptor[INPUTS] = result.recipe
    write_json(work / DESCRIPTOR, descriptor)
    write_changes(work, plan.previous, plan, result, digests)


def write_changes(
    work: Path, previous: Path | None, plan: _Plan, result: BuildResult, digests: Digests
) -> None:
    """CHANGES.md, the diff against `previous` (it needs the new descriptor), and
    SHA256SUMS, which lists CHANGES.md; the report's `articles-removed` warning is the one
    of this comparison (run again when another build published a release meanwhile)."""
    changes: ReleaseDiff | None = diff_releases(previous, work) if previous else None
    kept = [issue for issue in result.report.issues if issue.code != "articles-removed"]
    result.report.issues = kept + _removed_warning(changes, previous)
    (work / "CHANGES.md").write_text(
        render_changes(changes, plan.name, plan.version), encoding="utf-8"
    )
    listed = [DESCRIPTOR, "README.md", "CHANGES.md", CROISSANT, CITATION, "rejects.jsonl",
              "merges.jsonl", *_data_files(work)]  # fmt: skip
    write_sha256sums(work, listed, digests)


def _removed_warning(changes: ReleaseDiff | None, previous: Path | None) -> list[Issue]:
    """The warning that articles of `previous` are gone from this release, if any are."""
    if changes is None or previous is None or not changes.articles_removed:
        return []
    gone = len(changes.articles_removed)
    return [
        Issue(
            code="articles-removed",
            message=f"{gone} articles of {previous.name} are not in this release "
            f"(give {previous} as an input to keep them)",
            file=DESCRIPTOR,
            severity="warning",
        )
    ]


def _data_files(work: Path) -> list[str]:
    """The release's data files (every table in both formats), relative to `work`."""
    return [
        name for t in TABLES for fmt in ("csv", "parquet") for name in table_files(work, t, fmt)
    ]
