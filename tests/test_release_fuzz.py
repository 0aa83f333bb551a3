"""Releases damaged at random: `validate` always gives a report, never raises, and never
opens anything outside the release, whatever links, pipes or descriptor values it meets."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager import BuildResult, validate
from packager.contract.models import Report
from packager.errors import InputError

from .conftest import TODAY

WATCHDOG_SECONDS = int(os.environ.get("PACKAGER_FUZZ_WATCHDOG", "60"))
SECRET = "API_TOKEN=outside-the-release-4242"

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)

# (what to do, which file: an index into the release's files, a number for the change)
MUTATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("remove"), st.integers(0, 50), st.just(0)),
        st.tuples(st.just("truncate"), st.integers(0, 50), st.integers(0, 5_000)),
        st.tuples(st.just("flip"), st.integers(0, 50), st.integers(0, 100_000)),
        st.tuples(st.just("add"), st.integers(0, 50), st.integers(0, 3)),
        st.tuples(st.just("link-file"), st.integers(0, 50), st.just(0)),
        st.tuples(st.just("link-pipe"), st.integers(0, 50), st.just(0)),
        st.tuples(st.just("link-folder"), st.integers(0, 50), st.just(0)),
        st.tuples(st.just("pipe"), st.integers(0, 50), st.just(0)),
    ),
    min_size=1,
    max_size=4,
)
DESCRIPTOR_CHANGES = st.lists(
    st.tuples(
        st.sampled_from(["top", "resource", "schema", "field"]),
        st.sampled_from(["path", "name", "resources", "schema", "fields", "hash", "bytes",
                         "type", "version", "created", "constraints", "x"]),
        JSON_VALUES,
    ),
    max_size=3,
)  # fmt: skip


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder beside the releases that links point into: a secret, and a pipe that no
    one writes to (opening it to read would wait forever)."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.env").write_text(SECRET + "\n")
    os.mkfifo(folder / "pipe")
    return folder


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Every path this process opens or lists while the test runs (Python's audit events:
    open, os.scandir, os.listdir)."""
    found: list[str] = []
    active = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        watched = active[0] and event in ("open", "os.scandir", "os.listdir")
        if watched and args and isinstance(args[0], str | bytes | os.PathLike):
            found.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)  # audit hooks cannot be removed: switched off after the test
    try:
        yield found
    finally:
        active[0] = False


def _mutate(release: Path, outside: Path, what: str, which: int, number: int) -> None:
    files = sorted(p for p in release.rglob("*") if p.is_file() and not p.is_symlink())
    if not files:
        return
    path = files[which % len(files)]
    if what == "remove":
        path.unlink()
    elif what == "truncate":
        with path.open("r+b") as handle:
            handle.truncate(min(number, path.stat().st_size))
    elif what == "flip":
        data = bytearray(path.read_bytes())
        if data:
            data[number % len(data)] ^= 0x5A
            path.write_bytes(bytes(data))
    elif what == "add":
        folder = [release, release / "data", release / "data" / "x"][number % 3]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"extra-{which}.csv").write_text("a,b\n1,2\n")
    elif what in ("link-file", "link-pipe"):
        path.unlink()
        path.symlink_to(outside / ("secret.env" if what == "link-file" else "pipe"))
    elif what == "link-folder":
        folder = path.parent
        if folder != release:
            shutil.rmtree(folder)
            folder.symlink_to(outside, target_is_directory=True)
    elif what == "pipe":
        path.unlink()
        os.mkfifo(path)


def _change_descriptor(release: Path, changes: list[tuple[str, str, Any]]) -> None:
    path = release / "datapackage.json"
    if not changes or path.is_symlink() or not path.is_file():
        return
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return
    for where, key, value in changes:
        target: Any = descriptor
        if where != "top":
            resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
            target = resources[0] if isinstance(resources, list) and resources else None
            if where in ("schema", "field") and isinstance(target, dict):
                target = target.get("schema")
            if where == "field" and isinstance(target, dict):
                fields = target.get("fields")
                target = fields[0] if isinstance(fields, list) and fields else None
        if isinstance(target, dict):
            target[key] = value
    path.write_text(json.dumps(descriptor))


def _validate_with_a_watchdog(release: Path) -> Report | None:
    """`validate`, in a thread that must end within a minute (an open of the pipe would
    never end); None where the folder, stripped of both its descriptor and SHA256SUMS, is
    no release any more and its tables are refused (`InputError`: exit 2, one line)."""
    result: list[Report | BaseException] = []

    def run() -> None:
        try:
            result.append(validate([release], today=TODAY))
        except BaseException as exc:  # noqa: BLE001 - reported below, whatever it is
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WATCHDOG_SECONDS)
    assert not thread.is_alive(), "validate is stuck: it opened a pipe"
    [found] = result
    if isinstance(found, InputError) and not _still_a_release(release):
        return None  # no descriptor, no SHA256SUMS: a folder of tables, refused in one line
    if isinstance(found, BaseException):
        raise AssertionError(f"validate raised {found!r}") from found
    return found


def _still_a_release(folder: Path) -> bool:
    return any(os.path.lexists(folder / name) for name in ("datapackage.json", "SHA256SUMS"))


@settings(
    max_examples=int(os.environ.get("PACKAGER_FUZZ_EXAMPLES", "60")),
    # The same examples in every CI run; PACKAGER_FUZZ_EXAMPLES=1000 and
    # --hypothesis-seed=N search further on demand.
    derandomize=os.environ.get("PACKAGER_FUZZ_EXAMPLES") is None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutations=MUTATIONS, changes=DESCRIPTOR_CHANGES)
def test_validate_of_a_damaged_release_is_a_report_and_stays_inside(
    example_release: BuildResult,
    outside: Path,
    opened: list[str],
    tmp_path_factory: pytest.TempPathFactory,
    mutations: list[tuple[str, int, int]],
    changes: list[tuple[str, str, Any]],
) -> None:
    release = tmp_path_factory.mktemp("damaged") / "1.0.0"
    shutil.copytree(example_release.path, release)
    _change_descriptor(release, changes)
    for what, which, number in mutations:
        _mutate(release, outside, what, which, number)
    opened.clear()
    report = _validate_with_a_watchdog(release)
    if report is not None:
        assert SECRET not in report.model_dump_json()
        assert json.dumps(report.to_dict())  # the report is plain JSON
    reached = [name for name in opened if Path(name).resolve().is_relative_to(outside)]
    assert reached == [], f"validate opened {reached} outside the release"
