"""Application blocks: decoding (every attribute's source line) and the validation rules of
docs/design/applications.md section 3, one `file:line` diagnostic per case."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.mesh.model import Application, Mesh, PrincipalSpec
from tests.helpers import MINIMAL, write_mesh

OWNERS = '  owners { accountable = "o@acme.example" }\n'

# MINIMAL: commerce > sales (orders v1), analytics (granted sales.orders). Plus payments with two
# versions of transactions, of which analytics is granted v2 only, and a second sales product.
BASE = (
    MINIMAL
    + 'domain "payments" {\n'
    + OWNERS
    + "}\n"
    + 'data_product "transactions" {\n  domain = "payments"\n  version = 1\n}\n'
    + 'data_product "transactions" {\n  domain = "payments"\n  version = 2\n}\n'
    + 'access "analytics_tx" {\n  product = "payments.transactions"\n  version = 2\n  consumer = "analytics"\n}\n'
    + 'data_product "returns" {\n  domain = "sales"\n}\n'
)
VENDOR = {"vendor/main.hcl": 'variable "integration" {}\n'}


def app(name: str, domain: str, kind: str, *lines: str) -> str:
    body = "".join(f"  {line}\n" for line in lines)
    return f'application "{name}" {{\n  domain = "{domain}"\n  kind = "{kind}"\n{body}}}\n'


def load_mesh(directory: Path, apps: str, base: str = BASE) -> Mesh:
    (directory / "vendor").mkdir(parents=True, exist_ok=True)
    write_mesh(directory, {"m.hcl": base, "apps.hcl": apps, **VENDOR})
    return load(directory, LoadOptions(env={})).mesh


CASES: dict[str, tuple[str, str]] = {
    # 1. names, uniqueness, the domain
    "bad name": (app("Bad", "sales", "producer"), 'apps.hcl:1: error: invalid application name "Bad"'),
    "unknown domain": (
        app("api", "sale", "producer"),
        'apps.hcl:2: error: application "api" names an unknown domain "sale"',
    ),
    "duplicate": (
        app("api", "sales", "producer") + app("api", "sales", "consumer"),
        'apps.hcl:5: error: duplicate application "api" of domain "sales"',
    ),
    "missing kind": (
        'application "api" {\n  domain = "sales"\n}\n',
        "apps.hcl:1: error: missing required attribute 'kind'",
    ),
    # 2. principals shared mesh-wide, reserved names
    "principal of a domain": (
        'domain "sales-api" {\n' + OWNERS + "}\n" + app("api", "sales", "producer"),
        'apps.hcl:4: error: application "api" would share the principal User:sales-api with domain "sales-api"',
    ),
    "principal of an integration": (
        'domain "sales-x" {\n' + OWNERS + "}\n"
        'integration "api" {\n  domain = "sales-x"\n  vendor = "v"\n  source = "./vendor"\n}\n'
        + app("x-api", "sales", "consumer"),
        'apps.hcl:9: error: application "x-api" would share the principal User:sales-x-api '
        'with integration "api" of domain "sales-x"',
    ),
    "principal of another application": (
        'domain "sales-x" {\n' + OWNERS + "}\n" + app("y", "sales-x", "consumer") + app("x-y", "sales", "consumer"),
        'apps.hcl:8: error: application "x-y" would share the principal User:sales-x-y '
        'with application "y" of domain "sales-x"',
    ),
    "reserved domain grp": (
        'domain "grp" {\n' + OWNERS + "}\n",
        'apps.hcl:1: error: domain "grp" would be the principal User:grp, a reserved name',
    ),
    "reserved domain txn": (
        'domain "txn" {\n' + OWNERS + "}\n",
        'apps.hcl:1: error: domain "txn" would be the principal User:txn, a reserved name',
    ),
    "reserved application principal": (
        'domain "connect" {\n' + OWNERS + "}\n" + app("x", "connect", "consumer"),
        'apps.hcl:4: error: application "x" of domain "connect" would be the principal User:connect-x, a reserved name',
    ),
    # 3. own products only
    "writes another domain's product": (
        app("api", "sales", "producer", 'writes = ["payments.transactions"]'),
        'apps.hcl:4: error: application "api" writes "payments.transactions": only products of its own domain "sales"',
    ),
    "writes a product of another domain by name": (
        app("api", "sales", "producer", 'writes = ["transactions"]'),
        'apps.hcl:4: error: application "api" writes an unknown product "transactions" of domain "sales"',
    ),
    "writes its own product with the domain": (
        app("api", "sales", "producer", 'writes = ["sales.orders.v1"]'),
        'write "orders.v1", without the domain',
    ),
    "writes an undeclared version": (
        app("api", "sales", "producer", 'writes = ["orders.v2"]'),
        'apps.hcl:4: error: application "api" writes version 2 of "sales.orders", which is not declared',
    ),
    # 4. one writer per product version
    "two writers": (
        app("api", "sales", "producer", 'writes = ["orders"]')
        + app("etl", "sales", "streams", 'writes = ["orders.v1"]'),
        "apps.hcl:9: error: sales.orders v1 would have two writers: application.sales.api and application.sales.etl",
    ),
    # 5. reads within the domain's grants
    "reads a product not granted": (
        app("dash", "analytics", "consumer", 'reads = ["payments.transactions"]'),
        'apps.hcl:4: error: analytics is not granted payments.transactions v1: application "dash" cannot read it',
    ),
    "reads a version not granted": (
        app("dash", "analytics", "consumer", 'reads = ["payments.transactions.v1"]'),
        'apps.hcl:4: error: analytics is not granted payments.transactions v1: application "dash" cannot read it',
    ),
    "reads with no grant at all": (
        app("api", "sales", "producer", 'reads = ["payments.transactions.v2"]'),
        'apps.hcl:4: error: sales is not granted payments.transactions v2: application "api" cannot read it',
    ),
    "reads an unknown product": (
        app("dash", "analytics", "consumer", 'reads = ["sales.order"]'),
        'apps.hcl:4: error: application "dash" reads an unknown data product "sales.order"',
    ),
    "reads an undeclared version": (
        app("dash", "analytics", "consumer", 'reads = ["sales.orders.v7"]'),
        'apps.hcl:4: error: application "dash" reads version 7 of "sales.orders", which is not declared',
    ),
    # 6. kinds
    "unknown kind": (app("api", "sales", "produser"), 'apps.hcl:3: error: application "api" has an unknown kind'),
    "consumer writes": (
        app("dash", "sales", "consumer", 'writes = ["orders"]'),
        'apps.hcl:4: error: application "dash" is a consumer and cannot write',
    ),
    "transactional consumer": (
        app("dash", "sales", "consumer", "transactional = true"),
        'apps.hcl:4: error: application "dash": transactional applies to producers and streams, not consumer',
    ),
    "transactional connect": (
        app("sink", "sales", "connect", "transactional = true"),
        'apps.hcl:4: error: application "sink": transactional applies to producers and streams, not connect',
    ),
    "idle streams": (
        app("etl", "sales", "streams"),
        'apps.hcl:1: error: application "etl" is a streams application that neither reads nor writes',
    ),
    # 7. principal spec
    "unsupported provider": (
        app("api", "sales", "producer", 'principal {\n    provider = "aws_iam"\n  }'),
        'apps.hcl:5: error: application "api": principal provider "aws_iam" is not supported yet',
    ),
    "unknown mechanism": (
        app("api", "sales", "producer", 'principal {\n    mechanism = "PLAIN"\n  }'),
        'apps.hcl:5: error: application "api": unknown SCRAM mechanism "PLAIN"',
    ),
    "unknown principal attribute": (
        app("api", "sales", "producer", 'principal {\n    role_arn = "x"\n  }'),
        "apps.hcl:5: error: unknown attribute 'role_arn'",
    ),
    # 8. names shared with an integration or product of the domain
    "named as a product": (
        app("orders", "sales", "consumer"),
        'apps.hcl:1: error: application "orders" shares its name with data_product.sales.orders.v1 in domain "sales"',
    ),
    "named as an integration": (
        'integration "lake" {\n  domain = "sales"\n  vendor = "v"\n  source = "./vendor"\n}\n'
        + app("lake", "sales", "consumer"),
        'apps.hcl:6: error: application "lake" shares its name with integration "lake" in domain "sales"',
    ),
    # A product's topic name may not fall under an application's own namespace `<P>.`.
    "product topic under an application's namespace": (
        app("dash", "analytics", "consumer")
        + 'data_product "x" {\n  domain = "analytics"\n  topic { name = "analytics-dash.x" }\n}\n',
        'apps.hcl:7: error: topic "analytics-dash.x" falls in the namespace of application.analytics.dash',
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_application_rule(case: str, tmp_path: Path) -> None:
    text, expected = CASES[case]
    with pytest.raises(ConfigError) as info:
        load_mesh(tmp_path, text)
    shown = info.value.format()
    assert expected in shown, shown
    # One diagnostic per problem: the case's line is reported once.
    assert shown.count(expected) == 1


DESIGN_APPS = (
    'application "enricher" {\n'  # 1
    '  domain        = "sales"\n'
    '  kind          = "streams"\n'
    '  description   = "Joins orders with returns"\n'
    "  transactional = true\n"  # 5
    '  reads         = ["sales.orders", "payments.transactions.v2"]\n'
    '  writes        = ["returns"]\n'
    "  principal {\n"
    '    provider  = "scram"\n'
    '    mechanism = "SCRAM-SHA-256"\n'  # 10
    "  }\n"
    "  aws {\n"
    '    runs_as = ["arn:aws:iam::123456789012:role/sales-enricher"]\n'
    "  }\n"
    "}\n"  # 15
    + app("orders_api", "sales", "producer", "transactional = true", 'writes = ["orders"]')
    + app("dashboard", "analytics", "consumer", 'reads = ["sales.orders"]')
    + app("lake_sink", "analytics", "connect", 'reads = ["sales.orders", "payments.transactions.v2"]')
)


def test_the_design_example_decodes_with_every_attribute_and_its_line(tmp_path: Path) -> None:
    base = BASE.replace(
        'consumer = "analytics"\n}',
        'consumer = "analytics"\n}\naccess "s_tx" {\n'
        '  product = "payments.transactions"\n  version = 2\n  consumer = "sales"\n}',
        1,
    )
    mesh = load_mesh(tmp_path, DESIGN_APPS, base)
    by_name = {a.name: a for a in mesh.applications}
    enricher = by_name["enricher"]
    assert enricher == Application(
        name="enricher",
        domain="sales",
        kind="streams",
        src=enricher.src,
        description="Joins orders with returns",
        transactional=True,
        reads=("sales.orders", "payments.transactions.v2"),
        writes=("returns",),
        principal=PrincipalSpec("scram", "SCRAM-SHA-256"),
        runs_as=("arn:aws:iam::123456789012:role/sales-enricher",),
    )
    lines = {k: f"{Path(v.file).name}:{v.line}" for k, v in enricher.srcs.items()}
    assert (Path(enricher.src.file).name, enricher.src.line) == ("apps.hcl", 1)
    assert lines["kind"] == "apps.hcl:3" and lines["reads"] == "apps.hcl:6" and lines["writes"] == "apps.hcl:7"
    assert lines["principal"] == "apps.hcl:8" and lines["principal.mechanism"] == "apps.hcl:10"
    assert lines["aws"] == "apps.hcl:12" and lines["aws.runs_as"] == "apps.hcl:13"
    assert enricher.principal_name == "sales-enricher" and enricher.address == "application.sales.enricher"
    assert by_name["orders_api"].principal == PrincipalSpec("scram", "SCRAM-SHA-512")  # the default
    assert [a.kind for a in mesh.applications] == ["streams", "producer", "consumer", "connect"]


def test_the_mechanism_defaults_to_the_mesh_s_scram_mechanism(tmp_path: Path) -> None:
    base = BASE + 'kafka {\n  sasl_mechanism = "SCRAM-SHA-256"\n}\n'
    mesh = load_mesh(tmp_path, app("api", "sales", "producer"), base)
    assert mesh.applications[0].principal.mechanism == "SCRAM-SHA-256"
    mesh = load_mesh(tmp_path, app("api", "sales", "producer"), BASE + 'kafka {\n  sasl_mechanism = "PLAIN"\n}\n')
    assert mesh.applications[0].principal.mechanism == "SCRAM-SHA-512"


def test_own_products_and_granted_versions_are_readable(tmp_path: Path) -> None:
    apps = (
        app("dash", "analytics", "consumer", 'reads = ["sales.orders", "payments.transactions.v2"]')
        + app("mirror", "sales", "producer", 'reads = ["sales.returns"]', 'writes = ["orders"]')
        + app("audit", "sales", "producer", 'reads = ["sales.orders"]', "writes = []")
    )
    mesh = load_mesh(tmp_path, apps)
    assert [a.name for a in mesh.applications] == ["dash", "mirror", "audit"]


def test_applications_of_different_products_and_versions_may_each_write(tmp_path: Path) -> None:
    base = BASE + 'data_product "orders" {\n  domain = "sales"\n  version = 2\n}\n'
    apps = app("v1", "sales", "producer", 'writes = ["orders.v1"]') + app(
        "v2", "sales", "producer", 'writes = ["orders.v2"]'
    )
    mesh = load_mesh(tmp_path, apps, base)
    assert len(mesh.applications) == 2


def test_an_application_block_in_a_module_is_refused_at_its_line(tmp_path: Path) -> None:
    module = {"mods/m/main.hcl": 'variable "x" {}\n' + app("api", "sales", "producer")}
    (tmp_path / "mods" / "m").mkdir(parents=True)
    write_mesh(tmp_path, {"m.hcl": BASE + 'module "m" {\n  source = "./mods/m"\n  x = 1\n}\n', **module})
    with pytest.raises(ConfigError) as info:
        load(tmp_path, LoadOptions(env={}))
    assert (
        "mods/m/main.hcl:2: error: application blocks are declared at the root of the mesh, not in a module"
        in info.value.format()
    )
