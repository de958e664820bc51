"""Kafka Connect connectors against the REAL worker (distributed mode, Apache's jars) on the SASL
broker: an integration deploys its connector (the built-in file-sink module), which runs as the
integration's own principal. Create, update, pause and resume, drift of a failed task, delete;
no password in the connector's configuration as the REST API returns it, nor in state, plans
or the worker's log."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Producer

from meshctl_sandbox.connect import ConnectSandbox, rest_call
from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.helpers import write_mesh


def _mesh(p: str, out: Path, inputs: str = "", extra: str = "") -> dict[str, str]:
    return {
        "main.hcl": f'''kafka {{
  request_timeout = "20s"
}}
domain "{p}sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
domain "{p}analytics" {{
  owners {{ accountable = "a@acme.example" }}
}}
data_product "orders" {{
  domain = "{p}sales"
  topic {{ partitions = 1 }}
}}
data_product "salaries" {{
  domain = "{p}sales"
  topic {{ partitions = 1 }}
}}
access "orders" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
integration "archive" {{
  domain = "{p}analytics"
  vendor = "kafka-connect"
  source = "file-sink"
  reads  = ["{p}sales.orders"]
  inputs = {{
    file = "{out}"
{inputs}  }}
}}
{extra}''',
    }


def _produce(broker: KafkaSandbox, topic: str, values: list[str]) -> None:
    producer = Producer(broker.admin_config() | {"log_level": 0})
    for value in values:
        producer.produce(topic, value.encode())
    assert producer.flush(20) == 0


def _wait(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _status(worker: ConnectSandbox, name: str) -> dict:
    status, body = rest_call("GET", f"{worker.url}/connectors/{name}/status")
    return body if status == 200 else {}


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_an_integration_deploys_its_connector_on_the_real_worker(
    workdir: Path, prefix: str, broker: KafkaSandbox, connect_worker: ConnectSandbox, connect_env: dict[str, str]
) -> None:
    p = prefix
    out = workdir / "archive.txt"
    name = f"{p}analytics.archive"
    user = f"{p}analytics-archive"
    write_mesh(workdir, _mesh(p, out))

    plan = run("plan", ".")
    assert plan.exit_code == 0, plan.output
    assert "module.integration_archive.kafka_connector.sink" in plan.output, plan.output
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output

    # It runs, as the integration's principal, and archives what is produced to the granted topic.
    _wait("the connector to run", lambda: _status(connect_worker, name).get("connector", {}).get("state") == "RUNNING")
    _produce(broker, f"{p}sales.orders.v1", ["order-1", "order-2"])
    _wait("the records in the file", lambda: _lines(out) == ["order-1", "order-2"])

    # No secret in what the REST API returns: the password is a config provider reference.
    password = (Path(connect_env["MESHCTL_CONNECT_CREDENTIALS_DIR"]) / f"{user}.properties").read_text()
    password = next(line.split("=", 1)[1] for line in password.splitlines() if line.startswith("sasl.password="))
    status, config = rest_call("GET", f"{connect_worker.url}/connectors/{name}/config")
    assert status == 200
    jaas = config["consumer.override.sasl.jaas.config"]
    assert f'username="{user}"' in jaas and "${file:" in jaas and ":sasl.password}" in jaas
    _, tasks = rest_call("GET", f"{connect_worker.url}/connectors/{name}/tasks")
    state_text = (workdir / ".meshctl" / "state.json").read_text()
    for text in (json.dumps(config), json.dumps(tasks), state_text, plan.output, applied.output):
        assert password not in text
    assert password not in connect_worker.log_path.read_text()

    # Planning again: nothing to do.
    again = run("plan", "--detailed-exitcode", ".")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output

    # An update of its configuration (two tasks), in place.
    write_mesh(workdir, _mesh(p, out, "    tasks = 2\n"))
    update = run("apply", "--auto-approve", ".")
    assert update.exit_code == 0, update.output
    assert "1 changed" in update.output
    _, config = rest_call("GET", f"{connect_worker.url}/connectors/{name}/config")
    assert config["tasks.max"] == "2"

    # Paused, it reads nothing; resumed, it reads on from where it was.
    write_mesh(workdir, _mesh(p, out, "    tasks = 2\n    paused = true\n"))
    paused = run("apply", "--auto-approve", ".")
    assert paused.exit_code == 0, paused.output
    assert _status(connect_worker, name)["connector"]["state"] == "PAUSED"
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0
    _produce(broker, f"{p}sales.orders.v1", ["order-3"])
    time.sleep(3)
    assert _lines(out) == ["order-1", "order-2"]
    write_mesh(workdir, _mesh(p, out, "    tasks = 2\n"))
    resumed = run("apply", "--auto-approve", ".")
    assert resumed.exit_code == 0, resumed.output
    assert _status(connect_worker, name)["connector"]["state"] == "RUNNING"
    _wait("the record produced while paused", lambda: _lines(out) == ["order-1", "order-2", "order-3"])

    # Deleted with its integration; the file it wrote stays (a connector holds no data).
    write_mesh(workdir, {"main.hcl": _mesh(p, out)["main.hcl"].split('integration "archive"')[0]})
    deleted = run("apply", "--auto-approve", ".")
    assert deleted.exit_code == 0, deleted.output
    status, _ = rest_call("GET", f"{connect_worker.url}/connectors/{name}")
    assert status == 404
    assert "kafka_connector" not in (workdir / ".meshctl" / "state.json").read_text()


PEEK = """resource "kafka_connector" "peek" {{
  name      = "{p}analytics.peek"
  domain    = "{p}analytics"
  principal = "User:{p}analytics-archive"
  config    = {{
    "connector.class"                     = "org.apache.kafka.connect.file.FileStreamSinkConnector"
    "topics"                              = "{p}sales.salaries.v1"
    "file"                                = "{out}"
    "consumer.override.group.id"          = "grp.{p}analytics-archive.peek"
    "consumer.override.auto.offset.reset" = "earliest"
  }}
}}
"""


def test_a_connector_runs_as_its_principal_and_drift_shows_its_failed_task(
    workdir: Path, prefix: str, broker: KafkaSandbox, connect_worker: ConnectSandbox, connect_env: dict[str, str]
) -> None:
    """A connector of the archive's principal pointed at a topic that principal is not granted:
    the broker refuses its consumer, so not one record is read, and its task fails; drift says so."""
    p = prefix
    peeked = workdir / "peek.txt"
    write_mesh(workdir, _mesh(p, workdir / "archive.txt", extra=PEEK.format(p=p, out=peeked)))
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    _produce(broker, f"{p}sales.salaries.v1", ["salary-1"])
    name = f"{p}analytics.peek"

    def task_failed() -> bool:
        tasks = _status(connect_worker, name).get("tasks", [])
        return any(t.get("state") == "FAILED" for t in tasks)

    _wait("the peeking task to fail", task_failed, timeout=90)
    assert _lines(peeked) == []
    trace = _status(connect_worker, name)["tasks"][0]["trace"]
    assert "TopicAuthorizationException" in trace or "Not authorized" in trace

    drift = run("drift", ".")
    assert drift.exit_code == 2, drift.output
    assert "kafka_connector.peek" in drift.output
    assert "task 0" in drift.output and "failed" in drift.output.lower()
    # The plan restarts the failed task (it fails again: the grant is missing, not the task).
    plan = run("plan", ".")
    assert "kafka_connector.peek" in plan.output and "failed_tasks" in plan.output


COPY = """copy "orders_local" {{
  domain  = "{p}analytics"
  product = "{p}sales.orders"
  version = 1
}}
"""


def test_a_copy_is_a_mirrormaker_source_connector_under_the_copy_s_own_principal(
    workdir: Path, prefix: str, broker: KafkaSandbox, connect_worker: ConnectSandbox, connect_env: dict[str, str]
) -> None:
    """Records produced to the source version arrive, unchanged, in the copy's topic in the
    copying domain's namespace; the copy's principal reads the source and writes the copy and
    nothing else (it cannot read another product, nor write the source)."""
    from confluent_kafka import Consumer, KafkaException

    p = prefix
    source, copy = f"{p}sales.orders.v1", f"{p}analytics.orders_local.v1"
    write_mesh(workdir, _mesh(p, workdir / "archive.txt", extra=COPY.format(p=p)))
    plan = run("plan", ".")
    assert plan.exit_code == 0, plan.output
    assert f"kafka_connector.{p}analytics.orders_local.v1" in plan.output
    assert "MirrorSourceConnector" in plan.output
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    name = f"copy.{copy}"
    _wait(
        "the copy connector to run",
        lambda: _status(connect_worker, name).get("connector", {}).get("state") == "RUNNING",
    )

    producer = Producer(broker.admin_config() | {"log_level": 0})
    for i in range(3):
        producer.produce(
            source,
            key=f"k{i}".encode(),
            value=f"order-{i}".encode(),
            headers=[("h", b"v")],
            timestamp=1_700_000_000_000 + i,
        )
    assert producer.flush(20) == 0

    def read(topic: str, props: dict[str, str], group: str) -> list[tuple[bytes, bytes, int]]:
        consumer = Consumer(props | {"group.id": group, "auto.offset.reset": "earliest", "log_level": 0})
        consumer.subscribe([topic])
        got, deadline = [], time.monotonic() + 30
        try:
            while time.monotonic() < deadline and len(got) < 3:
                msg = consumer.poll(1.0)
                if msg is None:
                    continue
                if msg.error():
                    raise KafkaException(msg.error())
                got.append((msg.key(), msg.value(), msg.timestamp()[1]))
        finally:
            consumer.close()
        return got

    copied = read(copy, broker.admin_config(), f"check-{p}")
    assert copied == [(f"k{i}".encode(), f"order-{i}".encode(), 1_700_000_000_000 + i) for i in range(3)]

    # The copy's principal: only the source to read, only the copy to write.
    user = f"{p}analytics-orders_local-v1+copy"
    password = (Path(connect_env["MESHCTL_CONNECT_CREDENTIALS_DIR"]) / f"{user}.properties").read_text()
    password = next(line.split("=", 1)[1] for line in password.splitlines() if line.startswith("sasl.password="))
    as_copy = broker.client_config(user, password)
    _produce(broker, f"{p}sales.salaries.v1", ["salary-1"])
    try:
        read(f"{p}sales.salaries.v1", as_copy, f"x-{p}")
        raise AssertionError("the copy's principal read a product it does not copy")
    except KafkaException as exc:
        assert "authoriz" in str(exc).lower()
    refused = Producer(as_copy | {"log_level": 0, "message.timeout.ms": 5000})
    errors: list[str] = []
    refused.produce(source, b"forged", on_delivery=lambda err, msg: errors.append(str(err)))
    refused.flush(10)
    assert errors and "authoriz" in errors[0].lower()
    # The password is nowhere in the connector's configuration as the REST API returns it.
    _, config = rest_call("GET", f"{connect_worker.url}/connectors/{name}/config")
    assert password not in json.dumps(config) and "${file:" in config["source.cluster.sasl.jaas.config"]

    again = run("plan", "--detailed-exitcode", ".")
    assert again.exit_code == 0, again.output


def test_a_configuration_the_worker_refuses_fails_that_connector_naming_it(
    workdir: Path, prefix: str, connect_worker: ConnectSandbox, connect_env: dict[str, str]
) -> None:
    p = prefix
    broken = f'''resource "kafka_connector" "broken" {{
  name   = "{p}analytics.broken"
  domain = "{p}analytics"
  config = {{
    "connector.class" = "org.apache.kafka.connect.file.FileStreamSinkConnector"
  }}
}}
'''
    write_mesh(workdir, _mesh(p, workdir / "archive.txt", extra=broken))
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 1, applied.output
    assert f"{p}analytics.broken: Kafka Connect refused the configuration" in applied.output
    assert "topics" in applied.output  # the worker's own reason
    assert "Traceback" not in applied.output
    # The rest was applied and recorded; the connector was not.
    state = (workdir / ".meshctl" / "state.json").read_text()
    assert "module.integration_archive.kafka_connector.sink" in state and "kafka_connector.broken" not in state
