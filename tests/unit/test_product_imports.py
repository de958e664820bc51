"""The product package never imports the dev sandbox (sandbox/, package meshctl_sandbox):
the sandbox may import meshctl, never the reverse, and the wheel does not ship it."""

from __future__ import annotations

import ast
from pathlib import Path

PRODUCT = Path(__file__).resolve().parents[2] / "meshctl"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_of_meshctl_imports_the_sandbox() -> None:
    sources = sorted(PRODUCT.rglob("*.py"))
    assert len(sources) > 50
    offenders = {
        str(path.relative_to(PRODUCT.parent)): sorted(
            name
            for name in _imports(path)
            if name.split(".")[0] == "meshctl_sandbox" or name.startswith("meshctl.sandbox")
        )
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}
