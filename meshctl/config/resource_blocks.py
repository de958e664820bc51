"""The attributes of `resource` blocks in configuration (AWS, and Kafka Connect's connectors):
one block schema per type."""

from __future__ import annotations

from dataclasses import replace

from meshctl.config import ast
from meshctl.config.schema import Attr, BlockSchema, Decoded
from meshctl.errors import Diagnostics

_TAGS = Attr("map(string)")
# Terraform's meta-block: `prevent_destroy = true` makes a plan that deletes or replaces it an
# error; `ignore_changes = [tags, ...]` (or `all`) leaves those attributes as the live object has them.
LIFECYCLE = BlockSchema(
    attrs={
        "prevent_destroy": Attr("bool", doc="refuse any plan that deletes or replaces it"),
        "ignore_changes": Attr(
            "list(string)", doc="attributes a plan leaves as they are once it exists: [tags, policy], or all"
        ),
    }
)
ALL = "all"

SCHEMAS: dict[str, BlockSchema] = {
    "aws_s3_bucket": BlockSchema(
        labels=("type", "name"),
        attrs={
            "bucket": Attr("string", required=True),
            "policy": Attr("any", doc="a bucket policy: an object or JSON text"),
            "encryption": Attr("string", doc='"AES256" (default) or "aws:kms"'),
            "block_public_access": Attr("bool"),
            "versioning": Attr("bool"),
            "tags": _TAGS,
            "domain": Attr("string", doc="the owning domain, for --domain and reports"),
        },
        blocks={"lifecycle": LIFECYCLE},
    ),
    "aws_iam_role": BlockSchema(
        labels=("type", "name"),
        attrs={
            "name": Attr("string", required=True),
            "description": Attr("string"),
            "assume_role_policy": Attr("any", required=True, doc="the trust policy: an object or JSON text"),
            "inline_policies": Attr("map(any)", doc="policy name -> policy document"),
            "tags": _TAGS,
            "domain": Attr("string"),
        },
        blocks={"lifecycle": LIFECYCLE},
    ),
    "aws_glue_database": BlockSchema(
        labels=("type", "name"),
        attrs={
            "name": Attr("string", required=True),
            "description": Attr("string"),
            "parameters": Attr("map(string)"),
            "domain": Attr("string"),
        },
        blocks={"lifecycle": LIFECYCLE},
    ),
    "aws_glue_table": BlockSchema(
        labels=("type", "name"),
        attrs={
            "database": Attr("string", required=True),
            "name": Attr("string", required=True),
            "description": Attr("string"),
            "parameters": Attr("map(string)"),
            "domain": Attr("string"),
        },
        blocks={"lifecycle": LIFECYCLE},
    ),
    "aws_secretsmanager_secret": BlockSchema(
        labels=("type", "name"),
        attrs={
            "name": Attr("string", required=True),
            "description": Attr("string"),
            "policy": Attr("any", doc="a resource policy: who may read the secret"),
            "tags": _TAGS,
            "domain": Attr("string"),
        },
        blocks={"lifecycle": LIFECYCLE},
    ),
    # A connector on the Kafka Connect worker (the `kafka_connect` block): planned and applied
    # through its REST API, running under `principal`, whose password the worker reads from its
    # config provider: the configuration holds no secret.
    "kafka_connector": BlockSchema(
        labels=("type", "name"),
        attrs={
            "name": Attr("string", required=True, doc="the connector's name on the worker"),
            "config": Attr("map(string)", required=True, doc="connector.class, topics, ...: no credentials"),
            "principal": Attr("string", doc='the principal its clients run as, "User:NAME" (default: the worker\'s)'),
            "state": Attr("string", doc='"running" (default) or "paused"'),
            "domain": Attr("string", doc="the owning domain, for --domain and reports"),
        },
        blocks={"lifecycle": LIFECYCLE},
    ),
}


def protected_at(d: Decoded) -> str:
    """`file.hcl:12` where the block's lifecycle sets prevent_destroy = true, or ""."""
    life = d.block("lifecycle")
    return str(life.src_of("prevent_destroy")) if life is not None and life.get("prevent_destroy") is True else ""


def bare_ignore_changes(block: ast.Block) -> ast.Block:
    """Terraform writes `ignore_changes = [tags]` and `ignore_changes = all`: attribute names,
    not values to evaluate. They are read as the strings they name before the block is decoded
    (a string, `["tags"]`, is taken as written)."""
    lifecycles = block.body.blocks_of("lifecycle")
    if not any("ignore_changes" in life.body.attributes for life in lifecycles):
        return block
    blocks = [_named(b) if b.type == "lifecycle" else b for b in block.body.blocks]
    return replace(block, body=replace(block.body, blocks=blocks))


def _named(life: ast.Block) -> ast.Block:
    attr = life.body.attributes.get("ignore_changes")
    if attr is None:
        return life
    expr = attr.expr
    if isinstance(expr, ast.Variable):  # `= all`
        expr = ast.TupleExpr((ast.Literal(expr.name, expr.src),), expr.src)
    elif isinstance(expr, ast.TupleExpr):
        expr = replace(
            expr,
            items=tuple(ast.Literal(i.name, i.src) if isinstance(i, ast.Variable) else i for i in expr.items),
        )
    attributes = {**life.body.attributes, "ignore_changes": replace(attr, expr=expr)}
    return replace(life, body=replace(life.body, attributes=attributes))


def ignore_changes(d: Decoded, diags: Diagnostics) -> tuple[str, ...]:
    """The attribute names of the block's `lifecycle { ignore_changes }`, each one its type has
    (`all`: every one of them); a name it has not is an error at its line."""
    life = d.block("lifecycle")
    names = life.texts("ignore_changes") if life is not None else None
    if life is None or not names:
        return ()
    type_ = d.labels[0]
    known = [a for a in SCHEMAS[type_].attrs if a != "domain"]
    if ALL in names:
        if len(names) > 1:
            diags.error("ignore_changes = all stands alone", life.src_of("ignore_changes"), hint="write all, or a list")
        return tuple(known)
    for name in names:
        if name not in known:
            diags.error(
                f"ignore_changes names {name!r}, which {type_} has not",
                life.src_of("ignore_changes"),
                hint=f"its attributes: {', '.join(known)}",
            )
    return tuple(dict.fromkeys(n for n in names if n in known))
