"""Bytes of a page dump to text: the encodings crawlers actually save pages in.

UTF-8 (with or without a byte-order mark) is the norm; UTF-16 files carry a byte-order mark;
files with no valid UTF-8 multi-byte sequence and some invalid byte are Windows-1252. A
UTF-8 file with a few broken bytes keeps its text, with U+FFFD where the bytes were.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import NamedTuple

from packager.contract.rejection import Rejection

# A well-formed UTF-8 sequence of two to four bytes.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Bytes that can start a multi-byte sequence: with none, there is none to search for.
_NOT_LEAD = bytes(range(0xC2)) + bytes(range(0xF5, 0x100))
# C0 controls other than tab, line feed, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Every byte but those controls: deleting them leaves only the controls. In UTF-8 (broken
# or not) and Windows-1252 these bytes stand for themselves and no other byte decodes to a
# control, so bytes are checked before decoding.
_NOT_CONTROL = bytes(range(256)).translate(None, bytes([*range(0x09), *range(0x0E, 0x20), 0x7F]))


class DecodeWarning(NamedTuple):
    code: str
    message: str
    line: int | None = None


@dataclass(frozen=True)
class Decoded:
    text: str
    warnings: tuple[DecodeWarning, ...] = ()


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes) -> Decoded:
    """Decode a page dump's bytes, or raise `Rejection` for empty and binary files."""
    if not data.strip():
        raise Rejection("empty-file", "the file is empty", None)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise Rejection("bad-encoding", f"broken UTF-16 at byte {exc.start}", None) from None
        return _checked(
            Decoded(text, (DecodeWarning(code="decoded-utf-16", message="decoded as UTF-16"),))
        )
    if b"\x00" in data:
        raise Rejection(
            "binary-file", "the file holds NUL bytes: not text", _line_of(data, data.index(b"\x00"))
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    has_controls = bool(data.translate(None, _NOT_CONTROL))
    try:
        text = data.decode("utf-8")
        return _checked(Decoded(text), has_controls)
    except UnicodeDecodeError as exc:
        bad_line = _line_of(data, exc.start)
    if data.translate(None, _NOT_LEAD) and _UTF8_MULTIBYTE.search(data):
        text = data.decode("utf-8", errors="replace")
        warning = DecodeWarning(
            code="invalid-utf8", message="invalid UTF-8 bytes replaced with U+FFFD", line=bad_line
        )
        return _checked(Decoded(text, (warning,)), has_controls)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise Rejection(
            "bad-encoding", "neither UTF-8 nor Windows-1252 text", _line_of(data, exc.start)
        ) from None
    warning = DecodeWarning(code="decoded-windows-1252", message="decoded as Windows-1252")
    return _checked(Decoded(text, (warning,)), has_controls)


def _checked(decoded: Decoded, search: bool = True) -> Decoded:
    """`decoded`, or a Rejection if its text holds a control character. `search` False:
    the bytes held no control byte, and in UTF-8 (broken or not) and Windows-1252 only a
    control byte decodes to one, so there is nothing to search for."""
    if not search:
        return decoded
    match = _CONTROL.search(decoded.text)
    if match:
        line = decoded.text.count("\n", 0, match.start()) + 1
        raise Rejection("binary-file", "the file holds control characters: not text", line)
    return decoded
