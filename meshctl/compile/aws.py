"""`resource` blocks -> AWS resources with their defaults filled in and policies canonical.

Every Deny of a resource policy admits the deploying principals: a bucket or secret that
denies everyone but its domain's role would otherwise deny meshctl too, and on a real
account the next plan could no longer read (or fix) the policy.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from meshctl.attributes import SHAPES, AwsSecretsmanagerSecret, attributes_of
from meshctl.compile.copies import compiled_copies
from meshctl.iam.policy import canonical, parse, statement_list
from meshctl.mesh.applications import application_cluster
from meshctl.mesh.model import Application, Mesh
from meshctl.naming import copy_principal, secret_name
from meshctl.resources import Resource

# Resource policies: who else may act on the resource. Identity and trust policies never
# deny the deployer access to the resource itself.
RESOURCE_POLICY_TYPES = frozenset({"aws_s3_bucket", "aws_secretsmanager_secret"})
_NEGATED_OPERATORS = frozenset({"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"})
# A Deny only on these keys never hits meshctl: boto3 always speaks TLS 1.2 or later.
_TRANSPORT_KEYS = frozenset({"aws:securetransport", "s3:tlsversion"})

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


def admit_deployers(document: object, deployers: tuple[str, ...]) -> dict:
    """The policy with every Deny made to spare `deployers`: added to the Deny's own
    negated `aws:PrincipalArn` condition when it has one, else as `ArnNotEquals`."""
    doc = copy.deepcopy(parse(document))
    doc["Statement"] = [_spare(dict(st), deployers) if st.get("Effect") == "Deny" else st for st in statement_list(doc)]
    return doc


def _spare(statement: dict, deployers: tuple[str, ...]) -> dict:
    raw = statement.get("Condition") or {}
    if not isinstance(raw, Mapping) or not all(isinstance(b, Mapping) for b in raw.values()):
        return statement  # not a valid condition: AWS refuses the policy with its own message
    condition = {op: dict(keys) for op, keys in raw.items()}
    keys = {key.lower() for block in condition.values() for key in block}
    if condition and keys <= _TRANSPORT_KEYS:
        return statement
    for operator, block in condition.items():
        if operator.removesuffix("IfExists") not in _NEGATED_OPERATORS:
            continue
        for key, value in block.items():
            if key.lower() == "aws:principalarn":  # condition keys are case-insensitive
                block[key] = _with(value, deployers)
                return {**statement, "Condition": condition}
    condition.setdefault("ArnNotEquals", {})["aws:PrincipalArn"] = list(deployers)
    return {**statement, "Condition": condition}


def _with(value: object, extra: tuple[str, ...]) -> list[str]:
    present = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return present + [arn for arn in extra if arn not in present]


def compile_resources(mesh: Mesh, deployers: tuple[str, ...] = ()) -> list[Resource]:
    """`deployers`: the principals meshctl deploys as (configured, or the caller from STS);
    empty only offline (`validate`), where nothing is applied."""
    databases = {str(b.values.get("name")): b.address for b in mesh.resources if b.type == "aws_glue_database"}
    out = []
    for block in mesh.resources:
        if block.type == "kafka_connector":  # compile.connect's
            continue
        # A table needs its database first; they would otherwise be created in parallel.
        depends = (
            (databases[str(block.values["database"])],)
            if block.type == "aws_glue_table" and str(block.values.get("database")) in databases
            else ()
        )
        # As in Terraform, an attribute written `= null` is unset: it takes its default.
        given = {k: v for k, v in block.values.items() if k != "domain" and v is not None}
        attrs = {**DEFAULTS[block.type], **given}
        if deployers and block.type in RESOURCE_POLICY_TYPES and attrs.get("policy"):
            attrs["policy"] = admit_deployers(attrs["policy"], deployers)
        for key in ("policy", "assume_role_policy"):
            if attrs.get(key):
                attrs[key] = canonical(attrs[key])
        inline = attrs.get("inline_policies")
        if isinstance(inline, Mapping):
            attrs["inline_policies"] = {n: canonical(d) for n, d in sorted(inline.items())}
        out.append(
            Resource(
                block.type,
                block.name,
                attributes_of(SHAPES[block.type], attrs, block.address),
                block.addr.declared_by,
                depends,
                domain=str(block.values.get("domain", "")),
                module=block.module,
                ignore_changes=block.ignore_changes,
            )
        )
    return out + application_secrets(mesh, deployers) + copy_secrets(mesh, deployers)


def application_secrets(mesh: Mesh, deployers: tuple[str, ...] = ()) -> list[Resource]:
    """On AWS, each application's password lives in `meshctl/kafka/<P>`, declared here with a
    resource policy: only `aws.runs_as` may read it, or else whoever may read its domain's
    secret (the domain's role, from the baseline module's policy); every Deny spares the deployers."""
    if not mesh.aws:
        return []
    out = []
    for app in mesh.applications:
        if app.domain not in mesh.domains:
            continue
        policy = _secret_policy(mesh, app)
        if deployers and policy:
            policy = admit_deployers(policy, deployers)
        attrs = AwsSecretsmanagerSecret(
            name=secret_name(app.principal_name, application_cluster(mesh, app)),  # its cluster's password
            description=f"Kafka credentials of User:{app.principal_name} ({app.address}), managed by meshctl",
            policy=canonical(policy) if policy else "",
            tags={"managed-by": "meshctl", "meshctl:application": app.name, "meshctl:domain": mesh.path(app.domain)},
        )
        out.append(Resource("aws_secretsmanager_secret", app.principal_name, attrs, app.address, domain=app.domain))
    return out


def copy_secrets(mesh: Mesh, deployers: tuple[str, ...] = ()) -> list[Resource]:
    """On AWS, each copy's connector password lives in `meshctl/kafka/<copy principal>`, declared
    here with its copying domain's secret policy: whoever may read the domain's own password
    (the domain's role, and the deployers), nobody else. Undeclared, the credential store would
    create it with no policy, readable by any role of the account allowed GetSecretValue."""
    if not mesh.aws:
        return []
    out = []
    for c in compiled_copies(mesh, {p.address: "" for p in mesh.products}):
        policy = _domain_secret_policy(mesh, c.domain)
        if deployers and policy:
            policy = admit_deployers(policy, deployers)
        user = copy_principal(c.domain, c.name, c.version)
        attrs = AwsSecretsmanagerSecret(
            name=secret_name(user),
            description=f"Kafka credentials of User:{user} ({c.address}), managed by meshctl",
            policy=canonical(policy) if policy else "",
            tags={"managed-by": "meshctl", "meshctl:copy": c.name, "meshctl:domain": mesh.path(c.domain)},
        )
        out.append(Resource("aws_secretsmanager_secret", user, attrs, c.address, domain=c.domain, module=c.module))
    return out


def _domain_secret_policy(mesh: Mesh, domain: str) -> object:
    """The resource policy the mesh declares on a domain's own secret ("" when none)."""
    domain_secret = secret_name(domain)
    for block in mesh.resources:
        if block.type == "aws_secretsmanager_secret" and block.values.get("name") == domain_secret:
            return block.values.get("policy") or ""
    return ""


def _secret_policy(mesh: Mesh, app: Application) -> object:
    """The app secret's resource policy before the deployers are admitted; "" when nobody is named
    and the domain's own secret declares no policy (validation warns: any role may read it)."""
    if app.runs_as:
        readers = list(app.runs_as)
        action = "secretsmanager:GetSecretValue"
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "RunsAs",
                    "Effect": "Allow",
                    "Principal": {"AWS": readers},
                    "Action": action,
                    "Resource": "*",
                },
                {
                    "Sid": "OnlyRunsAs",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": action,
                    "Resource": "*",
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": readers}},
                },
            ],
        }
    return _domain_secret_policy(mesh, app.domain)
