"""One Open Data Contract Standard (ODCS v3.1.0) document per product version. Pure.

What the mesh declares maps onto ODCS so:
- id `<domain>.<product>.v<N>`, name the product, version `<N>.0.0` (a product version is a
  major version: a breaking change is a new version), status from its lifecycle today (active,
  deprecated, retired), domain the owning domain;
- team: the owning domain's RACI, one member per person or team with its role (accountable,
  responsible, consulted, informed), from the nearest domain up the tree that names owners;
- schema: the topic as one schema object (physicalType topic), its fields translated from the
  Avro / JSON Schema / Protobuf value schema; a key schema is a second object (physicalType key);
- slaProperties: freshness as `latency`, availability, max_lag as `maxLag` (records), the topic's
  retention, and for a replaced version its successor's dates as endOfSupport / endOfLife;
- servers: the Kafka cluster with its bootstrap servers, only when the configuration names them
  (never credentials: an address carrying any is left out);
- roles: each access grant, as the reading principal with read access;
- customProperties: the delivery contract and what else consumers need (topic, kind, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from meshctl.mesh.contracts import Duration
from meshctl.mesh.lifecycle import DEPRECATED, FREEZE, RETIRE, Stage
from meshctl.mesh.model import DataProduct, Mesh, Owners
from meshctl.naming import kafka_principal
from meshctl.render.catalog.fields import properties

API_VERSION = "v3.1.0"

# A product version's stage -> its ODCS status (anything else is "active").
_STATUS = {DEPRECATED: "deprecated", FREEZE: "retired", RETIRE: "retired"}
_FORMATS = {"AVRO": "avro", "JSON": "json", "PROTOBUF": "protobuf"}


@dataclass(frozen=True)
class Server:
    """Where a cluster's topics are read: known only when the configuration names the address."""

    cluster: str
    bootstrap_servers: str
    environment: str | None


def status(stage: Stage) -> str:
    return _STATUS.get(stage.stage, "active")


def owners_of(mesh: Mesh, domain: str) -> Owners | None:
    """The domain's owners, else its nearest ancestor's: someone always answers for a product."""
    chain = [mesh.domains[domain], *mesh.ancestors(domain)] if domain in mesh.domains else []
    return next((d.owners for d in chain if d.owners is not None), None)


def contract(mesh: Mesh, p: DataProduct, stage: Stage, server: Server | None) -> dict[str, Any]:
    """The ODCS document of product version `p`, as plain data."""
    topic = mesh.topic_name(p)
    doc: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "DataContract",
        "id": f"{p.key}.v{p.version}",
        "name": p.name,
        "version": f"{p.version}.0.0",
        "status": status(stage),
        "domain": p.domain,
        "tags": ["meshctl", p.kind],
    }
    if p.description:
        doc["description"] = {"purpose": p.description}
    owners = owners_of(mesh, p.domain)
    if owners is not None:
        doc["team"] = {"name": p.domain, "members": _members(owners)}
    doc["schema"] = _schema(p, topic)
    sla = _sla(p, stage)
    if sla:
        doc["slaProperties"] = sla
    if server is not None:
        entry: dict[str, Any] = {"server": server.cluster, "type": "kafka", "host": server.bootstrap_servers}
        if p.schema is not None:
            entry["format"] = _FORMATS[p.schema.type]
        if server.environment:
            entry["environment"] = server.environment
        entry["customProperties"] = [{"property": "topic", "value": topic}]
        doc["servers"] = [entry]
    roles = _roles(mesh, p)
    if roles:
        doc["roles"] = roles
    doc["customProperties"] = _custom(mesh, p, topic)
    return doc


def _members(owners: Owners) -> list[dict[str, str]]:
    members = [{"username": owners.accountable, "role": "accountable"}]
    for role, names in (
        ("responsible", owners.responsible),
        ("consulted", owners.consulted),
        ("informed", owners.informed),
    ):
        members += [{"username": name, "role": role} for name in names]
    return members


def _schema(p: DataProduct, topic: str) -> list[dict[str, Any]]:
    value: dict[str, Any] = {"name": p.name, "physicalName": topic, "logicalType": "object", "physicalType": "topic"}
    if p.description:
        value["description"] = p.description
    if p.schema is None:
        return [value]
    root, doc, fields = properties(p.schema.type, p.schema.text)
    value["businessName"] = root
    if doc and not p.description:
        value["description"] = doc
    value["properties"] = fields
    value["customProperties"] = [
        {"property": "schemaType", "value": p.schema.type},
        {"property": "schemaFile", "value": p.schema.file},
        {"property": "compatibility", "value": p.schema.compatibility},
    ]
    out = [value]
    if p.schema.key_text is not None and p.schema.key_type is not None:
        key_root, _, key_fields = properties(p.schema.key_type, p.schema.key_text)
        out.append(
            {
                "name": f"{p.name}_key",
                "physicalName": topic,
                "logicalType": "object",
                "physicalType": "key",
                "description": "The record key: one entity per key",
                "businessName": key_root,
                "properties": key_fields,
                "customProperties": [
                    {"property": "schemaType", "value": p.schema.key_type},
                    {"property": "schemaFile", "value": p.schema.key_file or ""},
                ],
            }
        )
    return out


def _sla(p: DataProduct, stage: Stage) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    sla = p.sla
    if sla.freshness is not None:
        out.append(
            {
                "property": "latency",
                **_amount(sla.freshness),
                "description": f"the newest record is at most {sla.freshness} old (sla.freshness)",
            }
        )
    if sla.availability is not None:
        out.append(
            {
                "property": "availability",
                "value": sla.availability.value,
                "unit": "%",
                "description": f"the topic can be read {sla.availability} of the time",
            }
        )
    if sla.max_lag is not None:
        out.append(
            {
                "property": "maxLag",
                "value": sla.max_lag,
                "unit": "records",
                "description": "a consumer group that keeps up lags at most this many records",
            }
        )
    retention = _retention(p.topic.config)
    if retention is not None:
        out.append({"property": "retention", **_amount(retention), "description": "records are kept this long"})
    successor = stage.successor
    if successor is not None:
        life = successor.lifecycle
        if life.deprecated is not None:
            out.append(
                {
                    "property": "endOfSupport",
                    "value": life.deprecated.isoformat(),
                    "description": f"deprecated: version {successor.version} replaces it",
                }
            )
        if life.sunset is not None:
            out.append(
                {
                    "property": "endOfLife",
                    "value": life.sunset.isoformat(),
                    "description": "frozen, then deleted once nobody reads it",
                }
            )
    return out


# Largest whole unit first: 300000 ms is "5 m", not "300 s".
_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1))


def _amount(d: Duration) -> dict[str, Any]:
    for unit, size in _UNITS:
        if d.ms % size == 0:
            return {"value": d.ms // size, "unit": unit}
    raise AssertionError("unreachable: every duration is a whole number of ms")


def _retention(config: Mapping[str, str]) -> Duration | None:
    raw = config.get("retention.ms")
    if raw is None or not raw.strip().isdigit() or int(raw) <= 0:
        return None  # unset (the broker's default) or infinite
    return Duration(int(raw), f"{raw}ms")


def _roles(mesh: Mesh, p: DataProduct) -> list[dict[str, str]]:
    out = []
    for grant in mesh.access:
        if grant.product != p.key or grant.version not in (None, p.version):
            continue
        out.append(
            {
                "role": kafka_principal(grant.consumer),
                "access": "read",
                "description": f"access {grant.name}: domain {grant.consumer} reads {p.key}",
            }
        )
    return out


def _custom(mesh: Mesh, p: DataProduct, topic: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"property": "topic", "value": topic},
        {"property": "kind", "value": p.kind},
        {"property": "domainPath", "value": mesh.path(p.domain)},
        {"property": "cluster", "value": mesh.product_cluster(p)},
        {"property": "partitions", "value": p.topic.partitions},
        {"property": "meshctlAddress", "value": p.address},
    ]
    names = {"duplicates": "deliveryDuplicates", "out_of_order_window": "deliveryOutOfOrderWindow"}
    names["ordering"] = "deliveryOrdering"
    for key, value in p.delivery.written().items():
        out.append({"property": names[key], "value": value, "description": f"delivery.{key}"})
    if p.lifecycle.replaces is not None:
        out.append({"property": "replaces", "value": f"{p.key}.v{p.lifecycle.replaces}"})
    return out
