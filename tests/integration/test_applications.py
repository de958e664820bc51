"""Applications proven with real clients on the real broker (issue 10 deliverable 5, design
section 9): confluent-kafka and the Java client using the files `meshctl client-config` wrote,
as they are (librdkafka: plus only `sasl.password` from the variable the header names; Java:
the password through its config provider), a transactional producer of each language, a real
Kafka Streams application with exactly-once, every denial the design promises with the error
the broker gives, and the measurement of the Streams internal-topic ACL set.

One mesh is applied once for the module; each test tags its records (and Streams keys) so tests
sharing topics and the apps' consumer groups only look at their own."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from meshctl.naming import secret_name
from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil
from tests.integration.clients import librdkafka
from tests.integration.clients.jvm import JavaClients, Outcome

TOPIC_DENIED = "TOPIC_AUTHORIZATION_FAILED"
GROUP_DENIED = "GROUP_AUTHORIZATION_FAILED"
TXN_DENIED = "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
CLUSTER_DENIED = "CLUSTER_AUTHORIZATION_FAILED"
# Streams' internal-topic operations measured one at a time (an application per operation, so
# each starts without internal topics), with what removing it does on Kafka 4.1.2.
DENIED, UNPURGED, RUNS = "denied", "repartition topic never purged", "runs"
MEASURED = {
    "CREATE": DENIED,  # creating the repartition topic: TOPIC_AUTHORIZATION_FAILED
    "READ": DENIED,  # the restore consumer reading the changelog
    "WRITE": DENIED,  # producing to the repartition topic
    "DELETE": UNPURGED,  # DeleteRecords after each commit fails, logged at DEBUG only
    "DESCRIBE": RUNS,  # implied by READ, WRITE and DELETE
    "DESCRIBE_CONFIGS": RUNS,  # Streams 4.1 never describes its topics' configs
}


def _mesh(p: str, aws: bool = False, measure: bool = True) -> dict[str, str]:
    owners = '  owners { accountable = "o@acme.example" }\n'

    def product(name: str, partitions: int = 1) -> str:
        return f'data_product "{name}" {{\n  domain = "{p}sales"\n  topic {{\n    partitions = {partitions}\n  }}\n}}\n'

    def grant(name: str) -> str:
        return f'access "{name}" {{\n  product  = "{p}sales.{name}"\n  consumer = "{p}analytics"\n}}\n'

    def app(name: str, domain: str, kind: str, *lines: str) -> str:
        body = "".join(f"  {line}\n" for line in lines)
        return f'application "{name}" {{\n  domain = "{p}{domain}"\n  kind   = "{kind}"\n{body}}}\n'

    orders, returns, enriched = (f'"{p}sales.{n}"' for n in ("orders", "returns", "orders_enriched"))
    apps = [
        app("orders_api", "sales", "producer", "transactional = true", 'writes = ["orders"]'),
        app("returns_api", "sales", "producer", 'writes = ["returns"]'),
        app("dashboard", "analytics", "consumer", f"reads = [{orders}, {returns}, {enriched}]"),
    ]
    if not aws:
        apps += [
            app("auditor", "analytics", "consumer", f"reads = [{returns}]"),
            app(
                "enricher",
                "sales",
                "streams",
                "transactional = true",
                f"reads = [{orders}]",
                'writes = ["orders_enriched"]',
            ),
            app("fraud", "analytics", "streams", f"reads = [{orders}]"),
        ]
    if measure and not aws:
        apps += [
            app(_measuring(op), "sales", "streams", "transactional = true", f"reads = [{orders}]") for op in MEASURED
        ]
    aws_block = 'aws {\n  region = "eu-west-1"\n}\n' if aws else ""
    return {
        "main.hcl": aws_block
        + 'kafka {\n  request_timeout = "20s"\n}\n'
        + f'domain "{p}sales" {{\n{owners}}}\ndomain "{p}analytics" {{\n{owners}}}\n'
        + product("orders", partitions=2)
        + product("returns")
        + product("orders_enriched")
        + product("customers")  # no app writes it: the domain keeps WRITE on it
        + grant("orders")
        + grant("returns")
        + grant("orders_enriched"),
        "apps.hcl": "".join(apps),
    }


def _measuring(operation: str) -> str:
    """The streams application whose internal-topic ACL lacks `operation` for the measurement."""
    return f"without_{operation.lower()}"


@dataclass
class Mesh:
    """The applied mesh: its directory, prefix and the client files meshctl generated."""

    path: Path
    p: str

    def principal(self, app: str) -> str:
        domain = "analytics" if app in ("dashboard", "auditor", "fraud") else "sales"
        return f"{self.p}{domain}-{app}"

    def topic(self, product: str) -> str:
        return f"{self.p}sales.{product}.v1"

    def files(self, app: str, fmt: str) -> dict[str, Path]:
        """`meshctl client-config <domain>.<app> --format fmt`: file name -> path."""
        domain = self.principal(app).split("-", 1)[0]
        out = self.path / "client-config" / fmt / app
        result = run("client-config", f"{domain}.{app}", "--format", fmt, "--out", str(out), str(self.path))
        assert result.exit_code == 0, result.output
        return {f.name: f for f in out.iterdir()}

    def file(self, app: str, fmt: str, product: str = "", role: str = "") -> Path:
        """One app's generated file: `<app>.<domain>.<product>.v1.<role>.properties`, or
        `<app>.streams.properties` without a product."""
        name = f"{app}.{self.p}sales.{product}.v1.{role}.properties" if product else f"{app}.streams.properties"
        files = self.files(app, fmt)
        assert name in files, sorted(files)
        return files[name]

    def password(self, app: str) -> str:
        creds = self.path / ".meshctl" / "credentials" / f"{self.principal(app)}.properties"
        return kafkautil.read_properties(creds)["sasl.password"]

    def librdkafka(self, app: str, product: str, role: str) -> dict[str, str]:
        """The app's librdkafka file, loaded as it is plus the password from the variable it names."""
        path = self.file(app, "librdkafka", product, role)
        return librdkafka.load(path, {_password_variable(path): self.password(app)})


def _password_variable(path: Path) -> str:
    marked = [
        line.split("=", 1)[1] for line in path.read_text().splitlines() if line.startswith("# meshctl.password.env=")
    ]
    assert marked, path.read_text()
    return marked[0]


@pytest.fixture(scope="module")
def mesh(kafka: KafkaSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """The mesh of this module, applied once under its own prefix."""
    if not kafka.is_running():
        kafka.start(timeout=120)
    path = tmp_path_factory.mktemp("applications")
    p = f"t{uuid.uuid4().hex[:5]}"
    with pytest.MonkeyPatch.context() as mp:
        for line in kafka.env_lines():
            key, value = line.removeprefix("export ").split("=", 1)
            mp.setenv(key, value.strip("'"))
        mp.chdir(path)
        write_mesh(path, _mesh(p))
        applied = run("apply", "--auto-approve", "--no-color", str(path))
        assert applied.exit_code == 0, applied.output
        yield Mesh(path, p)


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _ok(outcome: Outcome) -> Outcome:
    assert outcome.ok, outcome
    return outcome


def _mine(values: list[str] | str, tag: str) -> list[str]:
    assert isinstance(values, list), values
    return [v for v in values if v.startswith(tag)]


# -- (a) confluent-kafka with the librdkafka files ------------------------------------------


def test_python_clients_round_trip_with_the_librdkafka_files(
    mesh: Mesh, admin: AdminClient, java_clients: JavaClients
) -> None:
    tag = _tag()
    producer = mesh.librdkafka("returns_api", "returns", "producer")
    assert producer["enable.idempotence"] == "true" and producer["acks"] == "all"
    assert producer["sasl.username"] == mesh.principal("returns_api")
    values = [f"{tag}-return-{i}" for i in range(5)]
    assert librdkafka.produce(producer, mesh.topic("returns"), values) is None
    consumer = mesh.librdkafka("dashboard", "returns", "consumer")
    assert consumer["group.id"] == f"grp.{mesh.principal('dashboard')}.{mesh.p}sales.returns.v1"
    assert consumer["isolation.level"] == "read_committed"
    assert sorted(_mine(librdkafka.consume(consumer, mesh.topic("returns"), expect=5), tag)) == values

    # The idempotent producer initialised without any CLUSTER IDEMPOTENT_WRITE (KIP-679: WRITE on
    # a topic authorises InitProducerId): meshctl granted none ...
    apps = {mesh.principal(a) for a in ("orders_api", "returns_api", "dashboard", "auditor", "enricher", "fraud")}
    granted = kafkautil.acls(admin, {f"User:{u}" for u in apps})
    assert granted and not [b for b in granted if b[1] == "BROKER" or b[4] == "IDEMPOTENT_WRITE"], granted
    # ... and an idempotent producer of a principal with no WRITE on any topic is refused the
    # producer id itself (a consumer app's file used by a producer: test only).
    auditor = mesh.file("auditor", "java", "returns", "consumer")
    refused = java_clients.run("Produce", auditor, mesh.topic("returns"), "1", password=None)
    assert refused.error == CLUSTER_DENIED, refused


# -- (b) the Java client with the Java files -------------------------------------------------


def test_java_clients_round_trip_with_the_java_files_and_local_credentials(
    mesh: Mesh, java_clients: JavaClients
) -> None:
    """Local credentials: the files read the password with FileConfigProvider from the credential
    file, so the programs run without KAFKA_SASL_PASSWORD."""
    tag = _tag()
    producer = mesh.file("returns_api", "java", "returns", "producer")
    assert "${file:" in producer.read_text() and "password=" not in producer.read_text().replace('password="$', "")
    sent = _ok(java_clients.run("Produce", producer, mesh.topic("returns"), "4", "--tag", tag, password=None))
    consumer = mesh.file("dashboard", "java", "returns", "consumer")
    got = _ok(java_clients.run("Consume", consumer, mesh.topic("returns"), "--expect", "4", password=None))
    assert sorted(_mine([str(v) for v in got.values()], tag)) == sorted(str(v) for v in sent.values())
    assert len(sent.values()) == 4


def test_java_clients_round_trip_with_the_java_files_and_secrets_manager(
    workdir: Path, prefix: str, aws_env: dict[str, str], java_clients: JavaClients
) -> None:
    """On AWS the password is in Secrets Manager only: the files read it with EnvVarConfigProvider
    from KAFKA_SASL_PASSWORD, which the user's shell fills from the secret."""
    p = prefix
    write_mesh(workdir, _mesh(p, aws=True))
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output
    aws_mesh = Mesh(workdir, p)
    sm = boto3.client("secretsmanager")

    def password(app: str) -> str:
        secret = sm.get_secret_value(SecretId=secret_name(aws_mesh.principal(app)))["SecretString"]
        return str(json.loads(secret)["password"])

    tag = _tag()
    producer = aws_mesh.file("returns_api", "java", "returns", "producer")
    assert "${env:KAFKA_SASL_PASSWORD}" in producer.read_text()
    assert not (workdir / ".meshctl" / "credentials" / f"{aws_mesh.principal('returns_api')}.properties").exists()
    sent = _ok(
        java_clients.run(
            "Produce", producer, aws_mesh.topic("returns"), "3", "--tag", tag, password=password("returns_api")
        )
    )
    consumer = aws_mesh.file("dashboard", "java", "returns", "consumer")
    got = _ok(
        java_clients.run(
            "Consume", consumer, aws_mesh.topic("returns"), "--expect", "3", password=password("dashboard")
        )
    )
    assert sorted(_mine([str(v) for v in got.values()], tag)) == sorted(str(v) for v in sent.values())
    # Without the variable the Java client cannot log in: the file holds no password.
    refused = java_clients.run("Produce", producer, aws_mesh.topic("returns"), "1", password="wrong", timeout=120)
    assert refused.error == "SASL_AUTHENTICATION_FAILED", refused


# -- (c) transactions ------------------------------------------------------------------------


def test_transactional_producers_commit_and_abort_and_read_committed_sees_only_commits(
    mesh: Mesh, java_clients: JavaClients
) -> None:
    tag = _tag()
    java_file = mesh.file("orders_api", "java", "orders", "producer")
    assert f"transactional.id=txn.{mesh.principal('orders_api')}.0" in java_file.read_text()
    java = _ok(
        java_clients.run("Produce", java_file, mesh.topic("orders"), "3", "--tag", f"{tag}-java-", password=None)
    )
    assert java.lines[-1] == {"committed": 3, "aborted": 3}
    python = mesh.librdkafka("orders_api", "orders", "producer")
    assert python["transactional.id"] == f"txn.{mesh.principal('orders_api')}.0"
    committed = [f"{tag}-python-committed-{i}" for i in range(3)]
    aborted = [f"{tag}-python-aborted-{i}" for i in range(3)]
    assert librdkafka.produce(python, mesh.topic("orders"), committed, transactional_abort=aborted) is None

    consumer = mesh.file("dashboard", "java", "orders", "consumer")
    assert "isolation.level=read_committed" in consumer.read_text()
    got = _ok(java_clients.run("Consume", consumer, mesh.topic("orders"), "--expect", "6", password=None))
    expected = [f"{tag}-java-committed-{i}" for i in range(3)] + committed
    assert sorted(_mine([str(v) for v in got.values()], tag)) == sorted(expected)


# -- (d) Kafka Streams -----------------------------------------------------------------------


def _latest(outcome: Outcome, tag: str) -> dict[str, str]:
    return {str(line["key"]): str(line["value"]) for line in outcome.lines if str(line.get("key", "")).startswith(tag)}


def test_a_streams_application_creates_its_internal_topics_and_counts_exactly_once(
    mesh: Mesh, java_clients: JavaClients, admin: AdminClient, tmp_path: Path
) -> None:
    tag = _tag()
    customers = [f"{tag}-{c}" for c in ("c1", "c2", "c1", "c3", "c1")]
    orders_api = mesh.file("orders_api", "java", "orders", "producer")
    # Committed and aborted: exactly-once Streams reads only the committed five.
    _ok(
        java_clients.run(
            "Produce", orders_api, mesh.topic("orders"), "5", "--values", ",".join(customers), password=None
        )
    )
    streams = mesh.file("enricher", "java")
    text = streams.read_text()
    app_id = f"{mesh.principal('enricher')}.streams"
    assert f"application.id={app_id}" in text and "processing.guarantee=exactly_once_v2" in text
    enrich = ("Enrich", streams, mesh.topic("orders"), mesh.topic("orders_enriched"))
    first = _ok(
        java_clients.run(
            *enrich, "--expect", "5", "--key-prefix", tag, "--state-dir", str(tmp_path / "a"), password=None
        )
    )
    assert _latest(first, tag) == {
        customers[0]: f"{customers[0]}=3",
        customers[1]: f"{customers[1]}=1",
        customers[3]: f"{customers[3]}=1",
    }
    internal = kafkautil.topics(admin, f"{mesh.principal('enricher')}.")
    assert set(internal) == {f"{app_id}-by-customer-repartition", f"{app_id}-orders-per-customer-changelog"}, internal
    # Streams keeps repartition records forever (retention.ms=-1) and deletes them itself once
    # consumed (DeleteRecords): why the app needs DELETE on its namespace.
    repartition = f"{app_id}-by-customer-repartition"
    assert kafkautil.topic_configs(admin, [repartition])[repartition].get("retention.ms") == "-1"

    # A second instance with empty local state restores the counts from the changelog.
    _ok(
        java_clients.run(
            "Produce",
            orders_api,
            mesh.topic("orders"),
            "2",
            "--values",
            f"{customers[0]},{customers[1]}",
            password=None,
        )
    )
    second = _ok(
        java_clients.run(
            *enrich, "--expect", "2", "--key-prefix", tag, "--state-dir", str(tmp_path / "b"), password=None
        )
    )
    assert _latest(second, tag) == {customers[0]: f"{customers[0]}=4", customers[1]: f"{customers[1]}=2"}

    # What it wrote is committed output, read by the consumer app that reads the product.
    dashboard = mesh.file("dashboard", "java", "orders_enriched", "consumer")
    read = _ok(java_clients.run("Consume", dashboard, mesh.topic("orders_enriched"), "--expect", "7", password=None))
    mine = [str(line["value"]) for line in read.lines if str(line.get("key", "")).startswith(tag)]
    assert sorted(mine) == sorted(
        str(line["value"]) for o in (first, second) for line in o.lines if str(line.get("key", "")).startswith(tag)
    )


# -- (e) denials -----------------------------------------------------------------------------


def test_every_denial_is_the_brokers_with_the_exact_error(
    mesh: Mesh, java_clients: JavaClients, broker: KafkaSandbox
) -> None:
    orders, returns = mesh.topic("orders"), mesh.topic("returns")

    def java(program: str, config: Path, *args: str, **overrides: str) -> str | None:
        outcome = java_clients.run(
            program, config, *args, password=None, overrides=dict(overrides) or None, timeout=120
        )
        assert not outcome.ok, outcome
        return outcome.error

    # An app writes another app's product (it may write its own, so it gets a producer id).
    returns_api = mesh.file("returns_api", "java", "returns", "producer")
    assert java("Produce", returns_api, orders, "1") == TOPIC_DENIED
    assert librdkafka.produce(mesh.librdkafka("returns_api", "returns", "producer"), orders, ["x"]) == TOPIC_DENIED
    # The domain principal no longer writes a product an app writes (it still writes `customers`).
    sales = kafkautil.read_properties(mesh.path / ".meshctl" / "credentials" / f"{mesh.p}sales.properties")
    assert kafkautil.produce(sales, orders, b"x") == TOPIC_DENIED
    assert kafkautil.produce(sales, mesh.topic("customers"), b"x") is None

    # A consumer app joins another app's group, or its domain's.
    dashboard = mesh.file("dashboard", "java", "returns", "consumer")
    auditor_group = f"grp.{mesh.principal('auditor')}.{mesh.p}sales.returns.v1"
    assert java("Consume", dashboard, returns, **{"group.id": auditor_group}) == GROUP_DENIED
    assert (
        java("Consume", dashboard, returns, **{"group.id": f"grp.{mesh.p}analytics.{mesh.p}sales.returns.v1"})
        == GROUP_DENIED
    )
    python = mesh.librdkafka("dashboard", "returns", "consumer") | {"group.id": auditor_group}
    assert librdkafka.consume(python, returns, timeout=30) == GROUP_DENIED

    # A consumer reads a product its domain is granted but its reads do not name.
    auditor = mesh.file("auditor", "java", "returns", "consumer")
    assert java("Consume", auditor, orders) == TOPIC_DENIED

    # A transactional producer uses another app's transactional id.
    orders_api = mesh.file("orders_api", "java", "orders", "producer")
    assert (
        java("Produce", orders_api, orders, "1", **{"transactional.id": f"txn.{mesh.principal('returns_api')}.0"})
        == TXN_DENIED
    )
    assert (
        librdkafka.produce(
            mesh.librdkafka("orders_api", "orders", "producer")
            | {"transactional.id": f"txn.{mesh.principal('fraud')}.0"},
            orders,
            ["x"],
        )
        == TXN_DENIED
    )

    # A Streams app with another app's application.id: the group is refused (a topology without
    # internal topics); with a repartition topic, that topic under the other app's name is refused.
    fraud = mesh.file("fraud", "java")
    enricher_id = f"{mesh.principal('enricher')}.streams"
    assert java("Enrich", fraud, orders, "-", "--stateless", "true", **{"application.id": enricher_id}) == GROUP_DENIED
    assert java("Enrich", fraud, orders, "-", **{"application.id": enricher_id}) == TOPIC_DENIED
    # ... and another app's internal topics can be neither written, read nor created.
    changelog = f"{enricher_id}-orders-per-customer-changelog"
    assert java("Produce", fraud, changelog, "1") == TOPIC_DENIED
    assert java("Consume", fraud, changelog, **{"group.id": f"{mesh.principal('fraud')}.streams"}) == TOPIC_DENIED
    fraud_admin = AdminClient(broker.client_config(mesh.principal("fraud"), mesh.password("fraud")) | {"log_level": 0})
    created = fraud_admin.create_topics([NewTopic(f"{enricher_id}-x-changelog", 1, 1)], operation_timeout=10)
    with pytest.raises(Exception) as refused:
        created[f"{enricher_id}-x-changelog"].result(timeout=20)
    assert refused.value.args[0].name() == TOPIC_DENIED
    # Its own namespace it may create in (what CREATE on `<P>.` is for).
    mine = f"{mesh.principal('fraud')}.streams-x-changelog"
    fraud_admin.create_topics([NewTopic(mine, 1, 1)], operation_timeout=10)[mine].result(timeout=20)


# -- (f) the Streams internal-topic ACL set, measured ----------------------------------------


def _internal_acl(principal: str, operation: str) -> AclBinding:
    return AclBinding(
        ResourceType.TOPIC,
        f"{principal}.",
        ResourcePatternType.PREFIXED,
        f"User:{principal}",
        "*",
        AclOperation[operation],
        AclPermissionType.ALLOW,
    )


def _settled(admin: AdminClient, principal: str, operations: set[str]) -> None:
    """Wait until the broker serves exactly `operations` on the app's namespace."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        live = {
            op
            for _, rtype, name, pattern, op in kafkautil.acls(admin, {f"User:{principal}"})
            if rtype == "TOPIC" and name == f"{principal}." and pattern == "PREFIXED"
        }
        if live == operations:
            return
        time.sleep(0.2)
    raise AssertionError(f"{principal}: {live} != {operations}")


def _low_watermarks(broker: KafkaSandbox, topic: str) -> list[int]:
    consumer = Consumer(broker.admin_config() | {"group.id": "measure", "log_level": 0})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return [consumer.get_watermark_offsets(TopicPartition(topic, n), timeout=10)[0] for n in sorted(partitions)]
    finally:
        consumer.close()


def test_the_streams_internal_topic_acls_measured_one_operation_at_a_time(
    mesh: Mesh, java_clients: JavaClients, admin: AdminClient, broker: KafkaSandbox, tmp_path: Path
) -> None:
    """Each operation of the compiled `<P>.` PREFIXED set is removed from one streams app (the
    binding deleted with the admin client), the app runs from scratch, and the binding is put
    back; the app then runs. ALTER_CONFIGS is never granted: every app runs without it."""
    orders_api = mesh.file("orders_api", "java", "orders", "producer")
    orders = mesh.topic("orders")
    _ok(java_clients.run("Produce", orders_api, orders, "2", password=None))

    def enrich(app: str, run_no: int) -> Outcome:
        """One run from scratch (a new state dir); 5 s more after its first output, so that it
        commits and purges its repartition topic."""
        config, state = mesh.file(app, "java"), str(tmp_path / f"{app}-{run_no}")
        args = ("-", "--timeout", "60", "--linger", "5", "--state-dir", state)
        return java_clients.run("Enrich", config, orders, *args, password=None)

    measured: dict[str, str] = {}
    for operation, expected in MEASURED.items():
        app = _measuring(operation)
        principal = mesh.principal(app)
        granted = {
            op
            for _, rtype, name, _, op in kafkautil.acls(admin, {f"User:{principal}"})
            if rtype == "TOPIC" and name == f"{principal}."
        }
        assert "ALTER_CONFIGS" not in granted
        if operation not in granted:  # compiled without it (the measurement told it is not needed)
            assert expected == RUNS, (operation, granted)
            measured[operation] = "not granted"
            continue
        binding = _internal_acl(principal, operation)
        for fut in admin.delete_acls([_filter(binding)]).values():
            fut.result(timeout=20)
        _settled(admin, principal, granted - {operation})
        without = enrich(app, 1)
        repartition = f"{principal}.streams-by-customer-repartition"
        if expected == DENIED:
            assert not without.ok and without.error == TOPIC_DENIED, (operation, str(without))
            measured[operation] = f"{without.error} ({without.error_class})"
        else:
            assert without.ok, (operation, str(without))
            purged = any(_low_watermarks(broker, repartition))
            assert purged == (expected == RUNS), (operation, _low_watermarks(broker, repartition))
            measured[operation] = expected
        # Put back: the same app then runs (from where it stopped) and purges.
        for fut in admin.create_acls([binding]).values():
            fut.result(timeout=20)
        _settled(admin, principal, granted)
        if expected != RUNS:
            _ok(java_clients.run("Produce", orders_api, orders, "1", password=None))
            _ok(enrich(app, 2))
            assert any(_low_watermarks(broker, repartition)), operation
    print("\nStreams internal-topic ACLs, one operation removed at a time:")
    for operation, outcome in measured.items():
        print(f"  {operation:<17} {outcome}")
    # Everything put back: the live ACLs are the compiled ones again.
    plan = run("plan", "--no-color", "--detailed-exitcode", str(mesh.path))
    assert plan.exit_code == 0, plan.output


def _filter(b: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(
        b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation, b.permission_type
    )
