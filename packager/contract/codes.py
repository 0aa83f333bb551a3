"""Every code packager reports, with what it means. docs/codes.md lists the same codes,
and a test keeps code, this table and the docs in step."""

from __future__ import annotations

REJECTS = {
    "empty-file": "the file is empty or only whitespace",
    "binary-file": "the file holds NUL bytes or control characters: not text",
    "bad-encoding": "the bytes are neither UTF-8, UTF-16 (with a byte-order mark) nor Windows-1252",
    "not-a-page-dump": "neither a capture line nor a Date: line, or an HTML page",
    "missing-date": "a page with no 'Date: DD/MM/YYYY | Source: ...' line, a row with no date",
    "bad-date": "a date that does not exist (31/02), or not DD/MM/YYYY (pages) or YYYY-MM-DD",
    "missing-source": "the source is empty (a page's Source: field, a row's source)",
    "missing-title": "no title before a page's Date: line, or a row's title is empty",
    "empty-body": "no body paragraph (a lone byline-like line is body, not byline)",
    "date-after-capture": "date_published is after the page's capture date",
    "date-in-future": "date_published is after today",
    "date-before-outlets": "date_published is before any outlet published (--earliest-date)",
    "epoch-date": "a table's date_published is 1970-01-01, the Unix epoch: a lost date",
    "invalid-article": "the record breaks a field rule of the Table Schemas (a type, a pattern)",
    "unreadable-file": "the file could not be read (permissions, I/O error, a symlink loop)",
    "not-a-regular-file": "a folder, device or pipe where a page was expected: not read",
    "link-outside-input": "a symlink in an input folder that leads out of it: not read",
    "too-large": "a page dump over the size limit (--max-page-bytes), rejected unread",
    "title-too-long": "a title over the length limit (--max-title-length)",
}

WARNINGS = {
    "decoded-windows-1252": "the page was not UTF-8 and was decoded as Windows-1252",
    "decoded-utf-16": "the page was UTF-16 with a byte-order mark",
    "invalid-utf8": "a UTF-8 page held invalid bytes; they read as U+FFFD",
    "duplicate-merged": "the page gave an article_id seen already; the kept page is named",
    "duplicate-body-differs": "as duplicate-merged, and the two bodies differ",
    "incomplete-related-item": "a related item with no date: the page may be cut short",
    "derived-value-replaced": "a table gave article_id, word_count or language unlike the derived",
    "byline-in-body": "a table's byline breaks the byline rule: kept as the body's last paragraph",
    "articles-removed": "a new release lacks articles of the previous one (see CHANGES.md)",
    "skipped-file": "a file in an input folder not read: no input (not .txt or a table), "
    "a name that is not UTF-8, or a subfolder that cannot be listed",
    "unknown-columns": "a table's columns that give no field of the contract, dropped (named)",
    "language-differs": "a table's language that its body reads otherwise: kept, counted by file",
    "revision-dropped": "a carried release's revision that is not a text of its article",
    "control-characters": "a table's texts held control characters: each made a space",
}

# Validation of a release. Names follow frictionless where it has one.
RELEASE = {
    "package-error": "datapackage.json is not JSON or lacks a required property",
    "unsafe-path": "a resource path is absolute, a URL, leaves the release folder, or is a link",
    "unsafe-entry": "a symbolic or hard link, pipe, socket or device in a release: never opened",
    "scheme-error": "a file the descriptor or SHA256SUMS names is missing",
    "byte-count": "a file's size differs from the descriptor's",
    "hash-count": "a file's sha256 differs from the descriptor's or SHA256SUMS",
    "checksum-missing": "SHA256SUMS is missing, or a file of the release is not listed in it",
    "checksum-format": "a line of SHA256SUMS is not UTF-8 or not a digest and a file name",
    "table-mismatch": "a table's Parquet and CSV files hold different rows",
    "unreadable-table": "a data file cannot be read as its format (corrupt, truncated)",
    "schema-error": "a resource's Table Schema is missing or invalid",
}

# Rows and tables checked against a Table Schema: frictionless's codes and meanings.
TABLE = {
    "type-error": "a cell is not of its field's type (a date that is not YYYY-MM-DD, ...)",
    "constraint-error": "a cell breaks required, pattern, enum, a length or a bound",
    "unique-error": "a value of a unique field repeats an earlier row's",
    "primary-key": "a primary key repeats an earlier row's, or all its cells are empty",
    "foreign-key": "a value has no match in the table its foreign key refers to",
    "missing-cell": "a row has fewer cells than the header",
    "extra-cell": "a row has more cells than the header",
    "blank-row": "a row with every cell empty",
    "missing-label": "a field of the schema has no column in the file",
    "extra-label": "the file has a column the schema does not name",
    "json-error": "a JSON Lines line is not a JSON object",
}

# The contract's own rules for articles (docs/contract.md), beyond the Table Schema.
# empty-body, date-after-capture and date-in-future are shared with the rejects above.
CONTRACT = {
    "article-id-mismatch": "article_id is not derived from source, date_published and title",
    "word-count-mismatch": "word_count is not the number of words in body",
    "bad-byline": "a byline that breaks the byline rule, or with no body before it",
}

ALL = {**REJECTS, **WARNINGS, **RELEASE, **TABLE, **CONTRACT}
