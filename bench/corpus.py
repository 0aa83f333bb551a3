"""Synthetic KCNA Watch page dumps of any size, in the contract's format, with its variants.

Our own text (a small vocabulary recombined), realistic sizes (bodies of about 2.5 KB,
up to 14 related items), the layout variants real dumps show, duplicate captures and a
share of broken pages. The same seed gives the same bytes.

    python -m bench.corpus OUT_DIR N [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SOURCES = (
    ["KCNA"] * 7
    + ["Rodong Sinmun"] * 5
    + ["Pyongyang Times"] * 3
    + [
        "Voice of Korea",
        "Minju Choson",
        "Naenara",
        "Uriminzokkiri",
    ]
)
SUBJECTS = [
    "workers",
    "farmers",
    "builders",
    "scientists",
    "teachers",
    "miners",
    "engineers",
    "students",
    "officials",
    "youth",
    "brigades",
    "fishermen",
    "delegates",
    "researchers",
    "technicians",
]
VERBS = [
    "completed",
    "built",
    "modernized",
    "repaired",
    "opened",
    "inspected",
    "raised",
    "introduced",
    "expanded",
    "finished",
    "planted",
    "produced",
    "launched",
    "restored",
    "equipped",
]
OBJECTS = [
    "a power station",
    "the irrigation channels",
    "a new factory",
    "the railway line",
    "a school",
    "a hospital ward",
    "the orchards",
    "greenhouse farms",
    "a fishery station",
    "the housing blocks",
    "a textile mill",
    "the coal mines",
    "a bridge",
    "the seed centre",
    "a science library",
]
PLACES = [
    "in South Hwanghae Province",
    "in Ryanggang Province",
    "in Pyongyang",
    "near Hamhung",
    "in Kaesong",
    "on the east coast",
    "in North Phyongan Province",
    "in Kangwon Province",
    "in Sinuiju",
    "in Chongjin",
]
TAILS = [
    "ahead of schedule",
    "with local materials",
    "over two winters",
    "in record time",
    "with equipment made at home",
    "after a month of preparation",
    "with the help of residents",
]
HANGUL = [
    "평양",
    "농장",
    "공장",
    "건설",
    "근로자",
    "학교",
    "발전소",
    "주민",
    "과학",
    "기술",
    "새",
    "살림집",
    "완공",
    "진행",
    "참가",
    "성과",
]


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(PLACES)} have {rng.choice(VERBS)} "
        f"{rng.choice(OBJECTS)} {rng.choice(TAILS)}."
    )


def _paragraph(rng: random.Random, korean: bool) -> str:
    if korean:
        return " ".join(rng.choice(HANGUL) for _ in range(rng.randint(25, 45))) + "."
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _long(d: dt.date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def _short(d: dt.date) -> str:
    return f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}"


@dataclass
class Page:
    title: str
    source: str
    published: dt.date
    captured: dt.date
    paragraphs: list[str]
    byline: str | None
    related: list[tuple[str, str, dt.date]]
    korean: bool = False
    variants: set[str] = field(default_factory=set)


def _page(rng: random.Random, index: int) -> Page:
    korean = rng.random() < 0.05
    published = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(3000))
    captured = published + dt.timedelta(days=rng.randrange(0, 400))
    if korean:
        title = " ".join(rng.choice(HANGUL) for _ in range(5)) + f" {index}"
    else:
        title = f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)} ({index})"
    related = []
    for _ in range(rng.choice([0, 4, 8, 14, 14])):
        teaser = _sentence(rng)[:128]
        related.append(
            (
                _sentence(rng)[:60].rstrip(" ."),
                teaser,
                captured - dt.timedelta(days=rng.randrange(5)),
            )
        )
    return Page(
        title=title,
        source=rng.choice(SOURCES),
        published=published,
        captured=captured,
        paragraphs=[_paragraph(rng, korean) for _ in range(rng.randint(6, 12))],
        byline=(
            f"Kim {rng.choice(SUBJECTS).capitalize()} Ho, staff reporter"
            if rng.random() < 0.3
            else None
        ),
        related=related,
        korean=korean,
    )


def render(page: Page, rng: random.Random) -> bytes:
    """The page dump's bytes, with a random share of the layout variants."""
    wrapped = rng.random() < 0.05
    lines = [_long(page.captured) + _short(page.captured)]
    if rng.random() >= 0.05:
        lines.append(f"KCNA {page.source}")
    lines += ["", page.title, ""]
    lines.append(
        f"Date: {page.published.day:02d}/{page.published.month:02d}/{page.published.year} "
        f"| Source: {page.source} | Read original version at source"
    )
    lines.append("")
    for paragraph in page.paragraphs:
        if wrapped:
            words = paragraph.split(" ")
            lines += [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
        else:
            lines.append(paragraph)
        lines.append("")
    if page.byline:
        lines += [page.byline, ""]
    if page.related:
        lines += [f"More From {page.source}", ""]
        for title, teaser, when in page.related:
            lines += [title, "", title, "", teaser, "", _long(when), "", teaser, ""]
    end_marker = rng.random() >= 0.05
    if end_marker:
        lines.append("More Articles")
    text = "\n".join(lines) + ("\n" if end_marker else "")
    if rng.random() < 0.05:
        text = text.replace("\n\n", "\n\n\n")
    if rng.random() < 0.05:
        text = text.replace("\n", "  \n")
    if rng.random() < 0.05:
        text = text.replace("\n", "\r\n")
    if not page.korean and rng.random() < 0.03:
        return text.replace("have", "have “").replace(".", "”.", 1).encode("cp1252")
    data = text.encode("utf-8")
    return b"\xef\xbb\xbf" + data if rng.random() < 0.05 else data


BAD_KINDS = ("missing-date", "bad-date", "empty-body", "empty-file", "not-a-page-dump")


def _bad(page: Page, rng: random.Random, kind: str) -> bytes:
    good = render(page, rng).decode("utf-8", errors="replace")
    if kind == "missing-date":
        return "\n".join(x for x in good.splitlines() if not x.startswith("Date:")).encode()
    if kind == "bad-date":
        return good.replace(
            f"Date: {page.published.day:02d}/{page.published.month:02d}", "Date: 31/02", 1
        ).encode()
    if kind == "empty-body":
        page.paragraphs, page.byline = [], None
        return render(page, rng)
    if kind == "empty-file":
        return b""
    return b"<!DOCTYPE html>\n<html><body><p>Not found</p></body></html>\n"


@dataclass
class CorpusInfo:
    pages: int = 0
    good: int = 0
    duplicates: int = 0
    edited: int = 0  # of the duplicates, captures with a text of their own
    bad: int = 0
    bytes: int = 0


def write_corpus(
    folder: Path, n: int, *, seed: int = 0, bad_share: float = 0.02, duplicate_share: float = 0.02
) -> CorpusInfo:
    """Write `n` page dumps under `folder`; the counts say what a build should find."""
    rng = random.Random(seed)
    info = CorpusInfo()
    kept: list[Page] = []
    for index in range(n):
        roll = rng.random()
        if roll < bad_share:
            data = _bad(_page(rng, index), rng, BAD_KINDS[index % len(BAD_KINDS)])
            info.bad += 1
        elif roll < bad_share + duplicate_share and kept:
            # The same article captured again, a day later; one time in two, edited since
            # (a sentence added to its last paragraph: the release keeps both texts).
            original = rng.choice(kept)
            original.captured += dt.timedelta(days=1)
            if rng.random() < 0.5:
                last = f"{original.paragraphs[-1]} {_sentence(rng)}"
                original.paragraphs = [*original.paragraphs[:-1], last]
                info.edited += 1
            data = render(original, rng)
            info.duplicates += 1
        else:
            page = _page(rng, index)
            kept.append(page)
            if len(kept) > 1000:
                kept.pop(0)
            data = render(page, rng)
            info.good += 1
        name = f"{index:07d}_{hashlib.sha256(data).hexdigest()[:16]}.txt"
        path = folder / f"{index // 1000:04d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        info.pages += 1
        info.bytes += len(data)
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    info = write_corpus(args.out, args.n, seed=args.seed)
    print(
        f"{info.pages} pages ({info.good} articles, {info.duplicates} duplicates, {info.bad} bad), {info.bytes / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
