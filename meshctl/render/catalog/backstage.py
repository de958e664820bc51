"""The mesh as Backstage catalog entities (`catalog-info.yaml`). Pure.

- Group: one per owner team (every `responsible` team; a domain without one is owned by its
  accountable owner, as a group of one);
- Domain: one per mesh domain, `spec.subdomainOf` its parent, the RACI in annotations;
- System: one per data product (`<domain>.<product>`), in its domain;
- API: one per product version, `spec.type: asyncapi`, its definition an AsyncAPI 2.6 document
  whose channel is the topic and whose message payload is the product's schema;
- Component: one per reader: a consuming domain's Kafka principal (type `kafka-principal`), each
  application (type `service`) and each integration (type `integration`), with the access
  grants as `spec.consumesApis` (and an application's writes as `spec.providesApis`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshctl.mesh.lifecycle import Stage
from meshctl.mesh.model import DataProduct, Mesh, Owners, product_ref
from meshctl.naming import kafka_principal
from meshctl.render.catalog.names import Names
from meshctl.render.catalog.odcs import Server, owners_of, status
from meshctl.render.catalog.yamltext import dump
from meshctl.schemas import jsontext

API_VERSION = "backstage.io/v1alpha1"
NAMESPACE = "default"
ANNOTATION = "meshctl.io/"
_LIFECYCLE = {"active": "production", "deprecated": "deprecated", "retired": "deprecated"}
_SCHEMA_FORMATS = {
    "AVRO": "application/vnd.apache.avro+json;version=1.9.0",
    "JSON": "application/schema+json;version=draft-07",
    "PROTOBUF": "application/vnd.google.protobuf;version=3",
}


def entities(mesh: Mesh, stages: Mapping[str, Stage], servers: Mapping[str, Server]) -> list[dict[str, Any]]:
    """Every entity, Groups first, then Domains, Systems, APIs and Components, each sorted."""
    return _Catalog(mesh, stages, servers).build()


class _Catalog:
    def __init__(self, mesh: Mesh, stages: Mapping[str, Stage], servers: Mapping[str, Server]) -> None:
        self.mesh, self.stages, self.servers = mesh, stages, servers
        self.names = Names()

    # -- references ------------------------------------------------------------------------------------

    def ref(self, kind: str, raw: str) -> str:
        return f"{kind}:{NAMESPACE}/{self.names.name(kind, raw)}"

    def owner_team(self, domain: str) -> str:
        owners = owners_of(self.mesh, domain)
        if owners is None:
            return domain
        return owners.responsible[0] if owners.responsible else owners.accountable

    def owner(self, domain: str) -> str:
        return self.ref("group", self.owner_team(domain))

    def api_refs(self, key: str, version: int | None) -> list[str]:
        """A grant or read without a version reads every version (as its ACLs allow)."""
        found = [self.mesh.product(key, version)] if version else self.mesh.versions(key)
        return [self.ref("api", _api_raw(p)) for p in found if p is not None]

    # -- entities -------------------------------------------------------------------------------------------

    def build(self) -> list[dict[str, Any]]:
        mesh = self.mesh
        # Names are handed out in this fixed order, so a hash suffix (two names meeting) lands
        # on the same entity every time.
        groups = self.groups()
        domains = [self.domain(name) for name in sorted(mesh.domains)]
        keys = sorted({p.key for p in mesh.products})
        systems = [self.system(mesh.versions(key)) for key in keys]
        apis = [self.api(p) for key in keys for p in mesh.versions(key)]
        return [*groups, *domains, *systems, *apis, *self.components()]

    def groups(self) -> list[dict[str, Any]]:
        teams: dict[str, list[str]] = {}
        for name in sorted(self.mesh.domains):
            owners = owners_of(self.mesh, name)
            teams.setdefault(self.owner_team(name), []).append(name)
            for team in owners.responsible if owners else ():
                teams.setdefault(team, [])
        out = []
        for team in sorted(teams):
            owned = teams[team]
            about = f"Owns mesh domains: {', '.join(owned)}" if owned else "Responsible in a mesh domain"
            out.append(
                _entity(
                    "Group",
                    self.names.name("group", team),
                    team,
                    about,
                    {},
                    {"type": "team", "children": []},
                )
            )
        return out

    def domain(self, name: str) -> dict[str, Any]:
        d = self.mesh.domains[name]
        annotations = {f"{ANNOTATION}namespace": self.mesh.path(name)}
        owners = owners_of(self.mesh, name)
        if owners is not None:
            annotations |= _raci(owners)
        spec: dict[str, Any] = {"owner": self.owner(name)}
        if d.parent and d.parent in self.mesh.domains:
            spec["subdomainOf"] = self.ref("domain", d.parent)
        return _entity("Domain", self.names.name("domain", name), name, d.description, annotations, spec)

    def system(self, versions: list[DataProduct]) -> dict[str, Any]:
        latest = versions[-1]
        annotations = {f"{ANNOTATION}versions": ", ".join(f"v{p.version}" for p in versions)}
        spec = {"owner": self.owner(latest.domain), "domain": self.ref("domain", latest.domain)}
        return _entity(
            "System", self.names.name("system", latest.key), latest.key, latest.description, annotations, spec
        )

    def api(self, p: DataProduct) -> dict[str, Any]:
        topic = self.mesh.topic_name(p)
        lifecycle = _LIFECYCLE[status(self.stages[p.address])]
        annotations = {
            f"{ANNOTATION}topic": topic,
            f"{ANNOTATION}address": p.address,
            f"{ANNOTATION}data-contract": f"{p.key}.v{p.version}",
        }
        spec = {
            "type": "asyncapi",
            "lifecycle": lifecycle,
            "owner": self.owner(p.domain),
            "system": self.ref("system", p.key),
            "definition": dump(self.asyncapi(p, topic)),
        }
        title = f"{p.key} v{p.version}"
        return _entity("API", self.names.name("api", _api_raw(p)), title, p.description, annotations, spec)

    def asyncapi(self, p: DataProduct, topic: str) -> dict[str, Any]:
        message: dict[str, Any] = {"name": p.name}
        if p.schema is not None:
            message["schemaFormat"] = _SCHEMA_FORMATS[p.schema.type]
            if p.schema.type == "PROTOBUF":
                message["payload"] = p.schema.text
            else:
                message["payload"] = jsontext.parse(p.schema.text)
        info: dict[str, Any] = {"title": f"{p.key} v{p.version}", "version": f"{p.version}.0.0"}
        if p.description:
            info["description"] = p.description
        doc: dict[str, Any] = {"asyncapi": "2.6.0", "info": info}
        server = self.servers.get(self.mesh.product_cluster(p))
        if server is not None:
            doc["servers"] = {server.cluster: {"url": server.bootstrap_servers, "protocol": "kafka"}}
        doc["channels"] = {topic: {"subscribe": {"message": message}}}
        return doc

    def components(self) -> list[dict[str, Any]]:
        mesh = self.mesh
        out = []
        granted: dict[str, list[str]] = {}
        for grant in mesh.access:
            if grant.consumer in mesh.domains:
                granted.setdefault(grant.consumer, []).extend(self.api_refs(grant.product, grant.version))
        for domain in sorted(granted):
            principal = kafka_principal(domain)
            out.append(
                _entity(
                    "Component",
                    self.names.name("component", f"{domain}-principal"),
                    f"Kafka principal {principal}",
                    f"What domain {domain} is granted to read, as its principal {principal}",
                    {f"{ANNOTATION}domain": domain},
                    {
                        "type": "kafka-principal",
                        "lifecycle": "production",
                        "owner": self.owner(domain),
                        "consumesApis": sorted(set(granted[domain])),
                    },
                )
            )
        for app in sorted(mesh.applications, key=lambda a: (a.domain, a.name)):
            if app.domain not in mesh.domains:
                continue
            spec: dict[str, Any] = {"type": "service", "lifecycle": "production", "owner": self.owner(app.domain)}
            reads = sorted({r for ref in app.reads for r in self.api_refs(*product_ref(ref))})
            writes = sorted({r for ref in app.writes for r in self.api_refs(*product_ref(f"{app.domain}.{ref}"))})
            if reads:
                spec["consumesApis"] = reads
            if writes:
                spec["providesApis"] = writes
            out.append(
                _entity(
                    "Component",
                    self.names.name("component", f"{app.domain}.{app.name}"),
                    f"{app.domain}.{app.name}",
                    app.description,
                    {f"{ANNOTATION}domain": app.domain, f"{ANNOTATION}kind": app.kind},
                    spec,
                )
            )
        for i in sorted(mesh.integrations, key=lambda i: (i.domain, i.name)):
            if i.domain not in mesh.domains:
                continue
            reads = sorted({r for ref in i.reads for r in self.api_refs(*product_ref(ref))})
            spec = {"type": "integration", "lifecycle": "production", "owner": self.owner(i.domain)}
            if reads:
                spec["consumesApis"] = reads
            out.append(
                _entity(
                    "Component",
                    self.names.name("component", f"{i.domain}.{i.name}"),
                    f"{i.domain}.{i.name}",
                    f"{i.vendor} integration of domain {i.domain}",
                    {f"{ANNOTATION}domain": i.domain, f"{ANNOTATION}vendor": i.vendor},
                    spec,
                )
            )
        return out


def _api_raw(p: DataProduct) -> str:
    return f"{p.key}.v{p.version}"


def _raci(owners: Owners) -> dict[str, str]:
    out = {f"{ANNOTATION}accountable": owners.accountable}
    for role, names in (
        ("responsible", owners.responsible),
        ("consulted", owners.consulted),
        ("informed", owners.informed),
    ):
        if names:
            out[f"{ANNOTATION}{role}"] = ", ".join(names)
    return out


def _entity(
    kind: str, name: str, title: str, description: str, annotations: dict[str, str], spec: dict[str, Any]
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if title and title != name:
        metadata["title"] = title
    if description:
        metadata["description"] = description
    if annotations:
        metadata["annotations"] = annotations
    metadata["tags"] = ["meshctl"]
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}
