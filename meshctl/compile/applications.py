"""Applications -> Kafka resources: one SCRAM principal per application and exactly the ACLs
its kind needs (docs/design/applications.md, section 4), plus a Connect application's three
internal topics. Names come from `meshctl.naming`; none of them can cover another principal's.

    every kind   TOPIC LITERAL <read topic>: READ, DESCRIBE; <written topic>: WRITE, DESCRIBE
                 (DESCRIBE only while the version is frozen)
    producer     transactional: TRANSACTIONAL_ID PREFIXED txn.<P>.; with reads: GROUP PREFIXED grp.<P>.
    consumer     GROUP PREFIXED grp.<P>.
    streams      TOPIC PREFIXED <P>. (its internal topics), GROUP LITERAL <P>.streams;
                 transactional (exactly_once_v2): TRANSACTIONAL_ID PREFIXED <P>.
    connect      GROUP LITERAL <P>.connect, its internal topics <P>.connect-*, and with reads
                 GROUP PREFIXED connect-<P>. (its sink connectors' groups); no CREATE anywhere

No CLUSTER IDEMPOTENT_WRITE: since Kafka 2.8 (KIP-679) WRITE on a topic lets an idempotent
producer initialise.
"""

from __future__ import annotations

from collections.abc import Mapping

from meshctl.address import Address
from meshctl.attributes import KafkaScramUser, KafkaTopic
from meshctl.compile.acls import SCRAM_ITERATIONS, acl
from meshctl.mesh.applications import application_cluster, read_versions, written_versions
from meshctl.mesh.lifecycle import LIVE, Stage
from meshctl.mesh.model import Application, Mesh
from meshctl.mesh.policy import effective_policy
from meshctl.naming import (
    application_namespace,
    connect_group_id,
    connect_internal_topics,
    connect_sink_group_prefix,
    group_prefix,
    kafka_principal,
    secret_name,
    streams_application_id,
    transactional_prefix,
)
from meshctl.resources import Resource

READ = ["DESCRIBE", "READ"]
WRITE = ["DESCRIBE", "WRITE"]
# Streams creates, reads, writes and purges (DeleteRecords after each commit: its repartition
# topics keep records forever otherwise) its internal topics. Measured on Kafka Streams 4.1.2
# (tests/integration/test_applications.py): it never describes their configs, and it sets them
# at creation, so neither DESCRIBE_CONFIGS nor ALTER_CONFIGS.
STREAMS_INTERNAL = ["CREATE", "DELETE", "DESCRIBE", "READ", "WRITE"]
# A Connect worker checks that its internal topics are compacted (DescribeConfigs).
CONNECT_INTERNAL = ["DESCRIBE", "DESCRIBE_CONFIGS", "READ", "WRITE"]
# Kafka Connect's own defaults for its internal topics' partitions (offsets 25, status 5).
CONNECT_PARTITIONS = {"configs": 1, "offsets": 25, "status": 5}


def user_address(app: Application) -> str:
    """`kafka_scram_user.<domain>.<app>`: one-to-one with (domain, app), which the principal
    `<domain>-<app>` alone is not (`sales-x-y`)."""
    return str(Address("kafka_scram_user", f"{app.domain}.{app.name}"))


def secret_address(app: Application) -> str:
    return str(Address("aws_secretsmanager_secret", app.principal_name))


def compile_applications(
    mesh: Mesh, topics: Mapping[str, str], stages: Mapping[str, Stage], with_secrets: bool | None = None
) -> list[Resource]:
    """`topics`: product address -> topic address of the versions that exist. `with_secrets`:
    the principal's password waits for its secret (compile.aws declares one per application
    when the mesh is on AWS); by default whether the mesh has an aws block."""
    secrets = bool(mesh.aws) if with_secrets is None else with_secrets
    out: list[Resource] = []
    for app in mesh.applications:
        if app.domain in mesh.domains:
            out += _application(mesh, app, topics, stages, secrets)
    return out


def _application(
    mesh: Mesh, app: Application, topics: Mapping[str, str], stages: Mapping[str, Stage], secrets: bool
) -> list[Resource]:
    user, who = app.principal_name, kafka_principal(app.principal_name)
    me = user_address(app)
    out = [
        Resource(
            "kafka_scram_user",
            f"{app.domain}.{app.name}",
            KafkaScramUser(name=user, mechanism=app.principal.mechanism, iterations=SCRAM_ITERATIONS),
            app.address,
            (secret_address(app),) if secrets else (),
            domain=app.domain,
        )
    ]

    def grant(rtype: str, name: str, pattern: str, ops: list[str], *needs: str) -> None:
        out.append(acl(who, rtype, name, pattern, ops, app.address, (*needs, me), app.domain))

    reads = [p for p in read_versions(mesh, app) if p.address in topics]
    for product in reads:
        grant("TOPIC", mesh.topic_name(product), "LITERAL", READ, topics[product.address])
    for product in written_versions(mesh, app):
        if product.address in topics:
            writable = stages.get(product.address, Stage(LIVE)).writable
            grant(
                "TOPIC",
                mesh.topic_name(product),
                "LITERAL",
                WRITE if writable else ["DESCRIBE"],
                topics[product.address],
            )
    if app.kind in ("producer", "consumer") and reads:
        grant("GROUP", group_prefix(user), "PREFIXED", READ)
    if app.kind == "producer" and app.transactional:
        grant("TRANSACTIONAL_ID", transactional_prefix(user), "PREFIXED", WRITE)
    if app.kind == "streams":
        grant("TOPIC", application_namespace(user), "PREFIXED", STREAMS_INTERNAL)
        grant("GROUP", streams_application_id(user), "LITERAL", READ)
        if app.transactional:  # exactly_once_v2: transactional ids `<application.id>-<process>-<thread>`
            grant("TRANSACTIONAL_ID", application_namespace(user), "PREFIXED", WRITE)
    if app.kind == "connect":
        grant("GROUP", connect_group_id(user), "LITERAL", READ)
        for internal in _connect_topics(mesh, app):
            out.append(internal)
            grant("TOPIC", str(internal.attributes["name"]), "LITERAL", CONNECT_INTERNAL, internal.address)
        if reads:
            grant("GROUP", connect_sink_group_prefix(user), "PREFIXED", READ)
    return out


def _connect_topics(mesh: Mesh, app: Application) -> list[Resource]:
    """The worker cluster's config, offset and status topics: compacted, created by meshctl so
    the worker needs no CREATE; replication as the domain's policy sets it for products."""
    policy = effective_policy(mesh, app.domain)
    rf = policy.get("min_replication_factor")
    cap = policy.get("max_partitions")
    out = []
    for role, name in connect_internal_topics(app.principal_name).items():
        partitions = CONNECT_PARTITIONS[role] if cap is None else min(CONNECT_PARTITIONS[role], cap.number)
        attrs = KafkaTopic(
            name=name,
            partitions=partitions,
            replication_factor=None if rf is None else rf.number,
            config={"cleanup.policy": "compact"},
        )
        out.append(Resource("kafka_topic", name, attrs, app.address, domain=app.domain))
    return out


def application_secret_names(mesh: Mesh) -> list[str]:
    """`meshctl/kafka/<P>` of every application: the secrets compile.aws declares."""
    return [
        secret_name(a.principal_name, application_cluster(mesh, a))
        for a in mesh.applications
        if a.domain in mesh.domains
    ]
