"""`moved { from = ..., to = ... }` blocks, as Terraform has them.

The addresses are read as written, never evaluated: a bare reference
(`module.a.aws_iam_role.x`, `aws_s3_bucket.data["k"]`) or a string (needed for names
with characters a reference cannot hold, such as a Kafka ACL's `User:x/topic/...`).
"""

from __future__ import annotations

import json

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
    """`module.a["k"].aws_s3_bucket.data` from its syntax tree, or None when it is not an address."""
    if isinstance(expr, ast.Literal) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Variable):
        return expr.name
    if isinstance(expr, ast.GetAttr):
        target = address_text(expr.target)
        return None if target is None else f"{target}.{expr.name}"
    if isinstance(expr, ast.Index) and isinstance(expr.key, ast.Literal):
        target = address_text(expr.target)
        key = expr.key.value
        if target is None or isinstance(key, bool) or not isinstance(key, (str, int)):
            return None
        return f"{target}[{json.dumps(str(key))}]"
    return None
