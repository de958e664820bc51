"""Several Kafka clusters: where each resource is placed, how it is addressed and routed, and
that a mesh of the default cluster alone compiles exactly as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from meshctl.address import Address, Target
from meshctl.compile.aws import compile_resources
from meshctl.compile.clusters import place_on_clusters
from meshctl.compile.kafka import compile_kafka
from meshctl.compile.registry import compile_registry
from meshctl.config.kafka_settings import client_config
from meshctl.config.loader import LoadOptions, load
from meshctl.engine.run import compile_desired
from meshctl.errors import Diagnostics, MeshError, SourceRange
from meshctl.mesh.model import KafkaConnection, MovedBlock
from meshctl.naming import cluster_of, on_cluster, secret_name
from meshctl.plan.build import scope_plan, territory_of
from meshctl.plan.diff import match_moves
from meshctl.plan.moves import resolve_moved
from meshctl.plan.scope import Scope
from meshctl.providers.base import Managed
from meshctl.providers.clusters import readdressed
from meshctl.resources import Resource, provider_of
from meshctl.state_model import ResourceState, State
from tests.helpers import MINIMAL, write_mesh

# Two clusters: commerce (and so sales) on eu, analytics on the default one; sales.returns
# overrides its domain's placement; analytics reads a product that lives on its own cluster.
TWO = """
kafka { bootstrap_servers = "a:9092" }
kafka "eu" { bootstrap_servers = "b:9092" }
domain "commerce" {
  cluster = "eu"
  owners { accountable = "lead@acme.example" }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "sales@acme.example" }
}
domain "analytics" {
  owners { accountable = "data@acme.example" }
}
data_product "orders" {
  domain = "sales"
  topic { partitions = 3 }
}
data_product "returns" {
  domain  = "sales"
  cluster = "default"
  topic { partitions = 1 }
}
data_product "visits" {
  domain = "analytics"
  topic { partitions = 1 }
}
access "sales_visits" {
  product  = "analytics.visits"
  consumer = "analytics"
}
access "analytics_returns" {
  product  = "sales.returns"
  consumer = "analytics"
}
"""


def _placed(tmp_path: Path, text: str) -> dict[str, object]:
    write_mesh(tmp_path, {"m.hcl": text})
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    return {r.address: r for r in place_on_clusters(mesh, compile_kafka(mesh) + compile_registry(mesh))}


def test_a_mesh_of_the_default_cluster_is_placed_unchanged(tmp_path: Path) -> None:
    write_mesh(tmp_path, {"m.hcl": MINIMAL})
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    compiled = compile_kafka(mesh)
    assert place_on_clusters(mesh, compiled) is compiled


def test_products_topics_and_principals_go_where_their_products_live(tmp_path: Path) -> None:
    res = _placed(tmp_path, TWO)
    assert sorted(res) == sorted(
        {  # commerce owns nothing: its principal lives at home (eu); sales owns products on both clusters
            "kafka_acl.@eu/sales/topic/commerce.sales.orders.v1",
            "kafka_acl.analytics/group/grp.analytics.*",
            "kafka_acl.analytics/topic/analytics.visits.v1",
            "kafka_acl.analytics/topic/commerce.sales.returns.v1",
            "kafka_acl.sales/topic/commerce.sales.returns.v1",
            "kafka_scram_user.@eu/commerce",
            "kafka_scram_user.@eu/sales",
            "kafka_scram_user.analytics",
            "kafka_scram_user.sales",
            "kafka_topic.@eu/commerce.sales.orders.v1",
            "kafka_topic.analytics.visits.v1",
            "kafka_topic.commerce.sales.returns.v1",
        }
    )


def test_attributes_keep_the_plain_names_and_dependencies_stay_on_the_cluster(tmp_path: Path) -> None:
    res = _placed(tmp_path, TWO)
    acl = res["kafka_acl.@eu/sales/topic/commerce.sales.orders.v1"]
    assert acl.attributes["principal"] == "User:sales"  # type: ignore[attr-defined]
    assert acl.attributes["resource_name"] == "commerce.sales.orders.v1"  # type: ignore[attr-defined]
    assert acl.depends_on == (  # type: ignore[attr-defined]
        "kafka_topic.@eu/commerce.sales.orders.v1",
        "kafka_scram_user.@eu/sales",
    )
    assert res["kafka_scram_user.@eu/sales"].attributes["name"] == "sales"  # type: ignore[attr-defined]
    other = res["kafka_acl.sales/topic/commerce.sales.returns.v1"]
    assert other.depends_on == ("kafka_topic.commerce.sales.returns.v1", "kafka_scram_user.sales")  # type: ignore[attr-defined]


def test_subjects_follow_the_registry_of_their_cluster(tmp_path: Path) -> None:
    (tmp_path / "s.avsc").write_text('{"type": "record", "name": "R", "fields": []}')
    text = TWO.replace("topic { partitions = 3 }", 'topic { partitions = 3 }\n  schema { file = "s.avsc" }')
    shared = _placed(tmp_path, text)
    assert "schema_subject.commerce.sales.orders.v1-value" in shared  # eu has no registry of its own: the default's
    own = _placed(tmp_path, text + 'schema_registry "eu" { url = "http://r-eu:8081" }\n')
    assert "schema_subject.@eu/commerce.sales.orders.v1-value" in own
    assert provider_of("schema_subject", "schema_subject.@eu/commerce.sales.orders.v1-value") == "registry.eu"


def test_addresses_route_to_the_provider_of_their_cluster() -> None:
    assert provider_of("kafka_topic", "kafka_topic.sales.orders.v1") == "kafka"
    assert provider_of("kafka_topic", "kafka_topic.@eu/sales.orders.v1") == "kafka.eu"
    assert provider_of("kafka_acl", "kafka_acl.@us-2/sales/group/grp.sales.*") == "kafka.us-2"
    assert provider_of("aws_s3_bucket", "aws_s3_bucket.@eu/x") == "aws"
    assert provider_of("schema_subject", "schema_subject.x-value") == "registry"
    assert cluster_of("@eu/sales") == ("eu", "sales")
    assert cluster_of("sales@10.0.0.1") == ("default", "sales@10.0.0.1")
    assert cluster_of("@/x") == ("default", "@/x")  # no cluster name: a name like any other
    assert on_cluster("sales", "default") == "sales"
    assert secret_name("sales") == "meshctl/kafka/sales"
    assert secret_name("sales", "eu") == "meshctl/kafka/@eu/sales"


def test_a_named_clusters_provider_readdresses_what_it_lists_but_not_what_it_was_given() -> None:
    managed = [Managed("kafka_topic.@eu/a.v1", "kafka_topic", {"name": "a.v1"})]
    found = {
        "kafka_topic.@eu/a.v1": {"name": "a.v1"},
        "kafka_topic.b.v1": {"name": "b.v1"},
        "kafka_acl.sales/topic/a.v1": {"principal": "User:sales"},
    }
    assert sorted(readdressed(found, "eu", managed)) == [
        "kafka_acl.@eu/sales/topic/a.v1",
        "kafka_topic.@eu/a.v1",
        "kafka_topic.@eu/b.v1",
    ]


def test_environment_overrides_of_a_named_cluster_carry_its_name(tmp_path: Path) -> None:
    conn = KafkaConnection(bootstrap_servers="b:9092")
    env = {"MESHCTL_KAFKA_BOOTSTRAP_SERVERS": "a:1", "MESHCTL_KAFKA_EU_WEST_BOOTSTRAP_SERVERS": "eu:1"}
    assert client_config(conn, env, tmp_path, "eu-west")["bootstrap.servers"] == "eu:1"
    assert client_config(conn, env, tmp_path)["bootstrap.servers"] == "a:1"
    assert client_config(conn, {}, tmp_path, "eu-west")["bootstrap.servers"] == "b:9092"
    with pytest.raises(MeshError, match='the kafka "eu" block, MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS'):
        client_config(KafkaConnection(), {}, tmp_path, "eu")


def test_a_product_placed_on_another_cluster_is_created_there_not_moved() -> None:
    """The same topic name on another cluster is another topic: never paired as a move (which
    would record the new cluster's topic as existing while the old one stays behind)."""
    attrs = {"name": "sales.orders.v1", "partitions": 1, "replication_factor": None, "config": {}}
    old = ResourceState("kafka_topic", "sales.orders.v1", attrs, "data_product.sales.orders.v1")
    new = Resource("kafka_topic", "@eu/sales.orders.v1", attrs, "data_product.sales.orders.v1")
    prior = State(resources={old.address: old})
    assert match_moves({new.address: new}, prior, {old.address: attrs}, {}) == {}
    same = Resource("kafka_topic", "@eu/sales.orders.v2", {**attrs, "name": "sales.orders.v1"}, "x")
    moved_old = ResourceState("kafka_topic", "@eu/sales.orders.v1", attrs, "x")
    prior = State(resources={moved_old.address: moved_old})
    assert match_moves({same.address: same}, prior, {moved_old.address: attrs}, {}) == {same.address: moved_old.address}


def test_a_moved_block_across_clusters_is_an_error() -> None:
    diags = Diagnostics()
    block = MovedBlock("kafka_topic.a.v1", "kafka_topic.@eu/a.v1", SourceRange("m.hcl", 1))
    assert resolve_moved([block], [Address.parse("kafka_topic.@eu/a.v1")], diags) == {}
    assert "are on different clusters" in str(diags.items[0].summary)


def test_an_application_on_a_named_cluster_keeps_its_password_in_that_clusters_secret(tmp_path: Path) -> None:
    text = (
        TWO
        + 'aws {\n  region = "eu-west-1"\n}\n'
        + 'application "api" {\n  domain = "sales"\n  kind = "producer"\n  writes = ["orders"]\n'
        + '  aws {\n    runs_as = ["arn:aws:iam::123456789012:role/api"]\n  }\n}\n'
    )
    write_mesh(tmp_path, {"m.hcl": text})
    mesh = load(tmp_path, LoadOptions(env={})).mesh
    secrets = [r for r in compile_resources(mesh) if r.type == "aws_secretsmanager_secret"]
    assert [r.attributes["name"] for r in secrets] == ["meshctl/kafka/@eu/sales-api"]
    placed = {r.address: r for r in place_on_clusters(mesh, compile_kafka(mesh))}
    assert placed["kafka_scram_user.@eu/sales.api"].depends_on == ("aws_secretsmanager_secret.sales-api",)
    assert "kafka_scram_user.sales.api" not in placed


def test_a_target_chooses_everything_on_a_cluster() -> None:
    target = Target.parse("kafka_topic.@eu")
    assert target.chooses(Address.parse("kafka_topic.@eu/sales.orders.v1"))
    assert not target.chooses(Address.parse("kafka_topic.sales.orders.v1"))
    assert not target.chooses(Address.parse("kafka_topic.@eu-2/sales.orders.v1"))
    assert Target.parse("kafka_acl.@eu/sales").chooses(Address.parse("kafka_acl.@eu/sales/topic/x"))


def test_meshctls_own_principal_on_a_named_cluster_is_kept_and_never_managed(tmp_path: Path) -> None:
    write_mesh(tmp_path, {"m.hcl": TWO})
    config = load(tmp_path, LoadOptions(env={}))
    desired = replace(compile_desired(config, State(), date(2026, 1, 1)), cluster_principals={"eu": "sales"})
    _, diags = scope_plan(desired, State(), Scope())
    assert [d.summary for d in diags.items] == [
        "domain.sales would be the principal User:sales, which meshctl itself connects as on cluster eu: "
        "rename the domain or integration"
    ]
    assert "User:sales" in territory_of(desired, State()).protected


def test_an_integration_lives_on_its_domains_cluster(tmp_path: Path) -> None:
    (tmp_path / "vendor").mkdir(parents=True)
    (tmp_path / "vendor" / "main.hcl").write_text('variable "integration" {\n}\n')
    text = TWO + (
        'integration "lake" {\n  domain = "sales"\n  vendor = "v"\n  source = "./vendor"\n'
        '  reads = ["sales.orders"]\n  output "dlq" {\n  }\n}\n'
    )
    res = _placed(tmp_path, text)
    on_eu = sorted(a for a in res if "lake" in a)
    assert on_eu == [
        "kafka_acl.@eu/sales-lake/group/grp.sales-lake.*",
        "kafka_acl.@eu/sales-lake/topic/commerce.sales.lake.dlq",
        "kafka_acl.@eu/sales-lake/topic/commerce.sales.orders.v1",
        "kafka_scram_user.@eu/sales-lake",
        "kafka_topic.@eu/commerce.sales.lake.dlq",
    ]
