"""`meshctl report` through the CLI, with a Kafka provider that answers from memory: the formats,
the exit codes, the throughput sample kept per environment, and bad inputs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.plan.usage_observed import ClusterUsage, GroupObservation
from tests.cli import run
from tests.fake_providers import FakeProvider
from tests.helpers import write_mesh

SECRET = "s3cr3t-never-shown"
TOPIC = "commerce.sales.orders.v1"
MESH = """
kafka {
  bootstrap_servers = "127.0.0.1:9"
  security_protocol = "SASL_PLAINTEXT"
  sasl_mechanism    = "SCRAM-SHA-512"
  sasl_username     = "admin"
}
domain "commerce" {
  owners { accountable = "lead@acme.example" }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "sales \\"lead\\"@acme.example" }
}
domain "analytics" {
  owners { accountable = "data@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
  topic { partitions = 2 }
  sla { freshness = "5m" }
}
data_product "customers" {
  domain = "sales"
  kind   = "fat_object"
}
access "analytics_orders" {
  product  = "sales.orders"
  consumer = "analytics"
}
access "analytics_customers" {
  product  = "sales.customers"
  consumer = "analytics"
}
"""


class FakeUsage(FakeProvider):
    """A Kafka provider that reports usage from `usage` and counts one request per read."""

    def __init__(self, usage: ClusterUsage):
        super().__init__("kafka")
        self.state = usage
        self.reads = 0
        self.asked: list[tuple[list[str], tuple[str, ...]]] = []
        self.raises_on_usage: Exception | None = None

    @property
    def requests(self) -> int:
        return self.reads

    def usage(self, topics: list[str], group_prefixes: tuple[str, ...]) -> ClusterUsage:
        if self.raises_on_usage is not None:
            raise self.raises_on_usage
        self.reads += 6
        self.asked.append((topics, group_prefixes))
        return self.state

    def end_offsets_of(self, topics: list[str]) -> ClusterUsage:
        self.reads += 2
        return ClusterUsage(partitions=self.state.partitions, end_offsets=self.state.end_offsets)


def _usage(age_s: float, end: int = 100) -> ClusterUsage:
    stamp = int((time.time() - age_s) * 1000)
    return ClusterUsage(
        partitions={TOPIC: 2, "commerce.sales.customers.v1": 1},
        end_offsets={(TOPIC, 0): end, (TOPIC, 1): 0, ("commerce.sales.customers.v1", 0): 0},
        newest={(TOPIC, 0): stamp},
        groups=(
            GroupObservation("grp.analytics.orders", "Stable", 1, {(TOPIC, 0): end - 5}),
            GroupObservation("not-the-mesh", "Stable", 1, {(TOPIC, 0): 0}),
        ),
    )


@pytest.fixture
def kafka(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FakeUsage:
    fake = FakeUsage(_usage(age_s=10))
    others = {"registry": FakeProvider("registry"), "aws": FakeProvider("aws")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: {"kafka": fake, **others}))
    for name in ("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MESHCTL_KAFKA_SASL_PASSWORD", SECRET)
    write_mesh(mesh_dir, {"main.hcl": MESH})
    return fake


def _json(*args: str) -> dict:
    result = run("report", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_table_is_the_default(kafka: FakeUsage) -> None:
    result = run("report", ".")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "meshctl report: environment default" in out
    assert "sales.orders.v1" in out and "sales.customers.v1" in out
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "IDLE" in out and "OK" in out
    assert "idle" in out.lower() and "sales.customers.v1: no consumer group reads it" in out
    assert "domain analytics is granted it but reads nothing of it" in out
    assert "DOMAIN" in out and "analytics" in out


def test_json_is_the_documented_document(kafka: FakeUsage) -> None:
    doc = _json(".")
    assert doc["format_version"] == "1.0" and doc["environment"] == "default"
    orders = next(p for p in doc["products"] if p["product"] == "orders")
    assert [c["group"] for c in orders["consumers"]] == ["grp.analytics.orders"]  # not-the-mesh is not counted
    assert orders["lag"] == {"total": 5, "max": 5} and orders["fanout"] == 1
    assert orders["accountable"] == 'sales "lead"@acme.example'
    assert 9 <= orders["freshness"]["age_seconds"] <= 120 and orders["breaches"] == []
    assert doc["summary"]["kafka_requests"] == 6
    # only the mesh's topics and groups are asked about
    topics, prefixes = kafka.asked[0]
    assert sorted(topics) == ["commerce.sales.customers.v1", TOPIC]
    assert "grp.analytics." in prefixes and not any(p.startswith("not-the") for p in prefixes)
    keys = set(doc)
    assert keys == {
        "format_version",
        "generated_at",
        "environment",
        "throughput_basis",
        "window_seconds",
        "summary",
        "products",
        "domains",
        "exceptions",  # the justified exceptions in force (mesh.exceptions)
    }


def test_every_documented_key_is_in_the_json(kafka: FakeUsage) -> None:
    """docs/report-json.md is the contract the HTML page follows: each key its tables name is there."""
    doc = _json(".")
    text = (Path(__file__).parents[2] / "docs" / "report-json.md").read_text()
    sections = {
        "## Top level": doc,
        "### `summary`": doc["summary"],
        "## `products[]`": doc["products"][0],
        "### `products[].consumers[]`": doc["products"][1]["consumers"][0],
        "## `domains[]`": doc["domains"][0],
    }
    for heading, sample in sections.items():
        table = text.split(heading + "\n", 1)[1].split("\n#", 1)[0]
        keys = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
        assert keys and set(keys) == set(sample), (heading, keys, sorted(sample))


def test_markdown(kafka: FakeUsage) -> None:
    result = run("report", "--markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## meshctl report: default")
    assert "| PRODUCT |" in result.stdout and "| sales.orders.v1 |" in result.stdout
    assert 'sales \\"lead\\"@acme.example' not in result.stdout  # Markdown, not label escaping
    assert "### Domains" in result.stdout


def test_prometheus_parses_and_escapes_labels(kafka: FakeUsage) -> None:
    result = run("report", "--format", "prometheus")
    assert result.exit_code == 0, result.output
    families = {f.name: f for f in text_string_to_metric_families(result.stdout)}
    assert {
        "meshctl_product_consumer_lag",
        "meshctl_product_freshness_seconds",
        "meshctl_product_fanout",
        "meshctl_product_idle",
        "meshctl_unused_grant",
        "meshctl_report_kafka_requests",
    } <= set(families)
    lag = families["meshctl_product_consumer_lag"].samples
    assert [(s.labels["product"], s.labels["accountable"], s.value) for s in lag] == [
        ("orders", 'sales "lead"@acme.example', 5.0)
    ]
    idle = {s.labels["product"]: s.value for s in families["meshctl_product_idle"].samples}
    assert idle == {"customers": 1.0, "orders": 0.0}
    # one HELP and one TYPE per family, each family's samples together
    names = [line.split()[2] for line in result.stdout.splitlines() if line.startswith("# TYPE")]
    assert len(names) == len(set(names))
    assert '\\"lead\\"' in result.stdout


def test_fail_on_breach_exits_2_only_on_a_breach(kafka: FakeUsage) -> None:
    assert run("report", "--fail-on-breach").exit_code == 0
    kafka.state = _usage(age_s=3600)  # an hour old, against 5 minutes
    assert run("report").exit_code == 0  # without the flag a breach is only shown
    result = run("report", "--fail-on-breach", "--json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["summary"]["breaches"] == 1
    assert doc["products"][1]["breaches"][0]["kind"] == "freshness"
    table = run("report", "--fail-on-breach")
    assert table.exit_code == 2 and "BREACH" in table.stdout and "over the 5m freshness SLA" in table.stdout


def test_throughput_since_the_last_report_is_kept_per_environment(kafka: FakeUsage, mesh_dir: Path) -> None:
    first = _json()
    assert first["throughput_basis"] == "none"
    sample = mesh_dir / ".meshctl" / "report-sample.json"
    kept = json.loads(sample.read_text())
    assert kept["totals"] == {f"default/{TOPIC}": 100, "default/commerce.sales.customers.v1": 0}
    assert SECRET not in sample.read_text()
    kept["taken_at"] -= 10  # as if ten seconds had passed
    sample.write_text(json.dumps(kept))
    kafka.state = _usage(age_s=10, end=150)
    second = _json()
    assert second["throughput_basis"] == "previous_report"
    rate = next(p for p in second["products"] if p["product"] == "orders")["throughput"]["records_per_second"]
    assert 4.0 <= rate <= 5.0  # 50 records in a little over 10 s


def test_a_broken_sample_file_is_no_error(kafka: FakeUsage, mesh_dir: Path) -> None:
    (mesh_dir / ".meshctl").mkdir()
    (mesh_dir / ".meshctl" / "report-sample.json").write_text("{ not json")
    assert _json()["throughput_basis"] == "none"
    assert json.loads((mesh_dir / ".meshctl" / "report-sample.json").read_text())["format_version"] == 1


def test_window_samples_twice(kafka: FakeUsage, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    doc = _json("--window", "2s")
    assert slept == [2.0]
    assert doc["throughput_basis"] == "window" and doc["window_seconds"] is not None
    assert doc["summary"]["kafka_requests"] == 8  # the first sample's 2 and the report's 6


def test_out_writes_the_file(kafka: FakeUsage, mesh_dir: Path) -> None:
    result = run("report", "--format", "prometheus", "--out", "metrics/meshctl.prom")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "# TYPE meshctl_product_fanout gauge" in (mesh_dir / "metrics" / "meshctl.prom").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "0s"], "a window is more than 0"),
        (["--window", "5x"], "is not a duration"),
        (["--window", "2h"], "at most 1h"),
        (["--json", "--markdown"], "choose one output format"),
        (["--json", "--format", "prometheus"], "choose one output format"),
        (["--format", "html"], "'html' is not one of"),
        (["-e", "Prod"], "is not an environment name"),
        (["-e", "prod"], "prod"),
    ],
)
def test_bad_options_are_one_message_and_exit_1(kafka: FakeUsage, args: list[str], message: str) -> None:
    result = run("report", *args)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert kafka.reads == 0


def test_a_bad_mesh_is_file_and_line(kafka: FakeUsage, mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MESH + '\ndata_product "x" {\n  domain = "nowhere"\n}\n'})
    result = run("report")
    assert result.exit_code == 1
    assert "main.hcl:" in result.output and "error" in result.output and kafka.reads == 0


def test_an_unreachable_broker_is_exit_1_with_the_reason(kafka: FakeUsage) -> None:
    kafka.raises_on_usage = MeshError("cannot reach Kafka at 127.0.0.1:9 (bootstrap_servers) after 5s")
    result = run("report", "--fail-on-breach")
    assert result.exit_code == 1
    assert "cannot reach Kafka at 127.0.0.1:9" in result.output and "Traceback" not in result.output


def test_no_secret_in_any_output(kafka: FakeUsage, mesh_dir: Path) -> None:
    for args in ([], ["--json"], ["--markdown"], ["--format", "prometheus"], ["--window", "1ms"]):
        result = run("report", *args)
        assert result.exit_code == 0, result.output
        assert SECRET not in result.output
    for path in (mesh_dir / ".meshctl").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text()


ENV_CLUSTERS = """
kafka {
  bootstrap_servers = "127.0.0.1:9"
}
kafka "eu" {
  bootstrap_servers = "127.0.0.1:10"
}
environment "dev" {}
environment "prod" {}
domain "sales" {
  owners { accountable = "sales@acme.example" }
}
domain "shop" {
  cluster = "eu"
  owners { accountable = "shop@acme.example" }
}
data_product "orders" {
  domain = "sales"
}
data_product "baskets" {
  domain = "shop"
  sla { freshness = "1m" }
}
"""


def test_environments_and_named_clusters(mesh_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each cluster's provider is asked about its own products only; the sample is kept per
    environment; a product on a named cluster is labelled with it."""
    stamp = int((time.time() - 600) * 1000)
    default = FakeUsage(ClusterUsage(partitions={"sales.orders.v1": 1}, end_offsets={("sales.orders.v1", 0): 4}))
    eu = FakeUsage(
        ClusterUsage(
            partitions={"shop.baskets.v1": 1},
            end_offsets={("shop.baskets.v1", 0): 9},
            newest={("shop.baskets.v1", 0): stamp},
        )
    )
    others = {"registry": FakeProvider("registry"), "aws": FakeProvider("aws")}
    monkeypatch.setattr(Workspace, "providers", property(lambda self: {"kafka": default, "kafka.eu": eu, **others}))
    write_mesh(mesh_dir, {"main.hcl": ENV_CLUSTERS})
    missing = run("report")
    assert missing.exit_code == 1 and "dev, prod" in missing.output  # the mesh has environments: -e is needed
    result = run("report", "-e", "prod", "--json", "--fail-on-breach")
    assert result.exit_code == 2, result.output
    doc = json.loads(result.stdout)
    assert doc["environment"] == "prod"
    assert [t for t, _ in default.asked] == [["sales.orders.v1"]] and [t for t, _ in eu.asked] == [["shop.baskets.v1"]]
    baskets = _product_of(doc, "baskets")
    assert baskets["cluster"] == "eu" and [b["kind"] for b in baskets["breaches"]] == ["freshness"]
    assert doc["summary"]["kafka_requests"] == 12  # both clusters' reads
    table = run("report", "-e", "prod", "--no-color")
    assert "shop.baskets.v1 @eu" in table.stdout
    kept = json.loads((mesh_dir / ".meshctl" / "env" / "prod" / "report-sample.json").read_text())
    assert kept["environment"] == "prod"
    assert kept["totals"] == {"default/sales.orders.v1": 4, "eu/shop.baskets.v1": 9}
    assert run("report", "-e", "dev", "--json").exit_code == 0
    dev = json.loads(run("report", "-e", "dev", "--json").stdout)
    assert dev["environment"] == "dev" and dev["throughput_basis"] == "previous_report"
    assert (mesh_dir / ".meshctl" / "env" / "dev" / "report-sample.json").is_file()


def _product_of(doc: dict, name: str) -> dict:
    return next(p for p in doc["products"] if p["product"] == name)


def test_a_sample_that_cannot_be_kept_is_a_warning(kafka: FakeUsage, mesh_dir: Path) -> None:
    (mesh_dir / "plain-file").write_text("")
    result = run("report", "--json", "--state-dir", "plain-file/state")
    assert result.exit_code == 0, result.output
    assert "warning: cannot write plain-file/state/report-sample.json" in result.output
    assert "the next report has no throughput to compare with" in result.output
    assert json.loads(result.stdout)["summary"]["products"] == 2
