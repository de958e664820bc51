"""The attributes of AWS `resource` blocks in configuration: one block schema per type."""

from __future__ import annotations

from meshctl.config.schema import Attr, BlockSchema

_TAGS = Attr("map(string)")

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
    ),
    "aws_glue_database": BlockSchema(
        labels=("type", "name"),
        attrs={
            "name": Attr("string", required=True),
            "description": Attr("string"),
            "parameters": Attr("map(string)"),
            "domain": Attr("string"),
        },
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
    ),
}
