"""`meshctl replay`: backfill a product version from another version's records.

What may be copied is decided by plan.replay (pure); this wires it to state, the cluster's
connection settings and the copier in providers.kafka.replay. It never prints: the command
passes `on_progress` and renders the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from meshctl.compile.connect import SOURCE_ALIAS
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.naming import on_cluster
from meshctl.plan.replay import Bounds, CopyReplay, ReplayPair, find_copy, resolve_copy, resolve_pair, start_offsets
from meshctl.providers.connect.rewind import rewind
from meshctl.providers.kafka import replay as copier
from meshctl.state_model import State, frozen_topics

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


@dataclass(frozen=True)
class CopyReplayPlan:
    """A copy's connector rewound: it copies again from `start` and then goes on as before."""

    copy: CopyReplay
    start: dict[int, int]
    end: dict[int, int]  # the source's end offsets now: what the rewind re-copies at least
    target_records: int

    @property
    def records(self) -> int:
        return sum(max(0, self.end[p] - self.start[p]) for p in self.start)


def prepare(ws: Workspace, spec: ReplaySpec) -> ReplayPlan | CopyReplayPlan:
    """Resolve what is replayed and read the topics' offsets: nothing is written."""
    state = ws.read_state()
    mesh = ws.config.mesh
    copy = find_copy(mesh, spec.target)
    if copy is not None:
        return _prepare_copy(ws, spec, state, resolve_copy(mesh, spec.source, copy))
    pair = resolve_pair(mesh, spec.source, spec.target, ws.today, frozen_topics(state) | set(state.retired))
    _require_applied(state, pair.cluster, ((spec.source, pair.source_topic), (spec.target, pair.target_topic)))
    settings = ws.kafka_settings(pair.cluster)
    source = copier.partition_bounds(settings, pair.source_topic)
    held = _held(settings, pair.target_topic, spec)
    start, end = _range(settings, pair.source_topic, source, spec)
    target_partitions = len(copier.partition_bounds(settings, pair.target_topic))
    return ReplayPlan(pair, start, end, held, keep_partitions=len(source) == target_partitions)


def _prepare_copy(ws: Workspace, spec: ReplaySpec, state: State, copy: CopyReplay) -> CopyReplayPlan:
    if spec.until_ms is not None:
        raise MeshError(
            f"--until: the copy {spec.target} is kept by a connector that copies on as records arrive\n"
            "  hint: a copy is replayed from --since or --offsets on"
        )
    _require_applied(state, copy.cluster, ((spec.source, copy.source_topic), (spec.target, copy.copy_topic)))
    settings = ws.kafka_settings(copy.cluster)
    source = copier.partition_bounds(settings, copy.source_topic)
    held = _held(settings, copy.copy_topic, spec)
    start, end = _range(settings, copy.source_topic, source, spec)
    return CopyReplayPlan(copy, start, end, held)


def _require_applied(state: State, cluster: str, topics: tuple[tuple[str, str], ...]) -> None:
    recorded = {r.name for r in state.resources.values() if r.type == "kafka_topic"}
    for ref, topic in topics:
        if on_cluster(topic, cluster) not in recorded:
            raise MeshError(f"the topic of {ref} ({topic}) is not in state: run `meshctl apply` first")


def _held(settings: dict[str, str], topic: str, spec: ReplaySpec) -> int:
    held = sum(high - low for low, high in copier.partition_bounds(settings, topic).values())
    if held and not spec.append:
        raise MeshError(
            f"{spec.target} already holds {held} records: a replay would interleave the copies with them\n"
            "  hint: pass --append to copy into it anyway (consumers then see the old records after the new ones)"
        )
    return held


def _range(
    settings: dict[str, str], topic: str, source: dict[int, tuple[int, int]], spec: ReplaySpec
) -> tuple[dict[int, int], dict[int, int]]:
    bounds = {p: Bounds(low, high) for p, (low, high) in source.items()}
    by_time = None
    if spec.offsets is None and spec.since_ms is not None:
        by_time = copier.offsets_for_time(settings, topic, sorted(bounds), spec.since_ms)
    start = start_offsets(bounds, offsets=spec.offsets, by_time=by_time)
    end = {p: b.high for p, b in bounds.items()}
    if spec.until_ms is not None:
        until = copier.offsets_for_time(settings, topic, sorted(bounds), spec.until_ms)
        end = {p: min(end[p], o) if o is not None else end[p] for p, o in until.items()}
    return start, end


def rewind_copy(ws: Workspace, plan: CopyReplayPlan) -> dict[int, int]:
    """The copy's MirrorMaker 2 connector copies again from the plan's offsets, where it had
    passed them; returns the partitions rewound and their offsets."""
    c = plan.copy
    return rewind(ws.connect_client(), c.connector, SOURCE_ALIAS, c.source_topic, plan.start)


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
