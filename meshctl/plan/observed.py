"""What refresh observed: every fact the planner reads about the live world, gathered
before planning so planning itself is a pure function of configuration, state and these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl.resources import RESOURCE_TYPES
from meshctl.state_model import State


@dataclass(frozen=True)
class SchemaCandidate:
    """A schema a plan would register on a subject that already has one: the registry
    judges whether it is compatible under the subject's level."""

    subject: str
    schema_type: str
    schema: str
    compatibility: str  # the level it is judged under (a *_TRANSITIVE level: against every version)

    @property
    def transitive(self) -> bool:
        return self.compatibility.upper().endswith("_TRANSITIVE")


@dataclass(frozen=True)
class SchemaVerdict:
    """The registry's verdict, and for a transitive level that breaks, every registered version
    (number -> schema text): the planner explains the break against the version it breaks."""

    compatible: bool
    registered: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupLag:
    """A consumer group with committed offsets on a topic, and how far behind the end it is."""

    group: str
    lag: int

    def to_json(self) -> dict[str, object]:
        return {"group": self.group, "lag": self.lag}


@dataclass(frozen=True)
class Observed:
    # Live attributes by address: of the managed resources that exist, and of whatever else the
    # providers' listings showed (topics, ACLs, SCRAM users, subjects nobody declared).
    live: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    brokers: int | None = None  # the cluster's brokers; None when Kafka was not asked anything
    # Records each topic the plan may delete or replace still holds (topic name -> count);
    # a topic missing here was not counted and may hold data.
    records: Mapping[str, int] = field(default_factory=dict)
    # Consumer groups with committed offsets on the topics of versions in migration, per topic.
    positions: Mapping[str, tuple[GroupLag, ...]] = field(default_factory=dict)
    # The registry's verdict on each schema the plan would register.
    verdicts: Mapping[SchemaCandidate, SchemaVerdict] = field(default_factory=dict)
    # False for `-refresh=false`: nothing was read, live is what state recorded. Facts only a
    # server knows (records held, consumer positions, schema verdicts) are then unknown.
    refreshed: bool = True


def from_state(prior: State) -> Observed:
    """What a plan without refresh observes: each recorded resource exactly as state recorded
    it (Terraform's `-refresh=false`: state is assumed to be the truth), nothing else."""
    live = {}
    for address, rs in prior.resources.items():
        rtype = RESOURCE_TYPES.get(rs.type)
        hidden = rtype.recorded_only if rtype else frozenset()
        live[address] = {k: v for k, v in rs.attributes.items() if k not in hidden} if hidden else rs.attributes
    return Observed(live=live, refreshed=False)
