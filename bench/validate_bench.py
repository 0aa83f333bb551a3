"""Benchmark: `packager validate` against `frictionless validate` on the same release.

Builds a release of N synthetic pages (100,000 by default) once under bench/out/, then
times both validators on it in the same run, reporting the median wall time, peak RSS and
the ratio. Identical runs vary by about 25% on a 2-core machine: compare within one run.

    python -m bench.validate_bench [--pages N] [--repeat R] [--frictionless-repeat F]

The floor (`bench.floor validate`: the sha256 of every data file, then pyarrow reading both
formats of both tables) runs in turn with packager, R times; F = 0 leaves frictionless out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Callable
from pathlib import Path

from bench.corpus import write_corpus
from bench.floor import read_all
from bench.timing import measure, median_run

OUT = Path(__file__).resolve().parent / "out"


def release_for(pages: int) -> Path:
    """A release built from `pages` synthetic pages, made once and kept in bench/out/."""
    corpus = OUT / f"pages-{pages}"
    release = OUT / f"dist-{pages}" / "bench" / "1.0.0"
    if not release.is_dir():
        if not corpus.is_dir():
            info = write_corpus(corpus, pages, seed=1)
            print(f"corpus: {info.pages} pages, {info.bytes / 1e6:.0f} MB", flush=True)
        shutil.rmtree(OUT / f"dist-{pages}", ignore_errors=True)
        build = [
            sys.executable,
            "-m",
            "packager",
            "build",
            str(corpus),
            "--name",
            "bench",
            "--version",
            "1.0.0",
            "--out",
            str(OUT / f"dist-{pages}"),
            "--created",
            "2026-01-01T00:00:00Z",
        ]
        run = measure(build)
        if run.returncode:
            raise SystemExit(f"build failed ({run.returncode})")
        print(f"build: {run.seconds:.1f} s, peak {run.peak_mb:.0f} MB", flush=True)
    return release


ROOT = Path(__file__).resolve().parent.parent


def runtime_packager(
    source: Path = ROOT, name: str = "runtime-venv", compiled: bool = True, extras: str = ""
) -> Path:
    """packager installed alone (its runtime dependencies, no test extra), as users get it:
    the code of the checkout `source`, in the venv `bench/out/<name>`; with `compiled`
    False, installed where no C compiler is found (the compiled reader is not built).

    The development venv also holds pandas (frictionless needs it to read Parquet), and
    pyarrow imports pandas whenever it is installed: +0.3 s and ~60 MB that a plain
    install never pays. So packager is timed from its own venv, frictionless from this one.
    """
    env = OUT / name
    if not (env / "bin" / "pip").exists():
        venv.create(env, with_pip=True)
        subprocess.run([env / "bin" / "pip", "install", "--quiet", str(source)], check=True)
    # Always the code of the checkout, installed (not linked): edits during a run don't leak
    # in. Without the compiled part: from a copy with no build/ folder (whose module would
    # be reused) and no compiler to be found.
    with tempfile.TemporaryDirectory() as tmp:
        tree = source
        if not compiled:
            tree = Path(tmp) / "src"
            shutil.copytree(source, tree, ignore=_not_sources(source))
        subprocess.run(
            [
                env / "bin" / "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--force-reinstall",
                str(tree),
            ],
            check=True,
            env={**os.environ, **({} if compiled else {"CC": "/bin/false"})},
        )
    # Dependencies the checkout has added since the venv was made (the reinstall above
    # takes none, so that it never touches the others).
    done = subprocess.run([env / "bin" / "pip", "check"], capture_output=True, text=True)
    missing = [  # "packager 0.1.0 requires sqlite-utils, which is not installed."
        line.split(" requires ")[1].split(",")[0]
        for line in done.stdout.splitlines()
        if line.endswith(", which is not installed.")
    ]
    if missing:
        subprocess.run([env / "bin" / "pip", "install", "--quiet", *missing], check=True)
    if extras:  # an extra's packages (the checkout itself stays as installed above)
        subprocess.run(
            [env / "bin" / "pip", "install", "--quiet", f"{source}[{extras}]"], check=True
        )
    return env / "bin" / "packager"


def _not_sources(root: Path) -> Callable[[str, list[str]], set[str]]:
    """For copytree: a checkout's own files, without what builds and runs leave in it."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n.endswith(".so")}
        if Path(folder) == root:
            skipped |= {"build", ".venv", "dist", ".git"} & set(names)
        if Path(folder) == root / "bench":
            skipped |= {"out"} & set(names)
        return skipped

    return ignore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--frictionless-repeat", type=int, default=1)
    args = parser.parse_args()
    release = release_for(args.pages)
    sizes = {p.name: p.stat().st_size / 1e6 for p in (release / "data").iterdir()}
    print("release:", ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(sizes.items())))

    bin_dir = Path(sys.executable).parent
    packager = str(runtime_packager())
    # the floor in packager's own venv too: no pandas for pyarrow to import
    floor_command = [str(Path(packager).parent / "python"), "-m", "bench.floor", "validate"]
    floor_command.append(str(release))
    ours_runs, floor_runs = [], []
    # The release is read, untimed, before every timed command, so that both read it from
    # the OS's page cache: this machine pages out memory left unused for a minute
    # (bench/README.md, "A warm floor").
    for _ in range(args.repeat):  # in turn, so that both see the same periods of the machine
        read_all(release)
        ours_runs.append(median_run([packager, "validate", str(release)], 1)[0])
        read_all(release)
        floor_runs.append(median_run(floor_command, 1, cwd=ROOT)[0])
    ours = sorted(ours_runs, key=lambda r: r.seconds)[len(ours_runs) // 2]
    floor = sorted(floor_runs, key=lambda r: r.seconds)[len(floor_runs) // 2]
    pairs = ", ".join(
        f"{a.seconds:.2f}/{b.seconds:.2f}" for a, b in zip(ours_runs, floor_runs, strict=True)
    )
    print(
        f"packager validate:     {ours.seconds:7.2f} s  peak {ours.peak_mb:6.0f} MB  exit {ours.returncode}"
    )
    print(
        f"floor (sha256 + read): {floor.seconds:7.2f} s  peak {floor.peak_mb:6.0f} MB"
        f"  packager / floor {ours.seconds / floor.seconds:.2f}x  (runs, packager/floor: {pairs})"
    )
    if args.frictionless_repeat:
        theirs, _ = median_run(
            [str(bin_dir / "frictionless"), "validate", "datapackage.json"],
            args.frictionless_repeat,
            cwd=release,
        )
        print(
            f"frictionless validate: {theirs.seconds:7.2f} s  peak {theirs.peak_mb:6.0f} MB  exit {theirs.returncode}"
        )
        print(f"ratio: packager is {theirs.seconds / ours.seconds:.1f}x faster")


if __name__ == "__main__":
    main()
