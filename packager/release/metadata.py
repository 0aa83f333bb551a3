"""Dataset metadata a user keeps with the data: ``dataset.toml``.

Everything is optional; what is given goes into ``datapackage.json`` and the dataset card.
See docs/metadata.md for the fields.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from packager.errors import InputError

FILENAME = "dataset.toml"

# What the metadata's readers take (cffconvert's CFF 1.2.0 schema, Markdown, YAML, BibTeX):
# a one-line text holds no control character and is not empty; a text of paragraphs may
# hold line breaks and tabs, nothing else below U+0020; URLs and emails as CFF's schema
# writes them. Checked when dataset.toml is read, before anything is written.
Line = Annotated[str, Field(min_length=1, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")]
Paragraphs = Annotated[str, Field(min_length=1, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]+$")]
Url = Annotated[str, Field(pattern=r"^(https|http|ftp|sftp)://[^\s\x00-\x1f\x7f]+$")]
Email = Annotated[str, Field(pattern=r"^[^\s\x00-\x1f@]+@[^\s\x00-\x1f@]+\.[^\s\x00-\x1f@]{2,}$")]


class License(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.+-]+$")
    path: Url | None = None
    title: Line | None = None


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Line
    path: Url | None = None
    email: Email | None = None


class Contributor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Line
    path: Url | None = None
    email: Email | None = None
    roles: list[Line] = Field(default_factory=list)


class Author(BaseModel):
    """Who to credit when the dataset is cited, in the Citation File Format's terms: a
    person (`given-names`, `family-names`) or an organisation or team (`name`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: Line | None = None
    given_names: Line | None = Field(default=None, alias="given-names")
    family_names: Line | None = Field(default=None, alias="family-names")
    orcid: str | None = Field(
        default=None, pattern=r"^https://orcid\.org/\d{4}-\d{4}-\d{4}-\d{3}[\dX]$"
    )
    affiliation: Line | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _named(self) -> Author:
        if not (self.name or self.family_names):
            raise ValueError("an author needs `name` (an organisation) or `family-names`")
        return self

    def display(self) -> str:
        """The author as a citation names them: "Given Family" or the name."""
        return self.name or " ".join(filter(None, (self.given_names, self.family_names)))

    def bibtex(self) -> str:
        """The author as BibTeX wants them: "Family, Given", or an organisation in braces."""
        if self.name:
            return "{" + self.name + "}"
        return ", ".join(filter(None, (self.family_names, self.given_names)))


class DatasetMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Line | None = None
    description: Paragraphs | None = None
    homepage: Url | None = None
    keywords: list[Line] = Field(default_factory=list)
    licenses: list[License] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    contributors: list[Contributor] = Field(default_factory=list)
    authors: list[Author] = Field(default_factory=list)
    # A DOI as CFF writes it: "10.5281/zenodo.1234567", not a URL.
    doi: str | None = Field(
        default=None, pattern=r"^10\.\d{4,9}(\.\d+)?/[A-Za-z0-9:/_;\-.()\[\]]+$"
    )
    citation: Paragraphs | None = None  # how to cite, as text

    def credited(self) -> list[Author]:
        """The authors to cite: `authors`, else every contributor (as a name)."""
        return self.authors or [Author(name=c.title) for c in self.contributors]


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
