"""Raw confluent-kafka reads and client checks used to verify what meshctl did.

Deliberately independent of meshctl's own client adapter: tests read the cluster the
way an operator would.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ConfigResource,
    ConfigSource,
    ResourcePatternType,
    ResourceType,
)


def topics(admin: AdminClient, prefix: str) -> dict[str, tuple[int, int]]:
    """name -> (partitions, replication factor) for topics under `prefix`."""
    md = admin.list_topics(timeout=10)
    return {
        name: (len(t.partitions), max(len(p.replicas) for p in t.partitions.values()))
        for name, t in md.topics.items()
        if name.startswith(prefix)
    }


def wait_for_topic(admin: AdminClient, name: str, timeout_s: float = 20.0) -> bool:
    """Whether `name` shows in the metadata within `timeout_s`: a created topic reaches the
    metadata a moment after create_topics returns, longer on a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while name not in topics(admin, name):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def topic_configs(admin: AdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    futures = admin.describe_configs([ConfigResource(ResourceType.TOPIC, n) for n in names])
    out = {}
    for res, fut in futures.items():
        entries = fut.result(timeout=10)
        out[res.name] = {k: e.value for k, e in entries.items() if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value}
    return out


def acls(admin: AdminClient, principals: set[str]) -> set[tuple[str, str, str, str, str]]:
    """(principal, resource type, resource name, pattern, operation) of ALLOW bindings."""
    flt = AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
    )
    bindings = admin.describe_acls(flt).result(timeout=10)
    return {
        (b.principal, b.restype.name, b.name, b.resource_pattern_type.name, b.operation.name)
        for b in bindings
        if b.principal in principals and b.permission_type == AclPermissionType.ALLOW
    }


def scram_users(admin: AdminClient) -> dict[str, list[str]]:
    try:
        result = admin.describe_user_scram_credentials().result(timeout=10)
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.RESOURCE_NOT_FOUND:
            return {}
        raise
    return {u: [i.mechanism.name for i in d.scram_credential_infos] for u, d in result.items()}


def read_properties(path: Path) -> dict[str, str]:
    props = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            props[k] = v
    return props


def _client_conf(props: dict[str, str]) -> dict[str, object]:
    return {k: v for k, v in props.items()} | {"log_level": 0}


def produce(props: dict[str, str], topic: str, value: bytes = b"hello", idempotent: bool = True) -> str | None:
    """Produce one message; None on success, else the error name (e.g. TOPIC_AUTHORIZATION_FAILED).

    An idempotent producer without WRITE on any topic fails earlier, when it asks for a
    producer id: that fatal error is returned the same way.
    """
    reports: list[KafkaError | None] = []
    fatal: list[KafkaError] = []
    producer = Producer(
        _client_conf(props)
        | {
            "enable.idempotence": idempotent,
            "acks": "all",
            "message.timeout.ms": 10000,
            "error_cb": lambda err: fatal.append(err) if err.fatal() else None,
            "log_level": 0,
        }
    )
    producer.produce(topic, value, key=b"k", on_delivery=lambda err, msg: reports.append(err))
    try:
        producer.flush(15)
    except (KafkaException, SystemError):
        pass
    if fatal:
        return fatal[0].name()
    if not reports:
        return "NO_DELIVERY_REPORT"
    return reports[0].name() if reports[0] is not None else None


def consume(
    props: dict[str, str], topic: str, group: str, timeout_s: float = 20.0, commit: bool = False
) -> str | bytes | None:
    """Read the first message from the start of `topic`: its value, or the error name.
    With `commit`, the group commits the message's offset, as a real consumer would."""
    consumer = Consumer(
        _client_conf(props) | {"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                return msg.error().name()
            if commit:
                consumer.commit(message=msg, asynchronous=False)
            return msg.value()
        return None
    finally:
        consumer.close()


def unique_group(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"
