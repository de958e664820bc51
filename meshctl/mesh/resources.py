"""Checks of `resource` blocks that need more than their type: policy documents, names."""

from __future__ import annotations

import re
from collections.abc import Mapping

from meshctl.connectors import CLIENTS, literal_secret, managed_keys, sets_authentication
from meshctl.errors import Diagnostics, SourceRange
from meshctl.iam.policy import PolicyError, parse
from meshctl.mesh.applications import application_cluster
from meshctl.mesh.model import Mesh, ResourceBlock
from meshctl.naming import BUCKET_HINT, BUCKET_RE, secret_name


def check_resource(block: ResourceBlock, mesh: Mesh, diags: Diagnostics) -> None:
    values = block.values
    for attr in ("policy", "assume_role_policy"):
        if attr in values and values[attr] not in (None, ""):
            _check_policy(values[attr], f"{block.address}.{attr}", block.srcs.get(attr, block.src), diags)
    inline = values.get("inline_policies")
    for name, document in (inline if isinstance(inline, Mapping) else {}).items():
        _check_policy(document, f"{block.address}.inline_policies[{name!r}]", block.srcs.get("inline_policies"), diags)
    if block.type == "aws_s3_bucket" and not BUCKET_RE.match(str(values.get("bucket", ""))):
        diags.error(
            f"invalid bucket name {values.get('bucket')!r}",
            block.srcs.get("bucket", block.src),
            hint=BUCKET_HINT,
        )
    if block.type == "kafka_connector":
        check_connector(block, mesh, diags)
    domain = values.get("domain")
    if domain is not None and domain not in mesh.domains:
        diags.error(f"{block.address} names an unknown domain {domain!r}", block.srcs.get("domain", block.src))


def check_principal_secrets(mesh: Mesh, diags: Diagnostics) -> None:
    """With AWS, meshctl keeps each principal's Kafka password in a secret; one that no
    resource block declares gets no resource policy, so any role allowed
    secretsmanager:GetSecretValue on it may read the password."""
    if not mesh.aws:
        return
    declared = {str(b.values.get("name")) for b in mesh.resources if b.type == "aws_secretsmanager_secret"}
    principals = [*mesh.domains, *(i.principal_name for i in mesh.integrations)]
    # An application's secret is declared by meshctl (compile.aws), with a policy naming aws.runs_as
    # or else copying its domain's secret's: without either, nobody is named.
    principals += [
        a.principal_name for a in mesh.applications if not a.runs_as and secret_name(a.domain) not in declared
    ]
    missing = [secret_name(p) for p in principals if secret_name(p) not in declared]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        diags.warning(
            f"Kafka credentials without a resource policy: {shown}",
            detail="any role allowed secretsmanager:GetSecretValue on these secrets can read the passwords",
            hint='declare each secret: module "baseline" { source = "domain-baseline", for_each = mesh.domains, '
            "domain = each.value } for domains, an aws_secretsmanager_secret with a policy in an integration's module",
        )


def _check_policy(document: object, what: str, src: SourceRange | None, diags: Diagnostics) -> None:
    try:
        parse(document)
    except PolicyError as exc:
        diags.error(f"{what}: {exc}", src, hint="write the policy as an object, or jsonencode({...})")


def check_application_secrets(mesh: Mesh, diags: Diagnostics) -> None:
    """On AWS, meshctl declares each application's secret itself (compile.aws): a resource block
    declaring the same secret would manage it twice, with two policies."""
    if not mesh.aws:
        return
    apps = {
        secret_name(a.principal_name, application_cluster(mesh, a)): a
        for a in mesh.applications
        if a.domain in mesh.domains
    }
    for block in mesh.resources:
        app = apps.get(str(block.values.get("name"))) if block.type == "aws_secretsmanager_secret" else None
        if app is not None:
            diags.error(
                f"{block.address} declares {block.values.get('name')}, the secret meshctl keeps for {app.address}",
                block.srcs.get("name", block.src),
                detail="an application's secret and its resource policy come from the application block",
                hint="remove the resource block; name who may read the password in the application's aws { runs_as }",
            )


_CONNECTOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PRINCIPAL = re.compile(r"^User:[A-Za-z0-9._@-]+$")
CONNECTOR_STATES = ("running", "paused")


def check_connector(block: ResourceBlock, mesh: Mesh, diags: Diagnostics) -> None:
    """A connector's name, state and principal, and a configuration without secrets: Connect
    returns it to anyone who may read its REST API (GET /connectors/NAME/config)."""
    values = block.values
    where = block.address
    name = str(values.get("name") or "")
    if not _CONNECTOR_NAME.match(name):
        diags.error(
            f"{where}: invalid connector name {name!r}",
            block.srcs.get("name", block.src),
            hint="letters, digits, '.', '_' and '-', starting with a letter or digit (it is part of REST URLs)",
        )
    state = values.get("state")
    if state is not None and state not in CONNECTOR_STATES:
        diags.error(f'{where}: state must be "running" or "paused", not {state!r}', block.srcs.get("state"))
    principal = values.get("principal")
    if principal is not None and not _PRINCIPAL.match(str(principal)):
        diags.error(
            f"{where}: principal must read User:NAME, not {principal!r}",
            block.srcs.get("principal"),
            hint="an integration's var.integration.principal, or an application's User:<domain>-<app>",
        )
    _check_connector_principal(block, mesh, str(principal or ""), diags)
    config = values.get("config")
    src = block.srcs.get("config", block.src)
    for key, value in (config if isinstance(config, Mapping) else {}).items():
        if literal_secret(str(key), str(value)):
            diags.error(
                f"{where}: config[{key!r}] holds a secret in plain text",
                src,
                detail="Kafka Connect returns a connector's configuration to anyone who may read its REST API",
                hint="reference it through the worker's config provider, in HCL "
                '"$${file:/path/on/worker.properties:key}"; for the connector\'s own Kafka password set principal',
            )
        elif key in managed_keys() or sets_authentication(str(key), str(value)):
            diags.error(
                f"{where}: config[{key!r}] is set by meshctl from principal",
                src,
                detail="whom a connector's clients authenticate as comes from its principal alone",
                hint=f"remove it: the {'/'.join(CLIENTS)} clients authenticate as {principal or 'principal'}",
            )
        elif key == "name":
            diags.error(f'{where}: config["name"]: the connector\'s name is its name attribute', src)


def _check_connector_principal(block: ResourceBlock, mesh: Mesh, principal: str, diags: Diagnostics) -> None:
    """An integration's module deploys its connector as the integration's own principal, never
    the worker's or another's (with more rights); elsewhere a principal the mesh manages."""
    src = block.srcs.get("principal", block.src)
    for integration in mesh.integrations:
        if block.module == f"module.integration_{integration.name}":
            own = f"User:{integration.principal_name}"
            if principal != own:
                diags.error(
                    f"{block.address}: a connector of integration {integration.name!r} runs as {own}, "
                    f"not {principal or 'the Connect worker'}",
                    src,
                    hint="principal = var.integration.principal",
                )
            return
    if not principal or not _PRINCIPAL.match(principal):
        return
    managed = {
        *mesh.domains,
        *(i.principal_name for i in mesh.integrations),
        *(a.principal_name for a in mesh.applications),
    }
    if principal.split(":", 1)[1] not in managed:
        diags.warning(
            f"{block.address}: {principal} is no principal this mesh manages",
            src,
            detail="meshctl keeps no password for it: the worker's credentials folder must get one another way",
        )
