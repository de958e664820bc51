"""`meshctl report`: the report document (docs/report-json.md) from the mesh and what the
cluster showed (plan.usage_observed). Pure: the clock and the previous sample are arguments.

Who reads what comes from the mesh's naming (meshctl.naming): a group `grp.<P>.*`,
`<P>.streams` or `connect-<P>.*` belongs to principal P, and a principal is a domain, an
application (`<domain>-<app>`) or an integration (`<domain>-<integration>`). A group of no
principal of the mesh is not the mesh's and is never counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from meshctl.mesh.durations import format_ms
from meshctl.mesh.exceptions import in_force
from meshctl.mesh.lifecycle import DEPRECATED, FREEZE, RETIRE, Stage, stages
from meshctl.mesh.model import DataProduct, Mesh
from meshctl.naming import CONNECT_SINK_MARKER, GROUP_MARKER, connect_sink_group_prefix, group_prefix
from meshctl.plan.usage_observed import ClusterUsage, GroupObservation, OffsetSample, sample_key, topic_totals

FORMAT_VERSION = "1.0"
STREAMS_SUFFIX = "streams"  # naming.streams_application_id: `<P>.streams`


@dataclass(frozen=True)
class _Tally:
    """A product entry's figures the summary and the domain lines add up."""

    consuming: list[str]
    breaches: int
    idle: bool
    unused: int
    still_read: bool


@dataclass(frozen=True)
class Consumer:
    """Who a principal of the mesh is: kind "domain", "application" or "integration"."""

    principal: str
    kind: str
    domain: str
    application: str | None  # `<domain>.<name>`; None for a domain's own principal


def consumers_of(mesh: Mesh) -> dict[str, Consumer]:
    """Every principal of the mesh that may own consumer groups, by principal name."""
    out = {d: Consumer(d, "domain", d, None) for d in mesh.domains}
    for i in mesh.integrations:
        out[i.principal_name] = Consumer(i.principal_name, "integration", i.domain, f"{i.domain}.{i.name}")
    for a in mesh.applications:
        out[a.principal_name] = Consumer(a.principal_name, "application", a.domain, f"{a.domain}.{a.name}")
    return out


def group_prefixes(mesh: Mesh) -> tuple[str, ...]:
    """The starts of every group id the mesh's principals may use: what the listing keeps."""
    out: list[str] = []
    for p in sorted(consumers_of(mesh)):
        out += [group_prefix(p), connect_sink_group_prefix(p), f"{p}.{STREAMS_SUFFIX}"]
    return tuple(out)


def group_principal(group: str, principals: Mapping[str, Consumer]) -> Consumer | None:
    """The principal of the mesh a group id belongs to, or None (not the mesh's)."""
    if group.startswith(f"{GROUP_MARKER}."):
        name, sep, _ = group[len(GROUP_MARKER) + 1 :].partition(".")
    elif group.startswith(f"{CONNECT_SINK_MARKER}-"):
        name, sep, _ = group[len(CONNECT_SINK_MARKER) + 1 :].partition(".")
    else:
        name, sep, rest = group.partition(".")
        sep = sep if rest == STREAMS_SUFFIX else ""
    return principals.get(name) if sep else None


def accountable_of(mesh: Mesh, domain: str) -> str | None:
    """The domain's accountable owner, else its nearest ancestor's (RACI: someone answers)."""
    if domain not in mesh.domains:
        return None
    for d in [mesh.domains[domain], *mesh.ancestors(domain)]:
        if d.owners is not None:
            return d.owners.accountable
    return None


def responsible_of(mesh: Mesh, domain: str) -> list[str]:
    d = mesh.domains.get(domain)
    return list(d.owners.responsible) if d is not None and d.owners is not None else []


def sla_figures(product: DataProduct) -> tuple[float | None, int | None]:
    """(freshness in seconds, max_lag in records) from the product's typed SLA (mesh.contracts);
    None where it says nothing."""
    sla = product.sla
    return (sla.freshness.seconds if sla.freshness is not None else None), sla.max_lag


def _lifecycle(stage: Stage) -> str:
    if stage.stage == DEPRECATED:
        return "deprecated"
    if stage.stage in (FREEZE, RETIRE):
        return "sunset"
    return "active"


def _iso(moment: datetime, millis: bool = False) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds" if millis else "seconds")
    return text.replace("+00:00", "Z")


def _granted_domains(mesh: Mesh, product: DataProduct) -> list[str]:
    out = set()
    for grant in mesh.access:
        if grant.product == product.key and grant.version in (None, product.version):
            out.add(grant.consumer)
    return sorted(out)


def _human(seconds: float) -> str:
    return format_ms(int(seconds) * 1000) if seconds >= 1 else f"{seconds:.1f}s"


def build_report(
    mesh: Mesh,
    usage: Mapping[str, ClusterUsage],
    now: datetime,
    *,
    environment: str = "default",
    today: date | None = None,
    frozen_topics: set[str] | None = None,
    previous: OffsetSample | None = None,
    basis: str = "none",
    requests: int = 0,
) -> dict[str, object]:
    """The report document. `usage`: cluster -> what it showed. `previous`: the earlier
    end-offset sample throughput is measured from (`basis` says where it came from)."""
    principals = consumers_of(mesh)
    life = stages(mesh, today or now.date(), frozen_topics or set())
    now_s = now.timestamp()
    current = {k: v for cluster, u in usage.items() for k, v in topic_totals(cluster, u).items()}
    window = (now_s - previous.taken_at) if previous is not None and now_s > previous.taken_at else None
    products: list[dict[str, object]] = []
    tallies: list[_Tally] = []
    owned: dict[str, list[_Tally]] = {}
    consumed_by: dict[str, int] = {}
    for product in sorted(mesh.products, key=lambda p: (p.domain, p.name, p.version)):
        cluster = mesh.product_cluster(product)
        entry, tally = _product(
            mesh, product, cluster, usage.get(cluster, ClusterUsage()), principals, life, now, current, previous, window
        )
        products.append(entry)
        tallies.append(tally)
        owned.setdefault(product.domain, []).append(tally)
        for domain in tally.consuming:
            consumed_by[domain] = consumed_by.get(domain, 0) + 1
    domains = [
        {
            "name": name,
            "accountable": accountable_of(mesh, name),
            "owned": len(owned.get(name, ())),
            "consumed": consumed_by.get(name, 0),
            "breaches": sum(t.breaches for t in owned.get(name, ())),
        }
        for name in sorted(mesh.domains)
    ]
    summary = {
        "products": len(products),
        "breaches": sum(t.breaches for t in tallies),
        "idle": sum(1 for t in tallies if t.idle),
        "unused_grants": sum(t.unused for t in tallies),
        "deprecated_still_read": sum(1 for t in tallies if t.still_read),
        "kafka_requests": requests,
    }
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": _iso(now),
        "environment": environment,
        "throughput_basis": basis if window is not None else "none",
        "window_seconds": round(window, 3) if window is not None else None,
        "summary": summary,
        "products": products,
        "domains": domains,
        # The justified exceptions in force (mesh.exceptions): what the mesh allows off the happy path.
        "exceptions": in_force(mesh, today or now.date()),
    }


def _product(
    mesh: Mesh,
    product: DataProduct,
    cluster: str,
    usage: ClusterUsage,
    principals: Mapping[str, Consumer],
    life: Mapping[str, Stage],
    now: datetime,
    current: Mapping[str, int],
    previous: OffsetSample | None,
    window: float | None,
) -> tuple[dict[str, object], _Tally]:
    topic = mesh.topic_name(product)
    accountable = accountable_of(mesh, product.domain)
    stage = life.get(product.address, Stage("live"))
    successor = stage.successor
    present = topic in usage.partitions
    count = usage.partitions.get(topic, 0)
    ends = {p: usage.end_offsets[(topic, p)] for p in range(count) if (topic, p) in usage.end_offsets}
    consumers: list[dict[str, object]] = []
    lags: list[int] = []
    consuming_set: set[str] = set()
    for group in usage.groups:
        who = group_principal(group.group, principals)
        mine = {p: off for (t, p), off in group.offsets.items() if t == topic}
        if who is None or not mine or not present:
            continue
        lag = sum(max(ends[p] - off, 0) for p, off in mine.items() if p in ends)
        consumers.append(_consumer(mesh, group, who, lag))
        lags.append(lag)
        consuming_set.add(who.domain)
    copies = _copies(mesh, product, usage)
    # A copy kept by MirrorMaker 2 reads the source without a consumer group (its offsets live in
    # Connect's offsets topic): its domain uses the product all the same.
    consuming_set.update(str(c["domain"]) for c in copies if c["topic_present"])
    consuming = sorted(consuming_set)
    fresh_sla, lag_sla = sla_figures(product)
    stamps = [usage.newest[(topic, p)] for p in range(count) if (topic, p) in usage.newest]
    newest = datetime.fromtimestamp(max(stamps) / 1000, UTC) if stamps else None
    age = max((now - newest).total_seconds(), 0.0) if newest is not None else None
    key = sample_key(cluster, topic)
    rate = None
    if previous is not None and window and key in current and key in previous.totals:
        grown = current[key] - previous.totals[key]
        rate = round(grown / window, 3) if grown >= 0 else None  # gone down: re-created, no rate
    lifecycle = _lifecycle(stage)
    breaches: list[dict[str, object]] = []
    owner = f"accountable: {accountable}" if accountable else "no accountable owner"
    if not present and lifecycle != "sunset":  # past its sunset a version's topic goes on purpose
        breaches.append({"kind": "topic_missing", "message": f"topic {topic} is not on cluster {cluster} ({owner})"})
    if age is not None and fresh_sla is not None and age > fresh_sla:
        breaches.append(
            {
                "kind": "freshness",
                "message": f"newest record is {_human(age)} old, over the {_human(fresh_sla)} freshness SLA ({owner})",
            }
        )
    if lag_sla is not None:
        for c, lag in zip(consumers, lags, strict=True):
            if lag > lag_sla:
                breaches.append(
                    {
                        "kind": "max_lag",
                        "group": c["group"],
                        "message": f"consumer group {c['group']} lags {lag:,} records, over the max_lag SLA "
                        f"of {lag_sla:,} ({owner})",
                    }
                )
    unused = [d for d in _granted_domains(mesh, product) if d not in consuming_set]
    still_read = lifecycle != "active" and bool(consumers)
    entry: dict[str, object] = {
        "domain": product.domain,
        "product": product.name,
        "version": product.version,
        "address": product.address,
        "cluster": cluster,
        "topic": topic,
        "topic_present": present,
        "accountable": accountable,
        "responsible": responsible_of(mesh, product.domain),
        "lifecycle": lifecycle,
        "deprecated": _date(successor.lifecycle.deprecated) if successor else None,
        "sunset": _date(successor.lifecycle.sunset) if successor else None,
        "consumers": consumers,
        "consuming_domains": consuming,
        "fanout": len(consuming),
        "lag": {"total": sum(lags) if lags else None, "max": max(lags) if lags else None},
        "freshness": {
            "newest_record": _iso(newest, millis=True) if newest is not None else None,
            "age_seconds": round(age, 3) if age is not None else None,
            "sla_seconds": fresh_sla,
        },
        "max_lag_sla": lag_sla,
        "throughput": {"records_per_second": rate, "end_offset": current.get(key)},
        "copies": copies,
        "idle": present and not consuming,
        "unused_grants": unused,
        "deprecated_still_read": still_read,
        "breaches": breaches,
    }
    return entry, _Tally(consuming, len(breaches), present and not consuming, len(unused), still_read)


def _copies(mesh: Mesh, product: DataProduct, usage: ClusterUsage) -> list[dict[str, object]]:
    """The declared copies of this version and whether their topic is on the cluster, with the
    records each holds against the source's end offset (MirrorMaker 2 copies from the earliest
    record the source still held when the copy began: the two need not meet)."""
    out: list[dict[str, object]] = []
    source = mesh.topic_name(product)
    for c in sorted(mesh.copies, key=lambda c: (c.domain, c.name)):
        if (c.product, c.version) != (product.key, product.version):
            continue
        topic = mesh.copy_topic(c)
        count = usage.partitions.get(topic)
        out.append(
            {
                "address": c.address,
                "domain": c.domain,
                "accountable": accountable_of(mesh, c.domain),
                "topic": topic,
                "topic_present": count is not None,
                "end_offset": _total(usage, topic, count),
                "source_end_offset": _total(usage, source, usage.partitions.get(source)),
            }
        )
    return out


def _total(usage: ClusterUsage, topic: str, count: int | None) -> int | None:
    if count is None:
        return None
    return sum(usage.end_offsets.get((topic, p), 0) for p in range(count))


def _consumer(mesh: Mesh, group: GroupObservation, who: Consumer, lag: int) -> dict[str, object]:
    return {
        "group": group.group,
        "state": group.state,
        "members": group.members,
        "principal": who.principal,
        "kind": who.kind,
        "application": who.application,
        "domain": who.domain,
        "accountable": accountable_of(mesh, who.domain),
        "lag": lag,
    }


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def has_breach(doc: Mapping[str, object]) -> bool:
    summary = doc.get("summary")
    return isinstance(summary, Mapping) and bool(summary.get("breaches"))
