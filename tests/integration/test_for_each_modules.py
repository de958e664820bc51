"""A mesh written only with for_each/count and the shipped data-product module, applied to
the real broker, registry and moto: the topics, ACLs, subjects and Glue tables exist under
the instances' names, and a second plan has nothing to do."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from meshctl_sandbox.registry import RegistrySandbox
from tests.cli import run
from tests.helpers import write_mesh
from tests.integration.kafkautil import acls, topics

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _mesh(p: str) -> str:
    return f"""
aws {{
  region = "eu-west-1"
}}

variable "teams" {{
  default = {{ {p}sales = "sales@acme.example", {p}analytics = "data@acme.example" }}
}}

domain "team" {{
  for_each = var.teams
  name     = each.key
  owners {{ accountable = each.value }}
}}

# The Glue database the data-product module's tables go in (domain-baseline's name for it).
resource "aws_glue_database" "catalog" {{
  for_each = var.teams
  name     = "meshctl_${{each.key}}"
  domain   = each.key
}}

module "orders" {{
  source      = "data-product"
  for_each    = {{ eu = 2, us = 3 }}
  domain      = "{p}sales"
  name        = "orders-${{each.key}}"
  partitions  = each.value
  schema_file = "orders-v1.avsc"
  readers     = ["{p}analytics"]
}}

access "backfill" {{
  count    = 1
  name     = "backfill-${{count.index}}"
  product  = "{p}sales.orders-eu"
  consumer = "{p}analytics"
}}
"""


def test_for_each_mesh_and_data_product_module_apply_and_replan_to_nothing(
    workdir: Path,
    prefix: str,
    admin: AdminClient,
    aws_env: dict[str, str],
    registry_env: dict[str, str],
    registry_server: RegistrySandbox,
) -> None:
    p = prefix
    write_mesh(workdir, {"main.hcl": _mesh(p)})
    (workdir / "orders-v1.avsc").write_text((EXAMPLES / "schemas" / "orders-v1.avsc").read_text())
    plan = run("plan", "--no-color", ".")
    assert plan.exit_code == 0, plan.output
    assert f'from module.orders["eu"].data_product.{p}sales.orders-eu.v1' in re.sub(r" {2,}", " ", plan.stdout)
    applied = run("apply", "--auto-approve", "--no-color", ".")
    assert applied.exit_code == 0, applied.output

    assert topics(admin, f"{p}sales.") == {f"{p}sales.orders-eu.v1": (2, 1), f"{p}sales.orders-us.v1": (3, 1)}
    granted = acls(admin, {f"User:{p}analytics"})
    for region in ("eu", "us"):
        assert (f"User:{p}analytics", "TOPIC", f"{p}sales.orders-{region}.v1", "LITERAL", "READ") in granted
    registry = SchemaRegistryClient({"url": registry_server.url})
    assert registry.get_latest_version(f"{p}sales.orders-us.v1-value").version == 1
    glue = boto3.client("glue")
    for region in ("eu", "us"):
        table = glue.get_table(DatabaseName=f"meshctl_{p}sales", Name=f"orders_{region}_v1")["Table"]
        assert table["Parameters"]["meshctl:topic"] == f"{p}sales.orders-{region}.v1"
        assert table["Parameters"]["meshctl:readers"] == f"{p}analytics"

    replan = run("plan", "--no-color", "--detailed-exitcode", ".")
    assert replan.exit_code == 0, replan.output
