"""Mesh blocks declared by modules: `domain`, `data_product`, `access`, `integration`.

They are read before the mesh is built, with the blocks of the root, so every check of the
mesh (the domains' policies, single writer, owners, grants) applies to what a module declares
exactly as to the root's: a module cannot bypass governance. Their model objects carry the
module's address (`module.orders.data_product.sales.orders.v1`).

So a module that declares mesh blocks cannot depend on the mesh: its `for_each`, its inputs
and what its mesh blocks read are known before the mesh is (literals, `var.*`, `local.*`,
`each.*`); `mesh.*` is an error there. Its resources and outputs are evaluated later, with
the mesh, as any module's (config.modules). Modules without mesh blocks are not read here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from meshctl.address import ROOT, ModuleAddress, is_identifier
from meshctl.config import ast
from meshctl.config.evaluate import EvalError, Namespace, Scope
from meshctl.config.functions import make_functions
from meshctl.config.instances import decode_repeatable
from meshctl.config.language import TOP_LEVEL
from meshctl.config.locals import Locals
from meshctl.config.modules import (
    MESH_BLOCKS,
    _bind,
    _for_each_keys,
    _module_inputs,
    check_chain,
    module_blocks,
    resolve_source,
)
from meshctl.config.schema import Decoded
from meshctl.errors import Diagnostics, SourceRange, error

Parser = Callable[[str, str], ast.Body]


@dataclasses.dataclass
class ModuleMesh:
    blocks: dict[str, list[Decoded]]  # by type, as config.stages decodes the root's
    secrets: list[object]  # sensitive inputs of the modules read


class _NoMeshYet(Namespace):
    kind = "mesh attribute"

    def __init__(self) -> None:
        super().__init__({})

    def get(self, name: str, src: SourceRange) -> object:
        raise EvalError(
            error(
                f"mesh.{name} is not known yet where a module declares mesh blocks",
                src,
                detail="its domain, data_product, access and integration blocks are read before the mesh is built",
                hint='pass what the blocks need as inputs (e.g. domain = "sales"); resources may read mesh.*',
            )
        )


def decode_module_mesh(
    calls: list[ast.Block], root: Scope, base_dir: Path, diags: Diagnostics, parse: Parser
) -> ModuleMesh:
    out = ModuleMesh({t: [] for t in MESH_BLOCKS}, [])
    scope = Scope({**root.roots, "mesh": _NoMeshYet()}, root.functions)
    for call in calls:
        _read(call, ROOT, scope, base_dir, diags, parse, out, ())
    return out


def declares_mesh(module_dir: Path, parse: Parser, chain: tuple[Path, ...] = ()) -> bool:
    """The module, or a module it calls, declares mesh blocks (problems are reported later)."""
    if module_dir in chain or len(chain) > 8:
        return False
    blocks = module_blocks(module_dir, None, parse)
    if any(blocks[t] for t in MESH_BLOCKS):
        return True
    for call in blocks["module"]:
        source = call.body.attributes.get("source")
        if source is not None and isinstance(source.expr, ast.Literal):
            nested = resolve_source(str(source.expr.value), module_dir)
            if nested is not None and declares_mesh(nested, parse, (*chain, module_dir)):
                return True
    return False


def _read(
    call: ast.Block,
    parent: ModuleAddress,
    scope: Scope,
    base_dir: Path,
    diags: Diagnostics,
    parse: Parser,
    out: ModuleMesh,
    chain: tuple[Path, ...],
) -> None:
    """One module block's mesh blocks, for each of its instances. A call that is wrong
    (no source, a bad name) is left to config.modules, which reports it."""
    attrs = dict(call.body.attributes)
    source = attrs.pop("source", None)
    if len(call.labels) != 1 or not is_identifier(call.labels[0]) or source is None:
        return
    if not isinstance(source.expr, ast.Literal):
        return
    module_dir = resolve_source(str(source.expr.value), base_dir)
    if module_dir is None or not declares_mesh(module_dir, parse):
        return
    if not check_chain(module_dir, call, chain, diags):
        return
    keys = _for_each_keys(attrs, scope, diags)
    if keys is None:
        return
    blocks = module_blocks(module_dir, Diagnostics(), parse)  # its problems: config.modules reports them
    functions = make_functions(module_dir)
    no_mesh = _NoMeshYet()
    for key, value in keys:
        address = parent.child(call.labels[0], key)
        inputs = _module_inputs(attrs, scope, key, value, diags)
        variables = _bind(
            address, call, blocks["variable"], inputs, Scope({"mesh": no_mesh}, functions), diags, out.secrets
        )
        # Locals are evaluated when a block reads them: one that reads mesh.* (for the
        # module's resources) is no error unless a mesh block needs it.
        local_ns = Locals(blocks["locals"], Diagnostics())
        inner = Scope({"var": Namespace(variables), "local": local_ns, "mesh": no_mesh}, functions)
        local_ns.scope = inner
        for type_ in MESH_BLOCKS:
            for block in blocks[type_]:
                for d in decode_repeatable(block, TOP_LEVEL[type_], inner, diags, prefix=f"{address}."):
                    out.blocks[type_].append(dataclasses.replace(d, module=str(address)))
        for nested in blocks["module"]:
            _read(nested, address, inner, module_dir, diags, parse, out, (*chain, module_dir))
