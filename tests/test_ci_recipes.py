"""The pre-commit hook and the GitHub workflow we document run what they say."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import EXAMPLES, ROOT


def test_pre_commit_hook_runs_packager_validate_on_changed_files() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "packager-validate"
    command = shlex.split(hook["entry"])
    executable = Path(sys.executable).parent / command[0]
    good = sorted(EXAMPLES.glob("2025-*.txt"))[:3]
    bad = [EXAMPLES / "bad" / "empty.txt"]
    ok = subprocess.run(
        [executable, *command[1:], *map(str, good)], capture_output=True, check=False
    )
    assert ok.returncode == 0, ok.stdout
    refused = subprocess.run(
        [executable, *command[1:], *map(str, good + bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1
    assert "empty-file" in refused.stdout


def test_github_workflow_validates_with_annotations() -> None:
    workflow = yaml.safe_load((ROOT / "docs/validate-data.yml").read_text())
    steps = workflow["jobs"]["validate"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "packager validate data/ --format github" in runs
    assert "--strict" in runs
