"""The stages of loading a mesh directory, in the pipeline's order.

    read_sources -> parse_sources                                             (syntax)
    collect_blocks -> select_environment
    read_var_files -> bind_variables -> evaluate_locals -> decode_blocks -> decode_module_mesh
    build_model -> place_in_environment -> validate_model
    expand_modules -> validate_expanded

Each stage takes earlier stages' values and returns `Staged`: its value, the diagnostics it
found, and the values it found that no output may show. A stage reports every problem it
finds and never raises for a configuration problem, so a caller (a test) can run the pipeline
up to any stage and look at what it has. `config.loader.load` runs them all, stops after each
line above that found an error (the problems of one line are reported together), and
registers the secrets for redaction; no stage has that side effect itself.

Reading files happens in the read stages only, apart from what the configuration asks for
while it is evaluated (`file()`, `templatefile()`) and the files of the modules it uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Generic, TypeVar

from meshctl.config import ast, environments, hcl, module_mesh, modules, placement, root_outputs
from meshctl.config.builder import build_mesh
from meshctl.config.environments import Environment, EnvironmentNamespace, Selection
from meshctl.config.evaluate import Scope
from meshctl.config.instances import REPEATABLE, decode_repeatable
from meshctl.config.language import SECRET_ATTRIBUTES, TOP_LEVEL
from meshctl.config.locals import Locals
from meshctl.config.moved import decode_moved
from meshctl.config.schema import Decoded, decode
from meshctl.config.variables import BoundVariables, VariableInputs, bind
from meshctl.documents import BadDocumentError, display_path, read_text
from meshctl.errors import Diagnostic, Diagnostics, MeshError
from meshctl.mesh.model import Mesh, MovedBlock
from meshctl.mesh.resources import check_application_secrets, check_principal_secrets, check_resource
from meshctl.mesh.validate import check_outputs, validate
from meshctl.naming import DEFAULT_CLUSTER

T = TypeVar("T")

Parser = Callable[[str, str], ast.Body]  # (text, shown name) -> syntax tree; config.parse_cache's or hcl.parse
Functions = Mapping[str, Callable[..., object]]
Blocks = Mapping[str, Sequence[ast.Block]]  # the top-level blocks by type: every type of `TOP_LEVEL` a key


@dataclass(frozen=True)
class Staged(Generic[T]):
    """What a stage made, and what it found on the way."""

    value: T
    diagnostics: tuple[Diagnostic, ...] = ()
    secrets: tuple[object, ...] = ()  # sensitive values it read: the loader registers them for redaction

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def _staged(value: T, diags: Diagnostics, secrets: Iterable[object] = ()) -> Staged[T]:
    return Staged(value, tuple(diags.items), tuple(secrets))


# -- syntax ------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    directory: Path
    texts: Mapping[str, str]  # shown name -> text, for every file that could be read, in name order


def read_sources(directory: Path) -> Staged[Sources]:
    """The text of every `*.hcl` file in `directory`. Nothing to load at all (not a directory,
    no `*.hcl` file) is no configuration problem but a MeshError."""
    if not directory.is_dir():
        raise MeshError(f"{directory} is not a directory")
    paths = sorted(p for p in directory.glob("*.hcl") if p.is_file())
    if not paths:
        raise MeshError(f"no *.hcl files in {display_path(directory)}")
    diags = Diagnostics()
    texts: dict[str, str] = {}
    for path in paths:
        text = _read(path, "", diags)
        if text is not None:
            texts[display_path(path)] = text
    return _staged(Sources(directory, texts), diags)


def parse_sources(sources: Sources, parse: Parser) -> Staged[list[ast.Body]]:
    """The syntax tree of each file; a file with a syntax error is left out."""
    diags = Diagnostics()
    bodies: list[ast.Body] = []
    for name, text in sources.texts.items():
        try:
            bodies.append(parse(text, name))
        except hcl.HclSyntaxError as exc:
            diags.add(exc.diagnostic)
    return _staged(bodies, diags)


# -- values ------------------------------------------------------------------


def collect_blocks(bodies: Iterable[ast.Body]) -> Staged[Blocks]:
    """The files' top-level blocks by type; an attribute or a block of an unknown type is an error."""
    diags = Diagnostics()
    blocks: dict[str, list[ast.Block]] = {t: [] for t in TOP_LEVEL}
    for body in bodies:
        for attr in body.attributes.values():
            diags.error(
                f"unexpected attribute {attr.name!r} at the top level",
                attr.src,
                hint="attributes belong inside a block; variable values go in a --var-file",
            )
        for block in body.blocks:
            if block.type not in blocks:
                diags.error(
                    f"unknown block type {block.type!r}",
                    block.src,
                    hint=f"top-level blocks are: {', '.join(TOP_LEVEL)}",
                )
                continue
            blocks[block.type].append(block)
    return _staged(blocks, diags)


def select_environment(blocks: Blocks, wanted: str | None, functions: Functions) -> Staged[Selection]:
    """The blocks as the environment `wanted` sees them: its connection blocks in place of the
    top-level ones, no `environment` block left (config.environments)."""
    diags = Diagnostics()
    selection = environments.select(blocks, wanted, Scope({}, functions), diags)
    return _staged(selection, diags)


# Var files loaded without being named, as Terraform loads terraform.tfvars and *.auto.tfvars.
# Not `*.hcl`: every .hcl file of the directory is configuration, and a var file is not.
AUTO_VAR_FILE = "meshctl.meshvars"
AUTO_VAR_FILES_GLOB = "*.auto.meshvars"


def auto_var_files(directory: Path) -> Staged[list[Path]]:
    """`meshctl.meshvars`, then each `*.auto.meshvars` in name order: the later one wins. A
    symbolic link leading out of the directory is refused: the repository must not make meshctl
    read a file outside it (say ~/.aws/credentials, whose lines would be shown as errors)."""
    diags = Diagnostics()
    first = directory / AUTO_VAR_FILE
    candidates = ([first] if first.is_file() else []) + sorted(
        p for p in directory.glob(AUTO_VAR_FILES_GLOB) if p.is_file()
    )
    root = directory.resolve()
    paths: list[Path] = []
    for path in candidates:
        if path.resolve().is_relative_to(root):
            paths.append(path)
        else:
            diags.error(
                f"auto var file {display_path(path)} is a symbolic link leading outside the mesh directory",
                hint="meshctl reads only files inside the mesh directory; pass such a file with --var-file",
            )
    return _staged(paths, diags)


def read_var_files(paths: Sequence[Path], what: str = "--var-file ") -> Staged[list[ast.Body]]:
    """Each var file, read and parsed (never cached: it may hold secrets), in order."""
    diags = Diagnostics()
    bodies: list[ast.Body] = []
    for path in paths:
        text = _read(path, what, diags)
        if text is None:
            continue
        try:
            body = hcl.parse(text, display_path(path))
        except hcl.HclSyntaxError as exc:
            diags.add(exc.diagnostic)
            continue
        for block in body.blocks:
            diags.error("a var file holds only NAME = VALUE lines", block.src)
        bodies.append(body)
    return _staged(bodies, diags)


def bind_variables(blocks: Sequence[ast.Block], inputs: VariableInputs, functions: Functions) -> Staged[BoundVariables]:
    """Each declared variable's value (config.variables); the sensitive ones are its secrets."""
    diags = Diagnostics()
    bound = bind(blocks, inputs, Scope({}, functions), diags)
    return _staged(bound, diags, bound.secrets)


def evaluate_locals(
    blocks: Sequence[ast.Block], variables: BoundVariables, functions: Functions, environment: Environment | None = None
) -> Staged[Scope]:
    """The scope the configuration's blocks are evaluated in: `var.*`, `local.*` and
    `environment.name`, each local evaluated once here (a cycle or a failed local is reported
    here, once)."""
    diags = Diagnostics()
    local_ns = Locals(list(blocks), diags)
    roots = {"var": variables.namespace(), "local": local_ns}
    scope = Scope({**roots, "environment": EnvironmentNamespace(environment or Environment())}, functions)
    local_ns.scope = scope
    local_ns.evaluate_all()
    return _staged(scope, diags)


@dataclass(frozen=True)
class DecodedConfig:
    blocks: Mapping[str, list[Decoded]]  # by block type: the model's blocks, resource blocks per instance
    moved: list[MovedBlock]


_MODEL_BLOCKS = (
    "domain",
    "data_product",
    "access",
    "integration",
    "application",
    "copy",
    "exception",
    "kafka",
    "backend",
    "schema_registry",
    "kafka_connect",
    "aws",
)
_SINGLE_BLOCKS = ("kafka", "backend", "schema_registry", "kafka_connect", "aws")
_PER_CLUSTER = ("kafka", "schema_registry")  # one block per cluster name (meshctl.mesh.model.Mesh.clusters)


def decode_blocks(blocks: Blocks, scope: Scope) -> Staged[DecodedConfig]:
    """Every block checked against its schema, its expressions evaluated in `scope`."""
    diags = Diagnostics()
    decoded: dict[str, list[Decoded]] = {}
    for type_ in _MODEL_BLOCKS:
        decoded[type_] = []
        for block in blocks[type_]:
            if type_ in REPEATABLE:  # for_each / count: one decoded block per instance
                decoded[type_] += decode_repeatable(block, TOP_LEVEL[type_], scope, diags)
                continue
            d = decode(block, TOP_LEVEL[type_], scope, diags)
            if d is not None:
                decoded[type_].append(d)
    decoded["resource"] = modules.decode_resource_blocks(list(blocks["resource"]), scope, diags)
    moved = decode_moved(list(blocks["moved"]), diags)
    _check_secrets(decoded, diags)
    for single in _SINGLE_BLOCKS:
        seen: set[str] = set()
        for d in decoded[single]:
            # One block per cluster: `kafka` and `kafka "default"` are the same one; a backend's label is its type.
            label = d.labels[0] if d.labels and single in _PER_CLUSTER else DEFAULT_CLUSTER
            if label not in seen:
                seen.add(label)
            elif d.labels and single in _PER_CLUSTER:
                diags.error(
                    f'more than one {single} "{label}" block', d.src, hint=f"keep one {single} block per cluster"
                )
            else:
                diags.error(f"more than one {single} block", d.src, hint=f"keep a single {single} block")
    return _staged(DecodedConfig(decoded, moved), diags)


def decode_module_mesh(
    decoded: DecodedConfig, calls: Sequence[ast.Block], scope: Scope, directory: Path, parse: Parser
) -> Staged[DecodedConfig]:
    """The mesh blocks the modules declare (config.module_mesh), added to the root's, so the
    model and its checks see them as one mesh; the modules' sensitive inputs are its secrets."""
    diags = Diagnostics()
    found = module_mesh.decode_module_mesh(list(calls), scope, directory, diags, parse)
    if not any(found.blocks.values()):
        return _staged(decoded, diags, found.secrets)
    _check_secrets(found.blocks, diags)
    blocks = {t: [*ds, *found.blocks.get(t, [])] for t, ds in decoded.blocks.items()}
    return _staged(DecodedConfig(blocks, decoded.moved), diags, found.secrets)


def _check_secrets(decoded: Mapping[str, list[Decoded]], diags: Diagnostics) -> None:
    for block_type, attr in sorted(SECRET_ATTRIBUTES):
        for d in decoded.get(block_type, []):
            expr = d.exprs.get(attr)
            if expr is not None and not ast.references(expr):
                diags.error(
                    f"{attr} is written in the file as plain text",
                    d.src_of(attr),
                    detail="secrets must not live in configuration under version control",
                    hint=f"use a variable (sensitive = true) or the environment, e.g. {attr} = var.kafka_password",
                )


# -- the model ---------------------------------------------------------------


def build_model(decoded: DecodedConfig, directory: Path) -> Staged[Mesh]:
    """The mesh model of the decoded blocks; checks of one block at a time (config.builder)."""
    diags = Diagnostics()
    mesh = build_mesh(directory, dict(decoded.blocks), diags)
    mesh.moved = list(decoded.moved)
    return _staged(mesh, diags)


def place_in_environment(mesh: Mesh, environment: Environment) -> Staged[Mesh]:
    """The mesh of one environment: products, applications and integrations whose
    `environments` leave it out are taken out, with the grants on products it lacks
    (config.placement)."""
    diags = Diagnostics()
    placed = placement.place(mesh, environment, diags)
    return _staged(placed, diags)


def validate_model(mesh: Mesh, today: date | None = None) -> Staged[Mesh]:
    """Checks across blocks and against the domains' policies (mesh.validate); `today`: the
    date exceptions expire against (None: the system's)."""
    diags = Diagnostics()
    validate(mesh, diags, today)
    return _staged(mesh, diags)


# -- modules -----------------------------------------------------------------


def expand_modules(blocks: Sequence[ast.Block], mesh: Mesh, scope: Scope, parse: Parser) -> Staged[Mesh]:
    """A copy of the validated mesh with the resources and outputs of every module block and
    every integration's module (config.modules); the modules' sensitive inputs and outputs are
    its secrets."""
    diags = Diagnostics()
    expanded = dataclasses.replace(mesh, resources=list(mesh.resources))
    instances = modules.expand_modules(list(blocks), expanded, scope, mesh.base_dir, diags, parse)
    expanded.outputs = {i.address: i.outputs for i in instances}
    added = {i.integration: tuple(i.integration_outputs) for i in instances if i.integration_outputs}
    expanded.integrations = [
        dataclasses.replace(i, outputs=i.outputs + added[i.name]) if i.name in added else i
        for i in expanded.integrations
    ]
    expanded.sensitive_outputs = {i.address.output(name) for i in instances for name in i.sensitive_outputs}
    return _staged(expanded, diags, (value for i in instances for value in i.secrets))


def evaluate_root_outputs(
    blocks: Sequence[ast.Block], mesh: Mesh, scope: Scope, sensitive_vars: Collection[str]
) -> Staged[Mesh]:
    """The root `output` blocks' values (config.root_outputs), once the modules' outputs are known;
    the sensitive ones are its secrets."""
    diags = Diagnostics()
    if not blocks:
        return _staged(mesh, diags)
    outputs = root_outputs.evaluate_outputs(blocks, mesh, scope, sensitive_vars, diags)
    with_outputs = dataclasses.replace(mesh, root_outputs=outputs)
    return _staged(with_outputs, diags, (o.value for o in outputs.values() if o.sensitive))


def validate_expanded(mesh: Mesh) -> Staged[Mesh]:
    """The modules' resources checked like the configuration's own, and across all of them."""
    diags = Diagnostics()
    for resource in mesh.resources:
        if resource.module:
            check_resource(resource, mesh, diags)
    _check_unique_resources(mesh, diags)
    check_principal_secrets(mesh, diags)
    check_application_secrets(mesh, diags)
    for integration in mesh.integrations:
        check_outputs(mesh, integration, [o for o in integration.outputs if o.module], diags)
    return _staged(mesh, diags)


def _check_unique_resources(mesh: Mesh, diags: Diagnostics) -> None:
    """Two blocks may not declare the same bucket, role, database or secret."""
    seen: dict[tuple[str, str], str] = {}
    for block in mesh.resources:
        ident = str(block.values.get("bucket") or block.values.get("name") or "")
        key = (block.type, f"{block.values.get('database', '')}/{ident}")
        if key in seen:
            diags.error(
                f"{block.address} declares the same {block.type} as {seen[key]}",
                block.src,
                hint="give each a distinct name",
            )
        seen[key] = block.address


# -- reading -------------------------------------------------------------------


def _read(path: Path, what: str, diags: Diagnostics) -> str | None:
    """A file's text, or None after reporting why it cannot be read (`what`: how to name it)."""
    name = display_path(path)
    try:
        return read_text(path, name)
    except BadDocumentError as exc:
        diags.add(exc.diagnostic)
    except OSError as exc:
        diags.error(f"cannot read {what}{name}: {exc.strerror}")
    return None
