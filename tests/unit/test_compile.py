"""Compilation of the mesh to Kafka resources: names, principals, the minimal ACL set."""

from __future__ import annotations

from pathlib import Path

from meshctl.compile.kafka import compile_kafka
from meshctl.config.loader import LoadOptions, load
from tests.helpers import MINIMAL, write_mesh


def _resources(tmp_path: Path, text: str) -> dict[str, dict]:
    write_mesh(tmp_path, {"m.hcl": text})
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    return {
        r.address: {"attrs": dict(r.attributes), "source": r.source, "deps": r.depends_on} for r in compile_kafka(mesh)
    }


def test_minimal_mesh_compiles_to_exactly_these_resources(tmp_path: Path) -> None:
    res = _resources(tmp_path, MINIMAL)
    assert sorted(res) == [
        "kafka_acl.analytics/group/grp.analytics.*",
        "kafka_acl.analytics/topic/commerce.sales.orders.v1",
        "kafka_acl.sales/topic/commerce.sales.orders.v1",
        "kafka_scram_user.analytics",
        "kafka_scram_user.commerce",
        "kafka_scram_user.sales",
        "kafka_topic.commerce.sales.orders.v1",
    ]
    topic = res["kafka_topic.commerce.sales.orders.v1"]
    assert topic["attrs"] == {
        "name": "commerce.sales.orders.v1",
        "partitions": 3,
        "replication_factor": None,
        "config": {"cleanup.policy": "delete", "retention.ms": "86400000"},
    }
    assert topic["source"] == "data_product.sales.orders.v1"
    owner = res["kafka_acl.sales/topic/commerce.sales.orders.v1"]
    assert owner["attrs"]["operations"] == ["DESCRIBE", "WRITE"]
    assert owner["attrs"]["principal"] == "User:sales"
    assert set(owner["deps"]) == {"kafka_topic.commerce.sales.orders.v1", "kafka_scram_user.sales"}
    reader = res["kafka_acl.analytics/topic/commerce.sales.orders.v1"]
    assert reader["attrs"]["operations"] == ["DESCRIBE", "READ"]
    assert reader["source"] == "access.analytics_orders"
    group = res["kafka_acl.analytics/group/grp.analytics.*"]
    assert group["attrs"] | {} == {
        "principal": "User:analytics",
        "resource_type": "GROUP",
        "resource_name": "grp.analytics.",
        "pattern_type": "PREFIXED",
        "host": "*",
        "operations": ["DESCRIBE", "READ"],
    }
    assert res["kafka_scram_user.sales"]["attrs"] == {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192}


def test_nobody_but_the_owner_gets_write(tmp_path: Path) -> None:
    res = _resources(tmp_path, MINIMAL)
    writers = {
        r["attrs"]["principal"]
        for r in res.values()
        if r["attrs"].get("resource_type") == "TOPIC" and "WRITE" in r["attrs"]["operations"]
    }
    assert writers == {"User:sales"}


def test_kind_defaults_policy_replication_and_latest_version(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace(
            'domain "commerce" {\n  owners { accountable = "lead@acme.example" }\n}',
            'domain "commerce" {\n  owners { accountable = "lead@acme.example" }\n'
            "  policy { min_replication_factor = 3 }\n}",
        )
        + 'data_product "orders" {\n  domain = "sales"\n  version = 2\n  kind = "fat_object"\n}\n'
    )
    res = _resources(tmp_path, text)
    v2 = res["kafka_topic.commerce.sales.orders.v2"]["attrs"]
    assert v2["config"] == {"cleanup.policy": "compact"}
    assert v2["replication_factor"] == 3  # from the inherited policy
    # A grant without a version reads every live version: both, during a migration.
    assert "kafka_acl.analytics/topic/commerce.sales.orders.v2" in res
    assert "kafka_acl.analytics/topic/commerce.sales.orders.v1" in res


def test_two_grants_of_one_topic_merge_into_one_acl(tmp_path: Path) -> None:
    text = MINIMAL + 'access "again" {\n  product = "sales.orders.v1"\n  consumer = "analytics"\n}\n'
    res = _resources(tmp_path, text)
    acls = [a for a in res if a.startswith("kafka_acl.analytics/topic/")]
    assert acls == ["kafka_acl.analytics/topic/commerce.sales.orders.v1"]
