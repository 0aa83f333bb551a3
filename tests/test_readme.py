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
