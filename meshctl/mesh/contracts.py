"""A data product's promises to its consumers, typed: the SLA and the delivery contract.

`config.contracts` builds them from the `sla {}` and `delivery {}` blocks (with file:line
errors); the report measures against them, the export publishes them, the client configs
print them. Each value keeps the text the author wrote, so what is shown (client configs,
the module view, Glue tags) is what was written, in the order it was written.
"""

from __future__ import annotations

from dataclasses import dataclass

# The keys of each block, in the order the language reference lists them.
SLA_KEYS = ("freshness", "availability", "max_lag")
DELIVERY_KEYS = ("duplicates", "out_of_order_window", "ordering")

# What a consumer must expect about duplicates: "tolerated", the happy path's default (at least
# once, consumers process idempotently), or "not_tolerated" (the producer promises exactly once:
# idempotent, transactional writes; consumers read committed).
DUPLICATES = ("tolerated", "not_tolerated")
# What a consumer may rely on about order: "per_key", records of one key arrive in the order they
# were written (the producer keys every record and the partition count is never changed), or
# "none" (no promise: consumers reorder, e.g. by event time within out_of_order_window).
ORDERINGS = ("per_key", "none")


@dataclass(frozen=True)
class Duration:
    """A duration as written ("5m") and what it means in milliseconds."""

    ms: int
    text: str

    @property
    def seconds(self) -> float:
        return self.ms / 1000

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Percent:
    """A percentage as written ("99.9%") and its value (99.9), 0 < value <= 100."""

    value: float
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Sla:
    """What the owning domain promises about timeliness and availability."""

    freshness: Duration | None = None  # the newest record is at most this old
    availability: Percent | None = None  # of the time the topic can be read
    max_lag: int | None = None  # records a consumer group that keeps up may lag, at most
    order: tuple[str, ...] = ()  # the keys set, in the order written

    def written(self) -> dict[str, str]:
        """Each key set -> its value as written, in the order written."""
        values = {"freshness": self.freshness, "availability": self.availability, "max_lag": self.max_lag}
        return {k: str(values[k]) for k in self.order}

    @property
    def empty(self) -> bool:
        return not self.order


@dataclass(frozen=True)
class Delivery:
    """What a consumer must expect of the records themselves."""

    duplicates: str | None = None  # one of DUPLICATES
    out_of_order_window: Duration | None = None  # how late a record may arrive out of event-time order
    ordering: str | None = None  # one of ORDERINGS
    order: tuple[str, ...] = ()  # the keys set, in the order written

    def written(self) -> dict[str, str]:
        """Each key set -> its value as written, in the order written."""
        values = {
            "duplicates": self.duplicates,
            "out_of_order_window": self.out_of_order_window,
            "ordering": self.ordering,
        }
        return {k: str(values[k]) for k in self.order}

    @property
    def empty(self) -> bool:
        return not self.order
