"""How to cite a release: ``CITATION.cff`` (Citation File Format 1.2.0, ``type: dataset``),
and the card's citation text and BibTeX entry, all from ``dataset.toml``.

The authors are `authors`, else the contributors; a release with neither is credited to
its maintainers by the dataset's title (CFF requires an author). CFF is YAML; every value
is written as a JSON string, which is a valid YAML scalar, so no YAML library is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from packager.release.metadata import Author, DatasetMeta

CITATION = "CITATION.cff"
CFF_VERSION = "1.2.0"


@dataclass(frozen=True)
class Citable:
    """What a citation of one release says."""

    name: str
    version: str
    created: str  # RFC 3339
    meta: DatasetMeta

    @property
    def title(self) -> str:
        return self.meta.title or self.name

    @property
    def year(self) -> str:
        return self.created[:4]

    @property
    def authors(self) -> list[Author]:
        return self.meta.credited() or [Author(name=f"The maintainers of {self.title}")]

    @property
    def link(self) -> str | None:
        return f"https://doi.org/{self.meta.doi}" if self.meta.doi else self.meta.homepage


def render_cff(release: Citable) -> str:
    """CITATION.cff for the release."""
    meta = release.meta
    text = release.meta.citation
    lines = [
        f"cff-version: {CFF_VERSION}",
        f"message: {_q(text or 'If you use this dataset, please cite it as below.')}",
        "type: dataset",
        f"title: {_q(release.title)}",
        f"version: {_q(release.version)}",
        f"date-released: {_q(release.created[:10])}",
        "authors:",
    ]
    for author in release.authors:
        entries = [
            ("name", author.name),
            ("given-names", author.given_names),
            ("family-names", author.family_names),
            ("affiliation", author.affiliation),
            ("email", author.email),
            ("orcid", author.orcid),
        ]
        given = [(key, value) for key, value in entries if value]
        lines += [
            f"  {'-' if k == 0 else ' '} {key}: {_q(value)}" for k, (key, value) in enumerate(given)
        ]
    if meta.description:
        lines.append(f"abstract: {_q(meta.description)}")
    if meta.doi:
        lines.append(f"doi: {_q(meta.doi)}")
    if meta.homepage:
        lines.append(f"url: {_q(meta.homepage)}")
    if meta.licenses and meta.licenses[0].name:
        lines.append(f"license: {_q(meta.licenses[0].name)}")
    if meta.keywords:
        lines += ["keywords:", *(f"  - {_q(word)}" for word in meta.keywords)]
    return "\n".join(lines) + "\n"


def citation_text(release: Citable) -> str:
    """The preferred citation: dataset.toml's `citation`, else "Authors (year). Title
    (version v). link"."""
    if release.meta.citation:
        return release.meta.citation
    names = "; ".join(author.display() for author in release.authors)
    link = f" {release.link}" if release.link else ""
    return (
        f"{names} ({release.year}). {release.title} (version {release.version}) [Data set].{link}"
    )


def bibtex(release: Citable) -> str:
    """A BibTeX entry for the release (`@misc`, which every BibTeX style knows)."""
    key = "".join(c if c.isalnum() else "_" for c in f"{release.name}_{release.version}")
    fields = [
        ("title", "{" + _braced(release.title) + "}"),
        ("author", " and ".join(_braced(a.bibtex()) for a in release.authors)),
        ("year", release.year),
        ("version", release.version),
        ("howpublished", "Dataset"),
        ("doi", release.meta.doi),
        ("url", release.link),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}"


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _braced(text: str) -> str:
    """Text for a BibTeX field: braces balanced (a stray one would end the field)."""
    depth = 0
    out = []
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(char)
    return "".join(out) + "}" * depth
