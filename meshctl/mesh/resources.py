"""Checks of `resource` blocks that need more than their type: policy documents, names."""

from __future__ import annotations

import re

from meshctl.errors import Diagnostics
from meshctl.mesh.model import Mesh, ResourceBlock
from meshctl.providers.aws.policy import PolicyError, parse

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_resource(block: ResourceBlock, mesh: Mesh, diags: Diagnostics) -> None:
    values = block.values
    for attr in ("policy", "assume_role_policy"):
        if attr in values and values[attr] not in (None, ""):
            _check_policy(values[attr], f"{block.address}.{attr}", block.srcs.get(attr, block.src), diags)
    for name, document in dict(values.get("inline_policies") or {}).items():  # type: ignore[call-overload]
        _check_policy(document, f"{block.address}.inline_policies[{name!r}]", block.srcs.get("inline_policies"), diags)
    if block.type == "aws_s3_bucket" and not _BUCKET_RE.match(str(values.get("bucket", ""))):
        diags.error(
            f"invalid bucket name {values.get('bucket')!r}",
            block.srcs.get("bucket", block.src),
            hint="3-63 characters: lower-case letters, digits, dots and hyphens",
        )
    domain = values.get("domain")
    if domain is not None and domain not in mesh.domains:
        diags.error(f"{block.address} names an unknown domain {domain!r}", block.srcs.get("domain", block.src))


def _check_policy(document: object, what: str, src, diags: Diagnostics) -> None:  # type: ignore[no-untyped-def]
    try:
        parse(document)
    except PolicyError as exc:
        diags.error(f"{what}: {exc}", src, hint="write the policy as an object, or jsonencode({...})")
