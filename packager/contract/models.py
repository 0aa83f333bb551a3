"""The records packager produces and the reports it returns.

`Article` and `Related` are made from the Table Schemas in ``schemas/``
(`packager.contract.schema.model`): a field added there is a field of the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from packager.contract.schema import model

if TYPE_CHECKING:  # the models are made from the Table Schemas at import time

    class _Row(BaseModel):
        def __getattr__(self, name: str) -> Any: ...

    class Article(_Row):
        """One row of the `articles` table."""

    class Related(_Row):
        """One item of a page's "More From ..." section."""

else:
    Article = model("articles", "Article", "One row of the `articles` table.")
    Related = model("related", "Related", 'One item of a page\'s "More From ..." section.')


class Page(BaseModel):
    """A page dump that parsed: its article, its related items, and any warnings."""

    model_config = ConfigDict(frozen=True)

    article: Article
    related: tuple[Related, ...] = ()
    warnings: tuple[Issue, ...] = ()


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
