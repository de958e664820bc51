"""for_each instances through the CLI, providers in memory: `--target` names an instance by
its address (`data_product.orders["eu"]`) or by its name-based one, and a plan names the
instance's block as its source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.fake_providers import FakeKafka, FakeProvider
from tests.helpers import write_mesh

MESH = """
kafka {
  bootstrap_servers = "127.0.0.1:9"
}
domain "team" {
  for_each = ["sales", "analytics"]
  name     = each.key
  owners { accountable = "${each.key}@acme.example" }
}
data_product "orders" {
  for_each = { eu = 3, us = 6 }
  name     = "orders-${each.key}"
  domain   = "sales"
  topic { partitions = each.value }
}
"""


@pytest.fixture
def fake(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKafka:
    kafka = FakeKafka()
    others = {"registry": FakeProvider("registry"), "aws": FakeProvider("aws")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: {"kafka": kafka, **others}))
    write_mesh(mesh_dir, {"main.hcl": MESH})
    return kafka


def _planned(*args: str) -> tuple[list[str], str]:
    result = run("plan", "--json", "--no-color", *args, ".")
    assert result.exit_code == 0, result.output
    return sorted(c["address"] for c in json.loads(result.stdout)["resource_changes"]), result.stderr


@pytest.mark.parametrize(
    "target",
    ['data_product.orders["eu"]', "data_product.sales.orders-eu", "data_product.sales.orders-eu.v1"],
)
def test_a_target_names_one_instance(fake: FakeKafka, mesh_dir: Path, target: str) -> None:
    planned, warnings = _planned("--target", target)
    assert "kafka_topic.sales.orders-eu.v1" in planned
    assert not [a for a in planned if "orders-us" in a]
    assert "matches no resource" not in warnings


def test_a_domain_instance_target_and_an_unknown_key(fake: FakeKafka, mesh_dir: Path) -> None:
    planned, _ = _planned("--target", 'domain.team["analytics"]')
    assert "kafka_scram_user.analytics" in planned
    assert "kafka_scram_user.sales" not in planned
    planned, warnings = _planned("--target", 'data_product.orders["fr"]')
    assert planned == []
    assert 'warning: --target data_product.orders["fr"] matches no resource or block' in warnings


def test_state_records_an_instance_by_its_name(fake: FakeKafka, mesh_dir: Path) -> None:
    result = run("apply", "--auto-approve", "--no-color", ".")
    assert result.exit_code == 0, result.output
    state = json.loads((mesh_dir / ".meshctl" / "state.json").read_text())
    sources = {r["address"]: r["source"] for r in state["resources"]}
    assert sources["kafka_topic.sales.orders-us.v1"] == "data_product.sales.orders-us.v1"
