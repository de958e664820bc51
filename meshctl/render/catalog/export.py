"""`meshctl export`: the files, as text, from the compiled mesh. Pure: writing them is the CLI's.

Every document is built as plain data and written by PyYAML's safe dumper, never by a
template: a description, an owner or a schema holding quotes, newlines, `: `, `#` or `{{ }}`
comes out as that literal string, and re-reads equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from meshctl import redaction
from meshctl.mesh.lifecycle import stages
from meshctl.mesh.model import Mesh
from meshctl.render.catalog.backstage import entities
from meshctl.render.catalog.odcs import Server, contract
from meshctl.render.catalog.yamltext import dump_all

ODCS, BACKSTAGE, ALL = "odcs", "backstage", "all"
FORMATS = (ODCS, BACKSTAGE, ALL)
BACKSTAGE_FILE = "backstage/catalog-info.yaml"
_HEADER = "# Rendered by meshctl export from the mesh: change the mesh, not this file.\n"


@dataclass(frozen=True)
class ExportFile:
    path: str  # relative to the output directory, `/`-separated
    text: str  # YAML whose every document starts with `---`: files printed one after the other are one stream


@dataclass(frozen=True)
class Export:
    files: list[ExportFile]
    # Clusters whose address the configuration does not name (or names with credentials in
    # it): their products' contracts have no `servers` entry.
    without_servers: list[str]


def odcs_path(domain: str, product: str, version: int) -> str:
    return f"odcs/{domain}.{product}.v{version}.odcs.yaml"


def export(mesh: Mesh, fmt: str, today: date, environment: str | None) -> Export:
    servers, missing = _servers(mesh, environment)
    stage_of = stages(mesh, today, set())
    files = []
    if fmt in (ODCS, ALL):
        for p in sorted(mesh.products, key=lambda p: (p.key, p.version)):
            doc = contract(mesh, p, stage_of[p.address], servers.get(mesh.product_cluster(p)))
            files.append(ExportFile(odcs_path(p.domain, p.name, p.version), _HEADER + dump_all([doc])))
    if fmt in (BACKSTAGE, ALL):
        docs = entities(mesh, stage_of, servers)
        files.append(ExportFile(BACKSTAGE_FILE, _HEADER + dump_all(docs)))
    used = {mesh.product_cluster(p) for p in mesh.products}
    return Export(files, [c for c in missing if c in used])


def _servers(mesh: Mesh, environment: str | None) -> tuple[dict[str, Server], list[str]]:
    found, missing = {}, []
    for cluster in mesh.cluster_names():
        address = (mesh.connection(cluster).bootstrap_servers or "").strip()
        # An address that carries user-info or a registered secret would put a credential in a
        # catalog: left out, like an address the configuration does not give.
        if not address or "@" in address or redaction.redact(address) != address:
            missing.append(cluster)
            continue
        found[cluster] = Server(cluster, address, environment)
    return found, missing
