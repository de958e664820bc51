"""The attributes of AWS `resource` blocks in configuration: one block schema per type."""

from __future__ import annotations

from meshctl.config.schema import Attr, BlockSchema, Decoded

_TAGS = Attr("map(string)")
# Terraform's meta-block: `prevent_destroy = true` makes a plan that deletes or replaces it an error.
LIFECYCLE = BlockSchema(attrs={"prevent_destroy": Attr("bool", doc="refuse any plan that deletes or replaces it")})

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
}


def protected_at(d: Decoded) -> str:
    """`file.hcl:12` where the block's lifecycle sets prevent_destroy = true, or ""."""
    life = d.block("lifecycle")
    return str(life.src_of("prevent_destroy")) if life is not None and life.get("prevent_destroy") is True else ""
