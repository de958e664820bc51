"""`copy` blocks: the model (a product of the copying domain, with lineage) and its checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.mesh.model import Lineage
from tests.helpers import MINIMAL, write_mesh

TREE = MINIMAL  # commerce > sales (orders v1), analytics granted orders

COPY = """
copy "orders_local" {
  domain      = "analytics"
  product     = "sales.orders"
  version     = 1
  description = "Orders, kept next to the warehouse"
}
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    return load(write_mesh(tmp_path / "m", {"m.hcl": text}), LoadOptions(env={}))


def _errors(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text)
    return "\n".join(d.format() for d in exc.value.diagnostics)


def test_a_copy_is_a_product_of_the_copying_domain_with_its_lineage(tmp_path: Path) -> None:
    mesh = _load(tmp_path, TREE + COPY).mesh
    (copy,) = mesh.copies
    assert (copy.domain, copy.product, copy.version, copy.name) == ("analytics", "sales.orders", 1, "orders_local")
    assert copy.address == "copy.analytics.orders_local.v1"
    assert copy.src.line == 24
    assert mesh.copy_topic(copy) == "analytics.orders_local.v1"
    product = mesh.copy_product(copy)
    assert product is not None
    assert (product.domain, product.name, product.version, product.key) == (
        "analytics",
        "orders_local",
        1,
        "analytics.orders_local",
    )
    assert mesh.topic_name(product) == "analytics.orders_local.v1"
    assert product.topic.partitions == 3 and product.topic.config == {"retention.ms": "86400000"}
    assert product.lineage == Lineage("sales.orders", 1, "copy.analytics.orders_local.v1")
    assert product.description == "Orders, kept next to the warehouse"
    assert mesh.copied_products() == [product]
    # Not one of the mesh's own products: no Kafka resources for it until copies are compiled.
    assert all(p.lineage is None for p in mesh.products)


def test_the_version_may_be_named_in_the_product(tmp_path: Path) -> None:
    text = TREE + 'copy "o" {\n  domain = "analytics"\n  product = "sales.orders.v1"\n}\n'
    (copy,) = _load(tmp_path, text).mesh.copies
    assert (copy.product, copy.version) == ("sales.orders", 1)


def test_copies_take_for_each(tmp_path: Path) -> None:
    text = TREE + (
        'copy "c" {\n  for_each = toset(["a", "b"])\n  name = "orders_${each.key}"\n'
        '  domain = "analytics"\n  product = "sales.orders.v1"\n}\n'
    )
    with pytest.raises(ConfigError) as exc:  # two copies of one source by one domain
        _load(tmp_path, text)
    assert 'domain "analytics" copies sales.orders v1 twice' in str(exc.value.diagnostics[0].summary)
    assert exc.value.diagnostics[0].source is not None
    assert exc.value.diagnostics[0].source.instance == 'copy.c["b"]'


CASES = {
    "unknown domain": (
        'copy "x" {\n  domain = "analytic"\n  product = "sales.orders.v1"\n}\n',
        'm.hcl:24: error: copy "x" names an unknown domain "analytic"',
        "did you mean 'analytics'?",
    ),
    "unknown product": (
        'copy "x" {\n  domain = "analytics"\n  product = "sales.order"\n  version = 1\n}\n',
        'm.hcl:25: error: copy "x" names an unknown data product "sales.order"',
        "did you mean 'sales.orders'?",
    ),
    "unknown version": (
        'copy "x" {\n  domain = "analytics"\n  product = "sales.orders"\n  version = 3\n}\n',
        'm.hcl:26: error: copy "x" names version 3 of "sales.orders", which is not declared',
        "declared versions: v1",
    ),
    "no version": (
        'copy "x" {\n  domain = "analytics"\n  product = "sales.orders"\n}\n',
        'm.hcl:25: error: copy "x" names no version of "sales.orders"',
        'write product = "sales.orders.v1"',
    ),
    "two versions": (
        'copy "x" {\n  domain = "analytics"\n  product = "sales.orders.v1"\n  version = 2\n}\n',
        'm.hcl:26: error: copy "x": product names v1 but version = 2',
        "name the version once",
    ),
    "own product": (
        'copy "x" {\n  domain = "sales"\n  product = "sales.orders.v1"\n}\n',
        'm.hcl:25: error: copy "x": domain "sales" would copy its own product sales.orders',
        "read the product itself",
    ),
    "not granted": (
        'copy "x" {\n  domain = "commerce"\n  product = "sales.orders.v1"\n}\n',
        'm.hcl:25: error: copy "x": domain "commerce" is not granted sales.orders v1',
        'consumer = "commerce"',
    ),
    "granted another version only": (
        'data_product "orders" {\n  domain = "sales"\n  version = 2\n}\n'
        'access "c2" {\n  product = "sales.orders.v2"\n  consumer = "commerce"\n}\n'
        'copy "x" {\n  domain = "commerce"\n  product = "sales.orders.v1"\n}\n',
        'm.hcl:33: error: copy "x": domain "commerce" is not granted sales.orders v1',
        "grant it first",
    ),
    "duplicate": (
        COPY + COPY.replace("Orders", "Again"),
        'm.hcl:31: error: duplicate copy "orders_local" v1 of domain "analytics"',
        "m/m.hcl:24\n  hint: a copy",
    ),
    "name of an own product": (
        'data_product "mine" {\n  domain = "analytics"\n}\n'
        'copy "mine" {\n  domain = "analytics"\n  product = "sales.orders.v1"\n}\n',
        'm.hcl:26: error: copy "mine" shares its name with data product "analytics.mine"',
        "rename the copy",
    ),
    "topic of a product": (
        'data_product "p" {\n  domain = "analytics"\n  topic { name = "analytics.x.v1" }\n}\n'
        'copy "x" {\n  domain = "analytics"\n  product = "sales.orders.v1"\n}\n',
        'm.hcl:27: error: copy "x" would write topic "analytics.x.v1", which data_product.analytics.p.v1 owns',
        "rename the copy",
    ),
    "bad name": (
        'copy "X" {\n  domain = "analytics"\n  product = "sales.orders.v1"\n}\n',
        'm.hcl:23: error: invalid copy name "X"',
        "",
    ),
    "unknown attribute": (
        'copy "x" {\n  domain = "analytics"\n  product = "sales.orders.v1"\n  topic = "t"\n}\n',
        "m.hcl:26: error: unknown attribute 'topic' in copy \"x\"",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_copies(tmp_path: Path, case: str) -> None:
    text, first, hint = CASES[case]
    found = _errors(tmp_path, TREE + text)
    assert first in found
    assert hint in found


def test_a_copy_of_a_product_missing_from_an_environment(tmp_path: Path) -> None:
    text = (
        TREE.replace("  version = 1\n", '  version = 1\n  environments = ["dev"]\n', 1)
        + 'environment "dev" {}\nenvironment "prod" {}\n'
        + COPY
    )
    mesh = load(write_mesh(tmp_path / "m", {"m.hcl": text}), LoadOptions(env={}, environment="dev")).mesh
    assert [c.name for c in mesh.copies] == ["orders_local"]
    with pytest.raises(ConfigError) as exc:
        load(tmp_path / "m", LoadOptions(env={}, environment="prod"))
    shown = exc.value.diagnostics[0].format()
    assert 'copy "orders_local" copies sales.orders v1, which environment "prod" does not have' in shown
    assert 'environments = ["dev"]' in shown


def test_a_copy_limited_to_an_environment(tmp_path: Path) -> None:
    text = (
        TREE
        + 'environment "dev" {}\nenvironment "prod" {}\n'
        + COPY.replace("  version     = 1\n", '  version     = 1\n  environments = ["dev"]\n')
    )
    assert (
        len(load(write_mesh(tmp_path / "m", {"m.hcl": text}), LoadOptions(env={}, environment="dev")).mesh.copies) == 1
    )
    assert load(tmp_path / "m", LoadOptions(env={}, environment="prod")).mesh.copies == []
