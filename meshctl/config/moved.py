"""`moved { from = ..., to = ... }` blocks, as Terraform has them.

The addresses are read as written, never evaluated: a bare reference
(`module.a.aws_iam_role.x`, `aws_s3_bucket.data["k"]`) or a string (needed for names
with characters a reference cannot hold, such as a Kafka ACL's `User:x/topic/...`).
"""

from __future__ import annotations

from meshctl.address import MODULE, Address, ModuleAddress
from meshctl.config import ast
from meshctl.errors import Diagnostics
from meshctl.mesh.model import MovedBlock


def decode_moved(blocks: list[ast.Block], diags: Diagnostics) -> list[MovedBlock]:
    out = []
    for block in blocks:
        if block.labels:
            diags.error("a moved block takes no labels", block.src, hint="write it as moved { from = ..., to = ... }")
            continue
        values: dict[str, str] = {}
        for attr in block.body.attributes.values():
            if attr.name not in ("from", "to"):
                diags.error(f"unknown attribute {attr.name!r} in moved", attr.src, hint="a moved block has from and to")
                continue
            text = address_text(attr.expr)
            if text is None:
                diags.error(
                    f"moved.{attr.name} must be a resource or module address",
                    attr.src,
                    hint='e.g. module.a.aws_iam_role.reader, or a string "kafka_acl.User:x/topic/t"',
                )
                continue
            values[attr.name] = text
        for nested in block.body.blocks:
            diags.error(f"unknown block {nested.type!r} in moved", nested.src)
        missing = [a for a in ("from", "to") if a not in block.body.attributes]
        for name in missing:
            diags.error(f"missing required attribute {name!r} in moved", block.src, hint=f"add {name} = ADDRESS")
        if len(values) == 2:
            srcs = {n: block.body.attributes[n].src for n in ("from", "to")}
            out.append(MovedBlock(values["from"], values["to"], block.src, srcs))
    return out


def address_text(expr: ast.Expr) -> str | None:
    """`module.a["k"].aws_s3_bucket.data` from its syntax tree, or None when it is not an address.
    A string is taken as written: resolving the moves parses it (and says what is wrong with it)."""
    if isinstance(expr, ast.Literal) and isinstance(expr.value, str):
        return expr.value
    parts = _reference(expr)
    if not parts:
        return None
    steps: list[tuple[str, str | None]] = []
    while len(parts) >= 2 and parts[0] == (MODULE, None):
        steps.append(parts[1])
        parts = parts[2:]
    try:
        if not parts:
            return str(ModuleAddress(tuple(steps)))
        (type_, type_key), *names = parts
        if type_key is not None or not names or any(key is not None for _, key in names[:-1]):
            return None
        # A name may hold dots: `kafka_topic.sales.orders.v1` reads as a chain of attributes.
        return str(Address(type_, ".".join(n for n, _ in names), names[-1][1], ModuleAddress(tuple(steps))))
    except ValueError:  # e.g. `aws_s3_bucket.a.b["k"]`: only an identifier takes a key
        return None


def _reference(expr: ast.Expr) -> list[tuple[str, str | None]] | None:
    """`a.b["k"].c` as [("a", None), ("b", "k"), ("c", None)]; None for any other expression."""
    if isinstance(expr, ast.Variable):
        return [(expr.name, None)]
    if isinstance(expr, ast.GetAttr):
        target = _reference(expr.target)
        return None if target is None else [*target, (expr.name, None)]
    if isinstance(expr, ast.Index) and isinstance(expr.key, ast.Literal):
        target = _reference(expr.target)
        key = expr.key.value
        if target is None or target[-1][1] is not None or isinstance(key, bool) or not isinstance(key, (str, int)):
            return None
        return [*target[:-1], (target[-1][0], str(key))]
    return None
