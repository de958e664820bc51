"""The one interface every provider (Kafka, the registry, AWS) implements, and the
capabilities some declare: facts beyond live attributes that refresh gathers for the planner.

A provider declares a capability by subclassing its protocol; refresh asks for a fact only
of a provider that declares it (an `isinstance` check on the runtime-checkable protocol),
never by probing for a method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from meshctl.plan.model import ResourceChange
from meshctl.plan.observed import GroupLag, SchemaCandidate, SchemaVerdict
from meshctl.plan.usage_observed import ClusterUsage


@dataclass(frozen=True)
class Managed:
    """A resource the provider must read: desired, recorded in state, or both."""

    address: str
    type: str
    attributes: Mapping[str, object]
    recorded: Mapping[str, object] | None = None  # what state recorded of it (a fingerprint of its password, ...)


@dataclass(frozen=True)
class ChangeResult:
    address: str
    error: str = ""  # empty on success
    attributes: Mapping[str, object] | None = None  # what state records on success; None after a delete

    @property
    def ok(self) -> bool:
        return not self.error


class Provider(Protocol):
    name: str

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        """Live attributes of the managed resources that exist, by address. Read-only."""
        ...

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        """Every live resource of the provider's types, by address, managed or not (for
        drift reports and adopting a cluster). Read-only, in a constant number of requests."""
        ...

    def delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        """Delete the `before` side of each change, batched."""
        ...

    def apply(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        """Create or update towards each change's `after`, batched."""
        ...

    @property
    def requests(self) -> int:
        """Remote requests made so far (for benchmarks and tests of batching)."""
        ...


# -- capabilities: facts refresh gathers, each in a constant number of requests ----------------


@runtime_checkable
class RefreshesAhead(Protocol):
    def refresh_key(self, managed: Managed) -> tuple[object, ...]:
        """What of a managed resource `refresh` reads. Two lists of resources with the same keys
        are refreshed alike, so refresh may start from the resources recorded in state while the
        configuration still compiles, and keep what it read when the compiled list has the same
        keys (a plan's usual case: the same resources, some settings changed)."""
        ...


@runtime_checkable
class ReportsBrokerCount(Protocol):
    def broker_count(self) -> int | None:
        """The cluster's brokers, as the connection found them; None when nothing was asked
        (no request of its own)."""
        ...


@runtime_checkable
class ReportsRecordCounts(Protocol):
    def topic_records(self, partitions: Mapping[str, int]) -> dict[str, int]:
        """Records each topic (name -> partition count) still holds; a topic it could not
        count is left out (it may hold data)."""
        ...


@runtime_checkable
class ReportsConsumerPositions(Protocol):
    def consumer_positions(self, topics: list[str], group_prefixes: tuple[str, ...]) -> dict[str, tuple[GroupLag, ...]]:
        """For each topic, the consumer groups (under the prefixes) with committed offsets on
        it, and their lag."""
        ...


@runtime_checkable
class ReportsUsage(Protocol):
    def usage(self, topics: list[str], group_prefixes: tuple[str, ...]) -> ClusterUsage:
        """What `meshctl report` needs of the topics: partitions, end offsets, the newest
        record's timestamp per partition, and the groups under the prefixes with their state,
        members and committed offsets. Read-only, in a constant number of requests."""
        ...

    def end_offsets_of(self, topics: list[str]) -> ClusterUsage:
        """Only the topics' partitions and end offsets: the first sample of a `--window`."""
        ...


@runtime_checkable
class JudgesSchemaCompatibility(Protocol):
    def judge_schemas(self, candidates: list[SchemaCandidate]) -> dict[SchemaCandidate, SchemaVerdict]:
        """Whether each schema may be registered next to its subject's latest version (every
        version, for a transitive level), with the registered versions when a transitive level breaks."""
        ...
