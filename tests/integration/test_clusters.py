"""Two clusters of one environment against two real brokers: broker A is the cluster "default",
broker B the cluster "eu". Each product's topic, each principal and each ACL is created on the
cluster where its products live and nowhere else, real clients read and write with the
credentials meshctl stored per cluster, and a re-plan finds nothing to do."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
from confluent_kafka.schema_registry import SchemaRegistryClient

from meshctl.engine.workspace import Workspace
from meshctl_sandbox.kafka import KafkaSandbox
from meshctl_sandbox.registry import RegistrySandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration import kafkautil
from tests.integration.test_client_configs import _client_config, _conf, _consume, _produce


@pytest.fixture
def eu_env(broker_b: KafkaSandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Cluster eu's connection, in the variables of a named cluster: MESHCTL_KAFKA_EU_*."""
    env = {}
    for line in broker_b.env_lines():
        key, value = line.removeprefix("export ").split("=", 1)
        env[key.replace("MESHCTL_KAFKA_", "MESHCTL_KAFKA_EU_")] = value.strip("'")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _files(p: str, returns_cluster: str = "default") -> dict[str, str]:
    """commerce on default; sales (its child) and analytics on eu; sales.returns placed back on
    default; ops on default reads returns, analytics on eu reads orders."""
    return {
        "main.hcl": f'''
kafka {{
  request_timeout = "20s"
}}
kafka "eu" {{
  request_timeout = "20s"
}}
domain "{p}commerce" {{
  owners {{ accountable = "lead@acme.example" }}
}}
domain "{p}sales" {{
  parent  = "{p}commerce"
  cluster = "eu"
  owners {{ accountable = "sales@acme.example" }}
}}
domain "{p}analytics" {{
  cluster = "eu"
  owners {{ accountable = "data@acme.example" }}
}}
domain "{p}ops" {{
  owners {{ accountable = "ops@acme.example" }}
}}
data_product "orders" {{
  domain = "{p}sales"
  topic {{ partitions = 2 }}
}}
data_product "returns" {{
  domain  = "{p}sales"
  cluster = "{returns_cluster}"
  topic {{ partitions = 1 }}
}}
access "analytics_orders" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
access "ops_returns" {{
  product  = "{p}sales.returns"
  consumer = "{p}ops"
}}
'''
    }


def _apply() -> str:
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    return result.output


def _plan() -> tuple[int, str]:
    result = run("plan", "--no-color", "--detailed-exitcode", ".")
    return result.exit_code, re.sub(r"(?<=\S) {2,}", " ", result.stdout)


def test_each_product_principal_and_acl_lives_on_its_own_cluster(
    workdir: Path,
    prefix: str,
    admin: AdminClient,
    admin_b: AdminClient,
    eu_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = prefix
    write_mesh(workdir, _files(p))
    code, planned = _plan()
    assert code == 2, planned
    assert f"kafka_topic.@eu/{p}commerce.{p}sales.orders.v1 will be created" in planned
    assert f"kafka_topic.{p}commerce.{p}sales.returns.v1 will be created" in planned
    _apply()

    orders, returns = (f"{p}commerce.{p}sales.{n}.v1" for n in ("orders", "returns"))
    # Topics: each on its own cluster, absent from the other.
    assert kafkautil.topics(admin, p) == {returns: (1, 1)}
    assert kafkautil.topics(admin_b, p) == {orders: (2, 1)}
    # Principals only where they own products or read: sales on both, the others on one.
    on_a = {u for u in kafkautil.scram_users(admin) if u.startswith(p)}
    on_b = {u for u in kafkautil.scram_users(admin_b) if u.startswith(p)}
    assert on_a == {f"{p}commerce", f"{p}sales", f"{p}ops"}
    assert on_b == {f"{p}sales", f"{p}analytics"}
    everyone = {f"User:{p}{d}" for d in ("commerce", "sales", "analytics", "ops")}
    rw, r = ("DESCRIBE", "WRITE"), ("DESCRIBE", "READ")
    assert kafkautil.acls(admin, everyone) == (
        {(f"User:{p}sales", "TOPIC", returns, "LITERAL", op) for op in rw}
        | {(f"User:{p}ops", "TOPIC", returns, "LITERAL", op) for op in r}
        | {(f"User:{p}ops", "GROUP", f"grp.{p}ops.", "PREFIXED", op) for op in r}
    )
    assert kafkautil.acls(admin_b, everyone) == (
        {(f"User:{p}sales", "TOPIC", orders, "LITERAL", op) for op in rw}
        | {(f"User:{p}analytics", "TOPIC", orders, "LITERAL", op) for op in r}
        | {(f"User:{p}analytics", "GROUP", f"grp.{p}analytics.", "PREFIXED", op) for op in r}
    )

    # The credentials meshctl stored per cluster: sales has two passwords, each file points at
    # its own broker.
    creds = workdir / ".meshctl" / "credentials"
    sales_eu = kafkautil.read_properties(creds / "@eu" / f"{p}sales.properties")
    sales_a = kafkautil.read_properties(creds / f"{p}sales.properties")
    assert sales_eu["bootstrap.servers"] == eu_env["MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS"] != sales_a["bootstrap.servers"]
    assert sales_eu["sasl.password"] != sales_a["sasl.password"]
    # The librdkafka files `meshctl client-config` renders connect to eu unchanged: sales
    # produces, analytics consumes under its group, with the passwords stored for eu.
    (producer_file,) = _client_config(f"{p}sales", workdir / "sales")
    (consumer_file,) = _client_config(f"{p}analytics", workdir / "analytics")
    assert producer_file.name == f"{p}sales.orders.v1.producer.properties"  # not returns: it is on default
    producer = _conf(producer_file, monkeypatch)
    assert producer["bootstrap.servers"] == eu_env["MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS"]
    _produce(producer, orders, [b"order-1"])
    assert _consume(_conf(consumer_file, monkeypatch), orders, 1) == [b"order-1"]
    assert not (creds / f"{p}analytics.properties").exists()  # no principal on the default cluster

    # Nothing left to do, across both brokers; drift sees both clusters and nothing changed.
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")
    state = (workdir / ".meshctl" / "state.json").read_text()
    assert f'"kafka_scram_user.@eu/{p}sales"' in state and f'"kafka_scram_user.{p}sales"' in state
    drift = run("drift", "--no-color", ".")
    assert drift.exit_code == 0, drift.output


def test_refresh_asks_each_cluster_a_constant_number_of_requests(
    workdir: Path, prefix: str, broker: KafkaSandbox, broker_b: KafkaSandbox, eu_env: dict[str, str]
) -> None:
    p = prefix
    write_mesh(workdir, _files(p))
    _apply()
    small = Workspace(workdir)
    small.run().plan()
    files = _files(p)
    files["extra.hcl"] = "".join(
        f'data_product "extra{i}" {{\n  domain = "{p}sales"\n  cluster = "{"eu" if i % 2 else "default"}"\n}}\n'
        for i in range(10)
    )
    write_mesh(workdir / "bigger", files)
    big = Workspace(workdir / "bigger", state_dir=workdir / ".meshctl")
    plan = big.run().plan()
    assert len(plan.actionable) == 20  # 10 topics and 10 owner ACLs, on two clusters
    for name in ("kafka", "kafka.eu"):
        # describe_cluster, metadata, describe_configs, describe_acls, describe_user_scram_credentials
        assert small.providers[name].requests == big.providers[name].requests == 5, name


def test_drift_and_import_work_per_cluster(
    workdir: Path, prefix: str, admin: AdminClient, admin_b: AdminClient, eu_env: dict[str, str]
) -> None:
    p = prefix
    write_mesh(workdir, _files(p))
    _apply()
    orders = f"{p}commerce.{p}sales.orders.v1"
    # A change by hand on eu's topic is planned back on eu, and only there.
    change = ConfigResource(
        ResourceType.TOPIC,
        orders,
        incremental_configs=[ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET)],
    )
    for fut in admin_b.incremental_alter_configs([change]).values():
        fut.result(timeout=10)
    code, planned = _plan()
    assert code == 2
    assert f"kafka_topic.@eu/{orders} will be updated in-place" in planned
    assert "1 to change" in planned and "0 to add" in planned
    _apply()
    assert kafkautil.topic_configs(admin_b, [orders])[orders]["retention.ms"] == "604800000"
    # Forgotten by state, then imported again from eu by its name there.
    address = f"kafka_topic.@eu/{orders}"
    removed = run("state", "rm", address, ".")
    assert removed.exit_code == 0, removed.output
    imported = run("import", address, orders)
    assert imported.exit_code == 0, imported.output
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")
    # The same name on the default cluster is not there to import.
    assert kafkautil.topics(admin, orders) == {}
    # Rotating sales's password on eu renews eu's and leaves the default cluster's as it was;
    # both still log in (the re-plan checks every stored password against its broker).
    creds = workdir / ".meshctl" / "credentials"
    before_eu, before_a = (
        kafkautil.read_properties(path)["sasl.password"]
        for path in (creds / "@eu" / f"{p}sales.properties", creds / f"{p}sales.properties")
    )
    rotated = run("apply", "--auto-approve", "--no-color", f"-replace=kafka_scram_user.@eu/{p}sales", ".")
    assert rotated.exit_code == 0, rotated.output
    assert kafkautil.read_properties(creds / "@eu" / f"{p}sales.properties")["sasl.password"] != before_eu
    assert kafkautil.read_properties(creds / f"{p}sales.properties")["sasl.password"] == before_a
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")


def test_a_named_clusters_registry_holds_its_products_subjects(
    workdir: Path,
    prefix: str,
    admin_b: AdminClient,
    eu_env: dict[str, str],
    registry_server: RegistrySandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`schema_registry "eu"` (its URL in MESHCTL_REGISTRY_EU_URL): the subjects of eu's products
    are registered through it, addressed `schema_subject.@eu/...`; the default registry, which
    no product of the default cluster needs, is never asked."""
    p = prefix
    monkeypatch.setenv("MESHCTL_REGISTRY_EU_URL", registry_server.url)
    monkeypatch.delenv("MESHCTL_REGISTRY_URL", raising=False)
    files = _files(p)
    files["main.hcl"] = files["main.hcl"].replace(
        "  topic { partitions = 2 }",
        '  topic { partitions = 2 }\n  schema { file = "orders.avsc" }',
    )
    files["main.hcl"] += 'schema_registry "eu" {\n}\n'
    files["orders.avsc"] = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'
    write_mesh(workdir, files)
    _, planned = _plan()
    subject = f"{p}commerce.{p}sales.orders.v1-value"
    assert f"schema_subject.@eu/{subject} will be created" in planned, planned
    _apply()
    assert SchemaRegistryClient({"url": registry_server.url}).get_latest_version(subject).version == 1
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")
    ws = Workspace(workdir)
    ws.run().plan()
    assert ws.providers["registry.eu"].requests > 0 and ws.providers["registry"].requests == 0


def test_a_domains_password_on_its_second_cluster_is_guarded_in_secrets_manager(
    workdir: Path,
    prefix: str,
    admin: AdminClient,
    admin_b: AdminClient,
    eu_env: dict[str, str],
    aws_env: dict[str, str],
) -> None:
    """sales lives on eu and owns returns on the default cluster, so its principal has a
    password on each. With the domain baseline on AWS, both secrets carry the Deny that admits
    only the domain's role (and the deployer), both hold the password that logs in, and the
    role may read both; the next plan is empty."""
    p = prefix
    files = _files(p)
    files["main.hcl"] += f'''
aws {{
  region     = "eu-west-1"
  account_id = "123456789012"
}}
module "baseline" {{
  source        = "domain-baseline"
  for_each      = mesh.domains
  domain        = each.value
  bucket_prefix = "{p}"
}}
'''
    write_mesh(workdir, files)
    _apply()
    sm = boto3.client("secretsmanager")
    home, elsewhere = f"meshctl/kafka/@eu/{p}sales", f"meshctl/kafka/{p}sales"
    for name in (home, elsewhere):
        policy = json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"])
        (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
        assert deny["Action"] in ("secretsmanager:GetSecretValue", ["secretsmanager:GetSecretValue"]), policy
        assert deny["Principal"] == "*" and "ArnNotEquals" in deny["Condition"], policy
    values = {sm.get_secret_value(SecretId=name)["SecretString"] for name in (home, elsewhere)}
    assert len(values) == 2 and "" not in values  # a password of its own on each cluster
    role = f"{p}-{p}commerce-{p}sales"
    document = boto3.client("iam").get_role_policy(RoleName=role, PolicyName="credentials_elsewhere")
    statement = document["PolicyDocument"]
    statement = statement if isinstance(statement, dict) else json.loads(statement)
    assert statement["Statement"][0]["Resource"] == [
        f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{elsewhere}-??????"
    ]
    assert _plan() == (0, "No changes. Your mesh matches the configuration.\n")
