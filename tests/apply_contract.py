"""The contract of apply, one body for two worlds: the in-memory Kafka of the unit tests
(tests/unit/test_apply_contract.py) and the real broker through the Kafka provider
(tests/integration/test_apply_contract.py). A subclass provides the `world` fixture.

Each test builds a plan by hand (users, topics, and ACLs that depend on both), applies it
with `apply_plan`, and checks three things: the rounds and provider batches apply made,
what state recorded (and when it was written), and what exists on the cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

import pytest

from meshctl.engine.apply import ApplyResult, apply_plan
from meshctl.engine.walk import DependencyCycle
from meshctl.plan.model import CREATE, DELETE, NOOP, REPLACE, UPDATE, Plan, ResourceChange
from meshctl.providers.base import ChangeResult, Managed, Provider
from meshctl.state_model import ResourceState, State

Binding = tuple[str, str, str, str, str]  # principal, resource type, resource name, pattern type, operation
T = TypeVar("T")


class World(Protocol):
    """A Kafka cluster seen through a provider, and read back independently of it."""

    provider: Provider
    prefix: str  # every name a test uses starts with it

    def topics(self) -> dict[str, tuple[int, dict[str, str]]]:
        """name -> (partitions, the topic's own configs) of the topics under the prefix."""
        ...

    def bindings(self, principals: set[str]) -> set[Binding]:
        """The ALLOW bindings of these principals."""
        ...

    def users(self) -> set[str]:
        """SCRAM users under the prefix."""
        ...


# -- the plan's parts ---------------------------------------------------------


def topic(p: str, short: str, partitions: int = 1, config: Mapping[str, str] | None = None) -> dict[str, object]:
    return {
        "name": f"{p}.{short}",
        "partitions": partitions,
        "replication_factor": 1,
        "config": dict(sorted((config or {}).items())),
    }


def user(p: str, short: str) -> dict[str, object]:
    return {"name": f"{p}{short}", "mechanism": "SCRAM-SHA-512", "iterations": 8192}


def acl(who: Mapping[str, object], on: Mapping[str, object], *operations: str) -> dict[str, object]:
    return {
        "principal": f"User:{who['name']}",
        "resource_type": "TOPIC",
        "resource_name": on["name"],
        "pattern_type": "LITERAL",
        "host": "*",
        "operations": sorted(operations),
    }


def name_of(type_: str, attributes: Mapping[str, object]) -> str:
    if type_ == "kafka_acl":
        return f"{str(attributes['principal']).split(':', 1)[1]}/topic/{attributes['resource_name']}"
    return str(attributes["name"])


def address(type_: str, attributes: Mapping[str, object]) -> str:
    return f"{type_}.{name_of(type_, attributes)}"


def change(
    type_: str,
    actions: tuple[str, ...],
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
    *depends_on: Mapping[str, object],
) -> ResourceChange:
    """A change of the object `after` (or `before`, for a delete); depends_on names the
    topics and users it depends on by their attributes."""
    subject = after if after is not None else before
    assert subject is not None
    deps = tuple(address("kafka_topic" if "partitions" in d else "kafka_scram_user", d) for d in depends_on)
    return ResourceChange(
        address(type_, subject),
        type_,
        name_of(type_, subject),
        f"contract.{type_}",
        actions,
        dict(before) if before is not None else None,
        dict(after) if after is not None else None,
        deps,
    )


def create(type_: str, after: Mapping[str, object], *depends_on: Mapping[str, object]) -> ResourceChange:
    return change(type_, CREATE, None, after, *depends_on)


def deletion(recorded: ResourceState) -> ResourceChange:
    """Deleting what state recorded, as the plan does for a resource gone from the configuration."""
    return ResourceChange(
        recorded.address,
        recorded.type,
        recorded.name,
        recorded.source,
        DELETE,
        dict(recorded.attributes),
        None,
        recorded.depends_on,
    )


@dataclass
class Scene:
    """Two domains' users, two topics, and ACLs that depend on a topic and a user each."""

    p: str
    sales: dict[str, object] = field(init=False)
    analytics: dict[str, object] = field(init=False)
    orders: dict[str, object] = field(init=False)
    customers: dict[str, object] = field(init=False)

    def __post_init__(self) -> None:
        self.sales, self.analytics = user(self.p, "sales"), user(self.p, "analytics")
        self.orders = topic(self.p, "orders", 3, {"retention.ms": "86400000"})
        self.customers = topic(self.p, "customers", 1, {"cleanup.policy": "compact"})

    @property
    def users(self) -> set[object]:
        return {self.sales["name"], self.analytics["name"]}

    @property
    def principals(self) -> set[str]:
        return {f"User:{self.sales['name']}", f"User:{self.analytics['name']}"}

    def changes(self, customers: Mapping[str, object] | None = None) -> list[ResourceChange]:
        customers = customers or self.customers
        return [
            create("kafka_acl", acl(self.sales, self.orders, "WRITE", "DESCRIBE"), self.orders, self.sales),
            create("kafka_acl", acl(self.analytics, self.orders, "READ", "DESCRIBE"), self.orders, self.analytics),
            create("kafka_acl", acl(self.sales, customers, "WRITE"), customers, self.sales),
            create("kafka_topic", self.orders),
            create("kafka_topic", customers),
            create("kafka_scram_user", self.sales),
            create("kafka_scram_user", self.analytics),
        ]


def bindings_of(*acls: Mapping[str, object]) -> set[Binding]:
    out = set()
    for a in acls:
        operations = a["operations"]
        assert isinstance(operations, list)
        out |= {(str(a["principal"]), "TOPIC", str(a["resource_name"]), "LITERAL", str(op)) for op in operations}
    return out


# -- watching apply -------------------------------------------------------------


class Batches:
    """Wraps the world's provider: every batch apply hands it, in order."""

    def __init__(self, inner: Provider):
        self.inner = inner
        self.name = inner.name
        self.calls: list[tuple[str, set[str]]] = []

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        return self.inner.refresh(managed)

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        return self.inner.inventory(with_configs_under)

    def apply(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        self.calls.append(("apply", {c.address for c in changes}))
        return self.inner.apply(changes)

    def delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        self.calls.append(("delete", {c.address for c in changes}))
        return self.inner.delete(changes)

    @property
    def requests(self) -> int:
        return self.inner.requests


class Hooks:
    """Records the rounds; `stop_after` asks to stop once that many changes are done, and
    `interrupt_after` raises KeyboardInterrupt then, as a second signal does."""

    def __init__(self, stop_after: int | None = None, interrupt_after: int | None = None):
        self.rounds: list[tuple[str, set[str]]] = []
        self.skipped: dict[str, str] = {}
        self.done = 0
        self.stop_after, self.interrupt_after = stop_after, interrupt_after

    def wave_started(self, verb: str, changes: list[ResourceChange]) -> None:
        self.rounds.append((verb, {c.address for c in changes}))

    def change_done(self, verb: str, change: ResourceChange, result: ChangeResult, elapsed_s: float) -> None:
        self.done += 1
        if self.interrupt_after is not None and self.done == self.interrupt_after:
            raise KeyboardInterrupt

    def change_skipped(self, change: ResourceChange, because: str) -> None:
        self.skipped[change.address] = because

    def stop_requested(self) -> bool:
        return self.stop_after is not None and self.done >= self.stop_after


@dataclass
class Run:
    result: ApplyResult
    state: State
    batches: list[tuple[str, set[str]]]
    rounds: list[tuple[str, set[str]]]
    writes: list[set[str]]  # the addresses state held at each write
    skipped: dict[str, str]


def run(world: World, changes: list[ResourceChange], state: State | None = None, hooks: Hooks | None = None) -> Run:
    state = state if state is not None else State()
    hooks = hooks or Hooks()
    provider = Batches(world.provider)
    writes: list[set[str]] = []
    result = apply_plan(
        Plan(changes),
        state,
        {"kafka": provider},
        lambda s: writes.append(set(s.resources)),
        hooks,
        stop_requested=hooks.stop_requested,
    )
    return Run(result, state, provider.calls, hooks.rounds, writes, hooks.skipped)


def settled(read: Callable[[], T], expected: object, timeout_s: float = 15.0) -> T:
    """What `read` gives once it equals `expected`, or at the deadline: a broker serves a
    write (a deleted SCRAM user, say) to readers a moment after it acknowledged it."""
    deadline = time.monotonic() + timeout_s
    while (found := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def addresses(*changes: ResourceChange) -> set[str]:
    return {c.address for c in changes}


# -- the contract ---------------------------------------------------------------


class ApplyContract:
    """Subclasses provide `world`: a fresh prefix on a cluster, and its provider."""

    @pytest.fixture
    def world(self) -> World:
        raise NotImplementedError

    def test_creates_follow_dependencies_in_one_batch_per_round(self, world: World) -> None:
        s = Scene(world.prefix)
        changes = s.changes()
        grants, firsts = changes[:3], changes[3:]
        done = run(world, changes)

        assert done.result.ok and done.result.counts == {"added": 7, "changed": 0, "destroyed": 0}
        # Users and topics first, together; the ACLs that depend on them after, together.
        assert done.rounds == [("apply", addresses(*firsts)), ("apply", addresses(*grants))]
        assert done.batches == done.rounds  # one provider call per round: the batching holds
        assert done.writes == [addresses(*firsts), addresses(*changes)]  # state written after each step
        assert set(done.state.resources) == addresses(*changes)
        recorded = done.state.resources[address("kafka_topic", s.orders)]
        assert recorded.attributes == s.orders and recorded.source == "contract.kafka_topic"
        topics = {
            str(s.orders["name"]): (3, {"retention.ms": "86400000"}),
            str(s.customers["name"]): (1, {"cleanup.policy": "compact"}),
        }
        assert settled(world.topics, topics) == topics
        bindings = bindings_of(*(c.after or {} for c in grants))
        assert settled(lambda: world.bindings(s.principals), bindings) == bindings
        assert settled(world.users, s.users) == s.users

    def test_a_failure_stops_its_dependents_and_independent_changes_finish(self, world: World) -> None:
        s = Scene(world.prefix)
        bad = topic(world.prefix, "customers", 1, {"cleanup.policy": "no-such-policy"})  # the broker refuses it
        changes = s.changes(customers=bad)
        orders_grants, customers_grant = changes[:2], changes[2]
        done = run(world, changes)

        failed = address("kafka_topic", bad)
        assert not done.result.ok
        assert list(done.result.failed) == [failed] and done.result.failed[failed]
        assert done.result.skipped == done.skipped == {customers_grant.address: f"{failed} failed"}
        finished = addresses(*changes) - {failed, customers_grant.address}
        assert set(done.result.done) == finished
        assert set(done.state.resources) == finished and done.writes[-1] == finished
        assert done.rounds[1] == ("apply", addresses(*orders_grants))  # the independent ACLs still ran
        assert settled(lambda: set(world.topics()), {s.orders["name"]}) == {s.orders["name"]}
        bindings = bindings_of(*(c.after or {} for c in orders_grants))
        assert settled(lambda: world.bindings(s.principals), bindings) == bindings
        assert settled(world.users, s.users) == s.users

    def test_deletes_run_after_what_depends_on_them(self, world: World) -> None:
        s = Scene(world.prefix)
        created = run(world, s.changes())
        assert created.result.ok
        state = created.state
        everything = set(state.resources)
        grants = {a for a in everything if a.startswith("kafka_acl.")}
        gone = run(world, [deletion(rs) for rs in state.resources.values()], state)

        assert gone.result.ok and gone.result.counts == {"added": 0, "changed": 0, "destroyed": 7}
        assert set(gone.result.done) == everything
        # The ACLs go first; the topics and users they depend on after them, together.
        assert gone.rounds == [("delete", grants), ("delete", everything - grants)]
        assert gone.batches == gone.rounds
        assert gone.writes == [everything - grants, set()]
        assert state.resources == {}
        assert settled(world.topics, {}) == {}
        assert settled(lambda: world.bindings(s.principals), set()) == set()
        assert settled(world.users, set()) == set()

    def test_a_replace_deletes_then_creates_before_its_dependents_change(self, world: World) -> None:
        s = Scene(world.prefix)
        four = topic(world.prefix, "orders", 4, {"retention.ms": "86400000"})
        grant = acl(s.sales, four, "WRITE")
        first = run(
            world,
            [
                create("kafka_scram_user", s.sales),
                create("kafka_topic", four),
                create("kafka_acl", grant, four, s.sales),
            ],
        )
        assert first.result.ok

        two = topic(world.prefix, "orders", 2, {"retention.ms": "86400000"})
        wider = acl(s.sales, two, "WRITE", "DESCRIBE")
        renew = change("kafka_topic", REPLACE, four, two)
        update = change("kafka_acl", UPDATE, grant, wider, two, s.sales)
        same = change("kafka_scram_user", NOOP, s.sales, s.sales)
        done = run(world, [update, renew, same], first.state)

        assert done.result.ok and done.result.counts == {"added": 1, "changed": 1, "destroyed": 1}
        assert done.rounds == [("delete", {renew.address}), ("apply", {renew.address}), ("apply", {update.address})]
        assert done.batches == done.rounds
        assert done.writes == [
            addresses(update, same),  # between the halves of the replace, state holds no topic
            addresses(update, same, renew),
            addresses(update, same, renew),
        ]
        assert done.state.resources[renew.address].attributes == two
        assert done.state.resources[update.address].attributes == wider
        topics = {str(two["name"]): (2, {"retention.ms": "86400000"})}
        assert settled(world.topics, topics) == topics
        assert settled(lambda: world.bindings(s.principals), bindings_of(wider)) == bindings_of(wider)

    def test_a_replace_whose_delete_fails_creates_nothing(self, world: World) -> None:
        s = Scene(world.prefix)
        ghost = topic(world.prefix, "ghost", 4)  # state says it exists; the cluster has no such topic
        smaller = topic(world.prefix, "ghost", 2)
        state = State()
        state.resources[address("kafka_topic", ghost)] = ResourceState("kafka_topic", str(ghost["name"]), ghost, "x")
        renew = change("kafka_topic", REPLACE, ghost, smaller)
        grant = create("kafka_acl", acl(s.sales, smaller, "READ"), smaller, s.sales)
        sales = create("kafka_scram_user", s.sales)
        done = run(world, [renew, grant, sales], state)

        assert list(done.result.failed) == [renew.address]
        # Its create does not run, nor what depends on it; the independent user is created.
        why = f"{renew.address} failed"
        assert done.result.skipped == {renew.address: why, grant.address: why}
        assert done.result.done == [sales.address]
        assert done.batches == [("delete", {renew.address}), ("apply", {sales.address})]
        assert done.state.resources[renew.address].attributes == ghost  # unchanged: the delete did not happen
        assert sales.address in done.state.resources and grant.address not in done.state.resources
        assert settled(world.topics, {}) == {}
        assert settled(lambda: world.bindings(s.principals), set()) == set()
        assert settled(world.users, {s.sales["name"]}) == {s.sales["name"]}

    def test_a_stop_request_finishes_the_round_in_flight_and_starts_no_other(self, world: World) -> None:
        s = Scene(world.prefix)
        changes = s.changes()
        grants, firsts = changes[:3], changes[3:]
        done = run(world, changes, hooks=Hooks(stop_after=1))

        assert done.result.interrupted and not done.result.ok
        assert set(done.result.done) == addresses(*firsts) and done.result.in_flight == []
        assert set(done.result.not_started) == addresses(*grants)
        assert done.batches == [("apply", addresses(*firsts))]
        assert done.writes == [addresses(*firsts)]
        names = {s.orders["name"], s.customers["name"]}
        assert settled(lambda: set(world.topics()), names) == names
        assert settled(lambda: world.bindings(s.principals), set()) == set()

    def test_an_interrupt_inside_a_round_records_what_finished(self, world: World) -> None:
        s = Scene(world.prefix)
        changes = s.changes()
        grants, firsts = changes[:3], changes[3:]
        done = run(world, changes, hooks=Hooks(interrupt_after=2))

        assert done.result.interrupted and len(done.result.done) == 2
        # The batch was sent whole; only the outcomes reported before the interrupt are recorded.
        assert set(done.result.in_flight) == addresses(*firsts) - set(done.result.done)
        assert set(done.result.not_started) == addresses(*grants)
        assert done.writes == [set(done.result.done)]
        assert settled(lambda: world.bindings(s.principals), set()) == set()

    def test_a_dependency_cycle_is_refused_before_anything_is_applied(self, world: World) -> None:
        s = Scene(world.prefix)
        grant = acl(s.sales, s.orders, "WRITE")
        loop = [
            change("kafka_topic", CREATE, None, s.orders, s.sales),
            create("kafka_acl", grant, s.orders),
            replace(create("kafka_scram_user", s.sales), depends_on=(address("kafka_acl", grant),)),
        ]
        state = State()
        with pytest.raises(DependencyCycle) as refused:
            run(world, loop, state)

        names = refused.value.cycle
        assert set(names) == addresses(*loop) and names[0] == names[-1] and len(names) == 4
        assert state.resources == {}
        assert settled(world.topics, {}) == {} and settled(world.users, set()) == set()
