"""Benchmark: the peak memory of `packager build` on one large page, against the page's size.

A page of SIZE megabytes (one article whose body is most of it, our own text) is built
alone, and so is a small page; what the large page costs is the difference of the two
peaks (the program itself, some 140 MB, is not the page's). Two kinds of text: all ASCII,
and the same with typographic apostrophes (U+2019), which make the whole text two bytes
a character once decoded.

    python -m bench.memory_bench [--sizes 50,200] [--compare LABEL=CHECKOUT ...]

`--compare` builds with the code of another checkout too (as bench.build_bench does).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from bench.timing import measure
from bench.validate_bench import OUT, runtime_packager

_HEAD = """March 9, 2026Mar 9, 2026
KCNA KCNA

Power station workers overhaul turbines ahead of summer

Date: 05/03/2026 | Source: KCNA | Read original version at source

"""
_TAIL = """

More From KCNA

Greenhouse farm harvests its first crop

March 3, 2026

More Articles
"""
_PARAGRAPH = "Engineers of the complex overhauled the turbines ahead of the summer peak. " * 14


def page(folder: Path, megabytes: int, apostrophe: str) -> Path:
    """A folder holding one page of about `megabytes` MB."""
    paragraph = _PARAGRAPH.replace("complex ", f"complex{apostrophe}s ")
    count = max(1, megabytes * 1_000_000 // (len(paragraph) + 2))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page.txt").write_text(_HEAD + "\n\n".join([paragraph] * count) + _TAIL)
    return folder


def peak_mb(packager: Path, pages: Path) -> float:
    out = OUT / "memory-build"
    shutil.rmtree(out, ignore_errors=True)
    run = measure(
        [str(packager), "build", str(pages), "--name", "b", "--version", "1.0.0", "--out",
         str(out), "--max-page-bytes", str(1 << 30), "--quiet"]
    )  # fmt: skip
    if run.returncode:
        raise SystemExit(f"{packager}: the build of {pages} failed ({run.returncode})")
    return run.peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200", help="page sizes in MB")
    parser.add_argument("--compare", action="append", default=[], help="LABEL=CHECKOUT")
    args = parser.parse_args()
    variants = {"this code": runtime_packager()}
    for item in args.compare:
        label, _, checkout = item.partition("=")
        variants[label] = runtime_packager(Path(checkout), name=f"runtime-venv-{label}")
    print(
        f"{'page MB':>8} {'text':<12} {'variant':<12} {'peak MB':>8} {'page costs':>10} {'x page':>7}"
    )
    for megabytes in (int(s) for s in args.sizes.split(",")):
        for kind, apostrophe in (("ASCII", "'"), ("U+2019", "\u2019")):
            small = page(OUT / "memory-small", 0, apostrophe)
            large = page(OUT / "memory-large", megabytes, apostrophe)
            size = (large / "page.txt").stat().st_size / 1e6
            for label, packager in variants.items():
                base, peak = peak_mb(packager, small), peak_mb(packager, large)
                print(
                    f"{size:>8.0f} {kind:<12} {label:<12} {peak:>8.0f} {peak - base:>10.0f} "
                    f"{(peak - base) / size:>7.1f}",
                    flush=True,
                )
            shutil.rmtree(large)


if __name__ == "__main__":
    main()
