"""`meshctl export`: ODCS data contracts valid against the published JSON Schema (shipped in
tests/data/odcs), Backstage entities with their required fields and the grants as relations,
offline, per environment, with hostile text kept as literal data and no secret written."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import validators

from meshctl.engine.workspace import Workspace
from tests.cli import run
from tests.helpers import write_mesh

ROOT = Path(__file__).parents[2]
ODCS_SCHEMA = json.loads((ROOT / "tests" / "data" / "odcs" / "odcs-json-schema-v3.1.0.json").read_text())
# Backstage's rule for metadata.name (and a namespace): 1-63 characters, runs of [A-Za-z0-9]
# joined by one of - _ . (catalog-model's KubernetesValidatorFunctions.isValidObjectName).
BACKSTAGE_NAME = re.compile(r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$")
REF = re.compile(r"^(group|domain|system|api|component):default/(.+)$")


def _odcs_errors(doc: Any) -> list[str]:
    validator = validators.validator_for(ODCS_SCHEMA)(ODCS_SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Export contacts no server: any connection attempt fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"export opened a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # librdkafka connects from C, past Python's sockets: no provider (Kafka, registry, AWS) may even be made.
    monkeypatch.setattr(Workspace, "providers", property(refuse))


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    mesh = shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for var in [v for v in os.environ if v.startswith("MESHCTL_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("MESHCTL_PARSE_CACHE", "off")
    return mesh


def _export(*args: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Export into ./out: (ODCS documents by file name, Backstage entities)."""
    result = run("export", *args, "--out", "out")
    assert result.exit_code == 0, result.output
    odcs = {p.name: _single(p) for p in sorted(Path("out/odcs").glob("*"))} if Path("out/odcs").exists() else {}
    catalog = Path("out/backstage/catalog-info.yaml")
    entities = list(yaml.safe_load_all(catalog.read_text())) if catalog.exists() else []
    return odcs, entities


def _single(path: Path) -> dict[str, Any]:
    (doc,) = list(yaml.safe_load_all(path.read_text()))
    return doc  # type: ignore[no-any-return]


# --- the example mesh --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_every_contract_of_the_examples_is_valid_odcs(examples: Path, environment: str) -> None:
    odcs, _ = _export("-e", environment, "--format", "odcs", "examples")
    expected = {
        "sales.orders.v1",
        "sales.orders.v2",
        "sales.customers.v1",
        "payments.transactions.v1",
        "payments.chargebacks.v1",
        "shipping.shipments.v1",
        "logistics.warehouses.v1",
    } | ({"payments.refunds.v1"} if environment == "dev" else set())
    assert set(odcs) == {f"{k}.odcs.yaml" for k in expected}
    assert not Path("out/backstage").exists()
    for name, doc in odcs.items():
        assert _odcs_errors(doc) == [], name
        assert (
            doc["apiVersion"] == "v3.1.0" and doc["kind"] == "DataContract" and doc["id"] == name[: -len(".odcs.yaml")]
        )


def test_a_contract_carries_schema_owners_sla_delivery_and_the_topic(examples: Path) -> None:
    odcs, _ = _export("-e", "prod", "--format", "odcs", "examples")
    v2 = odcs["sales.orders.v2.odcs.yaml"]
    assert (v2["name"], v2["version"], v2["status"], v2["domain"]) == ("orders", "2.0.0", "active", "sales")
    assert v2["team"] == {
        "name": "sales",
        "members": [
            {"username": "sales-lead@acme.example", "role": "accountable"},
            {"username": "team-sales", "role": "responsible"},
        ],
    }
    (value,) = v2["schema"]
    assert (value["physicalName"], value["physicalType"], value["businessName"]) == (
        "commerce.sales.orders.v2",
        "topic",
        "Order",
    )
    fields = {p["name"]: p for p in value["properties"]}
    assert list(fields) == ["order_id", "customer_id", "placed_at", "amount_minor", "currency", "channel"]
    assert fields["placed_at"]["logicalType"] == "timestamp" and fields["placed_at"]["required"] is True
    assert fields["amount_minor"] == {
        "name": "amount_minor",
        "logicalType": "integer",
        "physicalType": "long",
        "description": "Total in minor units of currency",
        "required": True,
    }
    assert fields["channel"]["required"] is False and fields["channel"]["logicalType"] == "string"
    sla = {s["property"]: s for s in v2["slaProperties"]}
    assert (sla["latency"]["value"], sla["latency"]["unit"]) == (5, "m")
    assert (sla["retention"]["value"], sla["retention"]["unit"]) == (14, "d")
    assert v2["servers"] == [
        {
            "server": "default",
            "type": "kafka",
            "host": "127.0.0.1:19094",  # prod's own kafka block
            "format": "avro",
            "environment": "prod",
            "customProperties": [{"property": "topic", "value": "commerce.sales.orders.v2"}],
        }
    ]
    custom = {c["property"]: c["value"] for c in v2["customProperties"]}
    assert custom["deliveryDuplicates"] == "tolerated" and custom["deliveryOutOfOrderWindow"] == "30s"
    assert custom["replaces"] == "sales.orders.v1" and custom["partitions"] == 12
    assert {r["role"] for r in v2["roles"]} == {"User:analytics", "User:shipping"}
    # v1 is replaced: its successor's dates are its end of support and end of life.
    v1 = {s["property"]: s["value"] for s in odcs["sales.orders.v1.odcs.yaml"]["slaProperties"]}
    assert (v1["endOfSupport"], v1["endOfLife"]) == ("2026-12-15", "2027-03-01")


def test_json_and_protobuf_schemas_and_key_schemas_are_translated(examples: Path) -> None:
    odcs, _ = _export("-e", "dev", "--format", "odcs", "examples")
    tx = {p["name"]: p for p in odcs["payments.transactions.v1.odcs.yaml"]["schema"][0]["properties"]}
    assert tx["amount_minor"]["logicalType"] == "integer" and tx["amount_minor"]["required"] is True
    assert tx["order_id"]["required"] is False
    assert tx["method"]["customProperties"] == [{"property": "allowedValues", "value": ["card", "wallet", "transfer"]}]
    ship = {p["name"]: p for p in odcs["shipping.shipments.v1.odcs.yaml"]["schema"][0]["properties"]}
    assert ship["updated_at"]["physicalType"] == "int64" and ship["updated_at"]["logicalType"] == "integer"
    assert ship["status"]["customProperties"][0]["value"] == ["UNKNOWN", "LABEL_CREATED", "IN_TRANSIT", "DELIVERED"]
    customers = odcs["sales.customers.v1.odcs.yaml"]["schema"]
    assert [s["physicalType"] for s in customers] == ["topic", "key"]
    assert [p["name"] for p in customers[1]["properties"]] == ["customer_id"]


def test_the_schema_check_can_fail() -> None:
    """The validation the tests rely on rejects what ODCS does not allow."""
    assert _odcs_errors({"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1"})  # no status
    bad = {"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1", "status": "active"}
    assert _odcs_errors({**bad, "servers": [{"server": "s", "type": "kafka"}]})  # a kafka server needs its host
    assert _odcs_errors({**bad, "schema": [{"name": "t", "properties": [{"name": "f", "logicalType": "long"}]}]})
    assert _odcs_errors({**bad, "sla": []})  # no such key
    assert _odcs_errors(bad) == []


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_backstage_entities_have_their_required_fields(examples: Path, environment: str) -> None:
    _, entities = _export("-e", environment, "--format", "backstage", "examples")
    assert not Path("out/odcs").exists()
    by_ref: dict[str, dict[str, Any]] = {}
    for e in entities:
        assert e["apiVersion"] == "backstage.io/v1alpha1"
        name = e["metadata"]["name"]
        assert BACKSTAGE_NAME.match(name) and len(name) <= 63, name
        ref = f"{e['kind'].lower()}:default/{name}"
        assert ref not in by_ref, ref
        by_ref[ref] = e
        spec = e["spec"]
        if e["kind"] == "Group":
            assert spec["type"] == "team" and spec["children"] == []
        else:
            assert REF.match(spec["owner"]) and spec["owner"].startswith("group:"), e
        if e["kind"] in ("API", "Component"):
            assert spec["type"] and spec["lifecycle"] in ("experimental", "production", "deprecated"), e
        if e["kind"] == "API":
            assert spec["type"] == "asyncapi"
            definition = yaml.safe_load(spec["definition"])
            assert (
                definition["asyncapi"] == "2.6.0"
                and e["metadata"]["annotations"]["meshctl.io/topic"] in (definition["channels"])
            )
    # Every reference names an entity of the catalog.
    for e in entities:
        spec = e["spec"]
        refs = [spec.get("owner"), spec.get("domain"), spec.get("system"), spec.get("subdomainOf")]
        refs += spec.get("consumesApis", []) + spec.get("providesApis", [])
        for ref in [r for r in refs if r]:
            assert ref in by_ref, (e["metadata"]["name"], ref)
    kinds = {k: sorted(r.split("/")[1] for r in by_ref if r.startswith(k + ":")) for k in ("domain", "system")}
    assert kinds["domain"] == ["analytics", "commerce", "logistics", "payments", "sales", "shipping"]
    assert "sales.orders" in kinds["system"]
    assert by_ref["domain:default/sales"]["spec"]["subdomainOf"] == "domain:default/commerce"
    assert by_ref["domain:default/sales"]["metadata"]["annotations"]["meshctl.io/accountable"] == (
        "sales-lead@acme.example"
    )
    assert by_ref["api:default/sales.orders.v2"]["spec"]["system"] == "system:default/sales.orders"
    assert ("api:default/payments.refunds.v1" in by_ref) == (environment == "dev")


def test_every_access_grant_is_a_consumes_relation(examples: Path) -> None:
    _, entities = _export("-e", "prod", "--format", "backstage", "examples")
    consumes = {
        e["metadata"]["name"]: set(e["spec"].get("consumesApis", [])) for e in entities if e["kind"] == "Component"
    }
    # access.hcl: analytics reads orders (both versions: no version named), transactions, shipments; ...
    assert {"api:default/sales.orders.v1", "api:default/sales.orders.v2"} <= consumes["analytics-principal"]
    assert "api:default/payments.transactions.v1" in consumes["analytics-principal"]
    assert "api:default/shipping.shipments.v1" in consumes["analytics-principal"]
    assert consumes["shipping-principal"] >= {"api:default/sales.orders.v1", "api:default/logistics.warehouses.v1"}
    assert consumes["payments-principal"] == {"api:default/sales.customers.v1"}
    # An application's reads (sales.orders.v2 only) and writes.
    assert consumes["shipping.eta"] == {"api:default/sales.orders.v2"}
    checkout = next(e for e in entities if e["metadata"]["name"] == "sales.checkout")
    assert checkout["spec"]["providesApis"] == ["api:default/sales.orders.v1", "api:default/sales.orders.v2"]


def test_stdout_is_one_yaml_stream_and_out_writes_the_files(examples: Path) -> None:
    printed = run("export", "-e", "dev", "examples")
    assert printed.exit_code == 0, printed.output
    docs = list(yaml.safe_load_all(printed.stdout))
    assert [d["kind"] for d in docs].count("DataContract") == 8 and "API" in [d["kind"] for d in docs]
    backstage = run("export", "-e", "dev", "--format", "backstage", "examples")
    assert all(d["apiVersion"] == "backstage.io/v1alpha1" for d in yaml.safe_load_all(backstage.stdout))
    written = run("export", "-e", "dev", "--out", "out", "examples")
    assert written.exit_code == 0 and written.stdout == "Wrote 9 files to out.\n", written.output
    assert Path("out/odcs/sales.orders.v2.odcs.yaml").is_file()
    assert Path("out/backstage/catalog-info.yaml").is_file()
    # The files are what was printed.
    printed_odcs = [d for d in docs if d["kind"] == "DataContract" and d["id"] == "sales.orders.v2"]
    assert printed_odcs == [_single(Path("out/odcs/sales.orders.v2.odcs.yaml"))]


def test_export_needs_an_environment_where_the_mesh_declares_them(examples: Path) -> None:
    result = run("export", "examples")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "environment" in result.stderr


# --- bad input -----------------------------------------------------------------------------------------------------


MESH = """
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  sla {
    freshness = "%s"
  }
}
"""


def test_a_bad_mesh_is_one_file_line_error_and_exit_1(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH % "5x"})
    result = run("export", "--out", "out")
    assert result.exit_code == 1
    assert "main.hcl:7: error: invalid sla.freshness" in result.stderr
    assert "Traceback" not in result.output and not Path("out").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--format", "html"], "'html' is not one of 'odcs', 'backstage', 'all'"),
        (["nowhere"], "nowhere"),
        (["-e", "prod"], "environment"),
    ],
)
def test_bad_arguments_exit_1_with_a_message(mesh_dir: Path, args: list[str], expected: str) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH % "5m"})
    result = run("export", *args)
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output


def test_an_unwritable_out_is_a_message(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH % "5m"})
    Path("blocked").write_text("a file, not a directory")
    result = run("export", "--out", "blocked/sub")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: cannot write blocked/sub/odcs/sales.orders.v1.odcs.yaml" in result.stderr, result.output


# --- hostile text and secrets ---------------------------------------------------------------------------------------

# YAML- and template-breaking text: quotes, `: `, `#`, a document marker, anchors, tags, flow
# collections, a block indicator, jinja2 expressions and statements, an HCL template escape.
HOSTILE = (
    "a \"q\" 'x': y # z\n--- \n{{ 7*7 }} {% if 1 %}x{% endif %} ${x} &a *b !!python/object:os.system {k: v} |\n> f"
)
HOSTILE_HCL = HOSTILE.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("${", "$${")
OWNER = 'Eve "Boss": #1 {{ owner }}\n- injected: true'
TEAM = "Team: Sales #1 {{ team }}"


def _hcl(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("${", "$${") + '"'


def test_hostile_text_comes_out_as_literal_data(mesh_dir: Path) -> None:
    schema = {
        "type": "record",
        "name": "Order",
        "doc": HOSTILE,
        "fields": [{"name": "id", "type": "string", "doc": HOSTILE}],
    }
    write_mesh(
        mesh_dir,
        {
            "main.hcl": f"""
domain "sales" {{
  description = {_hcl(HOSTILE)}
  owners {{
    accountable = {_hcl(OWNER)}
    responsible = [{_hcl(TEAM)}]
    informed    = [{_hcl(HOSTILE)}]
  }}
}}
data_product "orders" {{
  domain      = "sales"
  description = {_hcl(HOSTILE)}
  schema {{
    file = "orders.avsc"
  }}
}}
"""
        },
    )
    (mesh_dir / "orders.avsc").write_text(json.dumps(schema))
    odcs, entities = _export()
    (contract,) = odcs.values()
    assert _odcs_errors(contract) == []
    assert contract["description"] == {"purpose": HOSTILE}
    assert contract["team"]["members"] == [
        {"username": OWNER, "role": "accountable"},
        {"username": TEAM, "role": "responsible"},
        {"username": HOSTILE, "role": "informed"},
    ]
    assert contract["schema"][0]["properties"][0]["description"] == HOSTILE
    assert [e["kind"] for e in entities] == ["Group", "Domain", "System", "API"]  # no document injected
    group, domain, system, api = entities
    assert BACKSTAGE_NAME.match(group["metadata"]["name"]) and group["metadata"]["title"] == TEAM
    assert domain["metadata"]["description"] == HOSTILE
    assert domain["metadata"]["annotations"]["meshctl.io/accountable"] == OWNER
    assert domain["spec"]["owner"] == f"group:default/{group['metadata']['name']}"
    assert system["metadata"]["description"] == HOSTILE and api["metadata"]["description"] == HOSTILE
    definition = yaml.safe_load(api["spec"]["definition"])
    assert definition["info"]["description"] == HOSTILE
    assert definition["channels"]["sales.orders.v1"]["subscribe"]["message"]["payload"] == schema
    # Rendered text holds no evaluated template: 7*7 was never computed.
    text = Path("out/backstage/catalog-info.yaml").read_text() + next(Path("out/odcs").iterdir()).read_text()
    assert "49" not in text


def test_no_secret_is_exported(mesh_dir: Path) -> None:
    write_mesh(
        mesh_dir,
        {
            "main.hcl": """
variable "password" {
  sensitive = true
}
kafka {
  bootstrap_servers = "broker-1.acme.example:9093,broker-2.acme.example:9093"
  security_protocol = "SASL_SSL"
  sasl_mechanism    = "SCRAM-SHA-512"
  sasl_username     = "meshctl-admin"
  sasl_password     = var.password
}
schema_registry {
  url      = "https://registry.acme.example"
  username = "reg-user"
  password = var.password
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
}
"""
        },
    )
    result = run("export", "--var", "password=Sup3r-S3cret-Pw", "--out", "out")
    assert result.exit_code == 0, result.output
    odcs, _ = _export("--var", "password=Sup3r-S3cret-Pw")
    (contract,) = odcs.values()
    assert contract["servers"][0]["host"] == "broker-1.acme.example:9093,broker-2.acme.example:9093"
    for path in Path("out").rglob("*.yaml"):
        text = path.read_text()
        assert "Sup3r-S3cret-Pw" not in text and "meshctl-admin" not in text and "reg-user" not in text, path


def test_an_address_with_credentials_in_it_is_left_out(mesh_dir: Path) -> None:
    write_mesh(
        mesh_dir,
        {
            "main.hcl": """
kafka {
  bootstrap_servers = "SASL_SSL://alice:Pw-In-Url-9@broker.acme.example:9093"
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
}
"""
        },
    )
    result = run("export", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "cluster 'default'" in result.stderr and "no servers entry" in result.stderr
    for path in Path("out").rglob("*.yaml"):
        assert "Pw-In-Url-9" not in path.read_text() and "alice" not in path.read_text()
    odcs, _ = _export()
    assert "servers" not in next(iter(odcs.values()))


def test_each_product_names_its_own_cluster_s_servers(mesh_dir: Path) -> None:
    write_mesh(
        mesh_dir,
        {
            "main.hcl": """
kafka {
  bootstrap_servers = "home-1:9092"
}
kafka "eu" {
  bootstrap_servers = "eu-1:9092,eu-2:9092"
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
domain "emea" {
  cluster = "eu"
  owners { accountable = "e@acme.example" }
}
data_product "orders" {
  domain = "sales"
}
data_product "leads" {
  domain = "emea"
}
"""
        },
    )
    odcs, entities = _export()
    hosts = {name: [(s["server"], s["host"]) for s in doc["servers"]] for name, doc in odcs.items()}
    assert hosts == {
        "sales.orders.v1.odcs.yaml": [("default", "home-1:9092")],
        "emea.leads.v1.odcs.yaml": [("eu", "eu-1:9092,eu-2:9092")],
    }
    custom = {c["property"]: c["value"] for c in odcs["emea.leads.v1.odcs.yaml"]["customProperties"]}
    assert custom["cluster"] == "eu"
    api = next(e for e in entities if e["kind"] == "API" and e["metadata"]["name"] == "emea.leads.v1")
    assert yaml.safe_load(api["spec"]["definition"])["servers"] == {
        "eu": {"url": "eu-1:9092,eu-2:9092", "protocol": "kafka"}
    }


@pytest.mark.parametrize(
    ("deprecated", "sunset", "status", "lifecycle"),
    [
        ("2999-01-01", "2999-06-01", "active", "production"),
        ("2000-01-01", "2999-06-01", "deprecated", "deprecated"),
        ("2000-01-01", "2000-06-01", "retired", "deprecated"),
    ],
)
def test_a_replaced_version_s_status_follows_its_successor_s_dates(
    mesh_dir: Path, deprecated: str, sunset: str, status: str, lifecycle: str
) -> None:
    write_mesh(
        mesh_dir,
        {
            "main.hcl": f"""
domain "sales" {{
  owners {{ accountable = "s@acme.example" }}
}}
data_product "orders" {{
  domain = "sales"
}}
data_product "orders" {{
  domain  = "sales"
  version = 2
  versioning {{
    replaces   = 1
    deprecated = "{deprecated}"
    sunset     = "{sunset}"
  }}
}}
"""
        },
    )
    odcs, entities = _export()
    assert odcs["sales.orders.v1.odcs.yaml"]["status"] == status
    assert odcs["sales.orders.v2.odcs.yaml"]["status"] == "active"
    lifecycles = {e["metadata"]["name"]: e["spec"]["lifecycle"] for e in entities if e["kind"] == "API"}
    assert lifecycles == {"sales.orders.v1": lifecycle, "sales.orders.v2": "production"}
    v1 = {s["property"]: s["value"] for s in odcs["sales.orders.v1.odcs.yaml"]["slaProperties"]}
    assert (v1["endOfSupport"], v1["endOfLife"]) == (deprecated, sunset)
