"""Which product versions an application reads and writes: its `reads` and `writes` resolved
against the mesh, as compiling its ACLs, rendering its client configs and handing a domain's
WRITE over to it need them. Pure; unknown references resolve to nothing (validation reports them)."""

from __future__ import annotations

from meshctl.mesh.model import Application, DataProduct, Mesh, product_ref


def read_versions(mesh: Mesh, app: Application) -> list[DataProduct]:
    """The product versions of `reads`: one version, or every declared one (as grants do)."""
    out: dict[str, DataProduct] = {}
    for entry in app.reads:
        key, version = product_ref(entry)
        out.update((p.address, p) for p in mesh.versions(key) if version is None or p.version == version)
    return list(out.values())


def written_versions(mesh: Mesh, app: Application) -> list[DataProduct]:
    """The product versions of `writes`: products of the app's own domain, `name` or `name.v<n>`."""
    out: dict[str, DataProduct] = {}
    for entry in app.writes:
        name, version = product_ref(entry)
        if "." in name:
            continue  # another domain's product: refused by validation
        key = f"{app.domain}.{name}"
        out.update((p.address, p) for p in mesh.versions(key) if version is None or p.version == version)
    return list(out.values())


def app_writers(mesh: Mesh) -> dict[str, Application]:
    """Product address -> the application writing that version (validation: at most one)."""
    out: dict[str, Application] = {}
    for app in mesh.applications:
        for product in written_versions(mesh, app):
            out.setdefault(product.address, app)
    return out


def application_clusters(mesh: Mesh, app: Application) -> list[str]:
    """The clusters of the products the application reads and writes (validation allows one)."""
    products = read_versions(mesh, app) + written_versions(mesh, app)
    return sorted({mesh.product_cluster(p) for p in products})


def application_cluster(mesh: Mesh, app: Application) -> str:
    """Where the application's principal and ACLs live: the cluster of its products, or its
    domain's when it names none."""
    found = application_clusters(mesh, app)
    return found[0] if found else mesh.domain_cluster(app.domain)
