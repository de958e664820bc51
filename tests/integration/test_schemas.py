"""Schemas and versioned products against the real registry (Apicurio, Confluent API) and
broker: register, evolve in place, a breaking change refused at plan time, and a v1 -> v2
migration with a real consumer group that blocks retirement until it is gone."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from meshctl_sandbox.registry import RegistrySandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil

V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "t",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "amount", "type": "double"},
    ],
}


def _schema(*extra_fields: dict, base: dict = V1) -> str:
    doc = json.loads(json.dumps(base))
    doc["fields"] += list(extra_fields)
    return json.dumps(doc, indent=2)


def _mesh(p: str, v2: str = "", grant: bool = True) -> dict[str, str]:
    grant_block = f'access "analytics_orders" {{\n  product  = "{p}sales.orders"\n  consumer = "{p}analytics"\n}}\n'
    return {
        "main.hcl": f'''
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
domain "{p}analytics" {{
  owners {{ accountable = "a@acme.example" }}
}}
data_product "orders" {{
  domain  = "{p}sales"
  version = 1
  schema {{
    file          = "orders-v1.avsc"
    compatibility = "BACKWARD"
  }}
}}
{v2}
{grant_block if grant else ""}''',
    }


def _v2_block(p: str, sunset: date) -> str:
    return f'''
data_product "orders" {{
  domain  = "{p}sales"
  version = 2
  schema {{ file = "orders-v2.avsc" }}
  lifecycle {{
    replaces = 1
    sunset   = "{sunset.isoformat()}"
  }}
}}
'''


def _plan(*args: str) -> tuple[int, str, str]:
    r = run("plan", "--no-color", "--detailed-exitcode", *args, ".")
    return r.exit_code, re.sub(r"(?<=\S) {2,}", " ", r.stdout), r.stderr


def _apply(*args: str) -> str:
    r = run("apply", "--auto-approve", "--no-color", *args, ".")
    assert r.exit_code == 0, r.output
    return r.stdout


def test_register_and_evolve_compatibly_in_place(
    workdir: Path, prefix: str, registry_env: dict[str, str], registry_server: RegistrySandbox
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p))
    (workdir / "orders-v1.avsc").write_text(_schema())
    code, out, _ = _plan()
    subject = f"{p}sales.orders.v1-value"
    assert code == 2 and f"# schema_subject.{subject} will be created" in out
    _apply()
    client = SchemaRegistryClient({"url": registry_server.url})
    latest = client.get_latest_version(subject)
    assert latest.version == 1 and json.loads(latest.schema.schema_str)["fields"][0]["name"] == "order_id"
    assert client.get_compatibility(subject) == "BACKWARD"
    assert _plan()[0] == 0

    # A field with a default: compatible under BACKWARD, so an update of the same version.
    (workdir / "orders-v1.avsc").write_text(_schema({"name": "channel", "type": "string", "default": "web"}))
    code, out, _ = _plan()
    assert code == 2
    assert f"# schema_subject.{subject} will be updated in-place" in out
    assert 'field channel added: string (default "web")' in out  # a schema diff, not a blob
    _apply()
    assert SchemaRegistryClient({"url": registry_server.url}).get_latest_version(subject).version == 2
    assert _plan()[0] == 0


def test_a_breaking_change_is_refused_at_plan_time_naming_the_field(
    workdir: Path, prefix: str, registry_env: dict[str, str]
) -> None:
    write_mesh(workdir, _mesh(prefix))
    (workdir / "orders-v1.avsc").write_text(_schema())
    _apply()
    (workdir / "orders-v1.avsc").write_text(_schema({"name": "currency", "type": "string"}))  # no default
    code, out, err = _plan()
    assert code == 1, out
    assert re.search(r"main\.hcl:\d+: error: breaking schema change in data_product\.", err), err
    assert "field currency added" in err and "BACKWARD" in err
    assert "published as version 2" in err
    assert "Traceback" not in err


def test_migration_v1_to_v2_frozen_then_retired_once_consumers_leave(
    workdir: Path, prefix: str, registry_env: dict[str, str], admin: AdminClient
) -> None:
    p = prefix
    v1_topic, v2_topic = f"{p}sales.orders.v1", f"{p}sales.orders.v2"
    (workdir / "orders-v1.avsc").write_text(_schema())
    (workdir / "orders-v2.avsc").write_text(_schema(base={**V1, "fields": [V1["fields"][0]]}))
    write_mesh(workdir, _mesh(p, _v2_block(p, date.today() + timedelta(days=30))))
    _apply()
    assert {v1_topic, v2_topic} <= set(kafkautil.topics(admin, p))
    creds = {
        d: kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}{d}.properties")
        for d in ("sales", "analytics")
    }
    # The consumer may read both versions during the migration.
    assert kafkautil.produce(creds["sales"], v1_topic, b"old") is None
    group = f"grp.{p}analytics.orders-loader"
    assert kafkautil.consume(creds["analytics"], v1_topic, group, commit=True) == b"old"
    assert kafkautil.produce(creds["sales"], v1_topic, b"later") is None  # gives the group a lag of 1

    code, out, _ = _plan()
    assert code == 0  # nothing to change, but the plan shows the migration
    assert f"{p}sales.orders v1 -> v2: both versions live, sunset " in out
    assert re.search(rf"{re.escape(group)} 1 - still reads the old version", out), out

    # Past the sunset: first the producer's WRITE on v1 goes ...
    write_mesh(workdir, _mesh(p, _v2_block(p, date.today() - timedelta(days=1))))
    code, out, _ = _plan()
    assert code == 2 and f"# kafka_acl.{p}sales/topic/{v1_topic} will be updated in-place" in out
    assert "freezing the old version" in out
    _apply()
    assert kafkautil.produce(creds["sales"], v1_topic, idempotent=False) == "TOPIC_AUTHORIZATION_FAILED"

    # ... then v1 would be deleted, but a consumer group still has offsets on it.
    code, out, _ = _plan()
    assert code == 2 and f"# kafka_topic.{v1_topic} will be destroyed" in out
    assert f"consumer groups still have committed offsets on it ({group})" in out
    refused = run("apply", "--auto-approve", ".")
    assert refused.exit_code == 1 and "--force-retire" in refused.stderr
    assert v1_topic in kafkautil.topics(admin, p)

    for fut in admin.delete_consumer_groups([group]).values():
        fut.result(timeout=20)
    # v1 still holds its records: retiring it deletes them, so it takes the topic opt-in.
    assert "still holds 2 records" in _plan()[1]
    _apply("--allow-delete", "kafka_topic")
    assert v1_topic not in kafkautil.topics(admin, p) and v2_topic in kafkautil.topics(admin, p)
    state = json.loads((workdir / ".meshctl" / "state.json").read_text())
    assert v1_topic in state["retired"]
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0

    # A retired version's name is never used again.
    write_mesh(workdir, _mesh(p))
    reused = run("plan", ".")
    assert reused.exit_code == 1 and f"topic {v1_topic}" in reused.stderr and "never used again" in reused.stderr


def test_client_config_references_credentials(workdir: Path, prefix: str, registry_env: dict[str, str]) -> None:
    p = prefix
    (workdir / "orders-v1.avsc").write_text(_schema())
    write_mesh(workdir, _mesh(p))
    _apply()
    out = run("client-config", f"{p}analytics", ".").stdout
    assert f"group.id=grp.{p}analytics.{p}sales.orders.v1" in out and "isolation.level=read_committed" in out
    producer = run("client-config", f"{p}sales", ".").stdout
    assert "enable.idempotence=true" in producer and "acks=all" in producer
    password = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}sales.properties")["sasl.password"]
    assert password not in producer and "${file:" in producer
