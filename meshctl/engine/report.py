"""`meshctl report`: read each cluster the mesh's products live on, once, and compute the
report document (plan.report) from what they showed.

Throughput needs two samples of the end offsets: `--window` takes one, waits, and reads
again; without it the sample the last report of this environment kept in the state
directory (`report-sample.json`, end offsets only: nothing secret) is the first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from meshctl.documents import atomic_write
from meshctl.engine.refresh import concurrently
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.naming import DEFAULT_CLUSTER
from meshctl.plan.report import build_report, group_prefixes
from meshctl.plan.usage_observed import (
    ClusterUsage,
    OffsetSample,
    sample_from_json,
    sample_to_json,
    topic_totals,
)
from meshctl.providers.base import ReportsUsage

SAMPLE_FILE = "report-sample.json"


@dataclass
class Clock:
    """The time, and waiting: injected so tests can tell both."""

    now: Callable[[], float] = field(default=lambda: time.time())
    sleep: Callable[[float], None] = field(default=lambda seconds: time.sleep(seconds))
    today: Callable[[], date] = field(default=lambda: date.today())


def environment_name(ws: Workspace) -> str:
    env = ws.config.environment
    return env.name if env.is_declared else "default"


def sample_path(ws: Workspace) -> Path:
    return ws.meta_dir / SAMPLE_FILE


def report(
    ws: Workspace, window_s: float | None = None, clock: Clock | None = None, warnings: list[str] | None = None
) -> dict[str, object]:
    """The report document of the workspace's mesh and environment. What went wrong without
    spoiling the report (the sample could not be kept) is added to `warnings`."""
    clock = clock or Clock()
    mesh = ws.config.mesh
    environment = environment_name(ws)
    topics: dict[str, list[str]] = {}
    for product in mesh.products:
        topics.setdefault(mesh.product_cluster(product), []).append(mesh.topic_name(product))
    for copy in mesh.copies:  # a copy's topic tells whether its domain keeps the copy it declares
        source = mesh.product(copy.product, copy.version)
        if source is not None:
            topics.setdefault(mesh.product_cluster(source), []).append(mesh.copy_topic(copy))
    providers: dict[str, ReportsUsage] = {}
    for cluster in sorted(topics):
        provider = ws.providers["kafka" if cluster == DEFAULT_CLUSTER else f"kafka.{cluster}"]
        if not isinstance(provider, ReportsUsage):
            raise MeshError(f"the Kafka provider of cluster {cluster} cannot read usage")
        providers[cluster] = provider
    previous: OffsetSample | None = None
    basis = "none"
    if window_s:
        first = concurrently({c: partial(p.end_offsets_of, sorted(topics[c])) for c, p in providers.items()})
        previous = _sample(first, clock.now())
        basis = "window"
        clock.sleep(window_s)
    else:
        previous = read_sample(ws, environment)
        basis = "previous_report" if previous is not None else "none"
    prefixes = group_prefixes(mesh)
    usage = concurrently({c: partial(p.usage, sorted(topics[c]), prefixes) for c, p in providers.items()})
    taken_at = clock.now()
    doc = build_report(
        mesh,
        usage,
        datetime.fromtimestamp(taken_at, UTC),
        environment=environment,
        today=clock.today(),
        previous=previous,
        basis=basis,
        requests=sum(p.requests for p in ws.providers.values()),
    )
    try:
        atomic_write(
            sample_path(ws), json.dumps(sample_to_json(_sample(usage, taken_at), environment), indent=1) + "\n"
        )
    except MeshError as exc:  # the report stands; only the next one's throughput needs the sample
        if warnings is not None:
            warnings.append(f"{exc}: the next report has no throughput to compare with")
    return doc


def _sample(usage: dict[str, ClusterUsage], taken_at: float) -> OffsetSample:
    totals: dict[str, int] = {}
    for cluster, found in usage.items():
        totals.update(topic_totals(cluster, found))
    return OffsetSample(taken_at, totals)


def read_sample(ws: Workspace, environment: str) -> OffsetSample | None:
    """The last report's sample; None when there is none or it cannot be read (the report
    then has no throughput this time, and keeps a good sample for the next)."""
    try:
        return sample_from_json(json.loads(sample_path(ws).read_text()), environment)
    except (OSError, ValueError):
        return None
