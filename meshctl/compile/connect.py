"""`resource "kafka_connector"` blocks -> connectors on the Kafka Connect worker.

A connector waits for its principal: its SCRAM user (whose password the worker's config
provider reads) and that principal's ACLs, so its clients never start before they may read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from meshctl.attributes import KafkaConnector
from meshctl.mesh.model import Mesh
from meshctl.resources import Resource

CONNECTOR = "kafka_connector"


def compile_connectors(mesh: Mesh, kafka: Sequence[Resource]) -> list[Resource]:
    """`kafka`: the compiled Kafka resources, for what each connector's principal needs first."""
    needs: dict[str, list[str]] = {}
    for r in kafka:
        if r.type == "kafka_scram_user":
            needs.setdefault(f"User:{r.attributes.get('name')}", []).append(r.address)
        elif r.type == "kafka_acl":
            needs.setdefault(str(r.attributes.get("principal")), []).append(r.address)
    out = []
    for block in mesh.resources:
        if block.type != CONNECTOR:
            continue
        values = block.values
        config = values.get("config")
        principal = str(values.get("principal") or "")
        attrs = KafkaConnector(
            name=str(values["name"]),
            config={str(k): str(v) for k, v in sorted((config if isinstance(config, Mapping) else {}).items())},
            principal=principal,
            state=str(values.get("state") or "running"),
        )
        out.append(
            Resource(
                CONNECTOR,
                block.name,
                attrs,
                block.addr.declared_by,
                tuple(needs.get(principal, ())),
                domain=str(values.get("domain") or ""),
                module=block.module,
                ignore_changes=block.ignore_changes,
            )
        )
    return out
