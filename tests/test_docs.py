"""The project documents itself: every code, every command, the public API."""

from __future__ import annotations

import re

import packager
from packager.cli import app
from packager.contract import codes

from .conftest import ROOT

SOURCE = ROOT / "packager"


def _source_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in SOURCE.rglob("*.py") if p.name != "codes.py"]


def test_every_code_made_in_the_source_is_in_the_table() -> None:
    # Codes are made as Rejection("code", ...), code="code" or _issue("code", ...).
    pattern = re.compile(r'(?:Rejection\(\s*|code=|_issue\(\s*)"([a-z0-9-]+)"')
    made = {code for text in _source_texts() for code in pattern.findall(text)}
    assert len(made) > 10, "the scan found few codes: the pattern is broken"
    assert made - set(codes.ALL) == set()


def test_every_code_in_the_table_is_used() -> None:
    texts = "\n".join(_source_texts())
    assert {code for code in codes.ALL if f'"{code}"' not in texts} == set()


def test_every_code_is_documented() -> None:
    text = (ROOT / "docs/codes.md").read_text().split("## Exit codes")[0]
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, re.M))
    assert documented == set(codes.ALL)


def test_every_command_is_in_the_readme_and_the_contract() -> None:
    readme = (ROOT / "README.md").read_text()
    contract = (ROOT / "docs/contract.md").read_text()
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    assert sorted(names) == ["build", "diff", "export", "info", "parse", "publish", "validate"]
    for name in names:
        assert f"packager {name} " in readme
        assert f"packager {name} " in contract


def test_public_api_is_sorted_and_complete() -> None:
    assert packager.__all__ == sorted(packager.__all__)
    assert all(hasattr(packager, name) for name in packager.__all__)
