"""`for_each` and `count` on mesh blocks (domain, data_product, access, integration, application,
copy, exception).

    data_product "orders" {
      for_each = toset(["eu", "us"])
      name     = "orders-${each.key}"     # required: the instance's name, unique
      domain   = "sales"
    }

A block with `for_each` (a map, or a list/set of strings) or `count` (a whole number) stands
for one block per key or index, with `each.key`/`each.value` or `count.index` in scope. Names
go into topics, principals and state addresses, so each instance names itself with `name`:
its model object, resources, state entries and `source` are those of a block labelled with
that name (turning a block into a for_each instance of the same name changes nothing live).
The instance's address, `data_product.orders["eu"]` or `domain.team[0]`, is on the source
ranges of everything decoded from it, so every error about it names it (errors.SourceRange).

The collection must be known when the mesh is loaded: literals, `var.*`, `local.*`,
`environment.*` (nothing else is in scope at the root).
"""

from __future__ import annotations

import dataclasses

from meshctl.address import format_key, is_identifier
from meshctl.config import ast
from meshctl.config.evaluate import EvalError, Scope, evaluate
from meshctl.config.schema import BlockSchema, Decoded, decode
from meshctl.errors import Diagnostic, Diagnostics, SourceRange
from meshctl.naming import NAME_HINT, NAME_RE

REPEATABLE = ("domain", "data_product", "access", "integration", "application", "copy", "exception")
META = ("for_each", "count", "name")
MAX_COUNT = 100_000


def decode_repeatable(
    block: ast.Block, schema: BlockSchema, scope: Scope, diags: Diagnostics, prefix: str = ""
) -> list[Decoded]:
    """The block decoded once, or once per for_each key / count index. `prefix` is the
    module address the block is declared in ("" at the root), for the instances' addresses;
    in a module, `name` may be set without for_each or count (labels are the module's own)."""
    attrs = block.body.attributes
    repeated = "for_each" in attrs or "count" in attrs
    if not repeated and not (prefix and "name" in attrs):
        if not prefix:
            d = decode(block, schema, scope, diags)
            return [] if d is None else [d]
        # In a module: what is wrong with it names the module, `module.x.data_product.orders`.
        address, local = f"{prefix}{block.type}.{block.label}", Diagnostics()
        d = decode(block, schema, scope, local)
        for diag in local.items:
            diags.add(_tagged(diag, address))
        return [] if d is None else [tag(d, address)]
    if "for_each" in attrs and "count" in attrs:
        diags.error(
            f"{block.type} block: for_each and count cannot both be set",
            attrs["count"].src,
            hint="for_each for one instance per key, count for N numbered instances",
        )
        return []
    label = block.labels[0] if len(block.labels) == 1 else ""
    if not is_identifier(label):
        diags.error(
            f'{block.type} "{label}": with for_each, count or name, the label must be an identifier',
            block.src,
            hint=f'letters, digits, _ and -: each instance is {block.type}.LABEL["KEY"] or {block.type}.LABEL[0]',
        )
        return []
    name_attr = attrs.get("name")
    if name_attr is None:
        diags.error(
            f'{block.type} "{label}": with for_each or count, each instance needs name = "..."',
            block.src,
            detail="the name goes into topic and principal names: it must be unique across the instances",
            hint='e.g. name = "orders-${each.key}" (or "team-${count.index}")',
        )
        return []
    # A module's block may take its name from an input (`name = var.name`): one instance.
    instances = _instances(block, scope, diags) if repeated else [("", {})]
    if instances is None:
        return []
    body = ast.Body({k: v for k, v in attrs.items() if k not in META}, block.body.blocks)
    out: list[Decoded] = []
    names: dict[str, str] = {}
    for key, bound in instances:
        address = f"{prefix}{block.type}.{label}{key}"
        inner = scope.child(**bound)
        local = Diagnostics()
        name = _name(name_attr, inner, local)
        if name is not None and name in names:
            local.error(
                f'{block.type} "{label}": instances {names[name]} and {address} are both named "{name}"',
                name_attr.src,
                hint="make the name depend on each.key or count.index",
            )
            name = None
        if name is not None:
            names[name] = address
            d = decode(ast.Block(block.type, [name], body, block.src), schema, inner, local)
            if d is not None:
                out.append(tag(d, address))
        for diag in local.items:
            diags.add(_tagged(diag, address))
    return out


def _instances(block: ast.Block, scope: Scope, diags: Diagnostics) -> list[tuple[str, dict[str, object]]] | None:
    """(address key, bound names) per instance, in key order; None after reporting an error."""
    attrs = block.body.attributes
    attr = attrs.get("for_each") or attrs["count"]
    try:
        value = evaluate(attr.expr, scope)
    except EvalError as exc:
        diags.add(
            dataclasses.replace(
                exc.diagnostic,
                detail=exc.diagnostic.detail or f"{attr.name} must be known when the mesh is loaded",
                hint=exc.diagnostic.hint or "use literals, var.*, local.* or environment.*",
            )
        )
        return None
    if attr.name == "count":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
            diags.error(f"count must be a whole number of at least 0, got {value!r}", attr.src)
            return None
        if value > MAX_COUNT:  # a typo (1e12) would otherwise build instances until memory runs out
            diags.error(f"count must be at most {MAX_COUNT}, got {value!r}", attr.src)
            return None
        return [(f"[{i}]", {"count": {"index": i}}) for i in range(int(value))]
    if isinstance(value, list) and all(isinstance(k, str) for k in value):
        if len(set(value)) != len(value):
            diags.error("for_each: the list holds the same string twice", attr.src, hint="use toset(...) or a map")
            return None
        value = {k: k for k in value}
    if not isinstance(value, dict):
        diags.error(
            f"for_each needs a map or a set of strings, got {_kind(value)}",
            attr.src,
            hint='e.g. for_each = toset(["eu", "us"]) or for_each = { eu = 3, us = 6 }',
        )
        return None
    return [(format_key(str(k)), {"each": {"key": str(k), "value": v}}) for k, v in sorted(value.items())]


def _name(attr: ast.Attribute, scope: Scope, diags: Diagnostics) -> str | None:
    try:
        value = evaluate(attr.expr, scope)
    except EvalError as exc:
        diags.add(exc.diagnostic)
        return None
    if not isinstance(value, str):
        diags.error(f"name must be a string, got {_kind(value)}", attr.src)
        return None
    if not NAME_RE.match(value):
        diags.error(f'invalid name "{value}"', attr.src, hint=NAME_HINT)
        return None
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list that is not all strings"
    return type(value).__name__


def tag(d: Decoded, instance: str) -> Decoded:
    """`d` with every source range naming `instance`."""
    return dataclasses.replace(
        d,
        src=_at(d.src, instance),
        srcs={k: _at(v, instance) for k, v in d.srcs.items()},
        blocks={k: [tag(b, instance) for b in bs] for k, bs in d.blocks.items()},
    )


def _at(src: SourceRange, instance: str) -> SourceRange:
    return dataclasses.replace(src, instance=src.instance or instance)


def _tagged(diag: Diagnostic, instance: str) -> Diagnostic:
    return dataclasses.replace(diag, source=_at(diag.source, instance)) if diag.source else diag
