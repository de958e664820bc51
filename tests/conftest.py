"""Shared fixtures. Paths in diagnostics are shown relative to the working directory,
so tests that check `file:line` run inside their temporary mesh directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def mesh_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path
