"""The command line: read options, make one library call, render the result, exit.

Failures the tool cannot get past are `PackagerError`s, caught in one place (`_run`) and
printed as one line ``Error: ...`` on stderr with the contract's exit code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pyarrow as pa
import typer
from pydantic import BaseModel

from packager.about import __version__
from packager.assemble.cluster import DaskEngine
from packager.assemble.publish import publish_release
from packager.assemble.release import BuildOptions
from packager.check.validate import validate as validate_paths
from packager.contract.limits import DEFAULT_LIMITS, Limits
from packager.contract.models import Issue, Reject, Report
from packager.errors import PackagerError, UsageError, os_reason
from packager.inputs import parse_file
from packager.inputs.files import input_files
from packager.inputs.remote import is_url
from packager.inputs.rows import TableOptions
from packager.library import build_release, judge
from packager.release.card import describe_inputs
from packager.release.diff import diff_releases, render_text
from packager.release.export import export_sqlite
from packager.release.info import release_info, render_info
from packager.release.versions import Bump

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Turn KCNA Watch page dumps into validated, versioned Parquet + CSV dataset releases.",
)
T = TypeVar("T")


class Format(StrEnum):
    text = "text"
    json = "json"
    github = "github"


class LayoutChoice(StrEnum):
    single = "single"
    partitioned = "partitioned"


class EngineChoice(StrEnum):
    local = "local"
    dask = "dask"


class BumpPart(StrEnum):
    major = "major"
    minor = "minor"
    patch = "patch"


_state = {"debug": False, "interrupted": False}
INTERRUPTED = 130  # the exit code of a command ended by SIGINT or SIGTERM

MaxPageBytes = Annotated[
    int, typer.Option("--max-page-bytes", min=1, help="Reject page dumps larger than this.")
]
ColumnMap = Annotated[
    list[str] | None,
    typer.Option("--map", help="FIELD=COLUMN: read the tables' column COLUMN as FIELD."),
]
FieldValues = Annotated[
    list[str] | None,
    typer.Option("--set", help="FIELD=VALUE: give FIELD this value in every table row."),
]
DateFormat = Annotated[
    str | None,
    typer.Option("--date-format", help="strptime format of tables' dates that are not ISO."),
]
MaxTitleLength = Annotated[
    int, typer.Option("--max-title-length", min=1, help="Reject titles longer than this.")
]
EarliestDate = Annotated[
    str,
    typer.Option(
        "--earliest-date",
        help="Reject articles published before this day (YYYY-MM-DD): no outlet published earlier.",
    ),
]


EARLIEST = DEFAULT_LIMITS.earliest_date.isoformat()


def _limits(max_page_bytes: int, max_title_length: int, earliest_date: str) -> Limits:
    try:
        earliest = dt.date.fromisoformat(earliest_date)
    except ValueError:
        raise UsageError(f"--earliest-date {earliest_date!r}: give a day as YYYY-MM-DD") from None
    return Limits(max_page_bytes, max_title_length, earliest)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"packager {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    _state["debug"] = debug


def _run(call: Callable[[], T], fmt: Format | None = None, roots: list[Path] | None = None) -> T:
    """`call()`; a `PackagerError` is one line ``Error: ...`` and its exit code, after the
    report of what was found (in `fmt`), when the error carries one."""
    try:
        return call()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see main): the library has cleaned up
        _state["interrupted"] = True
        typer.echo("Error: interrupted", err=True)
        raise typer.Exit(INTERRUPTED) from None
    except PackagerError as exc:
        if _state["debug"]:
            raise
        if fmt is not None and isinstance(exc.report, Report):
            report = exc.report
            _render(report, fmt, f"refused: {len(report.errors)} errors", report.to_dict, roots)
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


def _where(issue: Issue) -> str:
    place = issue.file or "-"
    if issue.line:
        return f"{place}:{issue.line}"
    return f"{place} row {issue.row}" if issue.row else place


def _issue_line(issue: Issue) -> str:
    """One issue on one line, for stderr: ``file:line: level code: message``."""
    field = f" (field {issue.field})" if issue.field else ""
    return f"{_where(issue)}: {issue.severity} {issue.code}: {issue.message}{field}"


_HEADER = ("WHERE", "FIELD", "LEVEL", "CODE", "MESSAGE")


def _cells(issue: Issue) -> tuple[str, str, str, str, str]:
    where, field, level, code, message = (
        _printable(cell)
        for cell in (_where(issue), issue.field or "", issue.severity, issue.code, issue.message)
    )
    return where, field, level, code, message


def _printable(text: str) -> str:
    """A cell of the text table on one line: line breaks and other controls escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _issue_table(issues: list[Issue]) -> Iterator[str]:
    """Issues as an aligned table: where, field, level, code, message. Lines are made as
    they are printed: a large build reports tens of thousands."""
    if not issues:
        return
    widths = [len(cell) for cell in _HEADER[:4]]  # the message column is not padded
    for issue in issues:
        widths = [max(w, len(cell)) for w, cell in zip(widths, _cells(issue), strict=False)]
    for cells in itertools.chain([_HEADER], map(_cells, issues)):
        padded = "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=False))
        yield f"{padded}  {cells[4]}"


def _escaped(text: str, *, prop: bool = False) -> str:
    """Text for a GitHub workflow command (its rules: %, CR and LF in data; also : and ,
    in a property), so that no value can end the command and start another."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github_line(issue: Issue, roots: list[Path]) -> str:
    where = _from_here(issue.file, roots) if issue.file else None
    props = [f"file={_escaped(where, prop=True)}"] if where else []
    props += [f"line={issue.line}"] if issue.line else []
    props.append(f"title={_escaped(issue.code, prop=True)}")
    return f"::{issue.severity} {','.join(props)}::{_escaped(issue.message)}"


def _from_here(file: str, roots: list[Path]) -> str:
    """`file` as GitHub attaches an annotation to it: relative to the working directory
    (a workflow's is the repository). A report names a file relative to the input folder
    or release it was found in; the first of `roots` (the paths given) that holds it is
    that place."""
    for root in roots:
        candidate = (root if root.is_dir() else root.parent) / file
        if os.path.lexists(candidate):
            return os.path.relpath(candidate)
    return file


def _render(
    report: Report,
    fmt: Format,
    summary: str,
    document: Callable[[], dict[str, Any]],
    roots: list[Path] | None = None,
) -> None:
    try:
        if fmt is Format.json:
            typer.echo(json.dumps(document(), ensure_ascii=False, indent=2, default=str))
            return
        lines = (
            (_github_line(issue, roots or []) for issue in report.issues)
            if fmt is Format.github
            else _issue_table(report.issues)
        )
        for line in lines:
            typer.echo(line)
        typer.echo(summary)
    except BrokenPipeError:
        # The reader went away (`| head`): the work is done all the same, and the exit
        # code still says how it went. Python's own flush at exit must not fail again.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends


@app.command()
def parse(
    inputs: Annotated[list[Path], typer.Argument(help="Page dump files or folders of them.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSON Lines here, not to stdout.")
    ] = None,
    max_page_bytes: MaxPageBytes = DEFAULT_LIMITS.max_page_bytes,
    max_title_length: MaxTitleLength = DEFAULT_LIMITS.max_title_length,
) -> None:
    """Parse page dumps into article records, one JSON object per line.

    Example: packager parse examples/ -o articles.jsonl
    """
    files = _run(lambda: input_files(inputs))
    try:
        sink = output.open("w", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        typer.echo(f"Error: {output}: cannot write: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    parsed = rejected = 0
    try:
        for item in files:
            result = parse_file(item, limits=Limits(max_page_bytes, max_title_length))
            if isinstance(result, Reject):
                rejected += 1
                typer.echo(_issue_line(result.as_issue()), err=True)
                continue
            parsed += 1
            for warning in result.warnings:
                typer.echo(_issue_line(warning), err=True)
            record = result.article.model_dump(mode="json")
            record["related"] = [
                r.model_dump(mode="json", exclude={"article_id"}) for r in result.related
            ]
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        sink.flush()
    except OSError as exc:  # the output cannot take the records (a full disk, /dev/full)
        if isinstance(exc, BrokenPipeError):
            raise
        typer.echo(f"Error: {output or 'stdout'}: cannot write: {os_reason(exc)}", err=True)
        raise typer.Exit(2) from None
    finally:
        if output:
            with contextlib.suppress(OSError):
                sink.close()
    typer.echo(f"{len(files)} pages: {parsed} parsed, {rejected} rejected", err=True)


def _pairs(pairs: list[str], option: str, form: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise typer.BadParameter(f"{pair!r} is not {form}", param_hint=option)
        out[target.strip()] = source.strip()
    return out


def _mapping(pairs: list[str]) -> dict[str, str]:
    """--map FIELD=COLUMN: the column as written, spaces and all (a header may hold them)."""
    out: dict[str, str] = {}
    for pair in pairs:
        target, sep, column = pair.partition("=")
        if not sep or not target.strip() or not column:
            raise typer.BadParameter(f"{pair!r} is not FIELD=COLUMN", param_hint="--map")
        out[target.strip()] = column
    return out


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Page dumps, folders of them, or releases.")],
    fmt: Annotated[Format, typer.Option("--format", help="Report form.")] = Format.text,
    max_errors: Annotated[
        int | None, typer.Option("--max-errors", min=1, help="Stop after this many errors.")
    ] = None,
    mapping: ColumnMap = None,
    values: FieldValues = None,
    date_format: DateFormat = None,
    max_page_bytes: MaxPageBytes = DEFAULT_LIMITS.max_page_bytes,
    max_title_length: MaxTitleLength = DEFAULT_LIMITS.max_title_length,
    earliest_date: EarliestDate = EARLIEST,
) -> None:
    """Check page dumps, parsed-article tables or a release; exit 1 when anything is invalid.

    Example: packager validate dist/kcna-sample/1.0.0
    """
    columns = _mapping(mapping or [])
    limits = _run(lambda: _limits(max_page_bytes, max_title_length, earliest_date))
    constants = _pairs(values or [], "--set", "FIELD=VALUE")
    report = _run(
        lambda: validate_paths(
            paths,
            mapping=columns,
            constants=constants,
            date_format=date_format,
            max_errors=max_errors,
            limits=limits,
        )
    )
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = "valid" if report.valid else "invalid"
    limit = " (stopped at --max-errors)" if report.stats.get("truncated") else ""
    summary = f"{verdict}: {errors} errors, {warnings} warnings{limit}"
    _render(report, fmt, summary, report.to_dict, paths)
    raise typer.Exit(0 if report.valid else 1)


@app.command()
def build(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Page dump files or folders of them, tables, releases, or object-storage "
            "URLs of page dumps (s3://bucket/prefix/)."
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="The dataset's name, e.g. kcna-sample.")],
    version: Annotated[
        str | None, typer.Option("--version", help="The release version, X.Y.Z.")
    ] = None,
    bump: Annotated[
        BumpPart | None, typer.Option("--bump", help="Bump the latest release's version.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Where releases land.")] = Path("dist"),
    strict: Annotated[
        bool, typer.Option("--strict", help="Write nothing, exit 1, if any page is rejected.")
    ] = False,
    metadata: Annotated[
        Path | None,
        typer.Option("--metadata", help="dataset.toml (default: the first input folder's)."),
    ] = None,
    created: Annotated[
        str | None,
        typer.Option("--created", help="Creation time (RFC 3339); else SOURCE_DATE_EPOCH or now."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Parsing processes (default: all cores).")
    ] = None,
    mapping: ColumnMap = None,
    values: FieldValues = None,
    max_page_bytes: MaxPageBytes = DEFAULT_LIMITS.max_page_bytes,
    max_title_length: MaxTitleLength = DEFAULT_LIMITS.max_title_length,
    earliest_date: EarliestDate = EARLIEST,
    date_format: DateFormat = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Write a release even if no input gives one.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    layout: Annotated[
        LayoutChoice,
        typer.Option("--layout", help="single: a file per table; partitioned: Hive partitions."),
    ] = LayoutChoice.single,
    fmt: Annotated[Format, typer.Option("--format", help="Report form.")] = Format.text,
    engine: Annotated[
        EngineChoice,
        typer.Option("--engine", help="local: processes here; dask: a Dask cluster."),
    ] = EngineChoice.local,
    storage_option: Annotated[
        list[str] | None,
        typer.Option(
            "--storage-option",
            help="KEY=VALUE for object-storage inputs (fsspec's options, e.g. endpoint_url=...).",
        ),
    ] = None,
    spool: Annotated[
        str | None,
        typer.Option(
            "--spool",
            help="Where parsed rows wait: a folder or object-storage URL every worker "
            "reaches (default: beside the release being written).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --engine dask: the scheduler's address (else DASK_SCHEDULER_ADDRESS, "
            "else a local cluster of --workers processes).",
        ),
    ] = None,
) -> None:
    """Build the release OUT/NAME/VERSION from page dumps or parsed-article tables.

    Example: packager build examples/ --name kcna-sample --version 1.0.0
    """
    _return_memory_promptly(BUILD_RETURNS_MEMORY_AFTER_MS)
    bump_part: Bump | None = bump.value if bump else None
    named: list[Path | str] = [given if is_url(given) else Path(given) for given in inputs]
    paths = [given for given in named if isinstance(given, Path)]
    storage = tuple(_pairs(storage_option or [], "--storage-option", "KEY=VALUE").items())
    runner = (
        DaskEngine(scheduler, workers or os.cpu_count() or 1)
        if engine is EngineChoice.dask
        else None
    )
    columns = _mapping(mapping or [])
    constants = _pairs(values or [], "--set", "FIELD=VALUE")

    def options() -> BuildOptions:  # made inside `_run`: a bad option is an Error: line
        return BuildOptions(
            name=name,
            version=version,
            bump=bump_part,
            out=out,
            strict=strict,
            metadata=metadata,
            created=created,
            workers=workers,
            tables=TableOptions(columns, constants, date_format),
            limits=_limits(max_page_bytes, max_title_length, earliest_date),
            layout=layout.value,
            allow_empty=allow_empty,
            storage_options=storage,
            spool=spool,
        )

    with _progress(quiet) as progress:
        result = _run(
            lambda: build_release(
                named,
                options(),
                verify=judge,
                progress=progress,
                engine=runner,
            ),
            fmt,
            paths,
        )
    read = describe_inputs(result.pages, result.rows, result.tables, result.carried)
    summary = (
        f"wrote {result.path}: {result.articles} articles, {result.related} related items "
        f"from {read} ({result.duplicates} duplicates merged, {result.rejects} rejected)"
    )
    _render(result.report, fmt, summary, result.report.to_dict, paths)


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


M = TypeVar("M", bound=BaseModel)


def _show(result: M, fmt: DiffFormat, render: Callable[[M], str]) -> None:
    """A result as JSON (the model's own), or as text for people (`render`'s)."""
    if fmt is DiffFormat.json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        typer.echo(render(result), nl=False)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The older release (folder or datapackage.json).")],
    new: Annotated[Path, typer.Argument(help="The newer release.")],
    fmt: Annotated[DiffFormat, typer.Option("--format", help="Report form.")] = DiffFormat.text,
) -> None:
    """Show what changed between two releases: articles, related items, schema.

    Example: packager diff dist/kcna-sample/1.0.0 dist/kcna-sample/1.1.0
    """
    _show(_run(lambda: diff_releases(old, new)), fmt, render_text)


@app.command()
def info(
    release: Annotated[Path, typer.Argument(help="A release (folder or datapackage.json).")],
    fmt: Annotated[DiffFormat, typer.Option("--format", help="Report form.")] = DiffFormat.text,
) -> None:
    """Show what a release holds: counts, dates, sources, years, languages, files, fields.

    Read from the descriptor and the Parquet files' metadata and small columns, without
    loading the texts. Example: packager info dist/kcna-sample/1.0.0
    """
    _show(_run(lambda: release_info(release)), fmt, render_info)


class ExportFormat(StrEnum):
    sqlite = "sqlite"


@app.command()
def export(
    release: Annotated[Path, typer.Argument(help="A release (folder or datapackage.json).")],
    target: Annotated[Path, typer.Argument(help="The file to write (it must not exist).")],
    to: Annotated[ExportFormat, typer.Option("--to", help="What to write.")] = ExportFormat.sqlite,
) -> None:
    """Write a release as another kind of file: one SQLite database with a full-text index
    over the articles' titles and bodies, for `datasette FILE` or any SQLite client.

    Example: packager export dist/kcna-sample/1.0.0 --to sqlite kcna.db
    """
    done = _run(lambda: export_sqlite(release, target, verify=judge))
    counts = ", ".join(f"{rows:,} {table}" for table, rows in done.rows.items())
    typer.echo(f"wrote {done.path}: {counts}; search it with: datasette {done.path}")


@app.command()
def publish(
    release: Annotated[Path, typer.Argument(help="A release (folder or datapackage.json).")],
    url: Annotated[
        str, typer.Argument(help="Object storage to publish under (s3://bucket/prefix).")
    ],
    storage_option: Annotated[
        list[str] | None,
        typer.Option("--storage-option", help="KEY=VALUE for the storage (fsspec's options)."),
    ] = None,
) -> None:
    """Copy a finished release to object storage as URL/NAME/VERSION/, its files checked
    against SHA256SUMS first and its descriptor copied last, so that readers never find
    half a release. A version published already is refused (exit 2).

    Example: packager publish dist/kcna-sample/1.0.0 s3://my-bucket/releases
    """
    storage = tuple(_pairs(storage_option or [], "--storage-option", "KEY=VALUE").items())
    done = _run(lambda: publish_release(release, url, storage, verify=judge))
    typer.echo(f"published {done.url}: {done.files} files, {done.size:,} bytes")


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal, unless --quiet; else nothing."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console  # noqa: PLC0415 - only a terminal needs rich
    from rich.progress import Progress  # noqa: PLC0415

    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("parsing", total=None)

        def update(done: int, total: int) -> None:
            if done % 100 == 0 or done == total:
                bar.update(task, completed=done, total=total)

        yield update


# Typer raises click's UsageError (vendored in some versions, so found by name) for a
# wrong command line; its own display is a multi-line panel, ours is one line.
_USAGE_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def _return_memory_promptly(after_ms: int = 0) -> None:
    """Arrow's jemalloc pool, returning freed memory after `after_ms` (at once by default),
    so that peak memory follows what a command holds, not what it once held
    (bench/README.md has the figures). A process-wide choice, so the command makes it, not
    the library."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(after_ms)
    except NotImplementedError:  # a pyarrow built without jemalloc keeps its default
        pass


# A build keeps freed memory a second before it returns it (Arrow's own setting for its
# jemalloc): its write phase copies every row through fresh buffers, which memory given
# back at once would fault in again (bench/README.md, "A build keeps freed memory a second").
BUILD_RETURNS_MEMORY_AFTER_MS = 1000


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """The `packager` command: a wrong command line is one line ``Error: ...`` and exit 2;
    Ctrl-C or SIGTERM is one line ``Error: interrupted`` and exit 130, after the build in
    progress has removed its work folder."""
    _return_memory_promptly()
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # KeyboardInterrupt from here
        code = app(standalone_mode=False)
    except _USAGE_ERROR as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())  # a bare command asks for its help
        else:
            command = f"packager {ctx.info_name}" if ctx is not None and ctx.parent else "packager"
            typer.echo(f"Error: {exc.format_message()} (see: {command} --help)", err=True)
        code = 2
    except (typer.Abort, KeyboardInterrupt):
        code = INTERRUPTED
    except OSError as exc:  # what the library did not report: writing the output failed
        if _state["debug"]:
            raise
        code = _output_failed(exc, 2)
    if code == INTERRUPTED and not _state["interrupted"]:  # Typer's own exit for Ctrl-C
        typer.echo("Error: interrupted", err=True)
    code = _flushed(code if isinstance(code, int) else 0)
    sys.exit(code)


def _flushed(code: int) -> int:
    """Write out what stdout holds; a stdout that cannot take it (a full disk,
    /dev/full) is one line ``Error: ...`` and exit 2, never Python's own complaint at
    exit. A reader that went away (`| head`) changes nothing."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        return _output_failed(exc, code)
    return code


def _output_failed(exc: OSError, code: int) -> int:
    """The exit code once stdout could not be written: a reader that went away (`| head`)
    changes nothing (`code`); anything else (a full disk) is one line ``Error: ...`` and
    exit 2 where `code` said success. Either way stdout is let go, so that Python's own
    flush at exit does not fail again."""
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
    if isinstance(exc, BrokenPipeError):
        return code
    typer.echo(f"Error: the output cannot be written: {os_reason(exc)}", err=True)
    return code or 2
