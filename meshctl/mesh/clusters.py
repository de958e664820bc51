"""Checks of where things live when a mesh names several Kafka clusters (`kafka "eu" { ... }`):
every `cluster` names a declared one, and no grant, integration or application reaches across
two clusters. A principal reads only on the cluster it connects to: a grant of a product on
another cluster would create the consumer's ACL where its applications never connect, a
half-grant that looks done. Copying a product to a second cluster is a separate feature."""

from __future__ import annotations

from meshctl.errors import Diagnostics, SourceRange
from meshctl.mesh.applications import application_clusters
from meshctl.mesh.model import DataProduct, Mesh, product_ref
from meshctl.naming import cluster_env_prefix

_ACROSS_HINT = (
    "a principal reads only on its own cluster: put both on one cluster (set cluster on the domain or "
    "product), or grant a copy of the product on the consumer's cluster once copies across clusters exist"
)


def check_clusters(mesh: Mesh, diags: Diagnostics) -> None:
    known = mesh.cluster_names()
    unknown = False
    for domain in mesh.domains.values():
        src = domain.srcs.get("cluster", domain.src)
        unknown |= _unknown(domain.cluster, f'domain "{domain.name}"', src, known, diags)
    for product in mesh.products:
        unknown |= _unknown(product.cluster, product.address, product.srcs.get("cluster", product.src), known, diags)
    spelled: dict[str, str] = {}
    for name, conn in sorted(mesh.clusters.items()):
        other = spelled.setdefault(cluster_env_prefix(name), name)
        if other != name:
            diags.error(
                f'kafka "{name}" and kafka "{other}" share the variables MESHCTL_KAFKA_{cluster_env_prefix(name)}*',
                conn.src,
                hint="a cluster's variables upper-case its name and read - as _: rename one of them",
            )
    for name, registry in sorted(mesh.registries.items()):
        if name not in mesh.clusters:
            diags.error(
                f'schema_registry "{name}" names no cluster',
                registry.src,
                hint=f'a named registry holds the subjects of the cluster of that name: declare kafka "{name}" '
                f"{{ ... }} or rename it (clusters: {', '.join(known)})",
            )
    if len(known) == 1 or unknown:
        return  # one cluster: nothing can reach across (and an unknown name was reported)
    _check_grants(mesh, diags)
    _check_integrations(mesh, diags)
    _check_applications(mesh, diags)


def _unknown(name: str, what: str, src: SourceRange, known: list[str], diags: Diagnostics) -> bool:
    """Reports a `cluster` that names no declared cluster."""
    if not name or name in known:
        return False
    diags.error(
        f'{what}: unknown cluster "{name}"',
        src,
        hint=f'clusters: {", ".join(known)}; declare it with kafka "{name}" {{ ... }}',
    )
    return True


def _check_grants(mesh: Mesh, diags: Diagnostics) -> None:
    for grant in mesh.access:
        if grant.consumer not in mesh.domains:
            continue  # reported by mesh.validate
        theirs = mesh.domain_cluster(grant.consumer)
        versions = [mesh.product(grant.product, grant.version)] if grant.version else mesh.versions(grant.product)
        across = [p for p in versions if p is not None and mesh.product_cluster(p) != theirs]
        if across:
            diags.error(
                f'access "{grant.name}": {_where(mesh, across[0])}, but the consumer domain '
                f'"{grant.consumer}" is on cluster "{theirs}"',
                grant.srcs.get("product", grant.src),
                detail="a grant across clusters would give the consumer an ACL on a cluster it does not use",
                hint=_ACROSS_HINT,
            )


def _check_integrations(mesh: Mesh, diags: Diagnostics) -> None:
    for i in mesh.integrations:
        if i.domain not in mesh.domains:
            continue
        theirs = mesh.domain_cluster(i.domain)
        for ref in i.reads:
            key, version = product_ref(ref)
            versions = [mesh.product(key, version)] if version else mesh.versions(key)
            across = [p for p in versions if p is not None and mesh.product_cluster(p) != theirs]
            if across:
                diags.error(
                    f'integration "{i.name}" reads {ref}: {_where(mesh, across[0])}, but the integration '
                    f'lives with domain "{i.domain}" on cluster "{theirs}"',
                    i.srcs.get("reads", i.src),
                    hint=_ACROSS_HINT,
                )
                break


def _check_applications(mesh: Mesh, diags: Diagnostics) -> None:
    for app in mesh.applications:
        if app.domain not in mesh.domains:
            continue
        clusters = application_clusters(mesh, app)
        if len(clusters) > 1:
            diags.error(
                f'application "{app.name}" of domain "{app.domain}" reads or writes products on '
                f"clusters {', '.join(repr(c) for c in clusters)}",
                app.src,
                detail="an application connects to one cluster: its principal and ACLs live there",
                hint="split it into one application per cluster, or place its products on one cluster",
            )


def _where(mesh: Mesh, product: DataProduct) -> str:
    return f'{product.key} v{product.version} is on cluster "{mesh.product_cluster(product)}"'
