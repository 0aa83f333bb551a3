"""The README's Python snippets run as written, from a folder laid out like the clone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import EXAMPLES, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _snippet(heading: str) -> str:
    section = README.split(f"## {heading}", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "no Python block in the section"
    return found.group(1)


def test_library_snippet_and_loading_snippet_run(tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(EXAMPLES, target_is_directory=True)
    script = _snippet("Using it as a library") + "\n" + _snippet("Loading a release")
    script = script.replace("dist/kcna-sample/1.0.0", str(tmp_path / "dist/kcna-sample/1.0.0"))
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[:2] == ["14", "6"]
    assert (tmp_path / "dist/kcna-sample/1.0.0/datapackage.json").is_file()


def _session(heading: str) -> list[tuple[str, list[str]]]:
    """The commands of a section's console block, each with the lines it prints."""
    section = README.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block is not None, f"no console block under {heading}"
    steps: list[tuple[str, list[str]]] = []
    lines = iter(block.group(1).splitlines())
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                command = command[:-1] + next(lines).strip()
            steps.append((command, []))
        elif line and steps:
            steps[-1][1].append(line)
    return steps


def test_the_scraper_and_new_release_sessions_print_what_the_readme_says(tmp_path: Path) -> None:
    (tmp_path / "examples-scraped").symlink_to(ROOT / "examples-scraped")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    packager = f"{sys.executable} -m packager"
    steps = _session("Articles parsed by another scraper")
    steps += _session("A new release from the last one")
    assert len(steps) == 6
    for command, expected in steps:
        run = subprocess.run(
            command.replace(".venv/bin/packager", packager) + " 2>&1",
            shell=True,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert run.stdout.splitlines() == expected, command
