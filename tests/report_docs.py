"""Report documents (the `report --json` shape, docs/report-json.md) for the HTML page's tests:
a small mesh with one freshness breach and one lag breach, an empty one, and hostile names."""

from __future__ import annotations

import copy
from typing import Any

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = "\"'><img src=x onerror=alert(2)>"


def product(
    domain: str,
    name: str,
    *,
    version: int = 1,
    accountable: str = "",
    lag_total: int | None = 0,
    lag_max: int | None = 0,
    age: float | None = 30.0,
    sla: float | None = 300,
    consumers: list[dict[str, Any]] | None = None,
    breaches: list[dict[str, str]] | None = None,
    lifecycle: str = "active",
    unused_grants: list[str] | None = None,
    rate: float | None = 1.5,
    max_lag_sla: int | None = None,
) -> dict[str, Any]:
    consumers = consumers or []
    consuming = sorted({c["domain"] for c in consumers if c.get("domain")})
    return {
        "domain": domain,
        "product": name,
        "version": version,
        "address": f"data_product.{domain}.{name}.v{version}",
        "cluster": "default",
        "topic": f"{domain}.{name}.v{version}",
        "topic_present": True,
        "accountable": accountable or f"{domain}-lead@acme.example",
        "responsible": [f"{name}-team@acme.example"],
        "lifecycle": lifecycle,
        "deprecated": "2026-12-15" if lifecycle != "active" else None,
        "sunset": None,
        "consumers": consumers,
        "consuming_domains": consuming,
        "fanout": len(consuming),
        "lag": {"total": lag_total, "max": lag_max},
        "max_lag_sla": max_lag_sla,
        "freshness": {
            "newest_record": "2026-12-03T11:59:30Z" if age is not None else None,
            "age_seconds": age,
            "sla_seconds": sla,
        },
        "throughput": {"records_per_second": rate, "end_offset": 1234},
        "idle": not consumers,
        "unused_grants": unused_grants or [],
        "deprecated_still_read": lifecycle != "active" and bool(consumers),
        "breaches": breaches or [],
    }


def consumer(group: str, domain: str, lag: int, application: str | None = None) -> dict[str, Any]:
    return {
        "group": group,
        "state": "Stable",
        "members": 1,
        "principal": (application or domain).replace(".", "-"),
        "kind": "application" if application else "domain",
        "application": application,
        "domain": domain,
        "accountable": f"{domain}-lead@acme.example",
        "lag": lag,
    }


def sample_doc() -> dict[str, Any]:
    """sales.orders breaches its freshness SLA (900 s old against 300 s); shipping.parcels its
    max_lag (a group 4,000 records behind against 1,000)."""
    products = [
        product(
            "sales",
            "orders",
            lag_total=12,
            lag_max=10,
            age=900.0,
            sla=300,
            max_lag_sla=100,
            consumers=[
                consumer("analytics.dashboard", "analytics", 10, "analytics.dashboard"),
                consumer("shipping.router", "shipping", 2),
            ],
            breaches=[{"kind": "freshness", "message": "newest record is 15m old, SLA 5m"}],
            unused_grants=["payments"],
        ),
        product("sales", "refunds", lag_total=None, lag_max=None, age=None, sla=None, rate=None),
        product(
            "shipping",
            "parcels",
            lag_total=5000,
            lag_max=4000,
            age=45.5,
            sla=600,
            max_lag_sla=1000,
            consumers=[consumer("analytics.parcels", "analytics", 4000), consumer("shipping.self", "shipping", 1000)],
            breaches=[
                {
                    "kind": "max_lag",
                    "group": "analytics.parcels",
                    "message": "lags 4,000 records, over the max_lag SLA of 1,000",
                }
            ],
        ),
        product(
            "shipping",
            "legacy",
            lifecycle="deprecated",
            lag_total=3,
            lag_max=3,
            age=120.0,
            sla=None,
            consumers=[consumer("sales.old", "sales", 3)],
        ),
    ]
    return {
        "format_version": "1.0",
        "generated_at": "2026-12-03T12:00:00Z",
        "environment": "default",
        "throughput_basis": "window",
        "window_seconds": 60,
        "summary": {
            "products": 4,
            "breaches": 2,
            "idle": 1,
            "unused_grants": 1,
            "deprecated_still_read": 1,
            "kafka_requests": 6,
        },
        "products": products,
        "domains": [
            {
                "name": "analytics",
                "accountable": "analytics-lead@acme.example",
                "owned": 0,
                "consumed": 2,
                "breaches": 0,
            },
            {"name": "sales", "accountable": "sales-lead@acme.example", "owned": 2, "consumed": 1, "breaches": 1},
            {"name": "shipping", "accountable": "shipping-lead@acme.example", "owned": 2, "consumed": 2, "breaches": 1},
        ],
    }


def empty_doc() -> dict[str, Any]:
    """A mesh with no products: every section still renders, with nothing to chart."""
    doc = sample_doc()
    doc["products"], doc["domains"] = [], []
    doc["summary"] = {k: 0 for k in doc["summary"]}
    doc["throughput_basis"], doc["window_seconds"] = "none", None
    return doc


def hostile_doc() -> dict[str, Any]:
    """Every name a mesh author controls carries markup: it must show as text and run nothing."""
    doc = copy.deepcopy(sample_doc())
    p = doc["products"][0]
    p["product"] = HOSTILE
    p["accountable"] = HOSTILE_ATTR
    p["topic"] = HOSTILE_ATTR
    p["consumers"][0]["group"] = HOSTILE
    p["consumers"][0]["application"] = HOSTILE_ATTR
    p["breaches"][0]["message"] = HOSTILE
    p["breaches"][0]["kind"] = HOSTILE_ATTR
    p["unused_grants"] = [HOSTILE]
    doc["domains"][1]["accountable"] = HOSTILE
    doc["domains"][0]["name"] = HOSTILE_ATTR
    doc["environment"] = HOSTILE
    doc["generated_at"] = HOSTILE_ATTR
    return doc
