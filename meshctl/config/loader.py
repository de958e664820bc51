"""Load a mesh directory: parse every `*.hcl`, resolve variables and locals, decode blocks.

The result is a `Mesh` model plus warnings; every configuration problem found on the way
is collected and raised together as one `ConfigError`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from meshctl.config import ast, hcl
from meshctl.config.builder import build_mesh
from meshctl.config.evaluate import EvalError, Namespace, Scope, evaluate
from meshctl.config.functions import make_functions
from meshctl.config.language import SECRET_ATTRIBUTES, TOP_LEVEL, VARIABLE
from meshctl.config.locals import Locals
from meshctl.config.modules import decode_resource_blocks, expand_modules
from meshctl.config.moved import decode_moved
from meshctl.config.parse_cache import ParseCache
from meshctl.config.schema import Decoded, decode, type_problem
from meshctl.documents import BadDocumentError, display_path, read_text
from meshctl.errors import (
    Diagnostic,
    Diagnostics,
    MeshError,
    SourceRange,
    error,
)
from meshctl.mesh.model import Mesh
from meshctl.mesh.resources import check_principal_secrets, check_resource
from meshctl.mesh.validate import validate
from meshctl.redaction import register

ENV_VAR_PREFIX = "MESHCTL_VAR_"


@dataclass
class LoadOptions:
    vars: list[str] = field(default_factory=list)  # `--var name=value`, in order
    var_files: list[Path] = field(default_factory=list)
    # A saved plan's non-sensitive values (above defaults, below everything the user gives, so a
    # conflicting value can be told apart), and the sensitive names it did not store.
    saved_variables: Mapping[str, object] = field(default_factory=dict)
    saved_sensitive: frozenset[str] = frozenset()  # given explicitly when planning: needed again
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # The parse cache's root in the user's cache directory (config.parse_cache); None: parse every time.
    cache_dir: Path | None = None


@dataclass
class LoadedConfig:
    mesh: Mesh
    warnings: list[Diagnostic]
    files: dict[str, str]  # display path -> text, for hashing and fmt
    variables: dict[str, VariableValue] = field(default_factory=dict)


@dataclass(frozen=True)
class VariableValue:
    value: object
    sensitive: bool
    origin: str  # "default", "saved plan", "environment MESHCTL_VAR_x", "--var-file", "--var x"


def load(directory: Path, options: LoadOptions | None = None) -> LoadedConfig:
    options = options or LoadOptions()
    if not directory.is_dir():
        raise MeshError(f"{directory} is not a directory")
    files = sorted(p for p in directory.glob("*.hcl") if p.is_file())
    if not files:
        raise MeshError(f"no *.hcl files in {display_path(directory)}")
    diags = Diagnostics()
    cache = ParseCache.open(options.cache_dir, directory, hcl.parse)
    bodies: list[ast.Body] = []
    texts: dict[str, str] = {}
    for path in files:
        name = display_path(path)
        try:
            text = read_text(path, name)
        except BadDocumentError as exc:
            diags.add(exc.diagnostic)
            continue
        except OSError as exc:
            diags.error(f"cannot read {name}: {exc.strerror}")
            continue
        texts[name] = text
        try:
            bodies.append(cache.parse(text, name))
        except hcl.HclSyntaxError as exc:
            diags.add(exc.diagnostic)
    diags.raise_if_errors()

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

    functions = make_functions(directory)
    bare = Scope({}, functions)
    variable_info: dict[str, VariableValue] = {}
    unset: dict[str, Diagnostic] = {}
    variables = _resolve_variables(blocks["variable"], options, bare, diags, variable_info, unset)
    local_ns = Locals(blocks["locals"], diags)
    scope = Scope({"var": _Variables(variables, unset), "local": local_ns}, functions)
    local_ns.scope = scope
    local_ns.evaluate_all()

    decoded: dict[str, list[Decoded]] = {}
    for type_ in ("domain", "data_product", "access", "integration", "kafka", "backend", "schema_registry", "aws"):
        decoded[type_] = []
        for block in blocks[type_]:
            d = decode(block, TOP_LEVEL[type_], scope, diags)
            if d is not None:
                decoded[type_].append(d)
    decoded["resource"] = decode_resource_blocks(blocks["resource"], scope, diags)
    moved = decode_moved(blocks["moved"], diags)
    _check_secrets(decoded, diags)
    for single in ("kafka", "backend", "schema_registry", "aws"):
        if len(decoded[single]) > 1:
            diags.error(f"more than one {single} block", decoded[single][1].src, hint=f"keep a single {single} block")
    diags.raise_if_errors()

    mesh = build_mesh(directory, decoded, diags)
    mesh.moved = moved
    validate(mesh, diags)
    diags.raise_if_errors()
    # Modules see the validated mesh: they run once it is known to be whole.
    instances = expand_modules(blocks["module"], mesh, scope, directory, diags, cache.parse)
    mesh.outputs = {i.address: i.outputs for i in instances}
    mesh.sensitive_outputs = {f"{i.address}.{name}" for i in instances for name in i.sensitive_outputs}
    for resource in mesh.resources:
        if resource.module:
            check_resource(resource, mesh, diags)
    _check_unique_resources(mesh, diags)
    check_principal_secrets(mesh, diags)
    diags.raise_if_errors()
    cache.prune()  # after the modules' files, so their entries are kept too
    return LoadedConfig(mesh, diags.warnings, texts, variable_info)


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


# -- variables ---------------------------------------------------------------


@dataclass
class _VarDecl:
    name: str
    type: str
    default: object
    has_default: bool
    sensitive: bool
    src: SourceRange


def _resolve_variables(
    blocks: list[ast.Block],
    options: LoadOptions,
    bare: Scope,
    diags: Diagnostics,
    info: dict[str, VariableValue] | None = None,
    unset: dict[str, Diagnostic] | None = None,
) -> dict[str, object]:
    unset = {} if unset is None else unset  # declared, without a value: the error to give where referenced
    decls: dict[str, _VarDecl] = {}
    for block in blocks:
        type_expr = block.body.attributes.pop("type", None)  # `type = string` is a keyword, not a reference
        d = decode(block, VARIABLE, bare, diags)
        if d is None:
            continue
        name = d.labels[0]
        if name in decls:
            diags.error(f'duplicate variable "{name}"', block.src, detail=f"first declared at {decls[name].src}")
            continue
        type_ = _type_keyword(type_expr, diags) if type_expr else "any"
        decls[name] = _VarDecl(
            name, type_, d.get("default"), "default" in d.values, bool(d.get("sensitive", False)), block.src
        )

    values: dict[str, object] = {n: v.default for n, v in decls.items() if v.has_default}
    origins = dict.fromkeys(values, "default")
    for name, value in options.saved_variables.items():
        if name in decls and not decls[name].sensitive:
            values[name], origins[name] = value, "saved plan"

    def assign(name: str, raw: object, src: SourceRange | None, origin: str) -> None:
        decl = decls.get(name)
        if decl is None:
            diags.error(
                f"{origin}: no variable {name!r} is declared",
                src,
                hint=f'declare it with variable "{name}" {{}}'
                if not decls
                else f"declared: {', '.join(sorted(decls))}",
            )
            return
        value = raw
        if isinstance(raw, str) and origin != "var-file" and decl.type not in ("string", "any"):
            try:
                value = evaluate(hcl.parse_expression(raw, origin, 1), bare)
            except (hcl.HclSyntaxError, EvalError):
                shown = "(sensitive value hidden)" if decl.sensitive else f"got {raw!r}"
                diags.error(f"{origin}: value of {name!r} is not a valid {decl.type}", src, detail=shown)
                return
        values[name] = value
        origins[name] = "--var-file" if origin == "var-file" else origin

    for key, raw in sorted(options.env.items()):
        if key.startswith(ENV_VAR_PREFIX) and key[len(ENV_VAR_PREFIX) :] in decls:
            assign(key[len(ENV_VAR_PREFIX) :], raw, None, f"environment {key}")
    for path in options.var_files:
        _read_var_file(path, bare, diags, assign)
    for item in options.vars:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            diags.error(f"--var {item!r}: expected NAME=VALUE", hint="e.g. --var env=prod")
            continue
        assign(name.strip(), raw, None, f"--var {name.strip()}")

    for name, decl in decls.items():
        if name in options.saved_sensitive and origins.get(name, "default") == "default":
            unset[name] = error(
                f'variable "{name}" is sensitive: the saved plan does not store its value',
                decl.src,
                hint=f"give it again when applying the plan: with --var, a --var-file or {ENV_VAR_PREFIX}{name}",
            )
            diags.add(unset[name])
            continue
        if name not in values:
            unset[name] = error(
                f'variable "{name}" has no value',
                decl.src,
                hint=f"pass --var {name}=..., set {ENV_VAR_PREFIX}{name}, or give it a default",
            )
            diags.add(unset[name])
            continue
        problem = type_problem(values[name], decl.type) if decl.type != "any" else ""
        if problem:
            shown = "" if decl.sensitive else f": {problem}"  # never echo a secret
            diags.error(f'variable "{name}" must be a {decl.type}{shown}', decl.src)
    if info is not None:
        info.update({n: VariableValue(values[n], decls[n].sensitive, origins[n]) for n in decls if n in values})
    register(*(values[n] for n, d in decls.items() if d.sensitive and n in values))  # masked in any output
    return values


class _Variables(Namespace):
    """`var.*`: a reference to a declared variable without a value repeats the error given at its
    declaration (reported once), not "undeclared"."""

    def __init__(self, values: Mapping[str, object], unset: Mapping[str, Diagnostic]):
        super().__init__(values)
        self.unset = unset

    def get(self, name: str, src: SourceRange) -> object:
        if name in self.unset:
            raise EvalError(self.unset[name])
        return super().get(name, src)


_TYPE_WORDS = {"string": "string", "number": "number", "bool": "bool", "any": "any"}


def _type_keyword(attr: ast.Attribute, diags: Diagnostics) -> str:
    e = attr.expr
    if isinstance(e, ast.Variable) and e.name in _TYPE_WORDS:
        return e.name
    if isinstance(e, ast.Literal) and e.value in _TYPE_WORDS:
        return str(e.value)
    if isinstance(e, ast.Call) and e.name in ("list", "map", "set") and len(e.args) == 1:
        inner = e.args[0]
        word = inner.name if isinstance(inner, ast.Variable) else "any"
        return f"{'list' if e.name == 'set' else e.name}({_TYPE_WORDS.get(word, 'any')})"
    diags.error("unsupported variable type", attr.src, hint="use string, number, bool, list(...) or map(...)")
    return "any"


def _read_var_file(
    path: Path, bare: Scope, diags: Diagnostics, assign: Callable[[str, object, SourceRange | None, str], None]
) -> None:
    name = display_path(path)
    try:
        text = read_text(path, name)
    except BadDocumentError as exc:
        diags.add(exc.diagnostic)
        return
    except OSError as exc:
        diags.error(f"cannot read --var-file {name}: {exc.strerror}")
        return
    try:
        body = hcl.parse(text, name)
    except hcl.HclSyntaxError as exc:
        diags.add(exc.diagnostic)
        return
    for block in body.blocks:
        diags.error("a var file holds only NAME = VALUE lines", block.src)
    for attr in body.attributes.values():
        try:
            value = evaluate(attr.expr, bare)
        except EvalError as exc:
            diags.add(exc.diagnostic)
            continue
        assign(attr.name, value, attr.src, "var-file")


def _check_secrets(decoded: dict[str, list[Decoded]], diags: Diagnostics) -> None:
    for block_type, attr in SECRET_ATTRIBUTES:
        for d in decoded.get(block_type, []):
            expr = d.exprs.get(attr)
            if expr is not None and not ast.references(expr):
                diags.error(
                    f"{attr} is written in the file as plain text",
                    d.src_of(attr),
                    detail="secrets must not live in configuration under version control",
                    hint=f"use a variable (sensitive = true) or the environment, e.g. {attr} = var.kafka_password",
                )
