"""Shared fixtures. Paths in diagnostics are shown relative to the working directory,
so tests that check `file:line` run inside their temporary mesh directory."""

from __future__ import annotations

from pathlib import Path

import pytest

# The apply contract suite's assertions explain themselves as a test module's do.
pytest.register_assert_rewrite("tests.apply_contract")


@pytest.fixture
def mesh_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _no_parse_cache_in_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of temporary meshes would each leave a directory in ~/.cache/meshctl/hcl:
    the parse cache is off unless a test turns it on with a cache directory of its own."""
    monkeypatch.setenv("MESHCTL_PARSE_CACHE", "off")
