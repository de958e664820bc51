"""`meshctl replay`: backfill a product version from another version's records.

What may be copied is decided by plan.replay (pure); this wires it to state, the cluster's
connection settings and the copier in providers.kafka.replay. It never prints: the command
passes `on_progress` and renders the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.naming import on_cluster
from meshctl.plan.replay import Bounds, ReplayPair, resolve_pair, start_offsets
from meshctl.providers.kafka import replay as copier
from meshctl.state_model import frozen_topics

ReplayProgress = copier.ReplayProgress


@dataclass(frozen=True)
class ReplaySpec:
    source: str  # `sales.orders.v1`
    target: str
    offsets: dict[int, int] | None = None  # PARTITION -> first offset; else since_ms or every record held
    since_ms: int | None = None
    until_ms: int | None = None  # records at or after this instant are not copied
    append: bool = False  # into a target that already holds records


@dataclass(frozen=True)
class ReplayPlan:
    pair: ReplayPair
    start: dict[int, int]
    end: dict[int, int]
    target_records: int  # what the target already holds
    keep_partitions: bool

    @property
    def records(self) -> int:
        return sum(max(0, self.end[p] - self.start[p]) for p in self.start)


def prepare(ws: Workspace, spec: ReplaySpec) -> ReplayPlan:
    """Resolve the pair and read both topics' offsets: nothing is written."""
    state = ws.read_state()
    pair = resolve_pair(ws.config.mesh, spec.source, spec.target, ws.today, frozen_topics(state) | set(state.retired))
    recorded = {r.name for r in state.resources.values() if r.type == "kafka_topic"}
    for ref, topic in ((spec.source, pair.source_topic), (spec.target, pair.target_topic)):
        if on_cluster(topic, pair.cluster) not in recorded:
            raise MeshError(f"the topic of {ref} ({topic}) is not in state: run `meshctl apply` first")
    settings = ws.kafka_settings(pair.cluster)
    source = copier.partition_bounds(settings, pair.source_topic)
    target = copier.partition_bounds(settings, pair.target_topic)
    held = sum(high - low for low, high in target.values())
    if held and not spec.append:
        raise MeshError(
            f"{spec.target} already holds {held} records: a replay would interleave the copies with them\n"
            "  hint: pass --append to copy into it anyway (consumers then see the old records after the new ones)"
        )
    bounds = {p: Bounds(low, high) for p, (low, high) in source.items()}
    by_time = None
    if spec.offsets is None and spec.since_ms is not None:
        by_time = copier.offsets_for_time(settings, pair.source_topic, sorted(bounds), spec.since_ms)
    start = start_offsets(bounds, offsets=spec.offsets, by_time=by_time)
    end = {p: b.high for p, b in bounds.items()}
    if spec.until_ms is not None:
        until = copier.offsets_for_time(settings, pair.source_topic, sorted(bounds), spec.until_ms)
        end = {p: min(end[p], o) if o is not None else end[p] for p, o in until.items()}
    return ReplayPlan(pair, start, end, held, keep_partitions=len(source) == len(target))


def run(
    ws: Workspace, plan: ReplayPlan, stop_requested: Callable[[], bool], on_progress: Callable[[ReplayProgress], None]
) -> ReplayProgress:
    return copier.copy_records(
        ws.kafka_settings(plan.pair.cluster),
        plan.pair.source_topic,
        plan.pair.target_topic,
        plan.start,
        plan.end,
        keep_partitions=plan.keep_partitions,
        stop_requested=stop_requested,
        on_progress=on_progress,
    )
