"""The report as Prometheus' text exposition format (version 0.0.4), for a node-exporter
textfile collector run from the same cron as `meshctl drift`. Drawn from the report document;
the metric families are listed in docs/report-json.md.

Each family is written once, its HELP and TYPE lines first and its samples together, as the
format requires; label values escape backslash, double quote and newline."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

Labels = Mapping[str, str]

_FAMILIES: dict[str, str] = {
    "meshctl_product_consumer_lag": "The largest consumer group lag of a data product version, in records.",
    "meshctl_product_consumer_group_lag": "A consumer group's lag on a data product version, in records.",
    "meshctl_product_freshness_seconds": "Seconds since the newest record of a data product version.",
    "meshctl_product_freshness_sla_seconds": "The freshness SLA of a data product version, in seconds.",
    "meshctl_product_throughput_records_per_second": "Records written per second to a data product version.",
    "meshctl_product_fanout": "Distinct domains reading a data product version.",
    "meshctl_product_idle": "1 when no consumer group of the mesh reads a data product version.",
    "meshctl_product_deprecated_still_read": "1 when a version past its deprecation date is still read.",
    "meshctl_sla_breach": "1 per SLA breach of a data product version.",
    "meshctl_unused_grant": "1 per access grant whose consuming domain reads nothing of the version.",
    "meshctl_report_kafka_requests": "Admin requests the report made to Kafka.",
    "meshctl_report_generated_timestamp_seconds": "When the report read the cluster, in Unix seconds.",
}


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _value(value: float | int) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _sample(name: str, labels: Labels, value: float | int) -> str:
    inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
    return f"{name}{{{inner}}} {_value(value)}" if inner else f"{name} {_value(value)}"


def render_prometheus(doc: Mapping[str, Any]) -> str:
    samples: dict[str, list[str]] = {name: [] for name in _FAMILIES}

    def add(name: str, labels: Labels, value: float | int | None) -> None:
        if value is not None:
            samples[name].append(_sample(name, labels, value))

    env = {"environment": str(doc["environment"])}
    for p in doc["products"]:
        labels = {
            **env,
            "domain": str(p["domain"]),
            "product": str(p["product"]),
            "version": str(p["version"]),
            "cluster": str(p["cluster"]),
            "accountable": str(p["accountable"] or ""),
        }
        add("meshctl_product_consumer_lag", labels, p["lag"]["max"])
        for c in p["consumers"]:
            add(
                "meshctl_product_consumer_group_lag",
                {**labels, "group": str(c["group"]), "consuming_domain": str(c["domain"])},
                c["lag"],
            )
        add("meshctl_product_freshness_seconds", labels, p["freshness"]["age_seconds"])
        add("meshctl_product_freshness_sla_seconds", labels, p["freshness"]["sla_seconds"])
        add("meshctl_product_throughput_records_per_second", labels, p["throughput"]["records_per_second"])
        add("meshctl_product_fanout", labels, p["fanout"])
        add("meshctl_product_idle", labels, 1 if p["idle"] else 0)
        add("meshctl_product_deprecated_still_read", labels, 1 if p["deprecated_still_read"] else 0)
        for b in p["breaches"]:
            add("meshctl_sla_breach", {**labels, "kind": str(b["kind"]), "group": str(b.get("group") or "")}, 1)
        for d in p["unused_grants"]:
            add("meshctl_unused_grant", {**labels, "consumer_domain": str(d)}, 1)
    add("meshctl_report_kafka_requests", env, doc["summary"]["kafka_requests"])
    generated = datetime.fromisoformat(str(doc["generated_at"]).replace("Z", "+00:00"))
    add("meshctl_report_generated_timestamp_seconds", env, generated.timestamp())
    out: list[str] = []
    for name, lines in samples.items():
        if lines:
            out += [f"# HELP {name} {_help(_FAMILIES[name])}", f"# TYPE {name} gauge", *lines]
    return "\n".join(out) + "\n"
