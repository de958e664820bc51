"""`meshctl report` against the real broker: records produced with known CreateTimes, offsets
committed for groups named as the mesh's domains and applications would, and the figures
asserted exactly (usage, fanout, lag, freshness, breaches) with the request count; then the
attacks: a group that is not the mesh's, a topic deleted out of band, an empty topic, an
unreachable broker, the admin password never printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from meshctl.engine.workspace import Workspace
from meshctl.plan.report import group_prefixes
from meshctl.providers.kafka import group_reads
from meshctl.providers.kafka.client import KafkaClient
from meshctl.providers.kafka.provider import KafkaProvider
from meshctl_sandbox.kafka import KafkaSandbox, free_port
from tests.cli import run
from tests.helpers import write_mesh

HOUR_MS = 3_600_000
_LOADING = {
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.NOT_COORDINATOR,
}


def _mesh(p: str) -> dict[str, str]:
    return {
        "main.hcl": f"""
kafka {{
  request_timeout = "10s"
}}
domain "{p}sales" {{
  owners {{ accountable = "sales@acme.example" }}
}}
domain "{p}analytics" {{
  owners {{ accountable = "data@acme.example" }}
}}
domain "{p}marketing" {{
  owners {{ accountable = "mkt@acme.example" }}
}}
data_product "orders" {{
  domain = "{p}sales"
  topic {{ partitions = 3 }}
  sla {{
    freshness = "5m"
    max_lag   = 10
  }}
}}
data_product "customers" {{
  domain = "{p}sales"
  kind   = "fat_object"
}}
data_product "gone" {{
  domain = "{p}sales"
}}
access "analytics_orders" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
access "marketing_orders" {{
  product  = "{p}sales.orders"
  consumer = "{p}marketing"
}}
application "dashboard" {{
  domain = "{p}analytics"
  kind   = "consumer"
  reads  = ["{p}sales.orders"]
}}
"""
    }


def _produce(admin_config: dict[str, str], topic: str, stamps: dict[int, list[int]]) -> None:
    """Records with the given CreateTimes (ms) per partition."""
    producer = Producer({**admin_config, "log_level": 0})
    for partition, times in stamps.items():
        for ms in times:
            producer.produce(topic, b"x", partition=partition, timestamp=ms)
    assert producer.flush(20) == 0


def _commit(admin: AdminClient, group: str, offsets: dict[tuple[str, int], int]) -> None:
    """Committed offsets for a group without members (as a stopped consumer leaves them); asked
    again while the offsets topic's coordinator is still loading (a freshly started broker)."""
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(t, p, o) for (t, p), o in offsets.items()])
    deadline = time.monotonic() + 60
    while True:
        done = admin.alter_consumer_group_offsets([request])[group].result(timeout=20)
        errors = [tp.error for tp in done.topic_partitions if tp.error is not None]
        if not errors:
            return
        assert all(e.code() in _LOADING for e in errors) and time.monotonic() < deadline, errors
        time.sleep(0.5)


@pytest.fixture
def live(workdir: Path, prefix: str, broker: KafkaSandbox, admin: AdminClient) -> dict[str, object]:
    """The mesh applied, orders written and read, customers empty, gone deleted out of band."""
    p = prefix
    write_mesh(workdir, _mesh(p))
    applied = run("apply", "--auto-approve", "--no-color")
    assert applied.exit_code == 0, applied.output
    orders = f"{p}sales.orders.v1"
    base = int(time.time() * 1000) - 2 * HOUR_MS  # two hours old: far past the 5m SLA
    newest = base + 30_000
    # partition 0: 10 records, the newest of all at base + 30 s; partition 1: 4 older ones; 2: none
    _produce(
        broker.admin_config(), orders, {0: [base + i * 1000 for i in range(9)] + [newest], 1: [base - HOUR_MS] * 4}
    )
    _commit(admin, f"grp.{p}analytics.adhoc", {(orders, 0): 7, (orders, 1): 4})  # 3 behind
    _commit(admin, f"grp.{p}analytics-dashboard.orders", {(orders, 0): 0, (orders, 1): 0})  # 14 behind
    _commit(admin, f"foreign-{p}", {(orders, 0): 0})  # not the mesh's name
    _commit(admin, f"grp.{p}nobody.x", {(orders, 0): 0})  # `grp.` but no principal of the mesh
    admin.delete_topics([f"{p}sales.gone.v1"])[f"{p}sales.gone.v1"].result(timeout=20)
    return {"orders": orders, "newest": newest}


def _product(doc: dict, name: str) -> dict:
    return next(p for p in doc["products"] if p["product"] == name)


def test_report_figures_from_the_real_broker(live: dict[str, object], prefix: str, kafka_env: dict[str, str]) -> None:
    p = prefix
    before = time.time()
    result = run("report", "--json", "--fail-on-breach")
    after = time.time()
    assert result.exit_code == 2, result.output  # the breaches below
    doc = json.loads(result.stdout)
    orders = _product(doc, "orders")
    assert orders["topic"] == live["orders"] and orders["topic_present"] is True
    assert [
        (c["group"], c["kind"], c["application"], c["domain"], c["lag"], c["state"], c["members"])
        for c in orders["consumers"]
    ] == [
        (
            f"grp.{p}analytics-dashboard.orders",
            "application",
            f"{p}analytics.dashboard",
            f"{p}analytics",
            14,
            "Empty",
            0,
        ),
        (f"grp.{p}analytics.adhoc", "domain", None, f"{p}analytics", 3, "Empty", 0),
    ]
    assert orders["consuming_domains"] == [f"{p}analytics"] and orders["fanout"] == 1
    assert orders["lag"] == {"total": 17, "max": 14}
    assert orders["unused_grants"] == [f"{p}marketing"]
    assert orders["throughput"]["end_offset"] == 14 and orders["idle"] is False
    newest = datetime.fromtimestamp(int(str(live["newest"])) / 1000, UTC)
    assert orders["freshness"]["newest_record"] == newest.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    age = orders["freshness"]["age_seconds"]
    assert before - newest.timestamp() - 1 <= age <= after - newest.timestamp() + 1
    assert orders["freshness"]["sla_seconds"] == 300.0 and orders["max_lag_sla"] == 10
    assert [(b["kind"], b.get("group")) for b in orders["breaches"]] == [
        ("freshness", None),
        ("max_lag", f"grp.{p}analytics-dashboard.orders"),
    ]
    assert all("accountable: sales@acme.example" in b["message"] for b in orders["breaches"])
    # an empty topic: no freshness, idle, no breach
    customers = _product(doc, "customers")
    assert customers["freshness"] == {"newest_record": None, "age_seconds": None, "sla_seconds": None}
    assert (customers["idle"], customers["breaches"], customers["throughput"]["end_offset"]) == (True, [], 0)
    # deleted out of band: a breach, nothing read
    gone = _product(doc, "gone")
    assert gone["topic_present"] is False and [b["kind"] for b in gone["breaches"]] == ["topic_missing"]
    domains = {d["name"]: d for d in doc["domains"]}
    assert domains[f"{p}sales"] == {
        "name": f"{p}sales",
        "accountable": "sales@acme.example",
        "owned": 3,
        "consumed": 0,
        "breaches": 3,
    }
    assert domains[f"{p}analytics"]["consumed"] == 1 and domains[f"{p}marketing"]["consumed"] == 0
    assert doc["summary"]["breaches"] == 3 and doc["summary"]["idle"] == 1 and doc["summary"]["unused_grants"] == 1
    # DescribeCluster, Metadata, ListGroups, FindCoordinator, DescribeGroups, OffsetFetch, ListOffsets twice
    assert doc["summary"]["kafka_requests"] == 8
    for name in ("foreign-", "nobody"):
        assert name not in result.stdout
    assert kafka_env["MESHCTL_KAFKA_SASL_PASSWORD"] not in result.output


def test_the_other_formats_and_the_second_report(
    live: dict[str, object], prefix: str, kafka_env: dict[str, str], broker: KafkaSandbox, workdir: Path
) -> None:
    first = run("report", "--no-color", "--html", "site/report.html")
    assert first.exit_code == 0, first.output  # no --fail-on-breach: shown, not failed
    assert f"{prefix}sales.orders.v1" in first.stdout and "BREACH" in first.stdout
    assert "no throughput yet" in first.stdout
    _assert_live_page((workdir / "site" / "report.html").read_text(), str(live["orders"]), prefix)
    _produce(broker.admin_config(), str(live["orders"]), {2: [int(time.time() * 1000)] * 6})
    prom = run("report", "--format", "prometheus", "--fail-on-breach")
    assert prom.exit_code == 2
    families = {f.name: f for f in text_string_to_metric_families(prom.stdout)}
    fresh = {s.labels["product"]: s.value for s in families["meshctl_product_freshness_seconds"].samples}
    assert fresh["orders"] < 60  # the records just written
    rate = families["meshctl_product_throughput_records_per_second"].samples
    assert [(s.labels["product"], s.value > 0) for s in rate if s.labels["product"] == "orders"] == [("orders", True)]
    markdown = run("report", "--markdown")
    assert markdown.exit_code == 0 and "| PRODUCT |" in markdown.stdout
    debug = run("--debug", "report", "--json")  # librdkafka's and meshctl's logs shown
    assert debug.exit_code == 0, debug.output
    for out in (first.output, prom.output, markdown.output, debug.output):
        assert kafka_env["MESHCTL_KAFKA_SASL_PASSWORD"] not in out
    kept = (workdir / ".meshctl" / "report-sample.json").read_text()
    assert kafka_env["MESHCTL_KAFKA_SASL_PASSWORD"] not in kept


def _assert_live_page(page: str, orders: str, p: str) -> None:
    """The HTML page (--html) of the live figures: each chart row carries the broker's numbers."""
    lag_chart, freshness_chart = (
        page.split('id="chart-freshness"')[0].split('id="chart-lag"')[1],
        page.split('id="chart-freshness"')[1].split("</figure>")[0],
    )
    # orders: the dashboard group 14 behind against max_lag 10, and 2 h old against 5m: both red
    assert f'<g class="row breach" data-key="{orders}">' in lag_chart
    assert f'<g class="row breach" data-key="{orders}">' in freshness_chart
    row = lag_chart.split(f'data-key="{orders}">')[1].split("</g>")[0]
    assert 'data-value="14"' in row and "14 max, 17 total / SLA 10" in row and "BREACH" in row
    row = freshness_chart.split(f'data-key="{orders}">')[1].split("</g>")[0]
    assert re.search(r'data-value="7\d{3}(\.\d+)?"', row) and "SLA 5m" in row  # about 7,170 s
    customers = freshness_chart.split(f'data-key="{p}sales.customers.v1">')[1].split("</g>")[0]
    assert "no records" in customers and "<rect" not in customers
    assert "BREACH topic_missing" in page and "topic not on the cluster" in page
    assert "sales@acme.example" in page and 'content="default-src' in page


def test_an_unreachable_broker_is_exit_1(workdir: Path, prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    write_mesh(workdir, _mesh(prefix))
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    result = run("report", "--fail-on-breach")
    assert result.exit_code == 1
    assert "cannot reach Kafka at 127.0.0.1:" in result.output and "Traceback" not in result.output


def test_requests_stay_constant_with_the_number_of_groups(
    live: dict[str, object], prefix: str, admin: AdminClient, workdir: Path
) -> None:
    """30 more groups of the mesh's principals: the same requests (the groups are batched)."""
    ws = Workspace(workdir)
    kafka = ws.providers["kafka"]
    assert isinstance(kafka, KafkaProvider)
    topics = [str(live["orders"])]
    prefixes = group_prefixes(ws.config.mesh)
    kafka.usage(topics, prefixes)
    few = kafka.requests
    for i in range(30):
        _commit(admin, f"grp.{prefix}analytics.extra{i}", {(str(live["orders"]), 0): i % 10})
    ws2 = Workspace(workdir)
    kafka2 = ws2.providers["kafka"]
    assert isinstance(kafka2, KafkaProvider)
    usage = kafka2.usage(topics, prefixes)
    assert kafka2.requests == few
    extra = {g.group: g for g in usage.groups if ".extra" in g.group}
    assert len(extra) == 30 and extra[f"grp.{prefix}analytics.extra7"].offsets == {(str(live["orders"]), 0): 7}
    # the librdkafka path, one group a request, finds the same
    client = kafka2.client
    states, offsets = client.describe_groups(sorted(extra)), client.committed_offsets(sorted(extra))
    assert {g: (o.state, o.members) for g, o in extra.items()} == states
    assert {g: dict(o.offsets) for g, o in extra.items()} == offsets


def test_the_cron_example_runs_drift_and_the_report(live: dict[str, object], workdir: Path) -> None:
    """examples/ci/drift-cron.sh with the real meshctl: the deleted topic is drift, the report's
    breaches make it 2 as well, the textfile collector's file parses, and the page (REPORT_PAGE)
    is kept beside it."""
    script = Path(__file__).parents[2] / "examples" / "ci" / "drift-cron.sh"
    metrics = workdir / "textfile" / "meshctl.prom"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "MESH_DIR": str(workdir),
        "DRIFT_REPORT": str(workdir / "drift.json"),
        "METRICS_FILE": str(metrics),
        "REPORT_PAGE": str(workdir / "www" / "report.html"),
    }
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120, cwd=workdir)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "DRIFT" in done.stdout and "SLA BREACH" in done.stdout
    families = {f.name: f for f in text_string_to_metric_families(metrics.read_text())}
    kinds = sorted(s.labels["kind"] for s in families["meshctl_sla_breach"].samples)
    assert kinds == ["freshness", "max_lag", "topic_missing"]
    assert json.loads((workdir / "drift.json").read_text())["drift"] is True
    page = (workdir / "www" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('<g class="row breach"') == 2  # orders: lag, freshness
    assert "BREACH topic_missing" in page


def test_the_batched_group_reads_over_tls(broker: KafkaSandbox, admin: AdminClient, prefix: str) -> None:
    """On the SASL_SSL listener, with the CA file librdkafka is given: the same three requests,
    the same answers as librdkafka's one group a request."""
    admin.create_topics([NewTopic(f"{prefix}tls", 2, 1)])[f"{prefix}tls"].result(timeout=20)
    groups = [f"grp.{prefix}tls.{i}" for i in range(3)]
    for i, group in enumerate(groups):
        _commit(admin, group, {(f"{prefix}tls", 0): i, (f"{prefix}tls", 1): 10 + i})
    client = KafkaClient(broker.tls_client_config(broker.admin_user, broker.password), 20)
    described, offsets = client.group_states_and_offsets(groups)
    assert client.requests == 3  # FindCoordinator, DescribeGroups, OffsetFetch: not one per group
    assert offsets == {g: {(f"{prefix}tls", 0): i, (f"{prefix}tls", 1): 10 + i} for i, g in enumerate(groups)}
    assert described == {g: ("Empty", 0) for g in groups}
    assert (client.describe_groups(groups), client.committed_offsets(groups)) == (described, offsets)


def test_live_members_of_both_group_protocols(
    live: dict[str, object], prefix: str, broker: KafkaSandbox, kafka_env: dict[str, str]
) -> None:
    """Consumers connected now: a classic group and a KIP-848 one (group.protocol=consumer),
    each with one member; the report shows their state and member, batched or not."""
    from confluent_kafka import Consumer

    orders = str(live["orders"])
    consumers = {}
    for name, protocol in (("classic", "classic"), ("kip848", "consumer")):
        conf = {**broker.admin_config(), "group.id": f"grp.{prefix}analytics.{name}", "log_level": 0}
        conf |= {"group.protocol": protocol, "enable.auto.commit": False, "auto.offset.reset": "earliest"}
        consumer = Consumer(conf)
        consumer.subscribe([orders])
        consumers[name] = consumer
    try:
        deadline = time.monotonic() + 60
        while not all(c.assignment() for c in consumers.values()):
            assert time.monotonic() < deadline, "the consumers got no assignment in 60 s"
            for c in consumers.values():
                c.poll(0.2)
        for c in consumers.values():  # an offset to be counted as a reader
            c.commit(offsets=[TopicPartition(orders, 0, 10)], asynchronous=False)
        result = run("report", "--json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        found = {c["group"]: (c["state"], c["members"]) for c in _product(doc, "orders")["consumers"]}
        # the KIP-848 group, which the classic DescribeGroups shows as "Dead", is described by a
        # ConsumerGroupDescribe of its own: one request more, whatever the number of such groups
        assert doc["summary"]["kafka_requests"] == 9
        groups = [f"grp.{prefix}analytics.classic", f"grp.{prefix}analytics.kip848"]
        batched = group_reads.read_groups(broker.admin_config(), groups, 20)
        assert batched.described == {g: ("Stable", 1) for g in groups}
        assert (batched.requests, batched.left, batched.undescribed) == (4, [], [])
        assert found[f"grp.{prefix}analytics.classic"] == ("Stable", 1)
        assert found[f"grp.{prefix}analytics.kip848"] == ("Stable", 1)
    finally:
        for c in consumers.values():
            c.close()
