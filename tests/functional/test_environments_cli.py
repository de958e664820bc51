"""Environments on the command line, with fake providers: selection, isolation (no provider,
backend or credential store of another environment is made), state per environment, saved
plans bound to their environment, validate of every environment, and promotion (--from)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from meshctl.engine import workspace as workspace_module
from meshctl.providers.base import Managed
from tests.cli import run
from tests.fake_providers import FakeProvider
from tests.helpers import write_mesh

MESH = """
variable "partitions" {
  type    = number
  default = 1
}
environment "dev" {
  kafka {
    bootstrap_servers = "dev-broker:9092"
  }
}
environment "staging" {
  variables = { partitions = 2 }
  kafka {
    bootstrap_servers = "staging-broker:9092"
  }
}
environment "prod" {
  variables = { partitions = 3 }
  kafka {
    bootstrap_servers = "prod-broker:9092"
  }
}
domain "sales" {
  owners { accountable = "sales@acme.example" }
}
domain "analytics" {
  owners { accountable = "data@acme.example" }
}
data_product "orders" {
  domain = "sales"
  topic {
    partitions = var.partitions
    config     = { "retention.ms" = environment.name == "prod" ? "604800000" : "86400000" }
  }
}
data_product "refunds" {
  domain       = "sales"
  environments = ["dev", "staging"]
}
access "analytics_orders" {
  product  = "sales.orders"
  consumer = "analytics"
}
"""


class Connecting(FakeProvider):
    """Connects (through meshctl's own factory) when first asked, as the registry provider does."""

    def __init__(self, name: str, connect: Callable[[], object]) -> None:
        super().__init__(name)
        self.connect = connect

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        self.connect()
        return super().refresh(managed)


class Connections:
    """Every Kafka connection a command would open, by bootstrap servers; the providers are fakes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.servers: list[str] = []
        self.providers: list[FakeProvider] = []
        servers = self.servers

        class Client:  # made where meshctl would connect: records where to, connects nowhere
            def __init__(self, settings: dict[str, str], timeout: float) -> None:
                servers.append(settings["bootstrap.servers"])

        monkeypatch.setattr(workspace_module, "KafkaClient", Client)
        monkeypatch.setattr(workspace_module, "KafkaProvider", lambda client, store: self._kafka(client))
        monkeypatch.setattr(
            workspace_module, "ClusterKafkaProvider", lambda cluster, connect, store: self._kafka(connect)
        )
        self.registries: list[str] = []
        self.aws: list[str | None] = []
        registries = self.registries

        class Registry:  # records the registry it would reach
            def __init__(self, url: str, *args: object) -> None:
                registries.append(url)

        monkeypatch.setattr(workspace_module, "RegistryClient", Registry)
        monkeypatch.setattr(workspace_module, "RegistryProvider", lambda connect: self._made(connect, "registry"))
        monkeypatch.setattr(workspace_module, "AwsProvider", self._aws)

    def _made(self, connect: Callable[[], object], name: str) -> FakeProvider:
        return Connecting(name, connect)

    def _aws(self, settings: object) -> FakeProvider:
        self.aws.append(getattr(settings, "endpoint_url", None))
        return FakeProvider("aws")

    def _kafka(self, connect: Callable[[], object]) -> FakeProvider:
        connect()  # the real provider connects when first asked; every command here asks
        provider = FakeProvider("kafka")
        self.providers.append(provider)
        return provider


@pytest.fixture
def connections(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Connections:
    for var in ("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "MESHCTL_REGISTRY_URL", "MESHCTL_ENVIRONMENT"):
        monkeypatch.delenv(var, raising=False)
    write_mesh(mesh_dir, {"main.hcl": MESH})
    return Connections(monkeypatch)


def test_a_mesh_with_environments_needs_one_selected(connections: Connections) -> None:
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "the mesh declares environments (dev, staging, prod): choose one" in result.stderr
    assert "MESHCTL_ENVIRONMENT" in result.stderr
    assert connections.servers == []
    result = run("plan", "-e", "qa", ".")
    assert result.exit_code == 1 and "no such environment (the mesh declares dev, staging, prod)" in result.stderr
    result = run("plan", "-e", "../prod", ".")
    assert result.exit_code == 1 and "is not an environment name" in result.stderr


def test_plan_reaches_only_the_selected_environment_s_cluster(connections: Connections) -> None:
    result = run("plan", "-e", "dev", ".")
    assert result.exit_code == 0, result.output
    assert connections.servers == ["dev-broker:9092"]
    assert "kafka_topic.sales.refunds.v1" in result.stdout
    result = run("plan", "-e", "prod", "--json", ".")
    assert result.exit_code == 0, result.output
    assert connections.servers == ["dev-broker:9092", "prod-broker:9092"]
    doc = json.loads(result.stdout)
    addresses = {c["address"] for c in doc["resource_changes"]}
    assert "kafka_topic.sales.refunds.v1" not in addresses and "kafka_topic.sales.orders.v1" in addresses
    orders = next(c for c in doc["resource_changes"] if c["address"] == "kafka_topic.sales.orders.v1")
    assert orders["change"]["after"]["partitions"] == 3
    assert orders["change"]["after"]["config"]["retention.ms"] == "604800000"


def test_the_environment_variable_selects_too(connections: Connections, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESHCTL_ENVIRONMENT", "staging")
    assert run("plan", ".").exit_code == 0
    assert connections.servers == ["staging-broker:9092"]
    assert run("plan", "-e", "dev", ".").exit_code == 0  # the flag wins
    assert connections.servers[-1] == "dev-broker:9092"


def test_apply_writes_each_environment_s_own_state(connections: Connections, mesh_dir: Path) -> None:
    result = run("apply", "-e", "dev", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    state_files = sorted(p.relative_to(mesh_dir).as_posix() for p in mesh_dir.rglob("state.json"))
    assert state_files == [".meshctl/env/dev/state.json"]
    assert not (mesh_dir / ".meshctl" / "env" / "prod").exists()
    assert connections.servers == ["dev-broker:9092"]
    listed = run("state", "list", "-e", "dev", ".")
    assert "kafka_topic.sales.refunds.v1" in listed.stdout
    empty = run("state", "list", "-e", "prod", ".")
    assert empty.exit_code == 0 and "kafka_topic" not in empty.stdout
    # prod plans from nothing: dev's apply left prod's state alone.
    plan = run("plan", "-e", "prod", "--json", ".")
    assert {c["change"]["actions"][0] for c in json.loads(plan.stdout)["resource_changes"]} == {"create"}


def test_a_saved_plan_applies_only_to_its_environment(connections: Connections, mesh_dir: Path) -> None:
    assert run("plan", "-e", "staging", "--out", "staging.plan", ".").exit_code == 0
    saved = json.loads((mesh_dir / "staging.plan").read_text())
    assert saved["meshctl_saved_plan"]["environment"] == "staging"
    other = run("apply", "-e", "prod", "staging.plan")
    assert other.exit_code == 1
    assert "made for environment 'staging', this apply names -e prod: apply it with -e staging" in other.stderr
    none = run("apply", "staging.plan")
    assert none.exit_code == 1 and "this apply names no environment" in none.stderr
    assert not (mesh_dir / ".meshctl" / "env" / "prod").exists()
    ok = run("apply", "-e", "staging", "staging.plan")
    assert ok.exit_code == 0, ok.output
    assert connections.servers[-1] == "staging-broker:9092"
    assert set(connections.servers) == {"staging-broker:9092"}


def test_validate_checks_every_environment(connections: Connections, mesh_dir: Path) -> None:
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Success! Environment dev is valid: 2 domains, 2 data products, 1 access grants -> 8 resources.",
        "Success! Environment staging is valid: 2 domains, 2 data products, 1 access grants -> 8 resources.",
        "Success! Environment prod is valid: 2 domains, 1 data products, 1 access grants -> 6 resources.",
    ]
    write_mesh(mesh_dir, {"main.hcl": MESH.replace("partitions = 3 }", "partitions = 0 }")})
    bad = run("validate", ".")
    assert bad.exit_code == 1
    assert "partitions must be a whole number of at least 1" in bad.stderr and "[environment prod]" in bad.stderr
    doc = json.loads(run("validate", "--json", ".").stdout)
    assert doc["valid"] is False and doc["environments"] == {
        "dev": {"valid": True},
        "staging": {"valid": True},
        "prod": {"valid": False},
    }
    assert run("validate", "-e", "dev", ".").exit_code == 0  # one environment only
    assert connections.servers == []  # validate connects to nothing


def test_promotion_shows_where_two_environments_definitions_differ(connections: Connections) -> None:
    result = run("plan", "-e", "prod", "--from", "staging", "--no-color", ".")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Promotion from staging to prod:" in out
    assert "+ kafka_topic.sales.refunds.v1  (in staging, not yet in prod)" in out
    assert "~ kafka_topic.sales.orders.v1" in out
    assert "partitions: 3 (prod) -> 2 (staging)" in out
    assert 'config.retention.ms: "604800000" (prod) -> "86400000" (staging)' in out
    # staging was compared offline: only prod's cluster was reached
    assert connections.servers == ["prod-broker:9092"]
    doc = json.loads(run("plan", "-e", "prod", "--from", "staging", "--json", ".").stdout)
    promotion = doc["promotion"]
    assert promotion["from"] == "staging" and promotion["to"] == "prod"
    assert "kafka_topic.sales.refunds.v1" in promotion["only_in_from"]
    assert promotion["only_in_to"] == []
    orders = next(d for d in promotion["differ"] if d["address"] == "kafka_topic.sales.orders.v1")
    assert orders["attributes"]["partitions"] == {"from": 2, "to": 3}
    same = run("plan", "-e", "dev", "--from", "dev", ".")
    assert same.exit_code == 1 and "names the environment being planned" in same.stderr
    unknown = run("plan", "-e", "prod", "--from", "stagign", ".")
    assert unknown.exit_code == 1 and "did you mean 'staging'?" in unknown.stderr


def test_no_provider_of_another_environment_is_constructed(connections: Connections) -> None:
    for command in (["plan"], ["apply", "--auto-approve"], ["drift"]):
        connections.servers.clear()
        result = run(*command, "-e", "staging", ".")
        assert result.exit_code in (0, 2), result.output
        assert connections.servers == ["staging-broker:9092"], command


def test_an_address_in_the_process_environment_may_not_contradict_the_environment(
    connections: Connections, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "dev-broker:9092")
    result = run("plan", "-e", "prod", ".")
    assert result.exit_code == 1
    assert "MESHCTL_KAFKA_BOOTSTRAP_SERVERS is 'dev-broker:9092', but environment 'prod' sets" in result.stderr
    assert connections.servers == []


def test_domain_scoping_works_inside_an_environment(connections: Connections) -> None:
    result = run("plan", "-e", "dev", "--domain", "analytics", "--json", ".")
    assert result.exit_code == 0, result.output
    addresses = {c["address"] for c in json.loads(result.stdout)["resource_changes"]}
    assert addresses and all(".analytics" in a or "analytics_" in a for a in addresses), addresses


def test_a_mesh_without_environments_refuses_a_selection(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_mesh(mesh_dir, {"main.hcl": 'domain "sales" {\n  owners { accountable = "s@acme.example" }\n}\n'})
    result = run("validate", "-e", "prod", ".")
    assert result.exit_code == 1
    assert "--environment prod: the mesh declares no environment blocks" in result.stderr
    assert run("validate", ".").exit_code == 0


CLUSTERS = """
kafka "eu" {
  bootstrap_servers = "top-eu:9092"
}
environment "dev" {
  kafka {
    bootstrap_servers = "dev-broker:9092"
  }
  kafka "eu" {
    bootstrap_servers = "dev-eu:9092"
  }
}
environment "prod" {
  kafka {
    bootstrap_servers = "prod-broker:9092"
  }
  kafka "eu" {
    bootstrap_servers = "prod-eu:9092"
  }
}
domain "sales" {
  owners { accountable = "sales@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  cluster = "eu"
}
data_product "returns" {
  domain = "sales"
}
"""


def test_an_environment_replaces_named_clusters_too(
    connections: Connections, mesh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_mesh(mesh_dir, {"main.hcl": CLUSTERS})
    result = run("plan", "-e", "prod", ".")
    assert result.exit_code == 0, result.output
    assert sorted(connections.servers) == ["prod-broker:9092", "prod-eu:9092"]
    monkeypatch.setenv("MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS", "dev-eu:9092")
    refused = run("plan", "-e", "prod", ".")
    assert refused.exit_code == 1
    assert "MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS is 'dev-eu:9092', but environment 'prod' sets kafka \"eu\"" in (
        refused.stderr
    )


def test_a_problem_in_the_from_environment_says_so(connections: Connections, mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH.replace("variables = { partitions = 2 }", "variables = { nope = 2 }")})
    assert run("plan", "-e", "prod", ".").exit_code == 0  # staging's block is not even evaluated
    result = run("plan", "-e", "prod", "--from", "staging", ".")
    assert result.exit_code == 1
    assert "no variable 'nope' is declared [--from staging]" in result.stderr
    assert connections.servers == ["prod-broker:9092"]  # the failed one stopped before refreshing


def test_a_literal_secret_in_an_environment_block_is_refused(connections: Connections, mesh_dir: Path) -> None:
    text = MESH.replace(
        'bootstrap_servers = "prod-broker:9092"',
        'bootstrap_servers = "prod-broker:9092"\n    sasl_password = "hunter2"',
    )
    write_mesh(mesh_dir, {"main.hcl": text})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "sasl_password is written in the file as plain text [environment prod]" in result.stderr
    assert "hunter2" not in result.output


def test_locks_are_per_environment(connections: Connections, mesh_dir: Path) -> None:
    from meshctl.config.loader import LoadOptions
    from meshctl.engine.workspace import Workspace

    dev = Workspace(mesh_dir, LoadOptions(env={}, environment="dev"), env={})
    dev.backend.lock("apply")  # another run holds dev's lock
    try:
        blocked = run("apply", "-e", "dev", "--auto-approve", ".")
        assert blocked.exit_code == 1 and "locked" in blocked.stderr
        other = run("apply", "-e", "prod", "--auto-approve", ".")
        assert other.exit_code == 0, other.output  # prod's state has its own lock
    finally:
        dev.backend.unlock()


REGISTRIES = """
environment "dev" {
  kafka {
    bootstrap_servers = "dev-broker:9092"
  }
  schema_registry {
    url = "http://dev-registry:8081"
  }
  aws {
    region       = "eu-west-1"
    endpoint_url = "http://dev-aws:5000"
  }
}
environment "prod" {
  kafka {
    bootstrap_servers = "prod-broker:9092"
  }
  schema_registry {
    url = "http://prod-registry:8081"
  }
  aws {
    region       = "eu-west-1"
    endpoint_url = "http://prod-aws:5000"
  }
}
domain "sales" {
  owners { accountable = "sales@acme.example" }
}
data_product "orders" {
  domain = "sales"
  schema {
    type = "AVRO"
    file = "orders.avsc"
  }
}
"""


def test_only_the_selected_environment_s_registry_and_aws_endpoint_are_reached(
    connections: Connections, mesh_dir: Path
) -> None:
    schema = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'
    write_mesh(mesh_dir, {"main.hcl": REGISTRIES, "orders.avsc": schema})
    result = run("plan", "-e", "prod", ".")
    assert result.exit_code == 0, result.output
    assert connections.registries == ["http://prod-registry:8081"]
    assert connections.aws == ["http://prod-aws:5000"]
    assert connections.servers == ["prod-broker:9092"]
