"""The release's ``croissant.json``: MLCommons Croissant 1.1 metadata (JSON-LD).

What dataset shelves (Hugging Face, Kaggle, OpenML, Dataverse) read: the dataset's name,
description, license, creators, date and version; each data file (a `cr:FileObject` with
its sha256; a `cr:FileSet` of a partitioned table's parts, whose sums are in SHA256SUMS);
and a `cr:RecordSet` a table, read from its Parquet files, with typed, described fields
from the Table Schemas, the tables' keys and the foreign key from related rows to
articles. `mlcroissant validate` takes it and `mlcroissant load` gives the release's rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packager.contract.schema import TABLES, table_schema
from packager.release.checksums import Digests
from packager.release.citation import Citable, bibtex
from packager.release.write import parts_glob, table_files

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
# The Croissant 1.1 JSON-LD context, as the standard gives it.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
ENCODINGS = {"parquet": "application/x-parquet", "csv": "text/csv"}
DATA_TYPES = {"string": "sc:Text", "integer": "sc:Integer", "date": "sc:Date"}


def make_croissant(
    folder: Path, release: Citable, description: str, digests: Digests
) -> dict[str, Any]:
    """The Croissant metadata of the release in `folder` (its data files written)."""
    meta = release.meta
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": release.name,
        "alternateName": release.title,
        "description": description,
        "version": release.version,
        "datePublished": release.created,
        "creator": [_creator(author) for author in release.authors],
        "citeAs": bibtex(release),
    }
    if meta.licenses:
        licence = meta.licenses[0]
        document["license"] = licence.path or licence.title or licence.name
    if release.link:
        document["url"] = release.link
    if meta.keywords:
        document["keywords"] = meta.keywords
    if meta.doi:
        document["identifier"] = f"https://doi.org/{meta.doi}"
    distribution: list[dict[str, Any]] = []
    sources: dict[str, dict[str, Any]] = {}
    for table in TABLES:
        for fmt in ("parquet", "csv"):
            entry = _file_entry(folder, table, fmt, digests)
            distribution.append(entry)
            if fmt == "parquet":
                kind = "fileObject" if entry["@type"] == "cr:FileObject" else "fileSet"
                sources[table] = {kind: {"@id": entry["@id"]}}
    document["distribution"] = distribution
    document["recordSet"] = [_record_set(table, sources[table]) for table in TABLES]
    return document


def _creator(author: Any) -> dict[str, Any]:
    kind = "sc:Organization" if author.name else "sc:Person"
    creator: dict[str, Any] = {"@type": kind, "name": author.display()}
    if author.orcid:
        creator["identifier"] = author.orcid
    if author.email:
        creator["email"] = author.email
    if author.affiliation:
        creator["affiliation"] = {"@type": "sc:Organization", "name": author.affiliation}
    return creator


def _file_entry(folder: Path, table: str, fmt: str, digests: Digests) -> dict[str, Any]:
    """A FileObject for a table's one file, a FileSet for its parts."""
    paths = table_files(folder, table, fmt)
    name = f"{table}-{fmt}"
    if len(paths) == 1:
        return {
            "@type": "cr:FileObject",
            "@id": name,
            "name": name,
            "contentUrl": paths[0],
            "contentSize": f"{(folder / paths[0]).stat().st_size} B",
            "encodingFormat": ENCODINGS[fmt],
            "sha256": digests(paths[0]),
        }
    return {
        "@type": "cr:FileSet",
        "@id": name,
        "name": name,
        "description": f"The {table} table's parts, one a partition (sha256 in SHA256SUMS)",
        "encodingFormat": ENCODINGS[fmt],
        "includes": parts_glob(table, fmt),
    }


def _record_set(table: str, source: dict[str, Any]) -> dict[str, Any]:
    schema = table_schema(table)
    keys = schema["primaryKey"]
    references = {
        key["fields"][0]: f"{key['reference']['resource']}/{key['reference']['fields'][0]}"
        for key in schema.get("foreignKeys", [])
    }
    fields = []
    for f in schema["fields"]:
        field: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"{table}/{f['name']}",
            "name": f["name"],
            "description": f.get("description", f["name"]),
            "dataType": DATA_TYPES[f.get("type", "string")],
            "source": {**source, "extract": {"column": f["name"]}},
        }
        if f["name"] in references:
            field["references"] = {"field": {"@id": references[f["name"]]}}
        fields.append(field)
    return {
        "@type": "cr:RecordSet",
        "@id": table,
        "name": table,
        "description": schema.get("description", table),
        "key": [{"@id": f"{table}/{key}"} for key in keys],
        "field": fields,
    }
