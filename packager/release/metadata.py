"""Dataset metadata a user keeps with the data: ``dataset.toml``.

Everything is optional; what is given goes into ``datapackage.json`` and the dataset card.
See docs/metadata.md for the fields.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from packager.errors import InputError

FILENAME = "dataset.toml"


class License(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.+-]+$")
    path: str | None = None
    title: str | None = None


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    path: str | None = None
    email: str | None = None


class Contributor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    path: str | None = None
    email: str | None = None
    roles: list[str] = Field(default_factory=list)


class DatasetMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    description: str | None = None
    homepage: str | None = None
    keywords: list[str] = Field(default_factory=list)
    licenses: list[License] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    contributors: list[Contributor] = Field(default_factory=list)


def load_metadata(path: Path) -> DatasetMeta:
    """Read and check a dataset.toml; a bad one is an `InputError` naming file and field."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    try:
        return DatasetMeta.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise InputError(f"{path}: {where}: {error['msg']}") from None


def find_metadata(inputs: list[Path]) -> Path | None:
    """The dataset.toml kept in the first input folder, if there is one."""
    for given in inputs:
        if given.is_dir():
            candidate = given / FILENAME
            return candidate if candidate.is_file() else None
    return None
