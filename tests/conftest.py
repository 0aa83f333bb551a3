from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sysconfig
from pathlib import Path

import pytest

from packager.assemble.release import BuildResult, build_release

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PAGES = Path(__file__).resolve().parent / "pages"
SEED = ROOT.parent / "shared" / "seed" / "000_6ba31efb68b6d743.txt"
TODAY = dt.date(2026, 11, 23)  # fixed, so date-in-future checks do not drift
CREATED = "2026-11-23T00:00:00Z"


def skip_unless_c_builds(without: str) -> None:
    """Skip, saying so, where no C compiler or no Python headers are: there the optional
    extensions are not built, and packager does `without` instead."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) on this machine: {without}")
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    if not headers.is_file():
        pytest.skip(f"no {headers} (Python's headers) on this machine: {without}")


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    if not SEED.is_file():
        pytest.skip(f"the seed page {SEED} is not here (it lives in ../shared beside the clone)")
    return SEED.read_bytes()


@pytest.fixture(scope="session")
def example_release(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """One release built from examples/, shared by the read-only release tests."""
    out = tmp_path_factory.mktemp("dist")
    return build_release(
        [EXAMPLES], name="kcna-sample", version="1.0.0", out=out, created=CREATED, today=TODAY
    )


def listing(folder: Path) -> list[str]:
    """What a dataset folder holds: its release folders and anything a build left (none
    where the folder is not there: a refused first build removes the NAME folder it made)."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
