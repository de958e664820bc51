"""Applications compile to one SCRAM principal each and exactly the ACL set of their kind
(docs/design/applications.md, section 4); the domain hands WRITE over per product version."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from meshctl.compile.aws import application_secrets
from meshctl.compile.kafka import compile_kafka
from meshctl.compile.lifecycle import stages
from meshctl.config.loader import LoadOptions, load
from meshctl.mesh.model import Mesh
from meshctl.resources import Resource
from tests.helpers import MINIMAL, write_mesh
from tests.unit.test_validate_applications import BASE, app

TODAY = date(2026, 12, 3)
GRANTS = (
    'access "s_tx" {\n  product = "payments.transactions"\n  version = 2\n  consumer = "sales"\n}\n'
    'data_product "orders_enriched" {\n  domain = "sales"\n}\n'
)
APPS = (
    app(
        "enricher",
        "sales",
        "streams",
        "transactional = true",
        'reads = ["sales.orders", "payments.transactions.v2"]',
        'writes = ["orders_enriched"]',
    )
    + app("orders_api", "sales", "producer", "transactional = true", 'writes = ["orders"]')
    + app("dashboard", "analytics", "consumer", 'reads = ["sales.orders"]')
    + app("lake_sink", "analytics", "connect", 'reads = ["sales.orders", "payments.transactions.v2"]')
)
ORDERS = "commerce.sales.orders.v1"
ENRICHED = "commerce.sales.orders_enriched.v1"
TX2 = "payments.transactions.v2"


def load_mesh(directory: Path, apps: str = APPS, base: str = BASE + GRANTS) -> Mesh:
    write_mesh(directory, {"m.hcl": base, "apps.hcl": apps})
    return load(directory, LoadOptions(env={})).mesh


def compiled(mesh: Mesh) -> list[Resource]:
    return compile_kafka(mesh, stages(mesh, TODAY, set()))


def acls_of(resources: list[Resource], user: str) -> set[tuple[str, str, str, tuple[str, ...]]]:
    """(resource type, name, pattern, operations) of every ACL of `User:<user>`."""
    out = set()
    for r in resources:
        a = r.attributes
        if r.type == "kafka_acl" and a["principal"] == f"User:{user}":
            assert a["host"] == "*"
            out.add((str(a["resource_type"]), str(a["resource_name"]), str(a["pattern_type"]), tuple(a["operations"])))  # type: ignore[arg-type]
    return out


R, W, D = ("DESCRIBE", "READ"), ("DESCRIBE", "WRITE"), ("DESCRIBE",)


def test_each_kind_gets_exactly_its_acl_set(tmp_path: Path) -> None:
    res = compiled(load_mesh(tmp_path))
    assert acls_of(res, "sales-enricher") == {
        ("TOPIC", ORDERS, "LITERAL", R),
        ("TOPIC", TX2, "LITERAL", R),
        ("TOPIC", ENRICHED, "LITERAL", W),
        ("TOPIC", "sales-enricher.", "PREFIXED", ("CREATE", "DELETE", "DESCRIBE", "READ", "WRITE")),
        ("GROUP", "sales-enricher.streams", "LITERAL", R),
        ("TRANSACTIONAL_ID", "sales-enricher.", "PREFIXED", W),
    }
    assert acls_of(res, "sales-orders_api") == {
        ("TOPIC", ORDERS, "LITERAL", W),
        ("TRANSACTIONAL_ID", "txn.sales-orders_api.", "PREFIXED", W),
    }
    assert acls_of(res, "analytics-dashboard") == {
        ("TOPIC", ORDERS, "LITERAL", R),
        ("GROUP", "grp.analytics-dashboard.", "PREFIXED", R),
    }
    internal = ("DESCRIBE", "DESCRIBE_CONFIGS", "READ", "WRITE")
    assert acls_of(res, "analytics-lake_sink") == {
        ("TOPIC", ORDERS, "LITERAL", R),
        ("TOPIC", TX2, "LITERAL", R),
        ("GROUP", "analytics-lake_sink.connect", "LITERAL", R),
        ("GROUP", "connect-analytics-lake_sink.", "PREFIXED", R),
        ("TOPIC", "analytics-lake_sink.connect-configs", "LITERAL", internal),
        ("TOPIC", "analytics-lake_sink.connect-offsets", "LITERAL", internal),
        ("TOPIC", "analytics-lake_sink.connect-status", "LITERAL", internal),
    }
    # No CLUSTER ACL at all (KIP-679: WRITE on a topic lets an idempotent producer initialise),
    # no CREATE outside the Streams app's own namespace.
    acls = [r.attributes for r in res if r.type == "kafka_acl"]
    assert not [a for a in acls if a["resource_type"] == "CLUSTER" or "IDEMPOTENT_WRITE" in a["operations"]]  # type: ignore[operator]
    assert [a["resource_name"] for a in acls if "CREATE" in a["operations"]] == ["sales-enricher."]  # type: ignore[operator]


def test_a_producer_that_reads_joins_its_own_groups_and_a_plain_producer_gets_no_transactional_id(
    tmp_path: Path,
) -> None:
    apps = app("mirror", "sales", "producer", 'reads = ["payments.transactions.v2"]', 'writes = ["orders"]')
    res = compiled(load_mesh(tmp_path, apps))
    assert acls_of(res, "sales-mirror") == {
        ("TOPIC", TX2, "LITERAL", R),
        ("TOPIC", ORDERS, "LITERAL", W),
        ("GROUP", "grp.sales-mirror.", "PREFIXED", R),
    }


def test_principals_addresses_sources_and_dependencies(tmp_path: Path) -> None:
    res = {r.address: r for r in compiled(load_mesh(tmp_path))}
    user = res["kafka_scram_user.sales.enricher"]
    assert dict(user.attributes) == {"name": "sales-enricher", "mechanism": "SCRAM-SHA-512", "iterations": 8192}
    assert (user.source, user.domain, user.depends_on) == ("application.sales.enricher", "sales", ())
    write = res[f"kafka_acl.sales-enricher/topic/{ENRICHED}"]
    assert write.source == "application.sales.enricher" and write.domain == "sales"
    assert write.depends_on == (f"kafka_topic.{ENRICHED}", "kafka_scram_user.sales.enricher")
    group = res["kafka_acl.analytics-dashboard/group/grp.analytics-dashboard.*"]
    assert group.depends_on == ("kafka_scram_user.analytics.dashboard",) and group.domain == "analytics"
    assert "kafka_acl.sales-orders_api/transactional_id/txn.sales-orders_api.*" in res
    offsets = res["kafka_topic.analytics-lake_sink.connect-offsets"]
    assert offsets.source == "application.analytics.lake_sink" and offsets.domain == "analytics"
    assert dict(offsets.attributes) == {
        "name": "analytics-lake_sink.connect-offsets",
        "partitions": 25,
        "replication_factor": None,
        "config": {"cleanup.policy": "compact"},
    }
    sizes = {r.attributes["name"]: r.attributes["partitions"] for r in res.values() if r.type == "kafka_topic"}
    assert (sizes["analytics-lake_sink.connect-configs"], sizes["analytics-lake_sink.connect-status"]) == (1, 5)
    acl = res["kafka_acl.analytics-lake_sink/topic/analytics-lake_sink.connect-offsets"]
    assert acl.depends_on == ("kafka_topic.analytics-lake_sink.connect-offsets", "kafka_scram_user.analytics.lake_sink")


def test_the_mechanism_comes_from_the_principal_block(tmp_path: Path) -> None:
    apps = app("api", "sales", "producer", 'principal {\n    mechanism = "SCRAM-SHA-256"\n  }')
    res = {r.address: r for r in compiled(load_mesh(tmp_path, apps))}
    assert res["kafka_scram_user.sales.api"].attributes["mechanism"] == "SCRAM-SHA-256"
    assert acls_of(list(res.values()), "sales-api") == set()  # writes nothing, reads nothing: no ACL


def test_the_domain_loses_write_only_on_the_versions_an_application_writes(tmp_path: Path) -> None:
    base = BASE + GRANTS + 'data_product "orders" {\n  domain = "sales"\n  version = 2\n}\n'
    before = compiled(load_mesh(tmp_path, "", base))
    after = compiled(load_mesh(tmp_path, app("api", "sales", "producer", 'writes = ["orders.v2"]'), base))
    v2 = "commerce.sales.orders.v2"
    assert ("TOPIC", v2, "LITERAL", W) in acls_of(before, "sales")
    assert acls_of(after, "sales") == (acls_of(before, "sales") - {("TOPIC", v2, "LITERAL", W)}) | {
        ("TOPIC", v2, "LITERAL", D)
    }
    assert ("TOPIC", ORDERS, "LITERAL", W) in acls_of(after, "sales")  # v1: nobody else writes it
    # Nothing else of any domain or integration changes.
    others = {r.address: r.attributes for r in before if not r.address.startswith("kafka_acl.sales/")}
    assert {r.address: r.attributes for r in after if r.address in others} == others
    # Without a version, every version is handed over; the grants and the group of the domain stay.
    every = compiled(load_mesh(tmp_path, app("api", "sales", "producer", 'writes = ["orders"]'), base))
    assert {a for a in acls_of(every, "sales") if a[1] in (ORDERS, v2)} == {
        ("TOPIC", ORDERS, "LITERAL", D),
        ("TOPIC", v2, "LITERAL", D),
    }
    assert ("GROUP", "grp.analytics.", "PREFIXED", R) in acls_of(every, "analytics")


def test_a_frozen_version_an_application_writes_takes_no_writes(tmp_path: Path) -> None:
    base = (
        BASE
        + GRANTS
        + 'data_product "orders" {\n  domain = "sales"\n  version = 2\n'
        + '  lifecycle {\n    replaces = 1\n    deprecated = "2026-01-01"\n    sunset = "2026-12-01"\n  }\n}\n'
    )
    mesh = load_mesh(tmp_path, app("api", "sales", "producer", 'writes = ["orders"]'), base)
    current = stages(mesh, TODAY, set())
    assert not current["data_product.sales.orders.v1"].writable
    res = compile_kafka(mesh, current)
    assert {a for a in acls_of(res, "sales-api") if a[0] == "TOPIC"} == {
        ("TOPIC", ORDERS, "LITERAL", D),
        ("TOPIC", "commerce.sales.orders.v2", "LITERAL", W),
    }


def test_without_application_blocks_nothing_changes(tmp_path: Path) -> None:
    without = compiled(load_mesh(tmp_path, "", MINIMAL))
    assert not [r for r in without if r.source.startswith("application.")]
    assert sorted(r.address for r in without) == [
        "kafka_acl.analytics/group/grp.analytics.*",
        "kafka_acl.analytics/topic/commerce.sales.orders.v1",
        "kafka_acl.sales/topic/commerce.sales.orders.v1",
        "kafka_scram_user.analytics",
        "kafka_scram_user.commerce",
        "kafka_scram_user.sales",
        "kafka_topic.commerce.sales.orders.v1",
    ]


AWS = 'aws {\n  region = "eu-west-1"\n  account_id = "123456789012"\n}\n'
ROLE = "arn:aws:iam::123456789012:role/sales-enricher"
DEPLOYER = "arn:aws:iam::123456789012:role/deployer"


def test_on_aws_each_application_secret_is_readable_by_runs_as_only(tmp_path: Path) -> None:
    apps = app("enricher", "sales", "consumer", 'reads = ["sales.orders"]', f'aws {{\n    runs_as = ["{ROLE}"]\n  }}')
    mesh = load_mesh(tmp_path, apps, BASE + AWS)
    (secret,) = application_secrets(mesh, (DEPLOYER,))
    assert (secret.address, secret.source, secret.domain) == (
        "aws_secretsmanager_secret.sales-enricher",
        "application.sales.enricher",
        "sales",
    )
    assert secret.attributes["name"] == "meshctl/kafka/sales-enricher"
    policy = json.loads(str(secret.attributes["policy"]))
    statements = {st["Effect"]: st for st in policy["Statement"]}
    allow, deny = statements["Allow"], statements["Deny"]
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"AWS": [ROLE]}
    assert allow["Action"] == ["secretsmanager:GetSecretValue"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": sorted([ROLE, DEPLOYER])}}
    # The password waits for its secret: the user depends on it, so it is deleted before it.
    user = next(r for r in compiled(mesh) if r.address == "kafka_scram_user.sales.enricher")
    assert user.depends_on == ("aws_secretsmanager_secret.sales-enricher",)


def test_without_runs_as_the_secret_takes_its_domain_secret_s_policy(tmp_path: Path) -> None:
    domain_secret = (
        'resource "aws_secretsmanager_secret" "sales" {\n  name = "meshctl/kafka/sales"\n  domain = "sales"\n'
        '  policy = {\n    Version = "2012-10-17"\n    Statement = [{\n      Effect = "Deny"\n      Principal = "*"\n'
        '      Action = "secretsmanager:GetSecretValue"\n      Resource = "*"\n'
        '      Condition = { ArnNotEquals = { "aws:PrincipalArn" = ["arn:aws:iam::123456789012:role/sales"] } }\n'
        "    }]\n  }\n}\n"
    )
    mesh = load_mesh(tmp_path, app("api", "sales", "producer"), BASE + AWS + domain_secret)
    (secret,) = application_secrets(mesh, (DEPLOYER,))
    (deny,) = json.loads(str(secret.attributes["policy"]))["Statement"]
    assert deny["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": sorted(["arn:aws:iam::123456789012:role/sales", DEPLOYER])}
    }
    # Without AWS: no secret resource; the password goes to .meshctl/credentials/<P>.properties.
    assert application_secrets(load_mesh(tmp_path, app("api", "sales", "producer"))) == []
    user = next(
        r
        for r in compiled(load_mesh(tmp_path, app("api", "sales", "producer")))
        if r.type == "kafka_scram_user" and r.source.startswith("application.")
    )
    assert user.depends_on == ()


def test_an_application_secret_nobody_is_named_for_is_warned_about(tmp_path: Path) -> None:
    write_mesh(tmp_path, {"m.hcl": BASE + AWS, "apps.hcl": app("api", "sales", "producer")})
    loaded = load(tmp_path, LoadOptions(env={}))
    (warning,) = [w for w in loaded.warnings if "without a resource policy" in w.summary]
    assert "meshctl/kafka/sales-api" in warning.summary


def test_runs_as_takes_exact_iam_principals(tmp_path: Path) -> None:
    import pytest

    from meshctl.errors import ConfigError

    apps = app("api", "sales", "producer", 'aws {\n    runs_as = ["arn:aws:iam::123456789012:role/*"]\n  }')
    with pytest.raises(ConfigError) as info:
        load_mesh(tmp_path, apps, BASE + AWS)
    assert 'apps.hcl:5: error: application "api": aws.runs_as:' in info.value.format()
    assert "has a wildcard" in info.value.format()


def test_app_acls_are_known_and_an_extra_acl_of_an_app_principal_is_an_escalation(tmp_path: Path) -> None:
    """The plan's outside view (plan.outside): the compiled app ACLs, read back under their own
    addresses, are neither escalations nor unmanaged; one added out of band is, filed under the app's domain;
    a topic a Streams app created under its own namespace is neither deleted nor listed."""
    from meshctl.engine.run import compile_desired
    from meshctl.plan.build import territory_of
    from meshctl.plan.outside import outside
    from meshctl.state_model import State

    write_mesh(tmp_path, {"m.hcl": BASE + GRANTS, "apps.hcl": APPS})
    desired = compile_desired(load(tmp_path, LoadOptions(env={})), State(), TODAY)
    live: dict[str, dict[str, object]] = {r.address: dict(r.attributes) for r in desired.resources}
    known = set(live)
    changelog = "sales-enricher.streams-counts-changelog"
    live[f"kafka_topic.{changelog}"] = {"name": changelog, "partitions": 1, "replication_factor": 1}
    extra = {
        "principal": "User:sales-enricher",
        "resource_type": "TOPIC",
        "resource_name": "commerce.sales.returns.v1",
        "pattern_type": "LITERAL",
        "host": "*",
        "operations": ["WRITE"],
    }
    live["kafka_acl.sales-enricher/topic/commerce.sales.returns.v1"] = extra
    # Another principal reaching into an app's own names: its Streams topics, its transactional ids.
    foreign = {
        "kafka_acl.eve/topic/" + changelog: ("TOPIC", changelog, "LITERAL"),
        "kafka_acl.eve/topic/sales-*": ("TOPIC", "sales-", "PREFIXED"),
        "kafka_acl.eve/transactional_id/txn.*": ("TRANSACTIONAL_ID", "txn.", "PREFIXED"),
        "kafka_acl.eve/transactional_id/sales-enricher.streams-1-1": (
            "TRANSACTIONAL_ID",
            "sales-enricher.streams-1-1",
            "LITERAL",
        ),
        "kafka_acl.eve/transactional_id/elsewhere.*": ("TRANSACTIONAL_ID", "elsewhere.", "PREFIXED"),
    }
    for address, (rtype, name, pattern) in foreign.items():
        live[address] = {**extra, "principal": "User:eve", "resource_type": rtype, "resource_name": name}
        live[address]["pattern_type"] = pattern
    deletes, found = outside(territory_of(desired, State()), live, known)
    expected = sorted(["kafka_acl.sales-enricher/topic/commerce.sales.returns.v1", *foreign][:-1])
    assert sorted(c.address for c in deletes) == expected
    assert sorted((u.address, u.domain) for u in found) == [(a, "sales") for a in expected]


def test_a_resource_block_may_not_declare_an_application_s_secret(tmp_path: Path) -> None:
    import pytest

    from meshctl.errors import ConfigError

    block = 'resource "aws_secretsmanager_secret" "mine" {\n  name = "meshctl/kafka/sales-api"\n  domain = "sales"\n}\n'
    with pytest.raises(ConfigError) as info:
        load_mesh(tmp_path, app("api", "sales", "producer") + block, BASE + AWS)
    assert (
        "apps.hcl:6: error: aws_secretsmanager_secret.mine declares meshctl/kafka/sales-api, "
        "the secret meshctl keeps for application.sales.api"
    ) in info.value.format()
