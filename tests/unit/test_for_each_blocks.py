"""for_each and count on mesh blocks: instances, their names, and errors that name the instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.address import outside_modules
from meshctl.compile.kafka import compile_kafka
from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.mesh.model import Mesh
from meshctl.plan.scope import Scope, narrow
from meshctl.resources import Resource
from meshctl.state_model import State
from tests.helpers import write_mesh

MESH = """
variable "regions" {
  default = { eu = 3, us = 6 }
}
domain "team" {
  count = 2
  name  = "team-${count.index}"
  owners { accountable = "lead-${count.index}@acme.example" }
}
data_product "orders" {
  for_each = var.regions
  name     = "orders-${each.key}"
  domain   = "team-0"
  topic { partitions = each.value }
}
access "read" {
  for_each = ["eu", "us"]
  name     = "read-${each.key}"
  product  = "team-0.orders-${each.value}"
  consumer = "team-1"
}
application "writer" {
  for_each = ["eu", "us"]
  name     = "writer-${each.key}"
  domain   = "team-0"
  kind     = "producer"
  writes   = ["orders-${each.key}"]
}
"""

PLAIN = """
domain "team-0" {
  owners { accountable = "lead-0@acme.example" }
}
domain "team-1" {
  owners { accountable = "lead-1@acme.example" }
}
data_product "orders-eu" {
  domain = "team-0"
  topic { partitions = 3 }
}
data_product "orders-us" {
  domain = "team-0"
  topic { partitions = 6 }
}
access "read-eu" {
  product  = "team-0.orders-eu"
  consumer = "team-1"
}
access "read-us" {
  product  = "team-0.orders-us"
  consumer = "team-1"
}
application "writer-eu" {
  domain = "team-0"
  kind   = "producer"
  writes = ["orders-eu"]
}
application "writer-us" {
  domain = "team-0"
  kind   = "producer"
  writes = ["orders-us"]
}
"""


def _load(tmp_path: Path, text: str) -> Mesh:
    write_mesh(tmp_path, {"main.hcl": text})
    return load(tmp_path, LoadOptions(env={})).mesh


def _errors(tmp_path: Path, text: str) -> str:
    write_mesh(tmp_path, {"main.hcl": text})
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, LoadOptions(env={}))
    return exc.value.format()


def test_instances_are_named_and_keyed(tmp_path: Path) -> None:
    mesh = _load(tmp_path, MESH)
    assert sorted(mesh.domains) == ["team-0", "team-1"]
    assert mesh.domains["team-1"].owners.accountable == "lead-1@acme.example"  # type: ignore[union-attr]
    products = {p.name: p for p in mesh.products}
    assert {n: p.topic.partitions for n, p in products.items()} == {"orders-eu": 3, "orders-us": 6}
    assert products["orders-eu"].address == "data_product.team-0.orders-eu.v1"  # a plain block's address
    assert products["orders-us"].src.instance == 'data_product.orders["us"]'
    assert sorted((a.name, a.product) for a in mesh.access) == [
        ("read-eu", "team-0.orders-eu"),
        ("read-us", "team-0.orders-us"),
    ]
    assert sorted(a.name for a in mesh.applications) == ["writer-eu", "writer-us"]
    assert mesh.domains["team-0"].src.instance == "domain.team[0]"


def test_same_names_as_plain_blocks_make_the_same_resources(tmp_path: Path) -> None:
    """An instance is the block of its name: resources, addresses, sources and state do not change."""

    def shape(mesh: Mesh) -> list[tuple[str, str, str]]:
        return sorted((r.address, r.source, repr(dict(r.attributes))) for r in compile_kafka(mesh))

    keyed = _load(tmp_path / "a", MESH)
    plain = _load(tmp_path / "b", PLAIN)
    assert shape(keyed) == shape(plain)
    assert len(shape(keyed)) > 8


def test_integration_count(tmp_path: Path) -> None:
    mesh = _load(
        tmp_path,
        """
domain "sales" {
  owners { accountable = "lead@acme.example" }
}
integration "lake" {
  count  = 2
  name   = "lake-${count.index}"
  domain = "sales"
  vendor = "kafka-connect"
  source = "s3-sink"
  aws {
    trusted_principal = "arn:aws:iam::123456789012:role/connect"
    external_id       = "x-${count.index}"
  }
}
aws {
  region     = "eu-west-1"
  account_id = "123456789012"
}
""",
    )
    assert sorted((i.name, i.external_id) for i in mesh.integrations) == [("lake-0", "x-0"), ("lake-1", "x-1")]


def test_count_zero_declares_nothing(tmp_path: Path) -> None:
    owners = '  owners { accountable = "a@acme.example" }\n'
    mesh = _load(tmp_path, f'domain "t" {{\n  count = 0\n  name = "t"\n{owners}}}\ndomain "a" {{\n{owners}}}\n')
    assert list(mesh.domains) == ["a"]


MISUSE = [
    (
        '  for_each = ["a"]\n  count = 1\n  name = "x"\n',
        3,
        "error: domain block: for_each and count cannot both be set",
    ),
    ('  for_each = ["a"]\n', 1, 'error: domain "team": with for_each or count, each instance needs name = "..."'),
    ('  for_each = ["a", "b"]\n  name = "same"\n', 3, 'domain.team["a"] and domain.team["b"] are both named "same"'),
    ("  count = 2\n  name = 7\n", 3, "error: domain.team[0]: name must be a string, got a number"),
    ('  count = 1\n  name = "Bad Name"\n', 3, 'error: domain.team[0]: invalid name "Bad Name"'),
    ('  for_each = "eu"\n  name = "x"\n', 2, "for_each needs a map or a set of strings, got str"),
    ('  for_each = [1, 2]\n  name = "x"\n', 2, "for_each needs a map or a set of strings, got a list"),
    ('  for_each = ["a", "a"]\n  name = "x"\n', 2, "the list holds the same string twice"),
    ('  count = -1\n  name = "x"\n', 2, "count must be a whole number of at least 0, got -1"),
    ('  count = 1.5\n  name = "x"\n', 2, "count must be a whole number of at least 0, got 1.5"),
    ('  count = 1e12\n  name = "x"\n', 2, "count must be at most 100000, got 1000000000000"),
    ('  count = "2"\n  name = "x"\n', 2, "count must be a whole number of at least 0, got '2'"),
    ('  for_each = module.x.keys\n  name = "x"\n', 2, "for_each must be known when the mesh is loaded"),
    (
        '  for_each = { a = 1 }\n  name = "t-${each.key}"\n  colour = "red"\n',
        4,
        'error: domain.team["a"]: unknown attribute \'colour\' in domain "t-a"',
    ),
]


@pytest.mark.parametrize(("body", "line", "message"), MISUSE)
def test_misuse_is_one_error_at_its_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    out = _errors(tmp_path, f'domain "team" {{\n{body}}}\n')
    assert f"main.hcl:{line}: " in out
    assert message in out, out


def test_label_must_be_an_identifier(tmp_path: Path) -> None:
    out = _errors(tmp_path, 'domain "has space" {\n  count = 1\n  name = "x"\n}\n')
    assert 'main.hcl:1: error: domain "has space": with for_each, count or name, the label must be an identifier' in out


def test_name_without_for_each_is_an_unknown_attribute(tmp_path: Path) -> None:
    out = _errors(tmp_path, 'domain "team" {\n  name = "x"\n}\n')
    assert "main.hcl:2: error: unknown attribute 'name'" in out


def test_validation_errors_name_the_instance(tmp_path: Path) -> None:
    """A cross-block check (a policy, an unknown domain) points at the block and names the key."""
    out = _errors(
        tmp_path,
        """
domain "sales" {
  owners { accountable = "lead@acme.example" }
  policy { max_partitions = 4 }
}
data_product "orders" {
  for_each = { eu = 3, us = 12 }
  name     = "orders-${each.key}"
  domain   = "sales"
  topic { partitions = each.value }
}
access "read" {
  for_each = ["nowhere"]
  name     = "read-${each.key}"
  product  = "sales.orders-eu"
  consumer = each.key
}
""",
    )
    assert 'error: data_product.orders["us"]: partitions 12 is over the maximum 4' in out, out
    assert 'data_product.orders["eu"]' not in out
    assert 'access.read["nowhere"]: ' in out, out


def test_two_blocks_with_one_instance_name_are_duplicates(tmp_path: Path) -> None:
    out = _errors(
        tmp_path,
        (
            'domain "a" {\n  for_each = ["x"]\n  name = "x"\n  owners { accountable = "a@acme.example" }\n}\n'
            'domain "b" {\n  count = 1\n  name = "x"\n  owners { accountable = "a@acme.example" }\n}\n'
        ),
    )
    assert 'duplicate domain "x"' in out


@pytest.mark.parametrize(
    ("source", "block"),
    [
        ("data_product.sales.orders.v1", "data_product.sales.orders.v1"),
        ('module.orders["eu"].data_product.sales.orders-eu.v1', "data_product.sales.orders-eu.v1"),
        ('module.a.module.b["k.x\\"y"].integration.lake', "integration.lake"),
        ('module.a["unterminated', 'module.a["unterminated'),
    ],
)
def test_outside_modules_finds_the_block_a_module_declared(source: str, block: str) -> None:
    """What protection and frozen topics look at: the kind of block, wherever it is declared."""
    assert outside_modules(source) == block


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("module.orders", ["kafka_topic.sales.orders-eu.v1", "kafka_topic.sales.orders-us.v1"]),
        ('module.orders["us"]', ["kafka_topic.sales.orders-us.v1"]),
        ('module.orders["us"].data_product.sales.orders-us', ["kafka_topic.sales.orders-us.v1"]),
        ("data_product.sales.orders-eu", ["kafka_topic.sales.orders-eu.v1"]),  # a root instance, by its name
        ("module.order", []),
    ],
)
def test_a_target_chooses_what_a_modules_mesh_blocks_made(target: str, expected: list[str]) -> None:
    def topic(name: str, source: str) -> Resource:
        return Resource("kafka_topic", name, {}, source)

    desired = [
        topic("sales.orders-eu.v1", 'module.orders["eu"].data_product.sales.orders-eu.v1'),
        topic("sales.orders-us.v1", 'module.orders["us"].data_product.sales.orders-us.v1'),
    ]
    if target.startswith("data_product."):
        desired[0] = topic("sales.orders-eu.v1", "data_product.sales.orders-eu.v1")
    chosen, _ = narrow(desired, State(), Scope(targets=(target,)))
    assert [r.address for r in chosen] == expected
