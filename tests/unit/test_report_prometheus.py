"""The Prometheus rendering of the report: valid exposition text whatever the names hold."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from meshctl.render.report_prometheus import escape_label, render_prometheus

HOSTILE = 'a\\b "quoted"\nnext} line{'


def _doc(accountable: str | None, products: int = 1) -> dict:
    product = {
        "domain": "sales",
        "product": "orders",
        "version": 1,
        "cluster": "default",
        "accountable": accountable,
        "consumers": [{"group": HOSTILE, "domain": "analytics", "lag": 3}],
        "lag": {"total": 3, "max": 3},
        "freshness": {"newest_record": None, "age_seconds": None, "sla_seconds": 300.0},
        "throughput": {"records_per_second": 0.5, "end_offset": 10},
        "fanout": 1,
        "idle": False,
        "deprecated_still_read": True,
        "breaches": [{"kind": "max_lag", "group": HOSTILE, "message": "x"}],
        "unused_grants": ["marketing"],
    }
    return {
        "environment": "prod",
        "generated_at": "2026-12-03T12:00:00Z",
        "summary": {"kafka_requests": 8},
        "products": [product] * products,
    }


def test_escaping_as_the_format_says() -> None:
    assert escape_label(HOSTILE) == 'a\\\\b \\"quoted\\"\\nnext} line{'


def test_hostile_labels_parse_back_to_themselves() -> None:
    text = render_prometheus(_doc(HOSTILE))
    families = {f.name: f for f in text_string_to_metric_families(text)}
    (lag,) = families["meshctl_product_consumer_lag"].samples
    assert lag.labels["accountable"] == HOSTILE and lag.value == 3.0
    (group,) = families["meshctl_product_consumer_group_lag"].samples
    assert group.labels["group"] == HOSTILE
    (breach,) = families["meshctl_sla_breach"].samples
    assert (breach.labels["kind"], breach.labels["group"]) == ("max_lag", HOSTILE)
    # null figures leave their sample out; a family without samples is left out whole
    assert "meshctl_product_freshness_seconds" not in families
    assert families["meshctl_product_freshness_sla_seconds"].samples[0].value == 300.0
    assert families["meshctl_report_generated_timestamp_seconds"].samples[0].value == 1796299200.0
    assert {s.labels["environment"] for f in families.values() for s in f.samples} == {"prod"}


def test_one_help_and_type_per_family_and_samples_together() -> None:
    text = render_prometheus(_doc(None, products=3))
    seen: list[str] = []
    for line in text.splitlines():
        name = line.split()[2] if line.startswith("#") else line.split("{")[0].split()[0]
        if not seen or seen[-1] != name:
            assert name not in seen, f"{name} split in two"
            seen.append(name)
    assert text.count("# TYPE meshctl_product_fanout gauge") == 1
    assert 'accountable=""' in text
