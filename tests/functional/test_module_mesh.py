"""Modules that declare mesh blocks, nested modules, and the shipped data-product module:
without any server."""

from __future__ import annotations

import shutil
from pathlib import Path

from meshctl.config.loader import LoadOptions, load
from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.helpers import write_mesh

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

MESH = """
aws {
  region        = "eu-west-1"
  account_id    = "123456789012"
  deployer_arns = ["arn:aws:iam::123456789012:role/deployer"]
}
domain "team" {
  for_each = { sales = "s@acme.example", analytics = "a@acme.example" }
  name     = each.key
  owners { accountable = each.value }
}
module "baseline" {
  source   = "domain-baseline"
  for_each = mesh.domains
  domain   = each.value
}
module "orders" {
  source      = "data-product"
  for_each    = { eu = 3, us = 6 }
  domain      = "sales"
  name        = "orders-${each.key}"
  partitions  = each.value
  schema_file = "schemas/orders-v1.avsc"
  readers     = ["analytics"]
}
"""


def _write(mesh_dir: Path, text: str, extra: dict[str, str] | None = None) -> None:
    for name in extra or {}:
        (mesh_dir / name).parent.mkdir(parents=True, exist_ok=True)
    write_mesh(mesh_dir, {"main.hcl": text, **(extra or {})})
    (mesh_dir / "schemas").mkdir(exist_ok=True)
    shutil.copy(EXAMPLES / "schemas" / "orders-v1.avsc", mesh_dir / "schemas" / "orders-v1.avsc")


def _desired(path: Path) -> dict[str, tuple[str, dict]]:
    ws = Workspace(path, LoadOptions(env={}))
    return {r.address: (r.source, dict(r.attributes)) for r in ws.run().resources}


def test_data_product_module_declares_product_grants_and_catalog(mesh_dir: Path) -> None:
    _write(mesh_dir, MESH)
    mesh = load(mesh_dir, LoadOptions(env={})).mesh
    products = {p.name: p for p in mesh.products}
    assert products["orders-eu"].address == 'module.orders["eu"].data_product.sales.orders-eu.v1'
    assert products["orders-us"].topic.partitions == 6
    assert products["orders-eu"].schema is not None and products["orders-eu"].schema.type == "AVRO"
    assert sorted(a.address for a in mesh.access) == [
        'module.orders["eu"].access.sales-orders-eu-v1-analytics',
        'module.orders["us"].access.sales-orders-us-v1-analytics',
    ]
    desired = _desired(mesh_dir)
    source, topic = desired["kafka_topic.sales.orders-eu.v1"]
    assert source == 'module.orders["eu"].data_product.sales.orders-eu.v1'
    assert topic["partitions"] == 3
    assert "kafka_acl.analytics/topic/sales.orders-us.v1" in desired
    assert "schema_subject.sales.orders-eu.v1-value" in desired
    _, table = desired['module.orders["us"].aws_glue_table.catalog']
    assert (table["database"], table["name"]) == ("meshctl_sales", "orders_us_v1")
    assert table["parameters"]["meshctl:topic"] == "sales.orders-us.v1"
    # The baseline leaves a module's product to its module: one table per product version.
    assert not [a for a in desired if a.startswith('module.baseline["sales"].aws_glue_table')]
    assert 'module.baseline["sales"].aws_glue_database.catalog' in desired


def test_a_module_cannot_bypass_the_domain_policy(mesh_dir: Path) -> None:
    text = MESH.replace(
        "  owners { accountable = each.value }\n",
        "  owners { accountable = each.value }\n  policy { max_partitions = 4 }\n",
    )
    _write(mesh_dir, text)
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "main.hcl:" not in result.stderr.split("error:")[0] or True
    assert (
        'data-product/main.hcl:12: error: module.orders["us"].data_product.this: partitions 6 is over the maximum 4'
        in result.stderr
    )
    assert "orders-eu" not in result.stderr


def test_a_module_cannot_write_another_domains_product_or_grant_unknowns(mesh_dir: Path) -> None:
    _write(
        mesh_dir,
        MESH.replace('readers     = ["analytics"]', 'readers     = ["nobody"]'),
        {
            "rogue/main.hcl": (
                'access "steal" {\n  name = "steal"\n  product = "sales.orders-eu.v1"\n'
                '  consumer = "analytics"\n  mode = "write"\n}\n'
            ),
            "other.hcl": 'module "rogue" {\n  source = "./rogue"\n}\n',
        },
    )
    result = run("validate", ".")
    assert result.exit_code == 1, result.stdout
    assert 'module.orders["eu"].access.readers["nobody"]: ' in result.stderr
    assert "module.rogue.access.steal: " in result.stderr


def test_nested_modules_declare_blocks_with_nested_addresses(mesh_dir: Path) -> None:
    _write(
        mesh_dir,
        MESH,
        {
            "team/main.hcl": (
                'variable "region" {}\n'
                'module "product" {\n'
                '  source      = "data-product"\n'
                '  domain      = "sales"\n'
                '  name        = "returns-${var.region}"\n'
                '  schema_file = "schemas/orders-v1.avsc"\n'
                "}\n"
            ),
            "teams.hcl": 'module "team" {\n  source   = "./team"\n  for_each = ["eu"]\n  region   = each.key\n}\n',
        },
    )
    mesh = load(mesh_dir, LoadOptions(env={})).mesh
    returns = next(p for p in mesh.products if p.name == "returns-eu")
    assert returns.address == 'module.team["eu"].module.product.data_product.sales.returns-eu.v1'
    desired = _desired(mesh_dir)
    assert 'module.team["eu"].module.product.aws_glue_table.catalog' in desired


def test_module_misuse_is_an_error_at_its_line(mesh_dir: Path) -> None:
    cases = {
        # A module with mesh blocks is read before the mesh exists.
        'module "x" {\n  source = "./m"\n  for_each = mesh.domains\n}\n': (
            "main2.hcl:3: error: mesh.domains is not known yet where a module declares mesh blocks"
        ),
        'module "x" {\n  source = "./m"\n}\n': "",
    }
    for call, expected in cases.items():
        _write(
            mesh_dir,
            MESH,
            {
                "m/main.hcl": 'domain "d" {\n  name = "d"\n  owners { accountable = "d@acme.example" }\n}\n',
                "main2.hcl": call,
            },
        )
        result = run("validate", ".")
        if expected:
            assert result.exit_code == 1
            assert expected in result.stderr, result.stderr
        else:
            assert result.exit_code == 0, result.stderr


def test_a_module_calling_itself_is_refused(mesh_dir: Path) -> None:
    _write(
        mesh_dir,
        MESH,
        {
            "loop/main.hcl": 'module "again" {\n  source = "../loop"\n}\ndomain "d" {\n  name = "d"\n}\n',
            "main2.hcl": 'module "loop" {\n  source = "./loop"\n}\n',
        },
    )
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "loop/main.hcl:1: error: module 'again' calls" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_application_in_a_module_is_still_refused(mesh_dir: Path) -> None:
    _write(
        mesh_dir,
        MESH,
        {
            "app/main.hcl": 'application "a" {\n  domain = "sales"\n  kind = "producer"\n}\n',
            "main2.hcl": 'module "app" {\n  source = "./app"\n}\n',
        },
    )
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "app/main.hcl:1: error: application blocks are declared at the root" in result.stderr
