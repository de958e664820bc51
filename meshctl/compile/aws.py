"""`resource` blocks -> AWS resources with their defaults filled in and policies canonical."""

from __future__ import annotations

from meshctl.mesh.model import Mesh
from meshctl.providers.aws.policy import canonical
from meshctl.resources import Resource

DEFAULTS: dict[str, dict[str, object]] = {
    # Secure by default: encrypted, never public.
    "aws_s3_bucket": {
        "policy": "",
        "encryption": "AES256",
        "block_public_access": True,
        "versioning": False,
        "tags": {},
    },
    "aws_iam_role": {"description": "", "inline_policies": {}, "tags": {}},
    "aws_glue_database": {"description": "", "parameters": {}},
    "aws_glue_table": {"description": "", "parameters": {}},
    "aws_secretsmanager_secret": {"description": "", "policy": "", "tags": {}},
}


def compile_resources(mesh: Mesh) -> list[Resource]:
    databases = {str(b.values.get("name")): b.address for b in mesh.resources if b.type == "aws_glue_database"}
    out = []
    for block in mesh.resources:
        # A table needs its database first; they would otherwise be created in parallel.
        depends = (
            (databases[str(block.values["database"])],)
            if block.type == "aws_glue_table" and str(block.values.get("database")) in databases
            else ()
        )
        attrs = {**DEFAULTS[block.type], **{k: v for k, v in block.values.items() if k != "domain"}}
        for key in ("policy", "assume_role_policy"):
            if attrs.get(key):
                attrs[key] = canonical(attrs[key])
        if "inline_policies" in attrs:
            attrs["inline_policies"] = {n: canonical(d) for n, d in sorted(dict(attrs["inline_policies"]).items())}  # type: ignore[call-overload]
        source = f"{block.module}.resource.{block.type}.{block.name}" if block.module else f"resource.{block.address}"
        out.append(
            Resource(
                block.type,
                block.name,
                attrs,
                source,
                depends,
                domain=str(block.values.get("domain", "")),
                module=block.module,
            )
        )
    return out
