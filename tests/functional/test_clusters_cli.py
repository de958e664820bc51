"""Several clusters at the CLI: each mistake in placing products is one `file:LINE: error`
with a hint, exit 1, before anything is asked of a broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from tests.cli import run
from tests.helpers import MINIMAL, write_mesh

EU = 'kafka "eu" {\n  bootstrap_servers = "eu:9092"\n}\n'


def _refused(result, *expected: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    for text in expected:
        assert text in result.stderr, result.stderr


def _mesh(mesh_dir: Path, extra: str, base: str = MINIMAL) -> Path:
    return write_mesh(mesh_dir, {"main.hcl": base, "clusters.hcl": extra})


def test_an_unknown_cluster_names_the_line_and_the_clusters(mesh_dir: Path) -> None:
    _mesh(mesh_dir, EU + 'data_product "x" {\n  domain  = "sales"\n  cluster = "us"\n}\n')
    _refused(
        run("validate", "."),
        'clusters.hcl:6: error: data_product.sales.x.v1: unknown cluster "us"',
        'hint: clusters: default, eu; declare it with kafka "us" { ... }',
    )


def test_an_unknown_cluster_on_a_domain(mesh_dir: Path) -> None:
    _mesh(mesh_dir, 'domain "ops" {\n  cluster = "eu"\n  owners { accountable = "o@x.y" }\n}\n')
    _refused(run("validate", "."), 'clusters.hcl:2: error: domain "ops": unknown cluster "eu"', "clusters: default;")


def test_a_grant_across_clusters_is_refused_with_a_hint(mesh_dir: Path) -> None:
    # sales (under commerce) moves to eu; analytics, which reads sales.orders, stays on default.
    base = MINIMAL.replace('domain "commerce" {', 'domain "commerce" {\n  cluster = "eu"')
    _mesh(mesh_dir, EU, base)
    _refused(
        run("validate", "."),
        'error: access "analytics_orders": sales.orders v1 is on cluster "eu", but the consumer domain '
        '"analytics" is on cluster "default"',
        "hint: a principal reads only on its own cluster",
    )


def test_a_grant_on_the_same_named_cluster_is_fine(mesh_dir: Path) -> None:
    base = MINIMAL.replace('domain "commerce" {', 'domain "commerce" {\n  cluster = "eu"').replace(
        'domain "analytics" {', 'domain "analytics" {\n  cluster = "eu"'
    )
    _mesh(mesh_dir, EU, base)
    result = run("validate", ".")
    assert result.exit_code == 0, result.output


def test_an_application_on_two_clusters_is_refused(mesh_dir: Path) -> None:
    app = (
        'data_product "clicks" {\n  domain = "analytics"\n  cluster = "eu"\n}\n'
        'application "mixer" {\n  domain = "analytics"\n  kind = "consumer"\n'
        '  reads = ["sales.orders", "analytics.clicks"]\n}\n'
    )
    _mesh(mesh_dir, EU + app)
    _refused(
        run("validate", "."),
        'clusters.hcl:8: error: application "mixer" of domain "analytics" reads or writes products on '
        "clusters 'default', 'eu'",
        "hint: split it into one application per cluster",
    )


def test_an_integration_reading_across_clusters_is_refused(mesh_dir: Path) -> None:
    extra = (
        'data_product "clicks" {\n  domain = "analytics"\n  cluster = "eu"\n}\n'
        'integration "lake" {\n  domain = "analytics"\n  vendor = "snowflake"\n  source = "./m"\n'
        '  reads = ["analytics.clicks"]\n}\n'
    )
    _mesh(mesh_dir, EU + extra)
    result = run("validate", ".")
    assert result.exit_code == 1
    assert 'integration "lake" reads analytics.clicks: analytics.clicks v1 is on cluster "eu"' in result.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (EU + EU, 'clusters.hcl:4: error: more than one kafka "eu" block'),
        ('kafka "EU" {\n}\n', 'clusters.hcl:1: error: kafka "EU": a cluster name must be a name'),
        ('kafka "a" "b" {\n}\n', "clusters.hcl:1: error: kafka block takes at most one label: the cluster name"),
        (
            'schema_registry "us" {\n  url = "http://r:8081"\n}\n',
            'clusters.hcl:1: error: schema_registry "us" names no cluster',
        ),
        ('kafka {\n}\nkafka "default" {\n}\n', "clusters.hcl:3: error: more than one kafka"),
        (
            'kafka "eu-1" {\n}\nkafka "eu_1" {\n}\n',
            'clusters.hcl:3: error: kafka "eu_1" and kafka "eu-1" share the variables MESHCTL_KAFKA_EU_1_*',
        ),
        (
            'kafka "eu" {\n  sasl_password = "hunter2"\n}\n',
            "clusters.hcl:2: error: sasl_password is written in the file as plain text",
        ),
    ],
)
def test_bad_connection_blocks(mesh_dir: Path, extra: str, expected: str) -> None:
    _mesh(mesh_dir, extra)
    _refused(run("validate", "."), expected)


def test_a_named_clusters_password_is_kept_apart_from_the_default_ones(mesh_dir: Path) -> None:
    _mesh(mesh_dir, EU)
    ws = Workspace(mesh_dir, LoadOptions(env={}), env={"MESHCTL_KAFKA_BOOTSTRAP_SERVERS": "a:9092"})
    default = ws.credential_store(ws.kafka_settings())
    eu = ws.credential_store_of("eu")
    first = default.get_or_create("sales", "SCRAM-SHA-512")
    second = eu.get_or_create("sales", "SCRAM-SHA-512")
    assert first != second
    assert default.get("sales") == first and eu.get("sales") == second
    assert eu.location("sales") == str(mesh_dir / ".meshctl" / "credentials" / "@eu" / "sales.properties")
    assert (
        "bootstrap.servers=eu:9092" in (mesh_dir / ".meshctl" / "credentials" / "@eu" / "sales.properties").read_text()
    )


def test_client_config_connects_to_the_cluster_of_the_products(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # sales on eu owns orders there; refunds stays on default; analytics (eu) reads orders.
    base = (
        MINIMAL.replace('domain "sales" {', 'domain "sales" {\n  cluster = "eu"').replace(
            'domain "analytics" {', 'domain "analytics" {\n  cluster = "eu"'
        )
        + 'data_product "refunds" {\n  domain  = "sales"\n  cluster = "default"\n}\n'
    )
    _mesh(mesh_dir, 'kafka {\n  bootstrap_servers = "a:9092"\n}\n' + EU, base)
    monkeypatch.setenv("MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS", "eu-override:9092")
    eu = run("client-config", "sales", "--format", "librdkafka")
    assert eu.exit_code == 0, eu.output
    assert "bootstrap.servers=eu-override:9092" in eu.stdout and "a:9092" not in eu.stdout
    assert "sales.orders" in eu.stdout and "refunds" not in eu.stdout
    assert "credentials/@eu/sales.properties" in eu.stdout
    home = run("client-config", "sales", "--format", "librdkafka", "--cluster", "default")
    assert home.exit_code == 0, home.output
    assert "bootstrap.servers=a:9092" in home.stdout and "refunds" in home.stdout and "orders" not in home.stdout
    _refused(run("client-config", "sales", "--cluster", "us"), "--cluster us: no such cluster (clusters: default, eu)")
    _refused(
        run("client-config", "analytics", "--cluster", "default"),
        "domain 'analytics' writes no product and is granted none on cluster \"default\" (--cluster chooses another)",
    )


def test_an_environment_replaces_a_named_clusters_block(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`environment "prod" { kafka "eu" { ... } }` replaces the top-level `kafka "eu"` for prod;
    a MESHCTL_KAFKA_EU_* variable contradicting it belongs to another environment: refused."""
    base = MINIMAL.replace('domain "sales" {', 'domain "sales" {\n  cluster = "eu"').replace(
        'domain "analytics" {', 'domain "analytics" {\n  cluster = "eu"'
    )
    envs = (
        'environment "dev" {\n}\nenvironment "prod" {\n  kafka "eu" {\n    bootstrap_servers = "prod-eu:9092"\n  }\n}\n'
    )
    _mesh(mesh_dir, 'kafka {\n  bootstrap_servers = "a:9092"\n}\n' + EU + envs, base)
    dev = Workspace(mesh_dir, LoadOptions(env={}, environment="dev"), env={})
    prod = Workspace(mesh_dir, LoadOptions(env={}, environment="prod"), env={})
    assert dev.kafka_settings("eu")["bootstrap.servers"] == "eu:9092"
    assert prod.kafka_settings("eu")["bootstrap.servers"] == "prod-eu:9092"
    assert prod.kafka_settings()["bootstrap.servers"] == "a:9092"
    stray = Workspace(
        mesh_dir, LoadOptions(env={}, environment="prod"), env={"MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS": "eu:9092"}
    )
    with pytest.raises(MeshError, match="MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS is 'eu:9092', but environment 'prod' sets"):
        stray.kafka_settings("eu")


def test_state_on_a_cluster_no_longer_declared_is_one_clear_error(mesh_dir: Path) -> None:
    """Removing `kafka "us"` while state still holds its objects: meshctl cannot reach them to
    delete or keep them, and says so before asking any broker."""
    from meshctl.state_model import ResourceState, State

    _mesh(mesh_dir, 'kafka {\n  bootstrap_servers = "127.0.0.1:1"\n}\n')
    attrs = {"name": "gone.v1", "partitions": 1, "replication_factor": None, "config": {}}
    rs = ResourceState("kafka_topic", "@us/gone.v1", attrs, "data_product.x.gone.v1")
    (mesh_dir / ".meshctl").mkdir()
    (mesh_dir / ".meshctl" / "state.json").write_text(State(resources={rs.address: rs}).to_text())
    _refused(
        run("plan", "."),
        'error: state holds objects on cluster "us", which the configuration does not declare: '
        'declare kafka "us" { ... } again',
    )
