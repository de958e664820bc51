"""Client configurations in three forms (design section 6): librdkafka files that
confluent-kafka accepts as they are, Java files whose password a config provider resolves,
and one JSON document with both. The renderer is pure: a mesh in, text out.

librdkafka refuses unknown keys when a client is constructed, without a broker: every
librdkafka file is loaded into a real confluent_kafka Producer or Consumer here, adding only
`sasl.password` (librdkafka wants one before it connects), as the README's loader does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from confluent_kafka import Consumer, KafkaException, Producer

from meshctl.config.loader import LoadOptions, load
from meshctl.mesh.model import Application, Mesh, PrincipalSpec
from meshctl.render.client_config import (
    FORMATS,
    JSON_FORMAT_VERSION,
    ClientConfigError,
    app_reads,
    app_writes,
    client_configs,
)
from tests.helpers import write_mesh

MESH = """
domain "commerce" {
  owners { accountable = "lead@acme.example" }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "sales@acme.example" }
}
domain "analytics" {
  owners { accountable = "data@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
  delivery {
    duplicates = "tolerated"
  }
}
data_product "orders" {
  domain  = "sales"
  version = 2
}
data_product "customers" {
  domain = "sales"
  kind   = "fat_object"
  schema {
    file     = "customers.avsc"
    key_file = "customer-key.avsc"
  }
}
data_product "refunds" {
  domain = "sales"
}
access "analytics_orders" {
  product  = "sales.orders"
  consumer = "analytics"
}
access "analytics_customers" {
  product  = "sales.customers"
  consumer = "analytics"
}
"""

CUSTOMER = {"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}]}
LOCAL = "/home/me/mesh/.meshctl/credentials/{}.properties"
SETTINGS = {"bootstrap.servers": "127.0.0.1:1", "security.protocol": "SASL_PLAINTEXT", "sasl.password": "ADMIN-PW"}
REGISTRY = "http://registry:8081"


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Mesh:
    directory = tmp_path_factory.mktemp("mesh")
    write_mesh(directory, {"m.hcl": MESH, "customers.avsc": json.dumps(CUSTOMER), "customer-key.avsc": '"string"'})
    loaded = load(directory, LoadOptions(env={})).mesh
    src = loaded.products[0].src
    loaded.applications.extend(
        [
            Application("orders_api", "sales", "producer", src, transactional=True, writes=("orders.v2",)),
            Application("backfill", "sales", "producer", src, writes=("refunds",), reads=("sales.orders.v1",)),
            Application("dashboard", "analytics", "consumer", src, reads=("sales.orders", "sales.customers")),
            Application(
                "enricher",
                "sales",
                "streams",
                src,
                transactional=True,
                writes=("customers",),
                reads=("sales.orders.v2",),
            ),
            Application("counter", "analytics", "streams", src, reads=("sales.orders.v2",)),
            Application("lake", "analytics", "connect", src, reads=("sales.orders.v1", "sales.customers")),
        ]
    )
    return loaded


def _app(mesh: Mesh, address: str) -> Application:
    return next(a for a in mesh.applications if a.address == f"application.{address}")


def _properties(text: str) -> dict[str, str]:
    """The README's loader, as a user would write it."""
    return dict(line.strip().split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _configs(mesh: Mesh, who: str, fmt: str, credentials: str | None = None) -> dict[str, str]:
    target: str | Application = _app(mesh, who) if "." in who else who
    user = target.principal_name if isinstance(target, Application) else who
    return client_configs(mesh, target, SETTINGS, credentials or LOCAL.format(user), REGISTRY, fmt)


TARGETS = ["sales", "analytics", "sales.orders_api", "sales.backfill", "analytics.dashboard"]


def _clients(props: dict[str, str], name: str) -> Iterator[object]:
    conf: dict[str, object] = {**props, "sasl.password": "only-the-loader-adds-this", "log_level": 0}
    if name.endswith(".producer.properties"):
        yield Producer(conf)
    else:
        consumer = Consumer(conf)
        yield consumer
        consumer.close()


@pytest.mark.parametrize("who", TARGETS)
@pytest.mark.parametrize("where", ["local", "aws"])
def test_every_librdkafka_file_is_accepted_by_confluent_kafka_as_it_is(mesh: Mesh, who: str, where: str) -> None:
    credentials = None if where == "local" else "secretsmanager:meshctl/kafka/x"
    files = _configs(mesh, who, "librdkafka", credentials)
    assert files
    for name, text in files.items():
        props = _properties(text)
        assert "sasl.password" not in props and "sasl.username" in props
        assert not any(k.startswith(("config.providers", "sasl.jaas", "schema.registry")) for k in props)
        for client in _clients(props, name):  # raises on any key librdkafka does not know
            assert client is not None


def test_a_key_librdkafka_refuses_fails_the_construction() -> None:
    """The test above can fail: a Java-only key is refused when the client is built."""
    for key in ("config.providers", "schema.registry.url"):
        with pytest.raises(KafkaException, match="No such configuration property"):
            Producer({"bootstrap.servers": "127.0.0.1:1", key: "x", "log_level": 0})


def test_librdkafka_header_names_the_variable_and_the_credential_file(mesh: Mesh) -> None:
    text = _configs(mesh, "sales.orders_api", "librdkafka")["orders_api.sales.orders.v2.producer.properties"]
    path = LOCAL.format("sales-orders_api")
    assert f"# password: environment KAFKA_SASL_PASSWORD, or sasl.password in {path}\n" in text
    assert "# meshctl.password.env=KAFKA_SASL_PASSWORD\n" in text
    assert f"# meshctl.password.file={path}\n" in text
    assert _properties(text)["sasl.username"] == "sales-orders_api"
    assert _properties(text)["sasl.mechanism"] == "SCRAM-SHA-512"


def test_librdkafka_header_on_aws_names_the_secret_and_the_command(mesh: Mesh) -> None:
    secret = "meshctl/kafka/analytics-dashboard"
    files = _configs(mesh, "analytics.dashboard", "librdkafka", f"secretsmanager:{secret}")
    text = files["dashboard.sales.orders.v1.consumer.properties"]
    assert f"aws secretsmanager get-secret-value --secret-id {secret} --query SecretString" in text
    assert f"# meshctl.password.secretsmanager={secret}\n" in text
    assert "# meshctl.password.env=KAFKA_SASL_PASSWORD\n" in text
    assert "meshctl.password.file" not in text


def test_java_form_reads_the_password_through_a_config_provider(mesh: Mesh) -> None:
    local = _properties(_configs(mesh, "sales.orders_api", "java")["orders_api.sales.orders.v2.producer.properties"])
    path = LOCAL.format("sales-orders_api")
    assert local["config.providers"] == "file"
    assert local["config.providers.file.class"] == "org.apache.kafka.common.config.provider.FileConfigProvider"
    assert local["sasl.jaas.config"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="sales-orders_api" password="${{file:{path}:sasl.password}}";'
    )
    aws = _configs(mesh, "sales.orders_api", "java", "secretsmanager:meshctl/kafka/sales-orders_api")
    env = _properties(aws["orders_api.sales.orders.v2.producer.properties"])
    assert env["config.providers"] == "env"
    assert env["config.providers.env.class"] == "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
    assert 'password="${env:KAFKA_SASL_PASSWORD}";' in env["sasl.jaas.config"]
    assert "sasl.username" not in env and "sasl.password" not in env


def test_the_same_file_names_in_both_properties_forms(mesh: Mesh) -> None:
    for who in TARGETS:
        assert set(_configs(mesh, who, "java")) == set(_configs(mesh, who, "librdkafka"))


def test_a_domain_gets_its_products_and_grants_but_not_what_its_apps_write(mesh: Mesh) -> None:
    # orders v2 (orders_api), customers (enricher) and refunds (backfill) are written by apps now
    assert sorted(_configs(mesh, "sales", "java")) == ["sales.orders.v1.producer.properties"]
    assert sorted(_configs(mesh, "analytics", "java")) == [
        "sales.customers.v1.consumer.properties",
        "sales.orders.v1.consumer.properties",
        "sales.orders.v2.consumer.properties",
    ]


def test_an_app_gets_producer_files_for_its_writes_and_consumer_files_for_its_reads(mesh: Mesh) -> None:
    assert sorted(_configs(mesh, "sales.backfill", "librdkafka")) == [
        "backfill.sales.orders.v1.consumer.properties",
        "backfill.sales.refunds.v1.producer.properties",
    ]
    assert sorted(_configs(mesh, "analytics.dashboard", "java")) == [
        "dashboard.sales.customers.v1.consumer.properties",
        "dashboard.sales.orders.v1.consumer.properties",
        "dashboard.sales.orders.v2.consumer.properties",
    ]


def test_producer_delivery_settings(mesh: Mesh) -> None:
    for fmt in ("java", "librdkafka"):
        text = _configs(mesh, "sales.backfill", fmt)["backfill.sales.refunds.v1.producer.properties"]
        props = _properties(text)
        assert props["enable.idempotence"] == "true" and props["acks"] == "all"
        assert "transactional.id" not in props  # not transactional
        assert (
            "# Producer settings for User:sales-backfill: writes sales.refunds v1 (commerce.sales.refunds.v1)." in text
        )


def test_a_producer_declared_not_idempotent_gets_its_settings_and_says_why(mesh: Mesh) -> None:
    plain = _app(mesh, "sales.backfill")
    off = replace(plain, idempotent=False)
    user = LOCAL.format(off.principal_name)
    for fmt in ("java", "librdkafka"):
        files = client_configs(mesh, off, SETTINGS, user, REGISTRY, fmt)
        text = files["backfill.sales.refunds.v1.producer.properties"]
        props = _properties(text)
        assert props["enable.idempotence"] == "false" and props["acks"] == "all"
        assert props["max.in.flight.requests.per.connection"] == "1"
        assert "# Off the happy path (a non_idempotent_producer exception)" in text
    (doc,) = client_configs(mesh, off, SETTINGS, user, REGISTRY, "json").values()
    producer = next(c for c in json.loads(doc)["clients"] if c["role"] == "producer")
    assert producer["idempotent"] is False
    (happy,) = client_configs(mesh, plain, SETTINGS, user, REGISTRY, "json").values()
    assert all("idempotent" not in c for c in json.loads(happy)["clients"])  # the happy path: as before


def test_a_transactional_producer_gets_its_first_transactional_id(mesh: Mesh) -> None:
    for fmt in ("java", "librdkafka"):
        text = _configs(mesh, "sales.orders_api", fmt)["orders_api.sales.orders.v2.producer.properties"]
        assert _properties(text)["transactional.id"] == "txn.sales-orders_api.0"
        assert "# One per running instance: replace 0 by a stable instance index.\n" in text
        assert 'must start with "txn.sales-orders_api."' in text


def test_consumer_settings_and_the_delivery_contract_as_comments(mesh: Mesh) -> None:
    for fmt in ("java", "librdkafka"):
        text = _configs(mesh, "analytics.dashboard", fmt)["dashboard.sales.orders.v1.consumer.properties"]
        props = _properties(text)
        assert props["group.id"] == "grp.analytics-dashboard.sales.orders.v1"
        assert props["isolation.level"] == "read_committed"
        assert props["enable.auto.commit"] == "false" and props["auto.offset.reset"] == "earliest"
        assert "# Delivery contract: duplicates=tolerated\n" in text
        assert "# Duplicates may arrive: make processing idempotent" in text


def test_group_ids_are_unique_per_principal_and_product_version_mesh_wide(mesh: Mesh) -> None:
    seen: dict[str, str] = {}
    for who in TARGETS:
        for name, text in _configs(mesh, who, "librdkafka").items():
            group = _properties(text).get("group.id")
            if group:
                assert group not in seen, f"{name} of {who} shares {group} with {seen[group]}"
                seen[group] = f"{name} of {who}"
                principal = _properties(text)["sasl.username"]
                assert group.startswith(f"grp.{principal}.")
    assert len(seen) == 3 + 1 + 3  # analytics, backfill, dashboard


def test_schema_registry_url_only_where_the_product_has_a_schema(mesh: Mesh) -> None:
    java = _configs(mesh, "analytics.dashboard", "java")
    assert _properties(java["dashboard.sales.customers.v1.consumer.properties"])["schema.registry.url"] == REGISTRY
    assert "schema.registry.url" not in java["dashboard.sales.orders.v1.consumer.properties"]
    librdkafka = _configs(mesh, "analytics.dashboard", "librdkafka")["dashboard.sales.customers.v1.consumer.properties"]
    assert f"# meshctl.schema.registry.url={REGISTRY}\n" in librdkafka  # a comment: librdkafka refuses the key
    assert "subject commerce.sales.customers.v1-value (AVRO, BACKWARD); key schema: subject" in librdkafka


def test_streams_app_file(mesh: Mesh) -> None:
    eos = _properties(_configs(mesh, "sales.enricher", "java")["enricher.streams.properties"])
    assert eos["application.id"] == "sales-enricher.streams"
    assert eos["processing.guarantee"] == "exactly_once_v2"
    assert 'username="sales-enricher"' in eos["sasl.jaas.config"]
    assert eos["schema.registry.url"] == REGISTRY  # it writes customers, which has a schema
    alos = _configs(mesh, "analytics.counter", "java")
    assert list(alos) == ["counter.streams.properties"]
    props = _properties(alos["counter.streams.properties"])
    assert props["processing.guarantee"] == "at_least_once" and props["consumer.isolation.level"] == "read_committed"
    assert "schema.registry.url" not in props


def test_connect_worker_file(mesh: Mesh) -> None:
    files = _configs(mesh, "analytics.lake", "java", "secretsmanager:meshctl/kafka/analytics-lake")
    assert list(files) == ["lake.connect-worker.properties"]
    props = _properties(files["lake.connect-worker.properties"])
    assert props["group.id"] == "analytics-lake.connect"
    assert props["config.storage.topic"] == "analytics-lake.connect-configs"
    assert props["offset.storage.topic"] == "analytics-lake.connect-offsets"
    assert props["status.storage.topic"] == "analytics-lake.connect-status"
    assert props["topic.creation.enable"] == "false"
    for kind in ("config", "offset", "status"):
        assert props[f"{kind}.storage.replication.factor"] == "-1"
    for client in ("", "producer.", "consumer.", "admin."):  # the connectors' clients log in as the app too
        assert 'username="analytics-lake" password="${env:KAFKA_SASL_PASSWORD}";' in props[f"{client}sasl.jaas.config"]
    assert 'Name every connector "analytics-lake.<name>"' in files["lake.connect-worker.properties"]


@pytest.mark.parametrize("who", ["sales.enricher", "analytics.lake"])
def test_jvm_only_apps_have_no_librdkafka_form(mesh: Mesh, who: str) -> None:
    with pytest.raises(ClientConfigError, match="runs on the JVM, so its configuration exists in --format java"):
        _configs(mesh, who, "librdkafka")


def test_unknown_format_is_refused(mesh: Mesh) -> None:
    with pytest.raises(ClientConfigError, match="unknown format 'yaml'"):
        _configs(mesh, "sales", "yaml")


@pytest.mark.parametrize("who", [*TARGETS, "sales.enricher", "analytics.lake"])
def test_json_is_one_document_with_both_forms_of_every_file(mesh: Mesh, who: str) -> None:
    (name, text), *rest = _configs(mesh, who, "json").items()
    assert not rest
    doc = json.loads(text)
    principal = _app(mesh, who).principal_name if "." in who else who
    assert name == f"{principal}.client-config.json"
    assert doc["format_version"] == JSON_FORMAT_VERSION and doc["principal"] == principal
    assert doc["password"] == {"env": "KAFKA_SASL_PASSWORD", "file": LOCAL.format(principal), "key": "sasl.password"}
    java = _configs(mesh, who, "java")
    assert sorted(c["name"] + ".properties" for c in doc["clients"]) == sorted(java)
    for c in doc["clients"]:
        assert c["java"] == _properties(java[c["name"] + ".properties"])  # the same settings, as data
        if c["client"] is not None:
            assert c["client"] == _properties(_configs(mesh, who, "librdkafka")[c["name"] + ".properties"])
        assert {"role", "topic", "group_id", "transactional_id", "delivery", "schema_registry_url"} <= set(c)


def test_json_facts_of_a_transactional_producer_and_the_secret_reference(mesh: Mesh) -> None:
    text = _configs(mesh, "sales.orders_api", "json", "secretsmanager:meshctl/kafka/sales-orders_api")
    doc = json.loads(next(iter(text.values())))
    assert doc["password"] == {
        "env": "KAFKA_SASL_PASSWORD",
        "secretsmanager": "meshctl/kafka/sales-orders_api",
        "key": "password",
    }
    assert doc["owner"] == {"domain": "sales", "application": "orders_api", "kind": "producer", "transactional": True}
    (client,) = doc["clients"]
    assert client["transactional_id"] == "txn.sales-orders_api.0"
    assert client["transactional_id_prefix"] == "txn.sales-orders_api."
    assert (
        client["topic"] == "commerce.sales.orders.v2" and client["product"] == "sales.orders" and client["version"] == 2
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_setting_of_meshctls_own_connection_leaks_into_a_client_file(mesh: Mesh, fmt: str) -> None:
    """meshctl's settings hold its own password; only bootstrap and protocol are taken."""
    for who in [*TARGETS, "sales.enricher", "analytics.lake"]:
        if fmt == "librdkafka" and who in ("sales.enricher", "analytics.lake"):
            continue
        for text in _configs(mesh, who, fmt).values():
            assert "ADMIN-PW" not in text


def test_resolving_reads_and_writes(mesh: Mesh) -> None:
    assert [p.address for p in app_writes(mesh, _app(mesh, "sales.orders_api"))] == ["data_product.sales.orders.v2"]
    assert [p.address for p in app_reads(mesh, _app(mesh, "analytics.dashboard"))] == [
        "data_product.sales.customers.v1",
        "data_product.sales.orders.v1",
        "data_product.sales.orders.v2",
    ]


def test_the_mechanism_is_the_principals_not_meshctls_own(mesh: Mesh) -> None:
    """meshctl may log in with SCRAM-SHA-256; the domain's credential is SCRAM-SHA-512 (compile)
    and an application's is its principal block's."""
    settings = SETTINGS | {"sasl.mechanism": "SCRAM-SHA-256"}
    domain = client_configs(mesh, "analytics", settings, LOCAL.format("analytics"), REGISTRY, "librdkafka")
    assert {_properties(t)["sasl.mechanism"] for t in domain.values()} == {"SCRAM-SHA-512"}
    app = replace(_app(mesh, "analytics.dashboard"), principal=PrincipalSpec(mechanism="SCRAM-SHA-256"))
    files = client_configs(mesh, app, SETTINGS, LOCAL.format("x"), REGISTRY, "java")
    assert {_properties(t)["sasl.mechanism"] for t in files.values()} == {"SCRAM-SHA-256"}
