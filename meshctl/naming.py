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
TRANSACTION_MARKER = "txn"
CONNECT_SINK_MARKER = "connect"  # Kafka Connect names a sink connector's group `connect-<connector>`
SECRET_PREFIX = "meshctl/kafka/"


def reserved_principal(principal: str) -> bool:
    """Names a principal may not take: each would make one of the markers above look like a
    principal's namespace (`grp.` groups, `txn.` transactional ids, `connect-` sink groups)."""
    return principal in (GROUP_MARKER, TRANSACTION_MARKER, CONNECT_SINK_MARKER) or principal.startswith(
        f"{CONNECT_SINK_MARKER}-"
    )


def integration_principal(domain: str, integration: str) -> str:
    """`sales-snowflake`: the principal of integration `snowflake` of domain `sales`."""
    return f"{domain}-{integration}"


def application_principal(domain: str, application: str) -> str:
    """`sales-enricher`: the principal of application `enricher` of domain `sales`."""
    return f"{domain}-{application}"


def _checked(principal_name: str) -> str:
    if not principal_name or "." in principal_name:
        # Validation rules this out; a dot would let one principal's prefix cover another's.
        raise ValueError(f"a principal name cannot be empty or contain a dot: {principal_name!r}")
    return principal_name


def application_namespace(principal_name: str) -> str:
    """`sales-enricher.`: the topics (Streams internal, Connect internal) and Streams
    transactional ids an application creates for itself. Cannot cover another principal's
    names: principals hold no dot and are unique, and a root domain's namespace `<root>.` is
    its own principal's."""
    return f"{_checked(principal_name)}."


def transactional_prefix(principal_name: str) -> str:
    """`txn.sales-orders_api.`: the only transactional ids a producer application may use."""
    return f"{TRANSACTION_MARKER}.{_checked(principal_name)}."


def streams_application_id(principal_name: str) -> str:
    """`sales-enricher.streams`: a Streams app's application.id, its group and the start of its
    internal topics' and transactional ids' names (all under `application_namespace`)."""
    return f"{application_namespace(principal_name)}streams"


def connect_group_id(principal_name: str) -> str:
    """`analytics-lake_sink.connect`: the group of a Connect application's worker cluster."""
    return f"{application_namespace(principal_name)}connect"


def connect_internal_topics(principal_name: str) -> dict[str, str]:
    """The worker's config, offset and status topics, created by meshctl (the worker gets no CREATE)."""
    base = connect_group_id(principal_name)
    return {role: f"{base}-{role}" for role in ("configs", "offsets", "status")}


def connect_sink_group_prefix(principal_name: str) -> str:
    """`connect-analytics-lake_sink.`: the groups of the app's sink connectors, whose names
    start with `<principal>.` (Connect names a sink's group `connect-<connector name>`)."""
    return f"{CONNECT_SINK_MARKER}-{application_namespace(principal_name)}"


def consumer_group_id(principal_name: str, product_key: str, version: int) -> str:
    """`grp.analytics-dashboard.sales.orders.v1`: unique per principal and product version
    across the mesh (the principal is unique, the product key carries its domain)."""
    return f"{group_prefix(principal_name)}{product_key}.v{version}"


def default_topic_name(domain_path: str, product: str, version: int) -> str:
    """`commerce.sales.orders.v2`: a product version's topic under its domain's namespace."""
    return f"{domain_path}.{product}.v{version}"


def integration_namespace(domain_path: str, integration: str) -> str:
    """`commerce.sales.snowflake.`: the topic prefix an integration may write under."""
    return f"{domain_path}.{integration}."


def integration_output_topic(domain_path: str, integration: str, output: str) -> str:
    """`commerce.sales.snowflake.dlq`: a topic an integration declares as an `output`, inside
    its namespace (`integration_namespace`)."""
    return f"{integration_namespace(domain_path, integration)}{output}"


# Kafka refuses longer topic names (Topic.MAX_NAME_LENGTH).
MAX_TOPIC_NAME_LENGTH = 249


def copy_principal(domain: str, copy: str, version: int) -> str:
    """`analytics-orders_local-v1+copy`: the principal of a copy's connector. No dot (principals
    hold none, see application_namespace) and a `+`, which no domain, integration or
    application name holds, so it is no other principal's."""
    return f"{domain}-{copy}-v{version}+copy"


def copy_connector_name(copy_topic: str) -> str:
    """`copy.analytics.orders_local.v1`: the MirrorMaker 2 connector that keeps a copy."""
    return f"copy.{copy_topic}"


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
    return f"{GROUP_MARKER}.{_checked(principal_name)}."


def subject_name(topic: str, part: str = "value") -> str:
    """`<topic>-value`, `<topic>-key`: the registry subjects of a topic's schemas."""
    return f"{topic}-{part}"


def secret_name(user: str, cluster: str = "default") -> str:
    """`meshctl/kafka/sales`: the Secrets Manager secret holding a principal's Kafka password;
    on a named cluster `meshctl/kafka/@eu/sales` (the same principal on two clusters has two)."""
    return f"{SECRET_PREFIX}{on_cluster(user, cluster)}"


# -- clusters --------------------------------------------------------------------------------
# A mesh may place products on named Kafka clusters (`kafka "eu" { ... }`). The unnamed
# connection block is the cluster "default", and what it holds keeps today's addresses. An
# object on a named cluster (or in a named registry) is addressed with its name behind
# `@<cluster>/`: `kafka_topic.@eu/sales.orders.v1`. `@` never starts a name meshctl gives
# (topics, principals, ACLs, subjects), so the prefix cannot be read into one; a plan line
# shows where the object goes; and `--target kafka_topic.@eu` chooses everything on eu.

DEFAULT_CLUSTER = "default"
CLUSTER_MARK = "@"


def on_cluster(name: str, cluster: str) -> str:
    """The name an object of cluster (or registry) `cluster` is addressed by."""
    if not cluster or cluster == DEFAULT_CLUSTER:
        return name
    return f"{CLUSTER_MARK}{cluster}/{name}"


def cluster_of(name: str) -> tuple[str, str]:
    """(cluster, bare name) of an addressed name: `@eu/sales` -> ("eu", "sales")."""
    if name.startswith(CLUSTER_MARK):
        cluster, sep, bare = name[1:].partition("/")
        if sep and NAME_RE.match(cluster):
            return cluster, bare
    return DEFAULT_CLUSTER, name


def cluster_env_prefix(cluster: str) -> str:
    """`EU_` for cluster "eu" (`MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS`); "" for the default cluster."""
    if cluster == DEFAULT_CLUSTER:
        return ""
    return cluster.upper().replace("-", "_") + "_"
