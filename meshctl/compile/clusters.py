"""Kafka and registry resources -> the clusters they live on, when the mesh names several
(`kafka "eu" { ... }`, `cluster = "eu"` on a domain or product).

The compilers write each resource once, as for one cluster; this pass places them:

    topic             the cluster of the product (integration, application) that declares it
    subject           the registry of its product's cluster (`schema_registry "eu"`, else the default one)
    TOPIC LITERAL ACL the cluster of the topic it names, when the mesh manages that topic
    any other ACL     its principal's home: a domain's or integration's cluster, an application's products'
    SCRAM user        every cluster where its principal has an ACL; its home when it has none

A resource on a named cluster is addressed with its name behind `@<cluster>/` (meshctl.naming),
and its dependencies are those on the same cluster. A mesh with only the default cluster is
returned as it came: the same resources, addresses and order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from meshctl.address import Address
from meshctl.mesh.applications import application_cluster
from meshctl.mesh.model import Mesh
from meshctl.naming import DEFAULT_CLUSTER, on_cluster
from meshctl.resources import Resource


def place_on_clusters(mesh: Mesh, resources: list[Resource]) -> list[Resource]:
    if not mesh.clusters and not mesh.registries:
        return resources
    home = _homes(mesh)  # principal name -> its home cluster
    by_source = _source_clusters(mesh)  # declaring block's address -> cluster
    topics = {
        str(r.attributes["name"]): by_source.get(r.source, DEFAULT_CLUSTER)
        for r in resources
        if r.type == "kafka_topic"
    }
    placed: dict[str, list[str]] = {}  # resource address -> clusters, in the order written
    users_on: dict[str, set[str]] = defaultdict(set)  # principal name -> clusters of its ACLs
    for r in resources:
        if r.type == "kafka_topic":
            placed[r.address] = [topics[str(r.attributes["name"])]]
        elif r.type == "schema_subject":
            placed[r.address] = [mesh.registry_of(by_source.get(r.source, DEFAULT_CLUSTER))]
        elif r.type == "kafka_acl":
            user = str(r.attributes["principal"]).split(":", 1)[1]
            named = str(r.attributes["resource_name"])
            literal_topic = r.attributes["resource_type"] == "TOPIC" and r.attributes["pattern_type"] == "LITERAL"
            cluster = topics[named] if literal_topic and named in topics else home.get(user, DEFAULT_CLUSTER)
            placed[r.address] = [cluster]
            users_on[user].add(cluster)
    for r in resources:
        if r.type == "kafka_scram_user":
            user = str(r.attributes["name"])
            placed[r.address] = sorted(users_on.get(user) or {home.get(user, DEFAULT_CLUSTER)}, key=_default_first)
    moved = {address: {c: _at(address, c) for c in clusters} for address, clusters in placed.items()}
    out: list[Resource] = []
    for r in resources:
        if r.address not in placed:
            out.append(r)  # not a Kafka or registry resource: placed nowhere in particular
            continue
        for cluster in placed[r.address]:
            needs = tuple(_dependency(d, cluster, moved) for d in r.depends_on)
            out.append(replace(r, name=on_cluster(r.name, cluster), depends_on=needs))
    return out


def _at(address: str, cluster: str) -> str:
    addr = Address.parse(address)
    return str(Address.of(addr.type, on_cluster(addr.label, cluster), addr.module))


def _dependency(address: str, cluster: str, moved: dict[str, dict[str, str]]) -> str:
    """The copy of a dependency on `cluster`, else wherever it is (a topic's subject, a secret)."""
    copies = moved.get(address)
    if not copies:
        return address
    return copies.get(cluster) or next(iter(copies.values()))


def _default_first(cluster: str) -> tuple[bool, str]:
    return (cluster != DEFAULT_CLUSTER, cluster)


def _homes(mesh: Mesh) -> dict[str, str]:
    """Each principal's home cluster: where its groups, transactional ids and namespaces are."""
    out = {name: mesh.domain_cluster(name) for name in mesh.domains}
    for i in mesh.integrations:
        out[i.principal_name] = mesh.domain_cluster(i.domain)
    for app in mesh.applications:
        if app.domain in mesh.domains:
            out[app.principal_name] = application_cluster(mesh, app)
    return out


def _source_clusters(mesh: Mesh) -> dict[str, str]:
    """The cluster of each block that declares topics or subjects, by the block's address."""
    out = {p.address: mesh.product_cluster(p) for p in mesh.products}
    for i in mesh.integrations:
        out[i.address] = mesh.domain_cluster(i.domain)
    for app in mesh.applications:
        if app.domain in mesh.domains:
            out[app.address] = application_cluster(mesh, app)
    return out
