"""Page dumps in object storage: an input may be an fsspec URL (``s3://bucket/prefix/``,
``gs://...``, ``memory://...``), listed by the build and read by whoever parses the
pages (a local worker or a Dask worker, each opening the URL itself).

Credentials and the endpoint come from where the storage's library looks for them (for
S3: ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, the AWS config files) and from
``--storage-option KEY=VALUE``. fsspec knows the schemes; the library of each (``s3fs``
for S3: ``pip install 'packager[s3]'``) is what reads them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from packager.errors import InputError, UsageError

StorageOptions = tuple[tuple[str, str], ...]  # --storage-option pairs, hashable for a Job


def is_url(text: str) -> bool:
    """Whether an input names object storage (a URL of a scheme other than file://)."""
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.isidentifier() and scheme != "file"


def _options(options: StorageOptions) -> dict[str, Any]:
    """The pairs as fsspec takes them: "true"/"false" as booleans."""
    values: dict[str, Any] = {}
    for key, value in options:
        values[key] = {"true": True, "false": False}.get(value.lower(), value)
    return values


def filesystem(url: str, options: StorageOptions) -> tuple[Any, str]:
    """The fsspec filesystem of `url` and the path in it (a `UsageError` when no library
    reads its scheme)."""
    try:
        import fsspec  # noqa: PLC0415 - only object storage needs it
    except ImportError:
        raise UsageError(
            f"{url}: reading object storage needs fsspec: pip install fsspec"
        ) from None
    try:
        fs, path = fsspec.core.url_to_fs(url, **_options(options))
    except (ImportError, ValueError) as exc:  # no library for the scheme, a bad option
        raise UsageError(f"{url}: {exc}") from None
    except TypeError as exc:  # an option the storage's library does not take
        names = ", ".join(key for key, _ in options) or "none"
        raise UsageError(
            f"{url}: --storage-option {names}: the storage does not take it ({exc})"
        ) from None
    return fs, str(path).rstrip("/")


def list_url(url: str, options: StorageOptions) -> Iterator[tuple[str, str]]:
    """(root URL, name under it) of every object under `url`, in no order; an `InputError`
    when the storage cannot be listed."""
    fs, path = filesystem(url, options)
    root = f"{url.partition('://')[0]}://{path}"
    try:
        if fs.isfile(path):
            parent, _, name = path.rpartition("/")
            yield f"{url.partition('://')[0]}://{parent}", name
            return
        found: Mapping[str, Any] = fs.find(path, detail=True)
    except TypeError as exc:  # an option the storage's library takes only when it connects
        raise UsageError(f"{url}: a --storage-option the storage does not take ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - storage libraries raise their own (no credentials)
        raise InputError(f"{url}: cannot list it: {_why(exc)}") from None
    if not found:
        raise InputError(f"{url}: no such file or folder")
    for key, info in found.items():
        if info.get("type", "file") == "file":
            yield root, key[len(path) + 1 :]


def read_url(url: str, limit: int, options: StorageOptions) -> bytes | tuple[str, str]:
    """At most `limit` + 1 bytes of the object at `url`, or (code, message) when it cannot
    be read: the object is read up to one byte over the limit, so a larger one is told."""
    fs, path = filesystem(url, options)
    try:
        with fs.open(path, "rb") as source:
            return bytes(source.read(limit + 1))
    except Exception as exc:  # noqa: BLE001 - storage libraries raise their own
        return "unreadable-file", _why(exc)


def _why(exc: BaseException) -> str:
    """A storage library's error in one line: its text, or its kind."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
