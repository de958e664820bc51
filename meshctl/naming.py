"""The names meshctl gives what it creates, and the names it accepts. Pure; imports nothing
of meshctl.

Kafka principals, ACLs, consumer-group prefixes, topics, registry subjects and the secrets
holding principals' passwords are named here and only here, so compiling the mesh, reading
the live cluster back, the modules' view of the mesh and the client configurations all
spell an object the same way.

Consumer-group naming that cannot nest between relatives. Kafka's PREFIXED ACLs are plain
string prefixes. Group prefixes taken from the domain tree (`commerce.` for a parent,
`commerce.sales.` for its child, `commerce.snowflake.` for an integration) nest: the
parent's ACL covers its child's and its integrations' groups. So a principal's groups are
keyed by the principal's own name instead: `grp.<principal>.`.

Why nothing nests: principal names never contain a dot (domain and integration names are
`[a-z][a-z0-9_-]*`; an integration's principal is `<domain>-<name>`), and validation keeps
them unique. `grp.<a>.` is a prefix of `grp.<b>.` only if `<a>.` is a prefix of `<b>.`; the
dot after `<a>` must then be the dot ending `<b>`, so a == b. The names also stay put when a
domain moves in the tree.
"""

from __future__ import annotations

import re

# Domains, integrations, products, access grants, modules: the labels a mesh declares.
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
NAME_HINT = "names start with a lower-case letter and use a-z, 0-9, _ and -"

BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
BUCKET_HINT = "3-63 characters: lower-case letters, digits, dots and hyphens"

GROUP_MARKER = "grp"
SECRET_PREFIX = "meshctl/kafka/"


def integration_principal(domain: str, integration: str) -> str:
    """`sales-snowflake`: the principal of integration `snowflake` of domain `sales`."""
    return f"{domain}-{integration}"


def default_topic_name(domain_path: str, product: str, version: int) -> str:
    """`commerce.sales.orders.v2`: a product version's topic under its domain's namespace."""
    return f"{domain_path}.{product}.v{version}"


def integration_namespace(domain_path: str, integration: str) -> str:
    """`commerce.sales.snowflake.`: the topic prefix an integration may write under."""
    return f"{domain_path}.{integration}."


def kafka_principal(user: str) -> str:
    """`User:sales`: a principal as Kafka's authorizer spells it."""
    return f"User:{user}"


def acl_name(principal: str, resource_type: str, resource_name: str, pattern_type: str) -> str:
    """`sales/topic/commerce.sales.orders.v1`; a trailing `*` marks a prefix pattern."""
    user = principal.split(":", 1)[1]
    star = "*" if pattern_type == "PREFIXED" else ""
    return f"{user}/{resource_type.lower()}/{resource_name}{star}"


def group_prefix(principal_name: str) -> str:
    """`grp.sales.` for `User:sales`: the only consumer groups the principal may use."""
    if not principal_name or "." in principal_name:
        # Validation rules this out; a dot would let one principal's prefix cover another's.
        raise ValueError(f"a principal name cannot be empty or contain a dot: {principal_name!r}")
    return f"{GROUP_MARKER}.{principal_name}."


def subject_name(topic: str, part: str = "value") -> str:
    """`<topic>-value`, `<topic>-key`: the registry subjects of a topic's schemas."""
    return f"{topic}-{part}"


def secret_name(user: str) -> str:
    """`meshctl/kafka/sales`: the Secrets Manager secret holding a principal's Kafka password."""
    return f"{SECRET_PREFIX}{user}"
