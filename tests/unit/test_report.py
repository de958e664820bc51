"""`meshctl report`'s figures (plan.report): exact numbers from synthetic observations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from meshctl.config.loader import load
from meshctl.mesh.model import Mesh
from meshctl.plan.report import Consumer, build_report, group_prefixes, group_principal, sla_figures
from meshctl.plan.usage_observed import (
    ClusterUsage,
    GroupObservation,
    OffsetSample,
    sample_from_json,
    sample_to_json,
    topic_totals,
)
from tests.helpers import write_mesh

NOW = datetime(2026, 12, 20, 12, 0, 0, tzinfo=UTC)
MS = 1000

MESH = """
domain "commerce" {
  owners {
    accountable = "lead@acme.example"
    responsible = ["ops@acme.example"]
  }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "sales@acme.example" }
}
domain "analytics" {
  owners { accountable = "data@acme.example" }
}
domain "shipping" {
  owners { accountable = "ship@acme.example" }
}
domain "marketing" {
  owners { accountable = "mkt@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
  topic { partitions = 2 }
  sla {
    freshness = "5m"
    max_lag   = 10
  }
}
data_product "orders" {
  domain  = "sales"
  version = 2
  topic { partitions = 1 }
  sla { freshness = "1h" }
  versioning {
    replaces   = 1
    deprecated = "2026-12-15"
    sunset     = "2027-03-01"
  }
}
data_product "customers" {
  domain = "sales"
  kind   = "fat_object"
}
access "analytics_orders" {
  product  = "sales.orders"
  consumer = "analytics"
}
access "shipping_orders" {
  product  = "sales.orders"
  version  = 2
  consumer = "shipping"
}
access "marketing_orders" {
  product  = "sales.orders"
  version  = 1
  consumer = "marketing"
}
application "dashboard" {
  domain = "analytics"
  kind   = "consumer"
  reads  = ["sales.orders"]
}
application "eta" {
  domain = "shipping"
  kind   = "streams"
  reads  = ["sales.orders.v2"]
}
"""

V1, V2, CUSTOMERS = "commerce.sales.orders.v1", "commerce.sales.orders.v2", "commerce.sales.customers.v1"


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Mesh:
    directory = write_mesh(tmp_path_factory.mktemp("mesh"), {"main.hcl": MESH})
    return load(directory).mesh


def _usage(**overrides: object) -> ClusterUsage:
    base: dict[str, object] = {
        "partitions": {V1: 2, V2: 1, CUSTOMERS: 1},
        "end_offsets": {(V1, 0): 100, (V1, 1): 50, (V2, 0): 30, (CUSTOMERS, 0): 0},
        "newest": {
            (V1, 0): int((NOW - timedelta(minutes=7)).timestamp() * MS),
            (V1, 1): int((NOW - timedelta(minutes=9)).timestamp() * MS),
            (V2, 0): int((NOW - timedelta(seconds=30)).timestamp() * MS),
        },
        "groups": (
            # the dashboard reads both versions: 20 + 5 behind on v1, 0 on v2
            GroupObservation("grp.analytics-dashboard.orders", "Stable", 2, {(V1, 0): 80, (V1, 1): 45, (V2, 0): 30}),
            # the analytics domain's own group, empty, 3 behind on v1
            GroupObservation("grp.analytics.adhoc", "Empty", 0, {(V1, 0): 97}),
            # the streams app on v2, 12 behind
            GroupObservation("shipping-eta.streams", "Stable", 1, {(V2, 0): 18}),
            # not the mesh's: no principal `intruder`, so never counted
            GroupObservation("grp.intruder.orders", "Stable", 1, {(V1, 0): 0}),
            # a mesh principal's group on no product topic
            GroupObservation("grp.marketing.other", "Empty", 0, {("elsewhere", 0): 5}),
        ),
    }
    base.update(overrides)
    return ClusterUsage(**base)  # type: ignore[arg-type]


def _product(doc: dict[str, object], topic: str) -> dict[str, object]:
    products = doc["products"]
    assert isinstance(products, list)
    return next(p for p in products if p["topic"] == topic)


def test_usage_fanout_lag_and_owners(mesh: Mesh) -> None:
    doc = build_report(mesh, {"default": _usage()}, NOW, requests=7)
    v1 = _product(doc, V1)
    assert [c["group"] for c in v1["consumers"]] == ["grp.analytics-dashboard.orders", "grp.analytics.adhoc"]
    dashboard, adhoc = v1["consumers"]
    assert dashboard == {
        "group": "grp.analytics-dashboard.orders",
        "state": "Stable",
        "members": 2,
        "principal": "analytics-dashboard",
        "kind": "application",
        "application": "analytics.dashboard",
        "domain": "analytics",
        "accountable": "data@acme.example",
        "lag": 25,
    }
    assert (adhoc["kind"], adhoc["application"], adhoc["lag"], adhoc["members"]) == ("domain", None, 3, 0)
    assert v1["consuming_domains"] == ["analytics"] and v1["fanout"] == 1
    assert v1["lag"] == {"total": 28, "max": 25}
    assert v1["accountable"] == "sales@acme.example"
    assert v1["responsible"] == []
    v2 = _product(doc, V2)
    assert v2["consuming_domains"] == ["analytics", "shipping"] and v2["fanout"] == 2
    assert v2["lag"] == {"total": 12, "max": 12}
    eta = next(c for c in v2["consumers"] if c["group"] == "shipping-eta.streams")
    assert (eta["kind"], eta["application"], eta["domain"]) == ("application", "shipping.eta", "shipping")


def test_freshness_and_breaches(mesh: Mesh) -> None:
    doc = build_report(mesh, {"default": _usage()}, NOW)
    v1 = _product(doc, V1)
    # the newest over both partitions: 7 minutes old, against 5 minutes
    assert v1["freshness"] == {"newest_record": "2026-12-20T11:53:00.000Z", "age_seconds": 420.0, "sla_seconds": 300.0}
    kinds = [(b["kind"], b.get("group")) for b in v1["breaches"]]
    assert kinds == [("freshness", None), ("max_lag", "grp.analytics-dashboard.orders")]
    assert "7m old, over the 5m freshness SLA (accountable: sales@acme.example)" in v1["breaches"][0]["message"]
    assert "lags 25 records, over the max_lag SLA of 10" in v1["breaches"][1]["message"]
    v2 = _product(doc, V2)
    assert v2["freshness"]["age_seconds"] == 30.0 and v2["breaches"] == []
    assert doc["summary"]["breaches"] == 2


def test_an_empty_topic_has_no_freshness_and_is_idle(mesh: Mesh) -> None:
    doc = build_report(mesh, {"default": _usage()}, NOW)
    customers = _product(doc, CUSTOMERS)
    assert customers["freshness"] == {"newest_record": None, "age_seconds": None, "sla_seconds": None}
    assert customers["idle"] is True and customers["consumers"] == [] and customers["fanout"] == 0
    assert customers["lag"] == {"total": None, "max": None}
    assert customers["breaches"] == []


def test_unused_grants_and_deprecated_versions_still_read(mesh: Mesh) -> None:
    doc = build_report(mesh, {"default": _usage()}, NOW)
    v1, v2 = _product(doc, V1), _product(doc, V2)
    # marketing may read v1 (its grant names it), shipping only v2; analytics reads both
    assert v1["unused_grants"] == ["marketing"]
    assert v2["unused_grants"] == []
    assert (v1["lifecycle"], v1["deprecated"], v1["sunset"]) == ("deprecated", "2026-12-15", "2027-03-01")
    assert v1["deprecated_still_read"] is True
    assert (v2["lifecycle"], v2["deprecated_still_read"]) == ("active", False)
    assert doc["summary"] == {
        "products": 3,
        "breaches": 2,
        "idle": 1,
        "unused_grants": 1,
        "deprecated_still_read": 1,
        "kafka_requests": 0,
    }
    before = build_report(mesh, {"default": _usage()}, NOW, today=date(2026, 12, 1))
    assert _product(before, V1)["lifecycle"] == "active" and _product(before, V1)["deprecated_still_read"] is False
    after = build_report(mesh, {"default": _usage()}, NOW, today=date(2027, 3, 1))
    assert _product(after, V1)["lifecycle"] == "sunset"


def test_domains_add_up(mesh: Mesh) -> None:
    doc = build_report(mesh, {"default": _usage()}, NOW)
    domains = {d["name"]: d for d in doc["domains"]}
    assert domains["sales"] == {
        "name": "sales",
        "accountable": "sales@acme.example",
        "owned": 3,
        "consumed": 0,
        "breaches": 2,
    }
    assert domains["analytics"] == {
        "name": "analytics",
        "accountable": "data@acme.example",
        "owned": 0,
        "consumed": 2,
        "breaches": 0,
    }
    assert domains["shipping"]["consumed"] == 1 and domains["marketing"]["consumed"] == 0
    assert list(domains) == sorted(domains)


def test_a_missing_topic_is_a_breach_and_reads_nothing(mesh: Mesh) -> None:
    usage = _usage(partitions={V1: 2, V2: 1})  # customers deleted out of band
    doc = build_report(mesh, {"default": usage}, NOW)
    customers = _product(doc, CUSTOMERS)
    assert customers["topic_present"] is False
    assert [b["kind"] for b in customers["breaches"]] == ["topic_missing"]
    assert customers["idle"] is False and doc["summary"]["idle"] == 0
    assert customers["throughput"] == {"records_per_second": None, "end_offset": None}


def test_throughput_from_a_previous_sample(mesh: Mesh) -> None:
    earlier = OffsetSample((NOW - timedelta(seconds=60)).timestamp(), {f"default/{V1}": 90, f"default/{V2}": 40})
    doc = build_report(mesh, {"default": _usage()}, NOW, previous=earlier, basis="previous_report")
    assert doc["throughput_basis"] == "previous_report" and doc["window_seconds"] == 60.0
    # v1: 150 - 90 records in 60 s; v2 went down (re-created): no rate; customers: not sampled before
    assert _product(doc, V1)["throughput"] == {"records_per_second": 1.0, "end_offset": 150}
    assert _product(doc, V2)["throughput"] == {"records_per_second": None, "end_offset": 30}
    assert _product(doc, CUSTOMERS)["throughput"] == {"records_per_second": None, "end_offset": 0}
    none = build_report(mesh, {"default": _usage()}, NOW)
    assert (none["throughput_basis"], none["window_seconds"]) == ("none", None)
    future = OffsetSample(NOW.timestamp() + 5, {})  # a clock gone backwards: no basis, not a negative rate
    assert (
        build_report(mesh, {"default": _usage()}, NOW, previous=future, basis="previous_report")["window_seconds"]
        is None
    )


def test_generated_at_and_format(mesh: Mesh) -> None:
    doc = build_report(mesh, {"default": _usage()}, NOW, environment="prod")
    assert (doc["format_version"], doc["generated_at"], doc["environment"]) == ("1.0", "2026-12-20T12:00:00Z", "prod")


@pytest.mark.parametrize(
    ("group", "principal"),
    [
        ("grp.analytics.x", "analytics"),
        ("grp.analytics-dashboard.sales.orders.v1", "analytics-dashboard"),
        ("shipping-eta.streams", "shipping-eta"),
        ("connect-analytics-lake.s3-sink", "analytics-lake"),
        ("grp.analytics", None),  # no dot after the principal: not under its prefix
        ("shipping-eta.streams2", None),
        ("shipping-eta.connect", None),  # the worker's own group reads no product
        ("grp.nobody.x", None),
        ("random-group", None),
        ("", None),
    ],
)
def test_group_principal(group: str, principal: str | None) -> None:
    principals = {
        p: Consumer(p, "domain", p, None)
        for p in ("analytics", "shipping-eta", "analytics-lake", "analytics-dashboard")
    }
    found = group_principal(group, principals)
    assert (found.principal if found else None) == principal


def test_group_prefixes_cover_every_principal(mesh: Mesh) -> None:
    prefixes = group_prefixes(mesh)
    assert "grp.analytics." in prefixes and "shipping-eta.streams" in prefixes and "connect-sales." in prefixes


@pytest.mark.parametrize(
    ("sla", "expected"),
    [
        ('freshness = "5m"\n    max_lag = 10', (300.0, 10)),
        ('freshness = "1h30m"', (5400.0, None)),
        ("max_lag = 1000", (None, 1000)),
        ('availability = "99.9%"', (None, None)),
    ],
)
def test_sla_figures(tmp_path: Path, sla: str, expected: tuple[object, object]) -> None:
    text = (
        'domain "a" {\n  owners { accountable = "a@x" }\n}\n'
        f'data_product "p" {{\n  domain = "a"\n  sla {{\n    {sla}\n  }}\n}}\n'
    )
    product = load(write_mesh(tmp_path, {"main.hcl": text})).mesh.products[0]
    assert sla_figures(product) == expected


def test_samples_round_trip_and_refuse_other_environments() -> None:
    usage = _usage()
    sample = OffsetSample(1.5, topic_totals("default", usage))
    assert sample.totals == {f"default/{V1}": 150, f"default/{V2}": 30, f"default/{CUSTOMERS}": 0}
    doc = sample_to_json(sample, "dev")
    assert sample_from_json(doc, "dev") == sample
    assert sample_from_json(doc, "prod") is None
    assert sample_from_json({"format_version": 1, "environment": "dev", "taken_at": "x", "totals": {}}, "dev") is None
    assert sample_from_json([], "dev") is None
    # a topic with a partition that did not answer has no total
    partial = ClusterUsage(partitions={V1: 2}, end_offsets={(V1, 0): 3})
    assert topic_totals("default", partial) == {}


def test_a_mesh_without_products(tmp_path: Path) -> None:
    directory = write_mesh(tmp_path, {"main.hcl": 'domain "a" {\n  owners { accountable = "a@x" }\n}\n'})
    doc = build_report(load(directory).mesh, {}, NOW)
    assert doc["products"] == [] and doc["summary"]["products"] == 0
    assert doc["domains"] == [{"name": "a", "accountable": "a@x", "owned": 0, "consumed": 0, "breaches": 0}]


COPY_MESH = """
domain "sales" {
  owners { accountable = "sales@acme.example" }
}
domain "payments" {
  owners { accountable = "pay@acme.example" }
}
domain "risk" {
  owners { accountable = "risk@acme.example" }
}
data_product "customers" {
  domain = "sales"
}
access "payments_customers" {
  product  = "sales.customers"
  consumer = "payments"
}
access "risk_customers" {
  product  = "sales.customers"
  consumer = "risk"
}
copy "customers" {
  domain  = "payments"
  product = "sales.customers"
  version = 1
}
copy "customers" {
  domain  = "risk"
  product = "sales.customers"
  version = 1
}
"""


def test_a_kept_copy_is_usage_of_its_source_and_a_missing_one_is_not(tmp_path: Path) -> None:
    """MirrorMaker 2 reads without a consumer group: a copy whose topic is there makes its domain
    a consumer (not an unused grant, the source not idle); a copy not (yet) there does not."""
    mesh = load(write_mesh(tmp_path, {"main.hcl": COPY_MESH})).mesh
    source, kept = "sales.customers.v1", "payments.customers.v1"
    usage = ClusterUsage(
        partitions={source: 2, kept: 2},
        end_offsets={(source, 0): 7, (source, 1): 5, (kept, 0): 7, (kept, 1): 4},
        newest={},
        groups=(),
    )
    doc = build_report(mesh, {"default": usage}, NOW)
    entry = _product(doc, source)
    assert entry["consumers"] == [] and entry["consuming_domains"] == ["payments"] and entry["fanout"] == 1
    assert entry["idle"] is False and entry["unused_grants"] == ["risk"]
    assert entry["copies"] == [
        {
            "address": "copy.payments.customers.v1",
            "domain": "payments",
            "accountable": "pay@acme.example",
            "topic": kept,
            "topic_present": True,
            "end_offset": 11,
            "source_end_offset": 12,
        },
        {
            "address": "copy.risk.customers.v1",
            "domain": "risk",
            "accountable": "risk@acme.example",
            "topic": "risk.customers.v1",
            "topic_present": False,
            "end_offset": None,
            "source_end_offset": 12,
        },
    ]
    domains = {d["name"]: d for d in doc["domains"]}  # type: ignore[union-attr]
    assert domains["payments"]["consumed"] == 1 and domains["risk"]["consumed"] == 0
    # docs/report-json.md documents exactly these keys
    text = (Path(__file__).parents[2] / "docs" / "report-json.md").read_text()
    table = text.split("### `products[].copies[]`\n", 1)[1].split("\n#", 1)[0]
    keys = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert keys == set(entry["copies"][0])  # type: ignore[index]
