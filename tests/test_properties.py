"""Property tests: the parser never raises, and rendering a valid article as a page dump and
parsing it back gives the same article. Plus a mutation test of whole builds."""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager import Page, Reject, build_release, parse_page, validate
from packager.contract.rejection import Rejection
from packager.inputs.decode import decode
from packager.inputs.pages import MONTHS

from .conftest import CREATED, EXAMPLES, TODAY

MONTH_NAMES = {number: name for name, number in MONTHS.items()}
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ평양새학교건설éü"
WORD = st.text(alphabet=LETTERS + "0123456789-'’", min_size=1, max_size=12).filter(
    lambda w: w[0].isalpha()
)
WORDS = st.lists(WORD, min_size=1, max_size=25).map(" ".join)
SENTENCE = WORDS.map(lambda s: s + ".")  # closing punctuation: never taken for a byline
RESERVED = ("Date:", "More From", "More Articles")


def _free(text: str) -> bool:
    return not text.startswith(RESERVED) and not text.lower().startswith("date")


def _other_than(title: str, text: str) -> bool:
    """A teaser free to use, and not its item's title."""
    return text != title and _free(text)


@st.composite
def articles(draw: st.DrawFn) -> dict[str, Any]:
    published = draw(st.dates(dt.date(1990, 1, 1), TODAY))
    captured = draw(st.one_of(st.none(), st.dates(published, TODAY)))
    related = []
    for _ in range(draw(st.integers(0, 3))):
        title = draw(WORDS.filter(_free))
        teaser = draw(SENTENCE.filter(functools.partial(_other_than, title)))
        related.append((title, teaser, draw(st.dates(dt.date(1990, 1, 1), TODAY))))
    return {
        "source": draw(st.sampled_from(["KCNA", "Rodong Sinmun", "Pyongyang Times", "Naenara"])),
        "title": draw(WORDS.filter(_free)),
        "published": published,
        "captured": captured,
        "paragraphs": draw(st.lists(SENTENCE.filter(_free), min_size=1, max_size=5)),
        "byline": draw(
            st.one_of(
                st.none(), WORDS.filter(lambda b: _free(b) and len(b) <= 200 and b[-1].isalpha())
            )
        ),
        "related": related,
        "header": draw(st.booleans()),
        "crlf": draw(st.booleans()),
    }


def _long(day: dt.date) -> str:
    return f"{MONTH_NAMES[day.month]} {day.day}, {day.year}"


def render(a: dict[str, Any]) -> bytes:
    lines = []
    if a["captured"]:
        d = a["captured"]
        lines.append(_long(d) + f"{MONTH_NAMES[d.month][:3]} {d.day}, {d.year}")
    if a["header"]:
        lines.append(f"KCNA {a['source']}")
    p = a["published"]
    lines += [
        "",
        a["title"],
        "",
        f"Date: {p.day:02d}/{p.month:02d}/{p.year} | Source: {a['source']} | Read original",
        "",
    ]
    for paragraph in a["paragraphs"]:
        lines += [paragraph, ""]
    if a["byline"]:
        lines += [a["byline"], ""]
    if a["related"]:
        lines += [f"More From {a['source']}", ""]
        for title, teaser, day in a["related"]:
            lines += [title, "", title, "", teaser, "", _long(day), "", teaser, ""]
    lines.append("More Articles")
    text = "\n".join(lines) + "\n"
    return text.replace("\n", "\r\n").encode() if a["crlf"] else text.encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles())
def test_a_rendered_article_parses_back_to_itself(a: dict[str, Any]) -> None:
    page = parse_page(render(a), "page.txt", today=TODAY)
    assert isinstance(page, Page), page
    article = page.article
    assert article.source == a["source"]
    assert article.title == a["title"]
    assert article.date_published == a["published"]
    assert article.date_captured == a["captured"]
    assert article.body == "\n\n".join(a["paragraphs"])
    assert article.byline == a["byline"]
    assert [(r.title, r.teaser, r.date_published) for r in page.related] == a["related"]
    assert [r.position for r in page.related] == list(range(1, len(a["related"]) + 1))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_page_or_a_reject(data: bytes) -> None:
    _page_or_reject(parse_page(data, "x.txt", today=TODAY))


def _page_or_reject(result: object) -> None:
    assert isinstance(result, Page | Reject)
    # The build skips the models, so they must never be what refuses a page.
    assert not isinstance(result, Reject) or result.code != "invalid-article"


CLEAN_LINES = (Path(__file__).resolve().parent / "pages" / "clean.txt").read_text().splitlines()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(CLEAN_LINES), st.text(max_size=80)), max_size=60),
    st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1"]),
)
def test_any_mix_of_page_lines_gives_a_page_or_a_reject(lines: list[str], encoding: str) -> None:
    data = "\n".join(lines).encode(encoding, errors="replace")
    _page_or_reject(parse_page(data, "x.txt", today=TODAY))


def _mutate(data: bytes, rng: random.Random) -> bytes:
    kind = rng.choice(["flip", "drop", "duplicate", "truncate"])
    if kind == "flip" and data:
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf)
    lines = data.split(b"\n")
    if kind == "drop" and lines:
        for _ in range(rng.randint(1, 4)):
            if lines:
                lines.pop(rng.randrange(len(lines)))
    elif kind == "duplicate" and lines:
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
    else:
        return data[: rng.randrange(len(data) + 1)]
    return b"\n".join(lines)


def test_corrupted_examples_never_crash_a_build_and_counts_add_up(tmp_path: Path) -> None:
    rng = random.Random(20261123)
    pages = sorted(p for p in EXAMPLES.rglob("*.txt"))
    folder = tmp_path / "mutants"
    folder.mkdir()
    for n in range(300):
        source = rng.choice(pages)
        (folder / f"{n:03d}-{source.name}").write_bytes(_mutate(source.read_bytes(), rng))
    result = build_release(
        [folder], name="m", version="1.0.0", out=tmp_path / "out", created=CREATED, today=TODAY
    )
    assert result.pages == 300
    assert result.pages == result.articles + result.duplicates + result.rejects
    assert result.articles > 0 and result.rejects > 0
    assert validate([result.path], today=TODAY).valid


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3\xa9"]))
def test_decoded_text_never_holds_a_control_character(data: bytes, prefix: bytes) -> None:
    # decode() checks for controls on bytes where only a control byte can give one.
    try:
        decoded = decode(prefix + data)
    except Rejection:
        return
    assert not re.search(r"[\x00-\x08\x0e-\x1f\x7f]", decoded.text)
