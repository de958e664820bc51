"""The low layers import only what is below them: the floor nothing above it, `mesh` only
the floor, `compile` and `config` only `mesh` and the floor, and the I/O edges under the
engine (state, credentials) never a provider.

Read from the source with `ast`, imports inside functions included, so a deferred import
cannot hide an upward edge.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import meshctl

PACKAGE = Path(meshctl.__file__).parent

# Pure helpers every layer may use. `(root)` is `meshctl/__init__.py` (the version).
FLOOR = frozenset(
    {
        "(root)",
        "errors",
        "address",
        "documents",
        "redaction",
        "interrupt",
        "resources",
        "attributes",
        "naming",
        "iam",
        "schemas",
        "state_model",
    }
)
# The one AWS edge (boto3): below everything that talks to AWS, above the pure floor.
AWS_EDGE = "aws_session"

ALLOWED: dict[str, frozenset[str]] = {
    **{name: FLOOR for name in FLOOR},
    AWS_EDGE: FLOOR,
    "mesh": FLOOR,
    "compile": FLOOR | {"mesh"},
    "config": FLOOR | {"mesh"},
    "credentials": FLOOR | {AWS_EDGE},
    "state": FLOOR | {AWS_EDGE, "mesh", "plan", "compile", "config"},
}


def _layer(module: str) -> str:
    """`meshctl.mesh.model` -> `mesh`; `meshctl.errors` -> `errors`; `meshctl` -> `(root)`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(root)"


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported meshctl module) of every import in the file, nested ones included."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "meshctl")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "meshctl":  # `from meshctl import errors` imports the module errors
                yield from ((node.lineno, f"meshctl.{a.name}") for a in node.names if a.name != "__version__")
                yield from ((node.lineno, "meshctl") for a in node.names if a.name == "__version__")
            elif node.module.split(".")[0] == "meshctl":
                yield node.lineno, node.module


def _sources(layer: str) -> list[Path]:
    if (PACKAGE / layer).is_dir():
        return sorted((PACKAGE / layer).rglob("*.py"))
    if layer == "(root)":
        return [PACKAGE / "__init__.py"]
    return [PACKAGE / f"{layer}.py"]


def test_the_layers_named_here_exist() -> None:
    """A renamed module would otherwise make its rule check nothing."""
    for layer in ALLOWED:
        assert all(p.is_file() for p in _sources(layer)) and _sources(layer), layer


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_low_layer_imports_only_what_is_below_it(layer: str) -> None:
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
        for path in _sources(layer)
        for line, module in _imports(path)
        if _layer(module) != layer and _layer(module) not in ALLOWED[layer]
    ]
    assert upward == [], f"{layer} may import only {sorted(ALLOWED[layer])}"


def test_the_check_sees_nested_and_package_imports(tmp_path: Path) -> None:
    """The reader finds what an upward import can look like, so the rule above can fail."""
    source = tmp_path / "m.py"
    source.write_text(
        "import meshctl.engine.workspace\n"
        "from meshctl import cli\n"
        "def f():\n"
        "    from meshctl.providers.kafka.provider import KafkaProvider\n"
    )
    assert [(line, _layer(m)) for line, m in _imports(source)] == [(1, "engine"), (2, "cli"), (4, "providers")]
