"""What `meshctl report` observed on one Kafka cluster: the facts the report is computed from
(plan.report), gathered by the provider in a constant number of requests. Plain data: the
report's figures are a pure function of the mesh, these and the clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Partition = tuple[str, int]  # (topic, partition)


@dataclass(frozen=True)
class GroupObservation:
    """A consumer group of the mesh: its state as the coordinator says, its members now, and
    its committed offsets (only partitions with an offset; -1 "none" is left out)."""

    group: str
    state: str = "Unknown"
    members: int = 0
    offsets: Mapping[Partition, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterUsage:
    """One cluster's answer for the product topics asked about.

    `partitions`: topic -> partition count of the topics present (a topic asked about but
    absent is not a key). `end_offsets`: the next offset of each partition. `newest`: the
    timestamp (ms since the epoch) of each partition's newest record, left out for an empty
    partition. `groups`: the mesh's groups, ordered by id."""

    partitions: Mapping[str, int] = field(default_factory=dict)
    end_offsets: Mapping[Partition, int] = field(default_factory=dict)
    newest: Mapping[Partition, int] = field(default_factory=dict)
    groups: tuple[GroupObservation, ...] = ()


@dataclass(frozen=True)
class OffsetSample:
    """End offsets summed per topic at one moment, to compute throughput from the next
    sample: `cluster/topic` -> records ever written (the sum of the partitions' end offsets)."""

    taken_at: float  # seconds since the epoch
    totals: Mapping[str, int] = field(default_factory=dict)


def sample_key(cluster: str, topic: str) -> str:
    return f"{cluster}/{topic}"


def topic_totals(cluster: str, usage: ClusterUsage) -> dict[str, int]:
    """Each present topic's end offsets summed, keyed `cluster/topic`; a topic with a partition
    that did not answer is left out (its sum would be too small)."""
    out: dict[str, int] = {}
    for topic, count in usage.partitions.items():
        ends = [usage.end_offsets.get((topic, p)) for p in range(count)]
        if all(e is not None for e in ends):
            out[sample_key(cluster, topic)] = sum(e for e in ends if e is not None)
    return out


def sample_to_json(sample: OffsetSample, environment: str) -> dict[str, object]:
    return {"format_version": 1, "environment": environment, "taken_at": sample.taken_at, "totals": dict(sample.totals)}


def sample_from_json(doc: object, environment: str) -> OffsetSample | None:
    """The sample a previous report kept, or None when the file is not one (of this environment)."""
    if not isinstance(doc, dict) or doc.get("format_version") != 1 or doc.get("environment") != environment:
        return None
    taken_at, totals = doc.get("taken_at"), doc.get("totals")
    if not isinstance(taken_at, int | float) or isinstance(taken_at, bool) or not isinstance(totals, dict):
        return None
    clean = {k: v for k, v in totals.items() if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)}
    return OffsetSample(float(taken_at), clean)
