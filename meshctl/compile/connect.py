"""`resource "kafka_connector"` blocks -> connectors on the Kafka Connect worker.

A connector waits for its principal: its SCRAM user (whose password the worker's config
provider reads) and that principal's ACLs, so its clients never start before they may read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from meshctl.attributes import KafkaConnector
from meshctl.compile.copies import compiled_copies
from meshctl.mesh.model import Copy, Mesh
from meshctl.naming import copy_connector_name, copy_principal, kafka_principal
from meshctl.resources import Resource

SOURCE_ALIAS = "mesh"
MIRROR_SOURCE = "org.apache.kafka.connect.mirror.MirrorSourceConnector"
BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"

CONNECTOR = "kafka_connector"


def compile_connectors(mesh: Mesh, kafka: Sequence[Resource]) -> list[Resource]:
    """`kafka`: the compiled Kafka resources, for what each connector's principal needs first."""
    needs: dict[str, list[str]] = {}
    topics = {str(r.attributes.get("name")): r.address for r in kafka if r.type == "kafka_topic"}
    for r in kafka:
        if r.type == "kafka_scram_user":
            needs.setdefault(f"User:{r.attributes.get('name')}", []).append(r.address)
        elif r.type == "kafka_acl":
            needs.setdefault(str(r.attributes.get("principal")), []).append(r.address)
    out = []
    for c in compiled_copies(mesh, {p.address: "" for p in mesh.products}):
        target = mesh.copy_topic(c)
        if target not in topics:
            continue
        principal = kafka_principal(copy_principal(c.domain, c.name, c.version))
        out.append(
            Resource(
                CONNECTOR,
                f"{c.domain}.{c.name}.v{c.version}",
                copy_connector(mesh, c),
                c.address,
                (topics[target], *needs.get(principal, ())),
                domain=c.domain,
                module=c.module,
            )
        )
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


def copy_connector(mesh: Mesh, c: Copy) -> KafkaConnector:
    """MirrorMaker 2's source connector, copying the source version's topic into the copy's, as
    the copy's own principal: records, keys, headers, partitions and timestamps as they are.

    Both "clusters" are the mesh's; Connect's worker producer writes the copy. A RegexRouter
    renames the records' topic to the copy's (MM2's own naming would be `<alias>.<topic>`).
    MM2 keeps nothing else in sync: no topic configs or ACLs (the principal may not read them)
    and no offset syncs (no checkpoints: a copy has its own consumers). The worker provider
    adds the clusters' addresses and the principal's credentials at apply.
    """
    source = mesh.product(c.product, c.version)
    assert source is not None  # compiled_copies keeps only copies of declared versions
    pattern = mesh.topic_name(source).replace(".", "\\.")
    config = {
        "connector.class": MIRROR_SOURCE,
        "tasks.max": "1",
        "source.cluster.alias": SOURCE_ALIAS,
        "target.cluster.alias": "copy",
        "topics": pattern,
        "sync.topic.configs.enabled": "false",
        "sync.topic.acls.enabled": "false",
        "emit.offset-syncs.enabled": "false",
        "key.converter": BYTES,
        "value.converter": BYTES,
        "transforms": "copy",
        "transforms.copy.type": "org.apache.kafka.connect.transforms.RegexRouter",
        # MM2 names the record's topic `<source alias>.<topic>` before the transform renames it.
        "transforms.copy.regex": f"{SOURCE_ALIAS}\\.{pattern}",
        "transforms.copy.replacement": mesh.copy_topic(c),
    }
    return KafkaConnector(
        name=copy_connector_name(mesh.copy_topic(c)),
        config=dict(sorted(config.items())),
        principal=kafka_principal(copy_principal(c.domain, c.name, c.version)),
        state="running",
    )
