"""The records packager produces and the reports it returns.

`Article` and `Related` mirror the Table Schemas in ``schemas/``; a test keeps the three
(pydantic, Table Schema, Arrow) in step, so change them together.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ArticleId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
NonEmpty = Annotated[str, Field(min_length=1)]


class Related(BaseModel):
    """One item of a page's "More From ..." section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    article_id: ArticleId
    position: Annotated[int, Field(ge=1)]
    title: NonEmpty
    teaser: str | None = None
    date_published: dt.date | None = None


class Article(BaseModel):
    """One row of the `articles` table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    article_id: ArticleId
    source: NonEmpty
    title: NonEmpty
    date_published: dt.date
    date_captured: dt.date | None = None
    byline: Annotated[str, Field(max_length=200)] | None = None
    body: NonEmpty
    word_count: Annotated[int, Field(ge=0)] | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
    url: str | None = None
    source_file: NonEmpty | None = None
    source_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


# Field orders of the two tables: the order of a `RawPage`'s values and of the schemas.
ARTICLE_FIELDS = tuple(Article.model_fields)
RELATED_FIELDS = tuple(Related.model_fields)


class Page(BaseModel):
    """A page dump that parsed: its article, its related items, and any warnings."""

    model_config = ConfigDict(frozen=True)

    article: Article
    related: tuple[Related, ...] = ()
    warnings: tuple[Issue, ...] = ()
    from_cache: bool = Field(default=False, exclude=True)

    def cached_as(self, source_file: str) -> Page:
        """This page as read back from the cache for the file `source_file`: the same bytes
        may sit under another name."""
        return self.model_copy(
            update={
                "article": self.article.model_copy(update={"source_file": source_file}),
                "warnings": tuple(
                    w.model_copy(update={"file": source_file}) for w in self.warnings
                ),
                "from_cache": True,
            }
        )


class Issue(BaseModel):
    """One problem found in the data; `code` is stable (see docs/codes.md)."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    severity: Literal["error", "warning"] = "error"


class Reject(BaseModel):
    """An input that was not packaged: one line of ``rejects.jsonl``."""

    model_config = ConfigDict(frozen=True)

    source_file: str
    code: str
    message: str
    line: int | None = None

    def as_issue(self) -> Issue:
        return Issue(code=self.code, message=self.message, file=self.source_file, line=self.line)


class Report(BaseModel):
    """What `validate` and `build` found: problems are data, never exceptions."""

    issues: list[Issue] = Field(default_factory=list)
    stats: dict[str, Any] = Field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def flatten(self, keys: list[str]) -> list[list[Any]]:
        """The issues as rows of the named attributes, for compact comparisons."""
        return [[getattr(issue, key) for key in keys] for issue in self.issues]

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "stats": self.stats,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [i.model_dump() for i in self.issues],
        }


Page.model_rebuild()
