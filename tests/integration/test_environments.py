"""Two environments of one mesh against two real brokers: dev on broker A, prod on broker B.

Applying dev creates dev's topics, principals and ACLs on A only and leaves B (and prod's
state) untouched; prod's plan shows prod's own changes (its partitions, without the product
that exists in dev only); promotion shows where the definitions differ; applying prod then
creates prod's objects on B only, and each environment re-plans to no changes. The Kafka
password is one variable that each environment's job gives its own value, as a pipeline does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil


def _mesh(p: str, broker_a: KafkaSandbox, broker_b: KafkaSandbox) -> str:
    def kafka(broker: KafkaSandbox) -> str:
        config = broker.admin_config()
        return f"""
  kafka {{
    bootstrap_servers = "{config["bootstrap.servers"]}"
    security_protocol = "SASL_PLAINTEXT"
    sasl_mechanism    = "SCRAM-SHA-512"
    sasl_username     = "{config["sasl.username"]}"
    sasl_password     = var.kafka_password
    request_timeout   = "20s"
  }}"""

    return f"""
variable "kafka_password" {{
  sensitive = true
}}
variable "partitions" {{
  type    = number
  default = 1
}}
environment "dev" {{{kafka(broker_a)}
}}
environment "prod" {{
  variables = {{ partitions = 2 }}{kafka(broker_b)}
}}
domain "{p}sales" {{
  owners {{ accountable = "sales@acme.example" }}
  policy {{ max_partitions = 2 }}
}}
domain "{p}analytics" {{
  owners {{ accountable = "data@acme.example" }}
}}
data_product "orders" {{
  domain = "{p}sales"
  topic {{
    partitions = var.partitions
    config     = {{ "retention.ms" = environment.name == "prod" ? "604800000" : "86400000" }}
  }}
}}
data_product "refunds" {{
  domain       = "{p}sales"
  environments = ["dev"]
}}
access "{p}analytics_orders" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
"""


@pytest.fixture
def two_envs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str, broker: KafkaSandbox, broker_b: KafkaSandbox
) -> Path:
    """The mesh in the working directory; no MESHCTL_KAFKA_* in the process environment: each
    environment's block says where its cluster is."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("MESHCTL_KAFKA_", "MESHCTL_ENVIRONMENT", "MESHCTL_VAR_")):
            monkeypatch.delenv(key)
    write_mesh(tmp_path, {"main.hcl": _mesh(prefix, broker, broker_b)})
    return tmp_path


def _as(env: str, broker: KafkaSandbox, monkeypatch: pytest.MonkeyPatch, *args: str):  # type: ignore[no-untyped-def]
    """A meshctl command for environment `env`, with that environment's password, as its CI job runs it."""
    monkeypatch.setenv("MESHCTL_VAR_kafka_password", broker.password)
    return run(*args[:1], "-e", env, *args[1:])


def test_dev_and_prod_on_two_brokers(
    two_envs: Path,
    prefix: str,
    broker: KafkaSandbox,
    broker_b: KafkaSandbox,
    admin: AdminClient,
    admin_b: AdminClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = prefix
    orders, refunds = f"{p}sales.orders.v1", f"{p}sales.refunds.v1"

    # dev: created on A only
    applied = _as("dev", broker, monkeypatch, "apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    assert kafkautil.topics(admin, p) == {orders: (1, 1), refunds: (1, 1)}
    assert kafkautil.topic_configs(admin, [orders])[orders]["retention.ms"] == "86400000"
    assert {u for u in kafkautil.scram_users(admin) if u.startswith(p)} == {f"{p}sales", f"{p}analytics"}
    assert kafkautil.topics(admin_b, p) == {}
    assert {u for u in kafkautil.scram_users(admin_b) if u.startswith(p)} == set()
    assert (two_envs / ".meshctl" / "env" / "dev" / "state.json").is_file()
    assert not (two_envs / ".meshctl" / "env" / "prod").exists()
    assert not (two_envs / ".meshctl" / "state.json").exists()

    # prod's plan: prod's own changes, against B's (empty) state
    planned = _as("prod", broker_b, monkeypatch, "plan", "--json", ".")
    assert planned.exit_code == 0, planned.output
    changes = {c["address"]: c for c in json.loads(planned.stdout)["resource_changes"]}
    assert f"kafka_topic.{p}sales.refunds.v1" not in changes
    topic = changes[f"kafka_topic.{p}sales.orders.v1"]
    assert topic["change"]["actions"] == ["create"] and topic["change"]["after"]["partitions"] == 2
    assert {c["change"]["actions"][0] for c in changes.values()} == {"create"}

    # promotion: what promoting dev's definitions to prod would change
    promoted = _as("prod", broker_b, monkeypatch, "plan", "--from", "dev", "--json", ".")
    assert promoted.exit_code == 0, promoted.output
    promotion = json.loads(promoted.stdout)["promotion"]
    assert f"kafka_topic.{p}sales.refunds.v1" in promotion["only_in_from"]
    differ = {d["address"]: d["attributes"] for d in promotion["differ"]}
    assert differ[f"kafka_topic.{p}sales.orders.v1"]["partitions"] == {"from": 1, "to": 2}
    assert differ[f"kafka_topic.{p}sales.orders.v1"]["config.retention.ms"] == {
        "from": "86400000",
        "to": "604800000",
    }

    # prod: created on B only; dev's objects on A untouched
    applied = _as("prod", broker_b, monkeypatch, "apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    assert kafkautil.topics(admin_b, p) == {orders: (2, 1)}
    assert kafkautil.topic_configs(admin_b, [orders])[orders]["retention.ms"] == "604800000"
    assert {u for u in kafkautil.scram_users(admin_b) if u.startswith(p)} == {f"{p}sales", f"{p}analytics"}
    assert kafkautil.topics(admin, p) == {orders: (1, 1), refunds: (1, 1)}

    # each environment re-plans to nothing, against its own cluster and state
    for env, on in (("dev", broker), ("prod", broker_b)):
        again = _as(env, on, monkeypatch, "plan", "--detailed-exitcode", "--no-color", ".")
        assert again.exit_code == 0, again.output

    # prod's password never opens dev's cluster: a job given the wrong environment fails closed
    wrong = _as("dev", broker_b, monkeypatch, "plan", "--no-color", ".")
    assert wrong.exit_code == 1
    assert kafkautil.topics(admin, p) == {orders: (1, 1), refunds: (1, 1)}
