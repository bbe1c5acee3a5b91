"""`make run`'s banner, logged to a file (no terminal, 80 columns): every command stays on one line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from settings import Settings
from stack import cli


def test_the_banner_never_wraps_a_command_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=out, width=80, force_terminal=False, color_system=None))
    settings = Settings(environment="test", data_dir=tmp_path / "a-rather-long-data-directory-name")
    cli._banner(settings, {"declarant": "t" * 43, "supervisor": "s" * 43})
    lines = out.getvalue().splitlines()
    [curl] = [line for line in lines if "curl" in line]
    assert curl.endswith("-d @examples/green-lane.json") and "Authorization: Bearer $(jq -r .declarant" in curl
    assert any(line.endswith("t" * 43) for line in lines)  # tokens whole, too
    assert any("clearance --help" in line for line in lines) and not any("╭" in line for line in lines)
