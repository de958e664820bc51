"""Integration outputs on the real broker: an integration declares the topics it writes;
meshctl creates them and grants its principal WRITE on exactly those (LITERAL), no longer on
its whole namespace. The principal produces to its outputs, is refused on any other topic
under its namespace and cannot create topics; a topic made there out of band is listed as
unmanaged, never deleted."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil

DENIED = "TOPIC_AUTHORIZATION_FAILED"


def _mesh(p: str, outputs: str) -> dict[str, str]:
    return {
        "main.hcl": f'''kafka {{
  request_timeout = "20s"
}}
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
  policy {{ max_partitions = 4 }}
}}
data_product "orders" {{
  domain = "{p}sales"
  topic {{
    partitions = 1
  }}
}}
integration "cdc" {{
  domain = "{p}sales"
  vendor = "debezium"
  source = "./vendor"
  reads  = ["{p}sales.orders"]
{outputs}}}
''',
        "vendor/main.hcl": 'variable "integration" {}\n',
    }


TWO_OUTPUTS = """  output "changes" {
    partitions = 2
    config     = { "retention.ms" = "3600000" }
  }
  output "heartbeats" {}
"""


def _create_topic(admin: AdminClient, name: str) -> None:
    for fut in admin.create_topics([NewTopic(name, 1, 1)]).values():
        fut.result(timeout=20)


def _create_as(props: dict[str, str], name: str) -> str | None:
    """Create a topic with the principal's own admin client: None, or the broker's error name."""
    client = AdminClient(props | {"log_level": 0})
    try:
        for fut in client.create_topics([NewTopic(name, 1, 1)], request_timeout=15).values():
            fut.result(timeout=20)
    except KafkaException as exc:
        return str(exc.args[0].name())
    return None


def test_outputs_are_the_integrations_only_topics(workdir: Path, prefix: str, admin: AdminClient) -> None:
    p = prefix
    (workdir / "vendor").mkdir()
    namespace = f"{p}sales.cdc."
    user = f"{p}sales-cdc"

    # Before outputs: the namespace-wide write of earlier versions.
    write_mesh(workdir, _mesh(p, ""))
    assert run("apply", "--auto-approve", "--no-color", ".").exit_code == 0
    writes = {a for a in kafkautil.acls(admin, {f"User:{user}"}) if a[4] == "WRITE"}
    assert writes == {(f"User:{user}", "TOPIC", namespace, "PREFIXED", "WRITE")}

    # Declaring outputs: two topics, each with its LITERAL write; the PREFIXED one goes.
    write_mesh(workdir, _mesh(p, TWO_OUTPUTS))
    plan = run("plan", "--no-color", ".")
    assert plan.exit_code == 0, plan.output
    assert f"# kafka_acl.{user}/topic/{namespace}* will be destroyed" in plan.stdout, plan.stdout
    assert f"# kafka_topic.{namespace}changes will be created" in plan.stdout
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output

    assert kafkautil.topics(admin, namespace) == {f"{namespace}changes": (2, 1), f"{namespace}heartbeats": (1, 1)}
    configs = kafkautil.topic_configs(admin, [f"{namespace}changes"])[f"{namespace}changes"]
    assert configs == {"cleanup.policy": "delete", "retention.ms": "3600000"}
    topic_acls = {a for a in kafkautil.acls(admin, {f"User:{user}"}) if a[1] == "TOPIC" and a[2].startswith(namespace)}
    assert topic_acls == {
        (f"User:{user}", "TOPIC", f"{namespace}{name}", "LITERAL", op)
        for name in ("changes", "heartbeats")
        for op in ("WRITE", "DESCRIBE")
    }

    # Nothing left to do, and nothing drifted.
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0
    drift = run("drift", "--no-color", ".")
    assert drift.exit_code == 0, drift.output

    # The principal, with the password from the local credential store: its outputs only.
    creds = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{user}.properties")
    assert creds["sasl.username"] == user and creds["sasl.password"]
    assert kafkautil.produce(creds, f"{namespace}changes", b"row-1") is None
    assert kafkautil.produce(creds, f"{namespace}heartbeats", b"beat", idempotent=False) is None
    stray = f"{namespace}scratch"
    _create_topic(admin, stray)  # made out of band, as a vendor's admin would
    assert kafkautil.produce(creds, stray, idempotent=False) == DENIED
    assert kafkautil.produce(creds, f"{namespace}undeclared", idempotent=False) == DENIED
    assert _create_as(creds, f"{namespace}other") == DENIED
    assert f"{namespace}other" not in kafkautil.topics(admin, namespace)

    # The out-of-band topic: listed as unmanaged under the integration, never deleted.
    planned = run("plan", "--json", ".")
    assert planned.exit_code == 0, planned.output
    doc = json.loads(planned.stdout)
    (listed,) = [u for u in doc["unmanaged"] if u["address"] == f"kafka_topic.{stray}"]
    assert listed["action"] == "none" and listed["domain"] == f"{p}sales"
    assert f'inside the namespace of integration "cdc" of domain "{p}sales" ({namespace}*)' in listed["detail"]
    assert not [c for c in doc["resource_changes"] if c["address"] == f"kafka_topic.{stray}"]
    report = run("drift", "--json", ".")
    assert report.exit_code == 2, report.output
    items = json.loads(report.stdout)["resources"]
    assert [(i["kind"], i["address"]) for i in items] == [("unmanaged", f"kafka_topic.{stray}")]

    # Removing an output needs the topic opt-in, as a product's topic does.
    write_mesh(workdir, _mesh(p, TWO_OUTPUTS.split('  output "heartbeats"')[0]))
    refused = run("apply", "--auto-approve", "--no-color", ".")
    assert refused.exit_code == 1, refused.output
    assert "--allow-delete kafka_topic" in refused.output
    assert f"{namespace}heartbeats" in kafkautil.topics(admin, namespace)
    removed = run("apply", "--auto-approve", "--allow-delete", "kafka_topic", "--no-color", ".")
    assert removed.exit_code == 0, removed.output
    assert set(kafkautil.topics(admin, namespace)) == {f"{namespace}changes", stray}


def test_the_s3_sinks_dead_letter_queue_is_created_and_named_in_the_connector(
    workdir: Path, prefix: str, admin: AdminClient, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    p = prefix
    mesh = f'''aws {{
  region     = "eu-west-1"
  account_id = "123456789012"
}}
domain "{p}analytics" {{
  owners {{ accountable = "a@acme.example" }}
}}
data_product "orders" {{
  domain = "{p}analytics"
}}
integration "lake" {{
  domain = "{p}analytics"
  vendor = "kafka-connect"
  source = "s3-sink"
  reads  = ["{p}analytics.orders"]
  inputs = {{ bucket_prefix = "{p}", dead_letter_queue = true }}
  aws {{
    trusted_principal = "arn:aws:iam::123456789012:role/connect-workers"
    external_id       = "ext-{p}"
  }}
}}
'''
    write_mesh(workdir, {"main.hcl": mesh})
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    dlq = f"{p}analytics.lake.dlq"
    assert kafkautil.topics(admin, f"{p}analytics.lake.") == {dlq: (1, 1)}
    connector = json.loads(run("output", "--name", "module.integration_lake.connector_config", ".").stdout)["config"]
    assert connector["errors.deadletterqueue.topic.name"] == dlq
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0

    # What Connect's dead-letter reporter does as the integration principal: it lists topics
    # (the DLQ is visible, so it creates none) and produces failed records to it.
    user = f"{p}analytics-lake"
    # With AWS the password is in Secrets Manager.
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=f"meshctl/kafka/{user}")
    props = {
        "bootstrap.servers": kafka_env["MESHCTL_KAFKA_BOOTSTRAP_SERVERS"],
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": user,
        "sasl.password": json.loads(secret["SecretString"])["password"],
    }
    visible = AdminClient(props | {"log_level": 0}).list_topics(timeout=15).topics
    assert dlq in visible
    assert kafkautil.produce(props, dlq, b"failed-record") is None
    assert kafkautil.produce(props, f"{p}analytics.lake.other", idempotent=False) == DENIED
