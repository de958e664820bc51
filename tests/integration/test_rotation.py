"""-replace against the real broker. Rotation: `apply -replace=kafka_scram_user.<domain>` gives the
principal a new password; the old one is refused for new connections (SASL authentication
failed), the new one produces to the domain's topic, the next plan is empty. With Secrets
Manager (moto), the secret's AWSCURRENT is the new password and AWSPREVIOUS the old one. A topic is replaced
(deleted, created empty) only under its delete opt-in; an ACL never."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil, mesh

_AUTH = {KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED}


def _login(config: dict[str, str]) -> str | None:
    """None when `config` logs in and reads cluster metadata; else the error's name."""
    errors: list[KafkaError] = []
    client = AdminClient({**config, "log_level": 0, "error_cb": errors.append})
    future = client.describe_cluster(request_timeout=10)
    while not future.done():
        client.poll(0.1)  # serves error_cb: a refused login shows there at once
        refused = [e for e in errors if e.code() in _AUTH]
        if refused:
            return _named(refused[0])
    try:
        future.result(timeout=0)
    except KafkaException as exc:
        return _named(exc.args[0])
    return None


def _named(err: KafkaError) -> str:
    return f"{err.name()}: {err.str()}"


# What librdkafka reports when the broker answers SaslAuthenticate with SASL_AUTHENTICATION_FAILED
# (Kafka's SaslAuthenticationException): its local _AUTHENTICATION code and the broker's reason.
REFUSED = (
    "SASL authentication error: Authentication failed during authentication due to invalid credentials with "
    "SASL mechanism SCRAM-SHA-512"
)


def _refused(config: dict[str, str]) -> bool:
    why = _login(config) or ""
    return why.startswith("_AUTHENTICATION: ") and REFUSED in why


def _apply(*args: str) -> str:
    result = run("apply", "--auto-approve", "--no-color", *args, ".")
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


def _plan_code() -> int:
    return run("plan", "--detailed-exitcode", ".").exit_code


def test_replace_rotates_a_domain_password_on_the_broker(workdir: Path, prefix: str, admin: AdminClient) -> None:
    p = prefix
    mesh.write(workdir, p)
    _apply()
    cred = workdir / ".meshctl" / "credentials" / f"{p}sales.properties"
    old = kafkautil.read_properties(cred)
    topic = f"{p}commerce.{p}sales.orders.v1"
    assert _login(old) is None and kafkautil.produce(old, topic) is None
    other = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}analytics.properties")
    acls_before = kafkautil.acls(admin, {f"User:{p}sales"})

    started = time.monotonic()
    output = _apply(f"-replace=kafka_scram_user.{p}sales")
    took = time.monotonic() - started
    assert f"# kafka_scram_user.{p}sales will be replaced, as requested" in output
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in output
    assert "Apply complete! Resources: 1 added, 0 changed, 1 destroyed." in output

    new = kafkautil.read_properties(cred)
    assert new["sasl.password"] != old["sasl.password"]
    assert {k: v for k, v in new.items() if k != "sasl.password"} == {
        k: v for k, v in old.items() if k != "sasl.password"
    }
    # apply returned once the new password logs in: no wait needed here.
    assert _login(new) is None
    assert _refused(old)
    assert kafkautil.produce(new, topic) is None
    assert kafkautil.scram_users(admin)[f"{p}sales"] == ["SCRAM_SHA_512"]  # the same user, one mechanism
    assert kafkautil.acls(admin, {f"User:{p}sales"}) == acls_before  # its ACLs never went away
    assert _login(other) is None  # only the principal asked for
    assert old["sasl.password"] not in output and new["sasl.password"] not in output
    state = json.loads((workdir / ".meshctl" / "state.json").read_text())
    (user,) = [r for r in state["resources"] if r["address"] == f"kafka_scram_user.{p}sales"]
    assert user["attributes"]["password"].startswith("sha256:")
    assert new["sasl.password"] not in json.dumps(state)
    assert _plan_code() == 0
    print(f"rotation apply (plan + store + upsert + read-back) took {took:.1f}s")


def test_a_connection_opened_before_the_rotation_keeps_its_session(
    workdir: Path, prefix: str, admin: AdminClient
) -> None:
    """What `connections.max.reauth.ms` governs, measured: the sandbox broker leaves it at its
    default (0, no re-authentication), so a session authenticated with the old password goes
    on; only new connections need the new one."""
    p = prefix
    mesh.write(workdir, p)
    _apply()
    cred = workdir / ".meshctl" / "credentials" / f"{p}sales.properties"
    old = kafkautil.read_properties(cred)
    errors: list[KafkaError] = []
    client = AdminClient({**old, "log_level": 0, "error_cb": errors.append})
    assert client.describe_cluster(request_timeout=10).result(timeout=15)
    _apply(f"-replace=kafka_scram_user.{p}sales")
    assert _refused(old)  # a new connection is refused
    assert client.describe_cluster(request_timeout=10).result(timeout=15)  # the open session is not
    assert not [e for e in errors if e.code() in _AUTH]


def test_rotation_with_secrets_manager_keeps_the_old_value_as_awsprevious(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    p = prefix
    files = mesh.mesh_files(p)
    files["main.hcl"] = 'aws {\n  region = "eu-west-1"\n}\n' + files["main.hcl"]
    write_mesh(workdir, files)
    _apply()
    sm = boto3.client("secretsmanager")
    name = f"meshctl/kafka/{p}sales"

    def secret(stage: str = "AWSCURRENT") -> dict[str, str]:
        return dict(json.loads(sm.get_secret_value(SecretId=name, VersionStage=stage)["SecretString"]))

    def client(value: dict[str, str]) -> dict[str, str]:
        return {
            "bootstrap.servers": kafka_env["MESHCTL_KAFKA_BOOTSTRAP_SERVERS"],
            "security.protocol": kafka_env["MESHCTL_KAFKA_SECURITY_PROTOCOL"],
            "sasl.mechanism": value["mechanism"],
            "sasl.username": value["username"],
            "sasl.password": value["password"],
        }

    old = secret()
    assert _login(client(old)) is None
    output = _apply(f"-replace=kafka_scram_user.{p}sales")
    assert "the previous value stays as its AWSPREVIOUS version" in output
    current, previous = secret(), secret("AWSPREVIOUS")
    assert previous["password"] == old["password"] and current["password"] != old["password"]
    assert _login(client(current)) is None
    assert _refused(client(previous))
    assert not (workdir / ".meshctl" / "credentials").exists() or not list(
        (workdir / ".meshctl" / "credentials").glob("*.properties")
    )
    assert old["password"] not in output and current["password"] not in output
    assert _plan_code() == 0


def _records(broker: KafkaSandbox, topic: str, partitions: int) -> int:
    consumer = Consumer(broker.admin_config() | {"group.id": f"count-{topic}", "log_level": 0})
    try:
        bounds = [consumer.get_watermark_offsets(TopicPartition(topic, i), timeout=10) for i in range(partitions)]
    finally:
        consumer.close()
    return sum(high - low for low, high in bounds)


def test_replace_of_a_topic_needs_its_delete_opt_in_and_of_an_acl_is_refused(
    workdir: Path, prefix: str, admin: AdminClient, broker: KafkaSandbox
) -> None:
    p = prefix
    mesh.write(workdir, p)
    _apply()
    topic = f"{p}commerce.{p}sales.orders.v1"
    sales = kafkautil.read_properties(workdir / ".meshctl" / "credentials" / f"{p}sales.properties")
    assert kafkautil.produce(sales, topic) is None and _records(broker, topic, 3) == 1

    refused = run("apply", f"-replace=kafka_topic.{topic}", "--auto-approve", ".")
    assert refused.exit_code == 1
    assert "replacing it deletes its records and creates it empty: pass --allow-delete kafka_topic" in refused.stderr
    assert "refreshing" not in refused.stderr and _records(broker, topic, 3) == 1
    grant = f"kafka_acl.{p}analytics/topic/{topic}"
    acl = run("plan", f"-replace={grant}", "--allow-delete", "all", ".")
    assert acl.exit_code == 1 and "kafka_acl is never replaced on request" in acl.stderr

    output = _apply(f"-replace=kafka_topic.{topic}", "--allow-delete", "kafka_topic")
    assert f"# kafka_topic.{topic} will be replaced, as requested" in output
    assert kafkautil.topics(admin, topic)[topic] == (3, 1)  # created again as declared, empty
    assert _records(broker, topic, 3) == 0
    assert kafkautil.produce(sales, topic) is None  # the ACLs on it still hold (same literal names)
    assert _plan_code() == 0
