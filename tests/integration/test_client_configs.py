"""The client configurations meshctl generates, used as they are by real clients against the
real broker (design section 6, issue 10 deliverable 3).

`meshctl client-config --format librdkafka` writes files that confluent-kafka loads without a
change: the test reads each file with the README's three-line loader and adds only
`sasl.password`, taken from the environment variable the file's header names, which the
user's shell fills from where the header says the password is kept (the local credential
file, or Secrets Manager). Records go through the producer file (idempotent, acks=all) and
come back through the consumer file (its group id, read_committed, manual commit)."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import boto3
import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil

RECORDS = 5


def _mesh(p: str, aws: bool = False) -> dict[str, str]:
    aws_block = 'aws {\n  region = "eu-west-1"\n}\n' if aws else ""
    return {
        "main.hcl": f'''{aws_block}
kafka {{
  request_timeout = "20s"
}}

domain "{p}sales" {{
  owners {{ accountable = "sales@acme.example" }}
}}

domain "{p}analytics" {{
  owners {{ accountable = "data@acme.example" }}
}}

data_product "orders" {{
  domain = "{p}sales"
  topic {{
    partitions = 1
  }}
  delivery {{
    duplicates = "tolerated"
  }}
}}

access "reads" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
''',
    }


def load_properties(path: Path) -> dict[str, str]:
    """The README's loader: every `key=value` line, comments skipped."""
    return dict(line.strip().split("=", 1) for line in open(path) if line.strip() and not line.startswith("#"))


def _header(path: Path) -> dict[str, str]:
    """The machine-readable comments: `# meshctl.password.env=...` and where the password is."""
    marked = [line[2:].strip() for line in path.read_text().splitlines() if line.startswith("# meshctl.")]
    return dict(line.split("=", 1) for line in marked)


def _password_from_where_the_header_says(header: dict[str, str]) -> str:
    """What a user's shell does before starting the client, e.g.
    `export KAFKA_SASL_PASSWORD=$(sed -n 's/^sasl.password=//p' <file>)`."""
    if "meshctl.password.file" in header:
        return load_properties(Path(header["meshctl.password.file"]))["sasl.password"]
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=header["meshctl.password.secretsmanager"])
    return str(json.loads(secret["SecretString"])["password"])


def _client_config(principal: str, out: Path) -> list[Path]:
    result = run("client-config", principal, "--format", "librdkafka", "--out", str(out), ".")
    assert result.exit_code == 0, result.output
    return sorted(out.glob("*.properties"))


def _conf(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The file unchanged, plus `sasl.password` from the variable its header names."""
    header = _header(path)
    variable = header["meshctl.password.env"]
    assert variable == "KAFKA_SASL_PASSWORD"
    monkeypatch.setenv(variable, _password_from_where_the_header_says(header))
    conf: dict[str, object] = dict(load_properties(path))
    conf["sasl.password"] = os.environ[variable]
    return conf


def _produce(conf: dict[str, object], topic: str, values: list[bytes]) -> None:
    errors: list[KafkaError] = []
    producer = Producer(conf | {"error_cb": errors.append})
    delivered: list[KafkaError | None] = []
    for value in values:
        producer.produce(topic, value, key=b"order", on_delivery=lambda err, msg: delivered.append(err))
    assert producer.flush(30) == 0, f"undelivered; client errors: {[e.name() for e in errors]}"
    assert delivered == [None] * len(values), [e.name() for e in delivered if e is not None]


def _consume(conf: dict[str, object], topic: str, expected: int) -> list[bytes]:
    consumer = Consumer(conf)
    values: list[bytes] = []
    last = -1
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 40
        while len(values) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert not msg.error(), msg.error().name()
            values.append(msg.value())
            last = msg.offset()
            consumer.commit(message=msg, asynchronous=False)  # enable.auto.commit=false: the app commits
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        assert committed[0].offset == last + 1  # under the file's group id
    finally:
        consumer.close()
    return values


def _round_trip(workdir: Path, p: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (producer_file,) = _client_config(f"{p}sales", workdir / "sales")
    (consumer_file,) = _client_config(f"{p}analytics", workdir / "analytics")
    assert producer_file.name == f"{p}sales.orders.v1.producer.properties"
    assert consumer_file.name == f"{p}sales.orders.v1.consumer.properties"
    topic = f"{p}sales.orders.v1"
    values = [f"order-{i}-{uuid.uuid4().hex[:6]}".encode() for i in range(RECORDS)]
    producer_conf = _conf(producer_file, monkeypatch)
    assert producer_conf["enable.idempotence"] == "true" and producer_conf["acks"] == "all"
    _produce(producer_conf, topic, values)
    consumer_conf = _conf(consumer_file, monkeypatch)
    assert consumer_conf["group.id"] == f"grp.{p}analytics.{p}sales.orders.v1"
    assert _consume(consumer_conf, topic, RECORDS) == values


def test_librdkafka_configs_work_unchanged_with_local_credentials(
    workdir: Path, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p))
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    _round_trip(workdir, p, monkeypatch)


def test_librdkafka_configs_work_unchanged_with_secrets_manager(
    workdir: Path, prefix: str, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = prefix
    write_mesh(workdir, _mesh(p, aws=True))
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    assert not (workdir / ".meshctl" / "credentials" / f"{p}sales.properties").exists()  # the secret is the only copy
    _round_trip(workdir, p, monkeypatch)


def test_a_consumer_file_of_another_principal_is_refused_the_producers_group(
    workdir: Path, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files are no master key: the consumer's group id is its own; the same consumer under
    the producing domain's group prefix is refused by the broker."""
    p = prefix
    write_mesh(workdir, _mesh(p))
    assert run("apply", "--auto-approve", "--no-color", ".").exit_code == 0
    (producer_file,) = _client_config(f"{p}sales", workdir / "sales")
    (consumer_file,) = _client_config(f"{p}analytics", workdir / "analytics")
    topic = f"{p}sales.orders.v1"
    _produce(_conf(producer_file, monkeypatch), topic, [b"one"])
    conf = {k: str(v) for k, v in _conf(consumer_file, monkeypatch).items()}
    assert kafkautil.consume(conf, topic, str(conf["group.id"]), timeout_s=20) == b"one"  # its own group
    assert kafkautil.consume(conf, topic, f"grp.{p}sales.{p}sales.orders.v1", timeout_s=15) == (
        "GROUP_AUTHORIZATION_FAILED"
    )


def _app_mesh(p: str) -> dict[str, str]:
    return {
        "main.hcl": _mesh(p)["main.hcl"]
        + f'''
application "orders_api" {{
  domain        = "{p}sales"
  kind          = "producer"
  transactional = true
  writes        = ["orders"]
}}

application "dashboard" {{
  domain = "{p}analytics"
  kind   = "consumer"
  reads  = ["{p}sales.orders"]
}}
''',
    }


def test_an_applications_librdkafka_configs_work_unchanged_with_transactions(
    workdir: Path, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transactional producer app commits and aborts with its generated file (its
    `transactional.id` is under its own prefix); the consumer app, with its file's group and
    read_committed, sees the committed records only."""
    p = prefix
    write_mesh(workdir, _app_mesh(p))
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    (producer_file,) = _client_config(f"{p}sales.orders_api", workdir / "orders_api")
    (consumer_file,) = _client_config(f"{p}analytics.dashboard", workdir / "dashboard")
    assert producer_file.name == f"orders_api.{p}sales.orders.v1.producer.properties"
    assert consumer_file.name == f"dashboard.{p}sales.orders.v1.consumer.properties"
    topic = f"{p}sales.orders.v1"

    conf = _conf(producer_file, monkeypatch)
    assert conf["sasl.username"] == f"{p}sales-orders_api"
    assert conf["transactional.id"] == f"txn.{p}sales-orders_api.0"
    producer = Producer(conf)
    producer.init_transactions(30)
    committed = [f"committed-{i}".encode() for i in range(3)]
    for values, commit in ((committed[:2], True), ([b"aborted-0", b"aborted-1"], False), (committed[2:], True)):
        producer.begin_transaction()
        for value in values:
            producer.produce(topic, value, key=b"order")
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
    del producer  # no client left reconnecting once the session's broker stops

    consumer_conf = _conf(consumer_file, monkeypatch)
    assert consumer_conf["sasl.username"] == f"{p}analytics-dashboard"
    assert consumer_conf["group.id"] == f"grp.{p}analytics-dashboard.{p}sales.orders.v1"
    assert _consume(consumer_conf, topic, len(committed)) == committed
