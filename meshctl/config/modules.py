"""Modules: reusable HCL with input variables, resources and outputs.

`module "NAME" { source = "...", for_each = ..., <inputs> }` instantiates the module
directory once (or once per `for_each` key). Sources are local paths (`./x`, `../x`) or
the built-in `modules/` folder. Inside a module, `var.*` are its inputs, `local.*` its
locals, and `mesh.*` a read-only view of the mesh (domains, products, grants), so vendor
and baseline modules describe their resources without core code knowing the vendor.
Resources get nested addresses: `module.NAME["KEY"].TYPE.NAME`. A module may call modules
(`module.a.module.b.TYPE.NAME`) and declare mesh blocks (config.module_mesh reads those).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TypedDict

from meshctl.address import ROOT, Address, ModuleAddress, is_identifier
from meshctl.config import ast, hcl
from meshctl.config.builder import build_output
from meshctl.config.evaluate import EvalError, Namespace, Scope, evaluate
from meshctl.config.file_functions import contained_path
from meshctl.config.functions import FunctionError, make_functions
from meshctl.config.language import OUTPUT as INTEGRATION_OUTPUT
from meshctl.config.locals import Locals
from meshctl.config.resource_blocks import SCHEMAS as RESOURCE_SCHEMAS
from meshctl.config.resource_blocks import bare_ignore_changes, ignore_changes, protected_at
from meshctl.config.schema import Attr, BlockSchema, Decoded, decode, type_problem
from meshctl.config.types import ConversionError, convert, structural_type
from meshctl.config.validation import check as check_validations
from meshctl.config.validation import read_validations
from meshctl.documents import BadDocumentError, display_path, read_text
from meshctl.errors import Diagnostics, SourceRange
from meshctl.mesh.model import Access, DataProduct, Integration, IntegrationOutput, Mesh, ResourceBlock
from meshctl.naming import (
    group_prefix,
    integration_namespace,
    integration_output_topic,
    kafka_principal,
    secret_name,
    subject_name,
)

BUILTIN_PACKAGE = "meshctl.builtin_modules"  # the repository's modules/ folder, shipped as package data
_MODULE_BLOCKS = ("variable", "locals", "resource", "output", "integration_output", "module")
# Blocks of the mesh a module may declare: read before the mesh is built, so the domains'
# policies apply to them as to the root's (config.module_mesh).
MESH_BLOCKS = ("domain", "data_product", "access", "integration")
_VARIABLE = BlockSchema(
    labels=("name",),
    attrs={"default": Attr("any"), "type": Attr("any"), "description": Attr("string"), "sensitive": Attr("bool")},
)
_OUTPUT = BlockSchema(
    labels=("name",),
    attrs={"value": Attr("any", required=True), "description": Attr("string"), "sensitive": Attr("bool")},
)
# An integration's module may declare topics the integration writes, as its `output` blocks do;
# `enabled = false` leaves one out (a dead-letter queue only when the input asks for it).
_INTEGRATION_OUTPUT = BlockSchema(
    labels=("name",),
    attrs={**INTEGRATION_OUTPUT.attrs, "enabled": Attr("bool", doc="default true")},
    blocks=INTEGRATION_OUTPUT.blocks,
)


@dataclass
class ModuleInstance:
    address: ModuleAddress  # module.NAME or module.NAME["KEY"]
    source: Path
    outputs: dict[str, object] = field(default_factory=dict)
    sensitive_outputs: set[str] = field(default_factory=set)  # names declared `sensitive = true`
    secrets: list[object] = field(default_factory=list)  # sensitive inputs' and outputs' values, to redact
    integration: str = ""  # the integration whose module this is, if any
    integration_outputs: list[IntegrationOutput] = field(default_factory=list)  # topics it declares


@functools.cache
def packaged_modules_dir() -> Path:
    """The folder of the built-in modules, wherever meshctl is installed (an editable install
    maps the package onto the repository's modules/). A real directory for the whole run."""
    try:
        package = resources.files(BUILTIN_PACKAGE)
    except ModuleNotFoundError as exc:  # an editable install made before the package existed
        raise ModuleNotFoundError(
            f"{exc}: this installation of meshctl lacks its built-in modules; reinstall it (in a checkout: make venv)"
        ) from exc
    files = contextlib.ExitStack()
    atexit.register(files.close)
    return files.enter_context(resources.as_file(package))


def builtin_dirs() -> list[Path]:
    """Where a `source` that is not a path is looked up: $MESHCTL_MODULES_PATH first, then the built-ins."""
    extra = [Path(p) for p in os.environ.get("MESHCTL_MODULES_PATH", "").split(os.pathsep) if p]
    return [*extra, packaged_modules_dir()]


def _is_module_name(name: str) -> bool:
    """Folders of a modules root are modules, except hidden and private ones (__pycache__)."""
    return not name.startswith((".", "_"))


def resolve_source(source: str, base_dir: Path) -> Path | None:
    if source.startswith(("./", "../", "/")):
        path = (base_dir / source).resolve()
        return path if path.is_dir() else None
    for root in builtin_dirs():
        if _is_module_name(source) and (root / source).is_dir():
            return root / source
    return None


def expand_modules(
    blocks: list[ast.Block],
    mesh: Mesh,
    root_scope: Scope,
    base_dir: Path,
    diags: Diagnostics,
    parse: Callable[[str, str], ast.Body],
) -> list[ModuleInstance]:
    """Evaluate every module block; append the resources they declare to `mesh.resources`."""
    mesh_ns = MeshNamespace(mesh)
    scope = Scope({**root_scope.roots, "mesh": mesh_ns}, root_scope.functions)
    instances: list[ModuleInstance] = []
    names: set[str] = set()
    for block in blocks:
        instances += _expand_call(block, ROOT, names, scope, base_dir, mesh, mesh_ns, diags, parse, ())
    for integration in mesh.integrations:
        made = _integration_instance(integration, mesh, mesh_ns, base_dir, diags, parse)
        if made is not None:
            instances.append(made)
    return instances


MAX_DEPTH = 8  # modules calling modules: deeper is a mistake (or a loop through several folders)


def _expand_call(
    block: ast.Block,
    parent: ModuleAddress,
    names: set[str],
    scope: Scope,
    base_dir: Path,
    mesh: Mesh,
    mesh_ns: MeshNamespace,
    diags: Diagnostics,
    parse: Callable[[str, str], ast.Body],
    chain: tuple[Path, ...],
) -> list[ModuleInstance]:
    """The instances of one `module` block (at the root or in a module at `parent`) and of the
    modules they call in turn."""
    name = _module_name(block, names, diags)
    if name is None:
        return []
    names.add(name)
    attrs = dict(block.body.attributes)
    module_dir = _module_source(name, block, attrs, base_dir, diags)
    if module_dir is None or not check_chain(module_dir, block, chain, diags):
        return []
    keys = _for_each_keys(attrs, scope, diags)
    if keys is None:
        return []
    instances: list[ModuleInstance] = []
    for key, value in keys:
        address = parent.child(name, key)
        inputs = _module_inputs(attrs, scope, key, value, diags)
        instance = ModuleInstance(address, module_dir)
        calls, inner = _instantiate(instance, block, inputs, mesh, mesh_ns, diags, parse)
        instances.append(instance)
        nested: set[str] = set()
        for call in calls:
            instances += _expand_call(
                call, address, nested, inner, module_dir, mesh, mesh_ns, diags, parse, (*chain, module_dir)
            )
    return instances


def check_chain(module_dir: Path, block: ast.Block, chain: tuple[Path, ...], diags: Diagnostics) -> bool:
    """A module may not call itself, directly or through others, nor nest deeper than MAX_DEPTH."""
    if module_dir in chain:
        diags.error(
            f"module {block.label!r} calls {display_path(module_dir)}, which is already calling it",
            block.src,
            hint="a module cannot call itself, directly or through other modules",
        )
        return False
    if len(chain) >= MAX_DEPTH:
        diags.error(f"modules nest more than {MAX_DEPTH} deep", block.src)
        return False
    return True


def _module_name(block: ast.Block, names: set[str], diags: Diagnostics) -> str | None:
    """The module block's one label, when it is an identifier not used by an earlier block."""
    if len(block.labels) != 1:
        diags.error('a module block needs one label: module "NAME" { ... }', block.src)
        return None
    name = block.labels[0]
    if not is_identifier(name):
        diags.error(
            f'module "{name}": a module name is an identifier',
            block.src,
            hint="letters, digits, _ and -, starting with a letter or _: it is part of addresses (module.NAME)",
        )
        return None
    if name in names:
        diags.error(f'duplicate module "{name}"', block.src)
        return None
    return name


def _module_source(
    name: str, block: ast.Block, attrs: dict[str, ast.Attribute], base_dir: Path, diags: Diagnostics
) -> Path | None:
    """The folder `source` names (taken out of `attrs`): a literal local path or a built-in module."""
    source_attr = attrs.pop("source", None)
    if source_attr is None or not isinstance(source_attr.expr, ast.Literal):
        diags.error(
            f'module "{name}" needs source = "..." as a literal string',
            block.src,
            hint='a folder of modules/ (e.g. "domain-baseline") or a path such as "./modules/x"',
        )
        return None
    source = str(source_attr.expr.value)
    module_dir = resolve_source(source, base_dir)
    if module_dir is None:
        known = sorted(
            p.name
            for root in builtin_dirs()
            if root.is_dir()
            for p in root.iterdir()
            if p.is_dir() and _is_module_name(p.name)
        )
        diags.error(
            f'module "{name}": no module {source!r}',
            source_attr.src,
            hint=f"built-in modules: {', '.join(known)}; local paths start with ./",
        )
    return module_dir


def _for_each_keys(
    attrs: dict[str, ast.Attribute], scope: Scope, diags: Diagnostics
) -> list[tuple[str | None, object]] | None:
    """One (key, value) per instance from `for_each` (taken out of `attrs`), sorted; (None, None)
    for a single instance; None when `for_each` is in error."""
    for_each_attr = attrs.pop("for_each", None)
    if for_each_attr is None:
        return [(None, None)]
    try:
        each = evaluate(for_each_attr.expr, scope)
    except EvalError as exc:
        diags.add(exc.diagnostic)
        return None
    if isinstance(each, dict):
        return sorted(each.items())
    if isinstance(each, list) and all(isinstance(k, str) for k in each):
        return [(k, k) for k in sorted(set(each))]
    diags.error("for_each needs a map or a list of strings", for_each_attr.src)
    return None


def _module_inputs(
    attrs: dict[str, ast.Attribute], scope: Scope, key: str | None, value: object, diags: Diagnostics
) -> dict[str, tuple[object, SourceRange]]:
    """The module block's remaining attributes evaluated for one instance (`each` bound when keyed)."""
    inner = scope.child(each={"key": key, "value": value}) if key is not None else scope
    inputs: dict[str, tuple[object, SourceRange]] = {}
    for attr in attrs.values():
        try:
            inputs[attr.name] = (evaluate(attr.expr, inner), attr.src)
        except EvalError as exc:
            diags.add(exc.diagnostic)
    return inputs


def _integration_instance(
    integration: Integration,
    mesh: Mesh,
    mesh_ns: MeshNamespace,
    base_dir: Path,
    diags: Diagnostics,
    parse: Callable[[str, str], ast.Body],
) -> ModuleInstance | None:
    """An integration instantiates its vendor's module as module.integration_NAME."""
    module_dir = resolve_source(integration.source, base_dir)
    if module_dir is None:
        diags.error(
            f'integration "{integration.name}": no module {integration.source!r}',
            integration.srcs.get("source", integration.src),
            hint="vendors are defined by modules: a folder of modules/ or a ./path",
        )
        return None
    view = mesh_ns.view
    where = integration.src
    given: dict[str, tuple[object, SourceRange]] = {
        "integration": (integration_view(integration, view), where),
        **{k: (v, integration.srcs.get("inputs", where)) for k, v in integration.inputs.items()},
    }
    instance = ModuleInstance(ROOT.child(f"integration_{integration.name}"), module_dir, integration=integration.name)
    call = ast.Block("integration", [integration.name], ast.Body(), where)
    calls, _ = _instantiate(instance, call, given, mesh, mesh_ns, diags, parse)
    for nested in calls:
        diags.error("a module used as an integration's source cannot call modules", nested.src)
    return instance


class MeshNamespace(Namespace):
    """`mesh` in a module. The view is built the first time a module or an integration reads
    it, once: a mesh without modules and integrations never builds it."""

    kind = "mesh attribute"

    def __init__(self, mesh: Mesh):
        self.lazy = _LazyView(mesh)
        super().__init__(self.lazy)

    @property
    def view(self) -> MeshView:
        return self.lazy.view


class _LazyView(Mapping[str, object]):
    def __init__(self, mesh: Mesh):
        self.mesh = mesh

    @functools.cached_property
    def view(self) -> MeshView:
        return mesh_view(self.mesh)

    def __getitem__(self, key: str) -> object:
        view: Mapping[str, object] = self.view
        return view[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.view)

    def __len__(self) -> int:
        return len(self.view)


def integration_view(integration: Integration, view: MeshView) -> dict[str, object]:
    domains, products = view["domains"], view["products"]
    reads = sorted(
        {
            str(p["topic"])
            for ref in integration.reads
            for k, p in products.items()
            if k == ref or k.rsplit(".v", 1)[0] == ref
        }
    )
    domain = domains[integration.domain]
    return {
        "name": integration.name,
        "vendor": integration.vendor,
        "domain": domain,
        "principal": kafka_principal(integration.principal_name),
        # its Kafka credentials in Secrets Manager (on a named cluster `meshctl/kafka/@eu/<principal>`)
        "kafka_secret": secret_name(integration.principal_name, domain["cluster"]),
        "reads": reads,
        "topic_prefix": integration_namespace(domain["path"], integration.name),
        # The topics of its `output` blocks, by output name (a module's own are not in here).
        "outputs": {
            o.name: integration_output_topic(domain["path"], integration.name, o.name) for o in integration.outputs
        },
        "group_prefix": group_prefix(integration.principal_name),  # its only consumer groups
        "trusted_principal": integration.trusted_principal,
        "external_id": integration.external_id,
    }


def module_blocks(
    source: Path, diags: Diagnostics | None, parse: Callable[[str, str], ast.Body]
) -> dict[str, list[ast.Block]]:
    """The top-level blocks of a module's `*.hcl` files by type; problems go to `diags`
    (None: not reported, when a caller only looks whether a module declares mesh blocks)."""
    diags = diags if diags is not None else Diagnostics()
    blocks: dict[str, list[ast.Block]] = {t: [] for t in (*_MODULE_BLOCKS, *MESH_BLOCKS)}
    for path in sorted(source.glob("*.hcl")):
        try:
            body = parse(read_text(path, display_path(path)), display_path(path))
        except (hcl.HclSyntaxError, BadDocumentError) as exc:
            diags.add(exc.diagnostic)
            continue
        for attr in body.attributes.values():
            diags.error(f"unexpected attribute {attr.name!r} at the top of a module", attr.src)
        for block in body.blocks:
            if block.type == "application":
                diags.error(
                    "application blocks are declared at the root of the mesh, not in a module",
                    block.src,
                    detail="an application's principal, password and ACLs belong to its domain's configuration",
                    hint="move the block to a .hcl file of the mesh directory",
                )
                continue
            if block.type not in blocks:
                diags.error(
                    f"unknown block type {block.type!r} in a module",
                    block.src,
                    hint=f"a module holds {', '.join((*_MODULE_BLOCKS, *MESH_BLOCKS))} blocks",
                )
                continue
            blocks[block.type].append(block)
    return blocks


def _instantiate(
    instance: ModuleInstance,
    call: ast.Block,
    inputs: dict[str, tuple[object, SourceRange]],
    mesh: Mesh,
    mesh_ns: Namespace,
    diags: Diagnostics,
    parse: Callable[[str, str], ast.Body],
) -> tuple[list[ast.Block], Scope]:
    """The module's resources and outputs into `mesh` and `instance`; its mesh blocks were
    read before the mesh was built (config.module_mesh). Returns the `module` blocks it calls,
    and the scope to evaluate them in."""
    blocks = module_blocks(instance.source, diags, parse)
    if instance.integration:
        for block in (b for t in MESH_BLOCKS for b in blocks[t]):
            diags.error(f"a module used as an integration's source cannot declare {block.type} blocks", block.src)
    functions = {**make_functions(instance.source), "templatefile": _templatefile(instance.source)}
    bare = Scope({"mesh": mesh_ns}, functions)
    variables = _bind(instance.address, call, blocks["variable"], inputs, bare, diags, instance.secrets)
    local_ns = Locals(blocks["locals"], diags)
    scope = Scope({"var": Namespace(variables), "local": local_ns, "mesh": mesh_ns}, functions)
    local_ns.scope = scope
    local_ns.evaluate_all()
    for d in decode_resource_blocks(blocks["resource"], scope, diags):
        mesh.resources.append(
            ResourceBlock(
                d.labels[0],
                d.labels[1],
                dict(d.values),
                d.src,
                dict(d.srcs),
                module=str(instance.address),
                protected_at=protected_at(d),
                ignore_changes=ignore_changes(d, diags),
            )
        )
    for block in blocks["integration_output"]:
        declared = decode(block, _INTEGRATION_OUTPUT, scope, diags)
        if declared is None:
            continue
        if not instance.integration:
            diags.error(
                f"{instance.address}: integration_output belongs in a module used as an integration's source",
                block.src,
                hint="only an integration has a principal to write the topic",
            )
        elif declared.get("enabled", True) is not False:
            output = build_output(declared, diags, module=str(instance.address))
            if output is not None:
                instance.integration_outputs.append(output)
    for block in blocks["output"]:
        out = decode(block, _OUTPUT, scope, diags)
        if out is not None:
            instance.outputs[out.labels[0]] = out.get("value")
            if out.get("sensitive"):
                instance.sensitive_outputs.add(out.labels[0])
                instance.secrets.append(out.get("value"))
    return blocks["module"], scope


def decode_resource_blocks(blocks: list[ast.Block], scope: Scope, diags: Diagnostics) -> list[Decoded]:
    """`resource "TYPE" "NAME"` blocks checked against their type's schema; with `for_each`,
    one instance per key, named `NAME["KEY"]`, with `each.key` and `each.value` in scope."""
    out = []
    for block in map(bare_ignore_changes, blocks):
        type_ = block.labels[0] if block.labels else ""
        schema = RESOURCE_SCHEMAS.get(type_)
        if schema is None:
            diags.error(
                f"unknown resource type {type_!r}" if type_ else "a resource block needs a type and a name",
                block.src,
                hint=f"types: {', '.join(sorted(RESOURCE_SCHEMAS))}",
            )
            continue
        if len(block.labels) == 2 and not block.labels[1]:
            diags.error(f'resource "{type_}" "": a resource needs a name', block.src, hint="its address is TYPE.NAME")
            continue
        attrs = dict(block.body.attributes)
        for_each = attrs.pop("for_each", None)
        if for_each is None:
            d = decode(block, schema, scope, diags)
            if d is not None:
                out.append(d)
            continue
        if len(block.labels) == 2 and not is_identifier(block.labels[1]):
            diags.error(
                f'resource "{type_}" "{block.labels[1]}": with for_each, the name must be an identifier',
                block.src,
                hint='letters, digits, _ and -, starting with a letter or _: each instance is NAME["KEY"]',
            )
            continue
        try:
            collection = evaluate(for_each.expr, scope)
        except EvalError as exc:
            diags.add(exc.diagnostic)
            continue
        if isinstance(collection, list) and all(isinstance(k, str) for k in collection):
            collection = {k: k for k in collection}
        if not isinstance(collection, dict):
            diags.error("for_each needs a map or a list of strings", for_each.src)
            continue
        body = ast.Body(attrs, block.body.blocks)
        for key, value in sorted(collection.items()):
            labels = (
                [type_, Address(type_, block.labels[1], str(key)).label] if len(block.labels) == 2 else block.labels
            )
            instance = ast.Block(block.type, labels, body, block.src)
            d = decode(instance, schema, scope.child(each={"key": key, "value": value}), diags)
            if d is not None:
                out.append(d)
    return out


def _bind(
    address: ModuleAddress,
    call: ast.Block,
    declared: list[ast.Block],
    inputs: dict[str, tuple[object, SourceRange]],
    bare: Scope,
    diags: Diagnostics,
    secrets: list[object],
) -> dict[str, object]:
    values: dict[str, object] = {}
    names = set()
    for block in declared:
        validations, block = read_validations(block, diags)
        attrs = dict(block.body.attributes)  # the parsed tree is shared (parse cache, two readings)
        type_attr = attrs.pop("type", None)
        spec = structural_type(type_attr, bare, diags) if type_attr else None
        d = decode(
            ast.Block(block.type, block.labels, ast.Body(attrs, block.body.blocks), block.src), _VARIABLE, bare, diags
        )
        if d is None:
            continue
        name = d.labels[0]
        names.add(name)
        type_ = _type_word(type_attr)
        if name in inputs:
            value, src = inputs[name]
        elif "default" in d.values:
            value, src = d.get("default"), block.src
        else:
            diags.error(
                f'{address}: missing input "{name}"',
                call.src,
                detail=f"the module declares it at {block.src}",
                hint=f"add {name} = ... to the module block",
            )
            continue
        if d.get("sensitive"):
            secrets.append(value)  # the loader registers it: masked in any output
        if spec is not None:  # object/optional types: converted, defaults filled in (config.types)
            try:
                value = convert(value, spec)
            except ConversionError as exc:
                diags.error(
                    f'{address}: input "{name}" has an invalid value: var.{name}{exc.path}: {exc.message}',
                    src,
                    detail=f"its type: {spec}",
                )
                continue
        else:
            problem = type_problem(value, type_) if type_ != "any" else ""
            if problem:
                diags.error(f'{address}: input "{name}" must be a {type_}: {problem}', src)
                continue
        values[name] = value
        if validations:
            origin = f"the module block's {name} (at {src})" if name in inputs else f"its default (at {src})"
            check_validations(name, value, bool(d.get("sensitive")), origin, validations, bare, diags)
    for name, (_, src) in inputs.items():
        if name not in names:
            diags.error(
                f'{address}: the module has no input "{name}"',
                src,
                hint=f"its inputs: {', '.join(sorted(names)) or 'none'}",
            )
    return values


def _type_word(attr: ast.Attribute | None) -> str:
    if attr is None:
        return "any"
    e = attr.expr
    if isinstance(e, ast.Variable) and e.name in ("string", "number", "bool", "any"):
        return e.name
    if (
        isinstance(e, ast.Call)
        and e.name in ("list", "map")
        and len(e.args) == 1
        and isinstance(e.args[0], ast.Variable)
    ):
        return f"{e.name}({e.args[0].name})"
    return "any"


def _templatefile(base: Path) -> Callable[..., str]:
    """`templatefile(path, vars)` renders a jinja2 template that lives with the module.

    The template comes from the repository like the HCL: it renders in jinja2's sandbox, so
    `{{ cycler.__init__.__globals__.os }}` and the like are refused instead of running code.
    """
    import jinja2  # ~0.1 s to import with its sandbox: only a mesh with modules needs it
    import jinja2.sandbox

    env = jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(base)),
        autoescape=False,  # connector configs and JSON, not HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["tojson"] = lambda v: json.dumps(v)

    def templatefile(path: object, variables: object = None) -> str:
        if not isinstance(path, str):
            raise FunctionError("templatefile's path must be a string")
        contained_path(base, path, "templatefile")  # jinja2's loader follows a symlink leading out
        try:
            return env.get_template(path).render(**(variables if isinstance(variables, Mapping) else {}))
        except jinja2.TemplateNotFound:
            raise FunctionError(f"no template {path!r} in {base}") from None
        except jinja2.TemplateError as exc:
            raise FunctionError(f"template {path}: {exc}") from None

    return templatefile


class ProductView(TypedDict):
    """`mesh.products["KEY.vN"]` and each of `mesh.domains[NAME].products` in a module."""

    key: str
    name: str
    version: int
    domain: str
    kind: str
    description: str
    topic: str
    schema_type: str
    value_subject: str
    key_subject: str
    sla: dict[str, str]
    delivery: dict[str, str]
    lifecycle: dict[str, object]
    module: str  # the module that declared it (its catalog entry is that module's); "": the root


class DomainView(TypedDict):
    """`mesh.domains[NAME]` in a module."""

    name: str
    path: str
    slug: str
    parent: str
    description: str
    accountable: str
    responsible: list[str]
    principal: str
    kafka_secret: str
    # Its passwords on the other clusters where it owns products: cluster -> secret name.
    kafka_secrets_elsewhere: dict[str, str]
    cluster: str  # the Kafka cluster its products live on unless they say otherwise
    group_prefix: str
    baseline: dict[str, object]
    products: list[ProductView]
    reads: list[str]


class MeshView(TypedDict):
    """`mesh` in a module: plain values, no secrets."""

    domains: dict[str, DomainView]
    products: dict[str, ProductView]
    aws: dict[str, object]


def mesh_view(mesh: Mesh) -> MeshView:
    """What modules may read about the mesh: plain values, no secrets."""

    def product(p: DataProduct) -> ProductView:
        topic = mesh.topic_name(p)
        return {
            "key": p.key,
            "name": p.name,
            "version": p.version,
            "domain": p.domain,
            "kind": p.kind,
            "description": p.description,
            "topic": topic,
            "schema_type": p.schema.type if p.schema else "",
            "value_subject": subject_name(topic) if p.schema else "",
            "key_subject": subject_name(topic, "key") if p.schema and p.schema.key_text else "",
            "sla": p.sla.written(),
            "delivery": p.delivery.written(),
            "lifecycle": {
                "replaces": p.lifecycle.replaces or 0,
                "deprecated": p.lifecycle.deprecated.isoformat() if p.lifecycle.deprecated else "",
                "sunset": p.lifecycle.sunset.isoformat() if p.lifecycle.sunset else "",
            },
            "module": p.module,
        }

    # Grants and products grouped by domain once: a domain's scan of every grant and product
    # made the view quadratic (10,000 products, 400 domains: 0.5 s).
    grants: dict[str, list[Access]] = {}
    for a in mesh.access:
        grants.setdefault(a.consumer, []).append(a)
    owned: dict[str, list[DataProduct]] = {}
    for p in mesh.products:
        owned.setdefault(p.domain, []).append(p)
    domains: dict[str, DomainView] = {}
    for name, d in mesh.domains.items():
        reads = sorted(
            {
                mesh.topic_name(p)
                for a in grants.get(name, [])
                for p in ([mesh.product(a.product, a.version)] if a.version else mesh.versions(a.product))
                if p is not None
            }
        )
        domains[name] = {
            "name": name,
            "path": mesh.path(name),
            "slug": mesh.path(name).replace(".", "-").replace("_", "-"),
            "parent": d.parent or "",
            "description": d.description,
            "accountable": d.owners.accountable if d.owners else "",
            "responsible": list(d.owners.responsible) if d.owners else [],
            "principal": kafka_principal(name),
            "kafka_secret": secret_name(name, mesh.domain_cluster(name)),  # its home cluster's password
            "kafka_secrets_elsewhere": {
                c: secret_name(name, c)
                for c in sorted({mesh.product_cluster(p) for p in owned.get(name, [])} - {mesh.domain_cluster(name)})
            },
            "cluster": mesh.domain_cluster(name),
            "group_prefix": group_prefix(name),
            # Baseline settings from the domain's policy, the nearest domain's value winning.
            "baseline": {k: v for a in [*reversed(mesh.ancestors(name)), d] for k, v in a.policy.baseline.items()},
            "products": [product(p) for p in owned.get(name, [])],
            "reads": reads,
        }
    return {
        "domains": domains,
        "products": {f"{p.key}.v{p.version}": product(p) for p in mesh.products},
        "aws": {"region": mesh.aws.get("region", ""), "account_id": mesh.aws.get("account_id", "")},
    }
