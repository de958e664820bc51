"""Mesh model -> Kafka resources: topics, one SCRAM principal per domain, minimal ACLs.

Names come from `meshctl.naming`, which refresh uses too, so live objects map to the same addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from meshctl.address import Address
from meshctl.attributes import KafkaAcl, KafkaScramUser, KafkaTopic, attributes_of
from meshctl.compile.acls import SCRAM_ITERATIONS
from meshctl.compile.acls import acl as _acl
from meshctl.compile.applications import compile_applications
from meshctl.compile.copies import compile_copies
from meshctl.compile.lifecycle import LIVE, Stage
from meshctl.mesh.applications import written_versions
from meshctl.mesh.model import DataProduct, Mesh, TopicSpec
from meshctl.mesh.policy import Setting, effective_policy, policies
from meshctl.naming import group_prefix, integration_namespace, kafka_principal
from meshctl.resources import Resource

SCRAM_MECHANISM = "SCRAM-SHA-512"

# The happy path of each kind of product (the seed's fifth practice).
EVENTS_RETENTION_MS = 7 * 24 * 3600 * 1000
KIND_DEFAULTS: dict[str, dict[str, str]] = {
    "events": {"cleanup.policy": "delete"},
    "fat_object": {"cleanup.policy": "compact"},
}


def compile_kafka(mesh: Mesh, stages: Mapping[str, Stage] | None = None) -> list[Resource]:
    """Kafka resources of the mesh; `stages` (from compile.lifecycle) freeze or drop old versions."""
    stages = stages or {}
    live = Stage(LIVE)
    out: list[Resource] = []
    for domain in mesh.domains.values():
        out.append(
            Resource(
                "kafka_scram_user",
                domain.name,
                KafkaScramUser(name=domain.name, mechanism=SCRAM_MECHANISM, iterations=SCRAM_ITERATIONS),
                domain.address,
                domain=domain.name,
            )
        )
    topics: dict[str, str] = {}  # product address -> topic address
    topic_names: dict[str, str] = {}  # product address -> topic name
    policy_of = policies(mesh)
    app_written = {p.address for app in mesh.applications for p in written_versions(mesh, app)}
    for product in mesh.products:
        stage = stages.get(product.address, live)
        if not stage.exists:
            continue
        topic = _product_topic(mesh, product, policy_of(product.domain))
        topics[product.address] = topic.address
        topic_names[product.address] = topic.name
        out.append(topic)
        out.append(
            _acl(
                kafka_principal(product.domain),
                "TOPIC",
                topic.name,
                "LITERAL",
                # A frozen version takes no writes; one an application writes, none from the domain.
                ["DESCRIBE", "WRITE"] if stage.writable and product.address not in app_written else ["DESCRIBE"],
                product.address,
                (topic.address, str(Address("kafka_scram_user", product.domain))),
            )
        )
    readers: dict[str, set[str]] = {}
    for grant in mesh.access:
        # A grant without a version reads every version still alive: both during a migration.
        granted = [mesh.product(grant.product, grant.version)] if grant.version else mesh.versions(grant.product)
        for granted_product in granted:
            if granted_product is None or granted_product.address not in topics:
                continue
            out.append(
                _acl(
                    kafka_principal(grant.consumer),
                    "TOPIC",
                    topic_names[granted_product.address],
                    "LITERAL",
                    ["DESCRIBE", "READ"],
                    grant.address,
                    (topics[granted_product.address], str(Address("kafka_scram_user", grant.consumer))),
                )
            )
            readers.setdefault(grant.consumer, set()).add(grant.address)
    for consumer, _grant_addresses in sorted(readers.items()):
        out.append(
            _acl(
                kafka_principal(consumer),
                "GROUP",
                group_prefix(consumer),  # never a prefix of a relative's groups (meshctl.naming)
                "PREFIXED",
                ["DESCRIBE", "READ"],
                mesh.domains[consumer].address,
                (str(Address("kafka_scram_user", consumer)),),
            )
        )
    policy_of_copy = policies(mesh)
    out.extend(compile_copies(mesh, topics, lambda p: _product_topic(mesh, p, policy_of_copy(p.domain))))
    out.extend(_integrations(mesh, topics))
    out.extend(compile_applications(mesh, topics, stages))
    return _merge_duplicates(out)


def _integrations(mesh: Mesh, topics: Mapping[str, str]) -> list[Resource]:
    """A vendor gets its own principal: it reads what its domain was granted, writes only
    under `<domain path>.<integration>.` and joins only groups under `grp.<principal>.`."""
    out: list[Resource] = []
    for i in mesh.integrations:
        if i.domain not in mesh.domains:
            continue
        user = i.principal_name
        user_address = str(Address("kafka_scram_user", user))
        out.append(
            Resource(
                "kafka_scram_user",
                user,
                KafkaScramUser(name=user, mechanism=SCRAM_MECHANISM, iterations=SCRAM_ITERATIONS),
                i.address,
                domain=i.domain,
            )
        )
        for ref in i.reads:
            key, _, version = ref.rpartition(".v") if ref.rsplit(".v", 1)[-1].isdigit() else (ref, "", "")
            products = [mesh.product(key, int(version))] if version else mesh.versions(key)
            for product in products:
                if product is None or product.address not in topics:
                    continue
                out.append(
                    _acl(
                        kafka_principal(user),
                        "TOPIC",
                        mesh.topic_name(product),
                        "LITERAL",
                        ["DESCRIBE", "READ"],
                        i.address,
                        (topics[product.address], user_address),
                        i.domain,
                    )
                )
        who, groups = kafka_principal(user), group_prefix(user)
        out.append(_acl(who, "GROUP", groups, "PREFIXED", ["DESCRIBE", "READ"], i.address, (user_address,), i.domain))
        if not i.outputs:
            # Declared before outputs existed: any topic under its namespace, created out of band.
            own = integration_namespace(mesh.path(i.domain), i.name)
            out.append(_acl(who, "TOPIC", own, "PREFIXED", ["DESCRIBE", "WRITE"], i.address, (user_address,), i.domain))
        for output in i.outputs:
            # Its topics, each its own: the principal writes these and no other name under the namespace.
            topic = _topic(mesh, i.domain, mesh.output_topic(i, output), "events", output.topic, i.address)
            out.append(topic)
            needs = (topic.address, user_address)
            out.append(_acl(who, "TOPIC", topic.name, "LITERAL", ["DESCRIBE", "WRITE"], i.address, needs, i.domain))
    return out


def _product_topic(mesh: Mesh, product: DataProduct, policy: Mapping[str, Setting]) -> Resource:
    name = mesh.topic_name(product)
    return _topic(mesh, product.domain, name, product.kind, product.topic, product.address, policy)


def _topic(
    mesh: Mesh,
    domain: str,
    name: str,
    kind: str,
    spec: TopicSpec,
    source: str,
    policy: Mapping[str, Setting] | None = None,
) -> Resource:
    """A managed topic of `domain`: the kind's defaults under the configured settings (`policy`:
    the domain's effective policy, when the caller has it already)."""
    replication = spec.replication_factor
    policy = effective_policy(mesh, domain) if policy is None else policy
    if replication is None:
        replication = _whole_number(policy.get("min_replication_factor"))
    defaults = dict(KIND_DEFAULTS.get(kind, {}))
    if kind == "events":
        # Events are kept for a while, then deleted: a week, or less if a policy caps retention.
        cap = _whole_number(policy.get("max_retention_ms"))
        defaults["retention.ms"] = str(min(EVENTS_RETENTION_MS, EVENTS_RETENTION_MS if cap is None else cap))
    config = {**defaults, **{k: str(v) for k, v in spec.config.items()}}
    return Resource(
        "kafka_topic",
        name,
        KafkaTopic(
            name=name, partitions=spec.partitions, replication_factor=replication, config=dict(sorted(config.items()))
        ),
        source,
        domain=domain,
    )


def _whole_number(setting: Setting | None) -> int | None:
    """A numeric policy setting, or None when none is in force."""
    return None if setting is None else setting.number


def _merge_duplicates(resources: list[Resource]) -> list[Resource]:
    """Two grants of the same topic to one consumer compile to one ACL resource."""
    seen: dict[str, Resource] = {}
    for r in resources:
        if r.address in seen:
            first = seen[r.address]
            merged = attributes_of(KafkaAcl, first.attributes, first.address)
            merged["operations"] = sorted(
                set(merged["operations"]) | set(attributes_of(KafkaAcl, r.attributes, r.address)["operations"])
            )
            seen[r.address] = replace(
                first,
                attributes=merged,
                depends_on=tuple(dict.fromkeys(first.depends_on + r.depends_on)),
            )
        else:
            seen[r.address] = r
    return list(seen.values())
