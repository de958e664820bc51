"""Mesh validation, table-driven: each case is a configuration and the first error."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from tests.helpers import MINIMAL, write_mesh

ROOT = (
    'domain "root" {\n  owners { accountable = "r" }\n  policy {\n    min_replication_factor = 3\n'
    '    max_partitions = 12\n    max_retention = "7d"\n  }\n}\n'
)

CASES = {
    "unknown parent": (
        'domain "a" {\n  parent = "nope"\n  owners { accountable = "x" }\n}\n',
        'm.hcl:2: error: domain "a" has an unknown parent "nope"',
    ),
    "parent cycle": (
        'domain "a" {\n  parent = "b"\n  owners { accountable = "x" }\n}\n'
        'domain "b" {\n  parent = "a"\n  owners { accountable = "x" }\n}\n',
        "domain parents form a cycle: a -> b -> a",
    ),
    "two accountable": (
        'domain "a" {\n  owners {\n    accountable = ["x", "y"]\n  }\n}\n',
        'm.hcl:3: error: domain "a" needs exactly one accountable owner, found 2',
    ),
    "no owners": ('domain "a" {\n}\n', "m.hcl:1: error: missing required block 'owners' in domain \"a\""),
    "no accountable": (
        'domain "a" {\n  owners { responsible = "x" }\n}\n',
        "missing required attribute 'accountable'",
    ),
    "child loosens policy": (
        ROOT + 'domain "kid" {\n  parent = "root"\n  owners { accountable = "k" }\n  policy {\n'
        "    min_replication_factor = 2\n  }\n}\n",
        'm.hcl:13: error: domain "kid" loosens min_replication_factor inherited from domain "root"',
    ),
    "rf under inherited minimum": (
        ROOT + 'domain "kid" {\n  parent = "root"\n  owners { accountable = "k" }\n}\n'
        'data_product "p" {\n  domain = "kid"\n  topic {\n    replication_factor = 1\n  }\n}\n',
        "m.hcl:16: error: replication_factor 1 is under the minimum 3",
    ),
    "partitions over maximum": (
        ROOT + 'data_product "p" {\n  domain = "root"\n  topic {\n    partitions = 48\n  }\n}\n',
        "m.hcl:12: error: partitions 48 is over the maximum 12",
    ),
    "retention over maximum": (
        ROOT + 'data_product "p" {\n  domain = "root"\n  topic {\n    config = { "retention.ms" = "-1" }\n  }\n}\n',
        "m.hcl:12: error: retention.ms infinite is over the maximum retention 7d",
    ),
    "unknown product domain": (
        'data_product "p" {\n  domain = "nope"\n}\n',
        'm.hcl:2: error: data_product "p" names an unknown domain "nope"',
    ),
    "duplicate version": (
        MINIMAL + 'data_product "orders" {\n  domain = "sales"\n  version = 1\n}\n',
        "duplicate data product version: sales.orders v1",
    ),
    "topic outside namespace": (
        MINIMAL + 'data_product "o2" {\n  domain = "sales"\n  topic { name = "marketing.o2" }\n}\n',
        'topic "marketing.o2" is outside domain "sales"\'s namespace',
    ),
    "topic in a sub-domain's namespace": (
        MINIMAL + 'data_product "o2" {\n  domain = "commerce"\n  topic { name = "commerce.sales.o2" }\n}\n',
        'topic "commerce.sales.o2" falls in the namespace of domain "sales"',
    ),
    "second writer": (
        MINIMAL + 'access "w" {\n  product = "sales.orders"\n  consumer = "analytics"\n  mode = "write"\n}\n',
        'access "w" asks for mode "write": only the owning domain may write a product',
    ),
    "unknown product in grant": (
        MINIMAL + 'access "w" {\n  product = "sales.order"\n  consumer = "analytics"\n}\n',
        "did you mean 'sales.orders'?",
    ),
    "unknown version in grant": (
        MINIMAL + 'access "w" {\n  product = "sales.orders.v3"\n  consumer = "analytics"\n}\n',
        'names version 3 of "sales.orders", which is not declared',
    ),
    "fractional version in grant": (
        MINIMAL + 'access "w" {\n  product = "sales.orders"\n  version = 1.5\n  consumer = "analytics"\n}\n',
        "m.hcl:25: error: version must be a whole number of at least 1",
    ),
    "unknown consumer": (
        MINIMAL + 'access "w" {\n  product = "sales.orders"\n  consumer = "analytic"\n}\n',
        'unknown consumer domain "analytic"',
    ),
    "bad kind": (
        'domain "a" {\n  owners { accountable = "x" }\n}\ndata_product "p" {\n  domain = "a"\n  kind = "stream"\n}\n',
        "m.hcl:6: error: unknown kind 'stream'",
    ),
    "bad name": ('domain "Sales" {\n  owners { accountable = "x" }\n}\n', 'invalid domain name "Sales"'),
    "duplicate domain": (
        'domain "a" {\n  owners { accountable = "x" }\n}\ndomain "a" {\n  owners { accountable = "x" }\n}\n',
        'm.hcl:4: error: duplicate domain "a"',
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validation(case: str, mesh_dir: Path) -> None:
    text, expected = CASES[case]
    write_mesh(mesh_dir, {"m.hcl": text})
    with pytest.raises(ConfigError) as info:
        load(mesh_dir, LoadOptions(env={}))
    assert expected in info.value.format()


def test_tightening_is_allowed_and_allow_override_permits_loosening(tmp_path: Path) -> None:
    text = ROOT.replace("policy {", "policy {\n    allow_override = true") + (
        'domain "kid" {\n  parent = "root"\n  owners { accountable = "k" }\n  policy {\n'
        "    min_replication_factor = 1\n    max_partitions = 6\n  }\n}\n"
        'data_product "p" {\n  domain = "kid"\n  topic {\n    replication_factor = 1\n    partitions = 6\n  }\n}\n'
    )
    write_mesh(tmp_path, {"m.hcl": text})
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    assert mesh.products[0].topic.replication_factor == 1


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    write_mesh(tmp_path, {"m.hcl": MINIMAL + 'access "self" {\n  product = "sales.orders"\n  consumer = "sales"\n}\n'})
    loaded = load(tmp_path, LoadOptions(env={}))
    assert [w.summary for w in loaded.warnings] == ['access "self" grants "sales" its own product']


def test_the_example_mesh_is_valid() -> None:
    loaded = load(Path(__file__).parents[2] / "examples", LoadOptions(env={}, environment="dev"))
    mesh = loaded.mesh
    assert len(mesh.domains) >= 4 and len(mesh.products) >= 6 and len(mesh.access) >= 5
    assert any(p.kind == "fat_object" for p in mesh.products)
    assert any(d.parent for d in mesh.domains.values())
    assert not loaded.warnings
