"""The one interface every provider (Kafka, later the registry and AWS) implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from meshctl.plan.model import ResourceChange


@dataclass(frozen=True)
class Managed:
    """A resource the provider must read: desired, recorded in state, or both."""

    address: str
    type: str
    attributes: Mapping[str, object]


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
