"""Environments: `environment "NAME" { ... }` blocks, and the selection of one of them.

One mesh directory describes several environments (dev, staging, prod). Each environment
block may hold connection blocks (`kafka`, `kafka "eu"`, `schema_registry`, `aws`,
`backend`) and `variables = { ... }`. Selecting an environment happens on the syntax tree,
before anything is evaluated: the environment's connection blocks REPLACE the top-level
blocks of the same kind and label wholesale, and every `environment` block is then taken
out. Everything after this stage sees an ordinary mesh with ordinary connection blocks, so
the blocks of an environment that is not selected are never evaluated, let alone used to
connect: that is what keeps one environment's run away from another's servers.

A mesh without environment blocks is the single environment "default", exactly as before.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from meshctl.config import ast
from meshctl.config.evaluate import Namespace, Scope
from meshctl.config.language import ENVIRONMENT
from meshctl.config.schema import decode
from meshctl.errors import Diagnostics, SourceRange
from meshctl.naming import NAME_HINT, NAME_RE

DEFAULT = "default"  # the name of the one environment of a mesh that declares none
ENV_VAR = "MESHCTL_ENVIRONMENT"

# The blocks an environment replaces. Kafka clusters and registries are keyed by their label
# (the unnamed block is the cluster "default"); a mesh has one aws and one backend block.
CONNECTION_BLOCKS = ("kafka", "schema_registry", "kafka_connect", "aws", "backend")
_LABELLED = ("kafka", "schema_registry")

Blocks = Mapping[str, Sequence[ast.Block]]


@dataclass(frozen=True)
class Environment:
    """The selected environment: its name, the names declared, and its variable values."""

    name: str = DEFAULT
    declared: tuple[str, ...] = ()  # () when the mesh declares no environment block
    variables: Mapping[str, object] = field(default_factory=dict)
    variables_src: SourceRange | None = None
    # The connection blocks the environment gives itself, as (type, name): ("backend", "") when
    # it has its own backend, so the workspace knows a top-level one is shared.
    own_blocks: frozenset[tuple[str, str]] = frozenset()

    @property
    def is_declared(self) -> bool:
        return bool(self.declared)

    def has_own(self, block_type: str, name: str = "") -> bool:
        return (block_type, name) in self.own_blocks


@dataclass(frozen=True)
class Selection:
    blocks: Blocks  # the top-level blocks with the environment's connection blocks in place
    environment: Environment


def declared_names(blocks: Blocks) -> list[str]:
    """The environments a mesh declares, in file order (duplicates once)."""
    return list(dict.fromkeys(b.labels[0] for b in blocks.get("environment", ()) if len(b.labels) == 1))


def select(blocks: Blocks, wanted: str | None, bare: Scope, diags: Diagnostics) -> Selection:
    """The blocks as the environment `wanted` sees them (None: no selection was made)."""
    env_blocks = list(blocks.get("environment", ()))
    stripped = {t: list(bs) for t, bs in blocks.items() if t != "environment"}
    if not env_blocks:
        if wanted is not None:
            diags.error(
                f"--environment {wanted}: the mesh declares no environment blocks",
                hint='declare one with environment "NAME" { ... }, or run without -e / MESHCTL_ENVIRONMENT',
            )
        return Selection(stripped, Environment())
    by_name: dict[str, ast.Block] = {}
    for block in env_blocks:
        _check(block, by_name, diags)
    names = tuple(by_name)
    _check_shared_state(by_name, diags)
    if not names:  # every environment block was malformed: already reported
        return Selection(stripped, Environment())
    if wanted is None:
        diags.error(
            f"the mesh declares environments ({', '.join(names)}): choose one",
            hint=f"e.g. meshctl plan -e {names[0]}, or set {ENV_VAR}={names[0]}",
        )
        return Selection(stripped, Environment(names[0], names))
    chosen = by_name.get(wanted)
    if chosen is None:
        close = difflib.get_close_matches(wanted, names, n=1)
        diags.error(
            f"--environment {wanted}: no such environment (the mesh declares {', '.join(names)})",
            hint=f"did you mean {close[0]!r}?" if close else f'declare it with environment "{wanted}" {{ ... }}',
        )
        return Selection(stripped, Environment(names[0], names))
    own = set()
    for nested in chosen.body.blocks:
        if nested.type not in CONNECTION_BLOCKS:
            continue
        stripped[nested.type] = [b for b in stripped[nested.type] if _key(b) != _key(nested)] + [nested]
        own.add(_key(nested))
    variables, src = _variables(chosen, bare, diags)
    return Selection(stripped, Environment(wanted, names, variables, src, frozenset(own)))


def _key(block: ast.Block) -> tuple[str, str]:
    """What an environment's block replaces: the same kind, and for Kafka clusters and
    registries the same name (unnamed is "default"); aws and backend whatever their label."""
    if block.type in _LABELLED:
        return (block.type, block.labels[0] if block.labels else DEFAULT)
    return (block.type, "")


def _check(block: ast.Block, seen: dict[str, ast.Block], diags: Diagnostics) -> None:
    """An environment block's name and nested blocks (its attributes are decoded when selected,
    and checked here too so a mistake in any environment is found whichever is selected)."""
    if len(block.labels) != 1:
        diags.error("environment block needs 1 label(s): name", block.src, hint='write it as environment "dev" { ... }')
        return
    name = block.labels[0]
    if not NAME_RE.match(name):
        diags.error(f'invalid environment name "{name}"', block.src, hint=NAME_HINT)
        return
    if name in seen:
        diags.error(f'duplicate environment "{name}"', block.src, detail=f"first declared at {seen[name].src}")
        return
    seen[name] = block
    for attr in block.body.attributes.values():
        if attr.name not in ENVIRONMENT.attrs:
            close = difflib.get_close_matches(attr.name, list(ENVIRONMENT.attrs), n=1)
            diags.error(
                f'unknown attribute {attr.name!r} in environment "{name}"',
                attr.src,
                hint=f"did you mean {close[0]!r}?" if close else "an environment takes description and variables",
            )
    keys: dict[tuple[str, str], ast.Block] = {}
    for nested in block.body.blocks:
        if nested.type not in CONNECTION_BLOCKS:
            diags.error(
                f'unknown block {nested.type!r} in environment "{name}"',
                nested.src,
                hint=f"an environment holds the connection blocks {', '.join(CONNECTION_BLOCKS)}; "
                "other settings differ through variables and environment.name",
            )
            continue
        key = _key(nested)
        if key in keys:
            label = f' "{key[1]}"' if nested.type in _LABELLED and key[1] != DEFAULT else ""
            diags.error(
                f'duplicate {nested.type}{label} block in environment "{name}"',
                nested.src,
                detail=f"the first one is at line {keys[key].src.line}",
            )
            continue
        keys[key] = nested


def _check_shared_state(by_name: Mapping[str, ast.Block], diags: Diagnostics) -> None:
    """Two environments whose own backend blocks, written as plain values, are the same would
    share one state (and its lock): an error, whichever environment is selected."""
    seen: dict[tuple[object, ...], str] = {}
    for name, block in by_name.items():
        for nested in block.body.blocks:
            if nested.type != "backend":
                continue
            literals = {k: a.expr for k, a in nested.body.attributes.items() if isinstance(a.expr, ast.Literal)}
            if len(literals) != len(nested.body.attributes):
                continue  # computed: not comparable before evaluation
            where = (tuple(nested.labels), tuple(sorted((k, repr(e.value)) for k, e in literals.items())))
            if where in seen:
                diags.error(
                    f'environments "{seen[where]}" and "{name}" would share one state',
                    nested.src,
                    detail="their backend blocks are the same: one state and one lock for two environments",
                    hint="give each environment its own path or key",
                )
            seen.setdefault(where, name)


def _variables(block: ast.Block, bare: Scope, diags: Diagnostics) -> tuple[dict[str, object], SourceRange | None]:
    """`variables = { name = value }`: constant values (functions allowed, no var. or local.)."""
    attrs = {k: a for k, a in block.body.attributes.items() if k in ENVIRONMENT.attrs}
    decoded = decode(ast.Block(block.type, block.labels, ast.Body(attrs, []), block.src), ENVIRONMENT, bare, diags)
    if decoded is None or "variables" not in decoded.values:
        return {}, None
    return decoded.mapping("variables"), decoded.src_of("variables")


class EnvironmentNamespace(Namespace):
    """`environment.name`: which environment the configuration is evaluated for."""

    kind = "environment attribute"

    def __init__(self, environment: Environment):
        super().__init__({"name": environment.name})


def check_known(names: Sequence[str], src: SourceRange, environment: Environment, diags: Diagnostics) -> bool:
    """An `environments = [...]` list names declared environments only."""
    ok = True
    for name in names:
        if name in environment.declared:
            continue
        ok = False
        if not environment.declared:
            diags.error(
                f"environments names {name!r}, but the mesh declares no environment blocks",
                src,
                hint=f'declare it with environment "{name}" {{ ... }}, or remove environments',
            )
            continue
        close = difflib.get_close_matches(name, environment.declared, n=1)
        diags.error(
            f"environments names an unknown environment {name!r}",
            src,
            hint=f"did you mean {close[0]!r}?" if close else f"declared: {', '.join(environment.declared)}",
        )
    return ok
