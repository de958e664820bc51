"""The order apply walks a plan in (engine.walk), and apply_plan's batching, recording and
stopping around it, against providers in memory. What a real broker must agree with is
in the apply contract suite (tests/apply_contract.py)."""

from __future__ import annotations

import pytest

from meshctl.engine.apply import ApplyResult, apply_plan
from meshctl.engine.walk import APPLY, DELETE, DependencyCycle, Walk
from meshctl.plan.model import CREATE, NOOP, REPLACE, UPDATE, Plan, ResourceChange
from meshctl.plan.model import DELETE as DELETE_ACTION
from meshctl.providers.base import ChangeResult
from meshctl.state_model import ResourceState, State
from tests.fake_providers import FakeProvider


def ch(address: str, actions: tuple[str, ...] = CREATE, *depends_on: str, previous: str = "") -> ResourceChange:
    type_, name = address.split(".", 1)
    attrs = {"name": name}
    before = None if actions == CREATE else attrs
    after = None if actions == DELETE_ACTION else attrs
    return ResourceChange(address, type_, name, "src", actions, before, after, depends_on, previous_address=previous)


def walk_all(changes: list[ResourceChange], fail: frozenset[str] = frozenset()) -> list[tuple]:
    """Every round as (verb, addresses run, {skipped: cause}); the changes in `fail` fail."""
    walk = Walk(changes)
    rounds = []
    while (step := walk.next_round()) is not None:
        run = [c.address for c in step.changes]
        rounds.append((step.verb, run, {c.address: f"{cause} failed" for c, cause in step.skipped}))
        for address in run:
            walk.finished(address, address not in fail)
    return rounds


# -- order ---------------------------------------------------------------------


def test_rounds_are_dependency_levels_each_in_plan_order() -> None:
    plan = [
        ch("kafka_acl.c", CREATE, "kafka_acl.b"),
        ch("kafka_topic.e"),
        ch("kafka_acl.b", UPDATE, "kafka_topic.a"),
        ch("kafka_acl.d", CREATE, "kafka_topic.a", "kafka_topic.e"),
        ch("kafka_topic.a"),
    ]
    assert walk_all(plan) == [
        (APPLY, ["kafka_topic.e", "kafka_topic.a"], {}),
        (APPLY, ["kafka_acl.b", "kafka_acl.d"], {}),
        (APPLY, ["kafka_acl.c"], {}),
    ]


def test_order_holds_through_an_unchanged_resource() -> None:
    plan = [
        ch("kafka_acl.x", CREATE, "kafka_topic.same"),
        ch("kafka_topic.same", NOOP, "kafka_scram_user.new"),
        ch("kafka_scram_user.new"),
    ]
    assert walk_all(plan) == [(APPLY, ["kafka_scram_user.new"], {}), (APPLY, ["kafka_acl.x"], {})]
    # ... and so does a failure: what depends on the unchanged resource waits on a failed change.
    assert walk_all(plan, fail=frozenset({"kafka_scram_user.new"})) == [
        (APPLY, ["kafka_scram_user.new"], {}),
        (APPLY, [], {"kafka_acl.x": "kafka_scram_user.new failed"}),
    ]


def test_a_dependency_outside_the_plan_is_already_there() -> None:
    assert walk_all([ch("kafka_acl.x", CREATE, "kafka_topic.not_in_this_plan")]) == [(APPLY, ["kafka_acl.x"], {})]


def test_deletes_run_before_creates_and_in_reverse_dependency_order() -> None:
    plan = [
        ch("kafka_topic.new"),
        ch("kafka_topic.t", DELETE_ACTION),
        ch("kafka_acl.x", DELETE_ACTION, "kafka_topic.t", "kafka_scram_user.u"),
        ch("kafka_scram_user.u", DELETE_ACTION),
        ch("kafka_scram_user.v", DELETE_ACTION),
        ch("kafka_acl.y", DELETE_ACTION, "kafka_acl.x"),
    ]
    assert walk_all(plan) == [
        (DELETE, ["kafka_scram_user.v", "kafka_acl.y"], {}),  # nothing depends on them
        (DELETE, ["kafka_acl.x"], {}),
        (DELETE, ["kafka_topic.t", "kafka_scram_user.u"], {}),  # after everything that depends on them
        (APPLY, ["kafka_topic.new"], {}),
    ]


def test_a_replace_is_deleted_with_the_deletes_and_created_after_its_dependencies() -> None:
    plan = [
        ch("kafka_acl.old", DELETE_ACTION, "kafka_topic.r"),
        ch("kafka_topic.r", REPLACE, "kafka_scram_user.u"),
        ch("kafka_scram_user.u"),
        ch("kafka_acl.on_r", UPDATE, "kafka_topic.r"),
    ]
    assert walk_all(plan) == [
        (DELETE, ["kafka_acl.old"], {}),  # what depended on the old topic goes first
        (DELETE, ["kafka_topic.r"], {}),
        (APPLY, ["kafka_scram_user.u"], {}),
        (APPLY, ["kafka_topic.r"], {}),
        (APPLY, ["kafka_acl.on_r"], {}),
    ]


# -- failures --------------------------------------------------------------------


def test_a_failure_skips_its_dependents_and_independent_changes_go_on() -> None:
    plan = [
        ch("kafka_topic.a"),
        ch("kafka_acl.b", CREATE, "kafka_topic.a"),
        ch("kafka_acl.c", CREATE, "kafka_acl.b"),
        ch("kafka_topic.e"),
        ch("kafka_acl.f", CREATE, "kafka_topic.e"),
    ]
    assert walk_all(plan, fail=frozenset({"kafka_topic.a"})) == [
        (APPLY, ["kafka_topic.a", "kafka_topic.e"], {}),
        # Each skipped change names the one it waited for, as apply has always reported it.
        (APPLY, ["kafka_acl.f"], {"kafka_acl.b": "kafka_topic.a failed", "kafka_acl.c": "kafka_acl.b failed"}),
    ]


def test_a_failed_delete_keeps_what_the_change_depends_on() -> None:
    plan = [ch("kafka_acl.x", DELETE_ACTION, "kafka_topic.t"), ch("kafka_topic.t", DELETE_ACTION)]
    assert walk_all(plan, fail=frozenset({"kafka_acl.x"})) == [
        (DELETE, ["kafka_acl.x"], {}),
        (DELETE, [], {"kafka_topic.t": "kafka_acl.x failed"}),  # still in use: not deleted
    ]


def test_a_replace_whose_delete_fails_is_not_created_nor_is_what_depends_on_it() -> None:
    plan = [
        ch("kafka_topic.r", REPLACE),
        ch("kafka_acl.on_r", CREATE, "kafka_topic.r"),
        ch("kafka_topic.other"),
    ]
    assert walk_all(plan, fail=frozenset({"kafka_topic.r"})) == [
        (DELETE, ["kafka_topic.r"], {}),
        (
            APPLY,
            ["kafka_topic.other"],
            {"kafka_topic.r": "kafka_topic.r failed", "kafka_acl.on_r": "kafka_topic.r failed"},
        ),
    ]


def test_a_failed_delete_stops_a_create_that_depends_on_it() -> None:
    plan = [ch("kafka_topic.gone", DELETE_ACTION), ch("kafka_acl.x", CREATE, "kafka_topic.gone")]
    assert walk_all(plan, fail=frozenset({"kafka_topic.gone"})) == [
        (DELETE, ["kafka_topic.gone"], {}),
        (APPLY, [], {"kafka_acl.x": "kafka_topic.gone failed"}),
    ]


def test_a_round_finishes_before_the_next_is_asked_for() -> None:
    walk = Walk([ch("kafka_topic.a"), ch("kafka_acl.b", CREATE, "kafka_topic.a")])
    assert walk.next_round() is not None
    with pytest.raises(RuntimeError, match="still running"):
        walk.next_round()


# -- cycles --------------------------------------------------------------------------


def test_a_cycle_names_its_addresses_each_depending_on_the_next() -> None:
    plan = [
        ch("kafka_topic.free"),
        ch("kafka_topic.a", CREATE, "kafka_acl.b"),
        ch("kafka_acl.b", CREATE, "kafka_scram_user.c"),
        ch("kafka_scram_user.c", NOOP, "kafka_topic.a"),  # unchanged resources are part of the graph
    ]
    with pytest.raises(DependencyCycle) as refused:
        Walk(plan)
    cycle = refused.value.cycle
    assert len(cycle) == 4 and cycle[0] == cycle[-1]
    depends = {c.address: c.depends_on for c in plan}
    assert all(after in depends[before] for before, after in zip(cycle, cycle[1:], strict=False))
    assert str(refused.value) == (
        "the plan's dependencies form a cycle, so no order can apply them: "
        + " -> ".join(cycle)
        + " (each depends on the next); nothing was applied"
    )


def test_a_change_depending_on_itself_is_a_cycle() -> None:
    with pytest.raises(DependencyCycle, match=r"kafka_topic\.a -> kafka_topic\.a "):
        Walk([ch("kafka_topic.a", CREATE, "kafka_topic.a")])


# -- apply_plan around the walk ------------------------------------------------------------


class Hooks:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def wave_started(self, verb: str, changes: list[ResourceChange]) -> None:
        self.events.append(("started", verb, [c.address for c in changes]))

    def change_done(self, verb: str, change: ResourceChange, result: ChangeResult, elapsed_s: float) -> None:
        self.events.append(("done", verb, change.address, result.error))

    def change_skipped(self, change: ResourceChange, because: str) -> None:
        self.events.append(("skipped", change.address, because))


def _apply(
    plan: Plan, state: State | None = None, **providers: FakeProvider
) -> tuple[ApplyResult, State, list[list[str]], Hooks]:
    state = state if state is not None else State()
    writes: list[list[str]] = []
    hooks = Hooks()
    result = apply_plan(plan, state, providers, lambda s: writes.append(sorted(s.resources)), hooks)
    return result, state, writes, hooks


def test_a_round_is_one_batch_per_provider_and_state_is_written_after_each() -> None:
    kafka, aws = FakeProvider("kafka"), FakeProvider("aws")
    plan = Plan(
        [
            ch("kafka_topic.a"),
            ch("aws_s3_bucket.b"),
            ch("kafka_topic.c"),
            ch("aws_iam_role.d", CREATE, "aws_s3_bucket.b"),
            ch("kafka_acl.e", CREATE, "kafka_topic.a", "aws_iam_role.d"),
        ]
    )
    result, state, writes, _ = _apply(plan, kafka=kafka, aws=aws)
    assert result.ok and result.counts == {"added": 5, "changed": 0, "destroyed": 0}
    assert kafka.batches == [("apply", ("kafka_topic.a", "kafka_topic.c")), ("apply", ("kafka_acl.e",))]
    assert aws.batches == [("apply", ("aws_s3_bucket.b",)), ("apply", ("aws_iam_role.d",))]
    assert writes == [
        ["kafka_topic.a", "kafka_topic.c"],
        ["aws_s3_bucket.b", "kafka_topic.a", "kafka_topic.c"],
        ["aws_iam_role.d", "aws_s3_bucket.b", "kafka_topic.a", "kafka_topic.c"],
        sorted(c.address for c in plan.changes),
    ]


def test_a_provider_wide_failure_fails_its_batch_and_stops_only_what_depends_on_it() -> None:
    kafka, aws = FakeProvider("kafka"), FakeProvider("aws")
    aws.raises = RuntimeError("cannot reach AWS")
    plan = Plan(
        [
            ch("aws_s3_bucket.b"),
            ch("kafka_topic.a"),
            ch("kafka_acl.x", CREATE, "aws_s3_bucket.b"),
            ch("kafka_acl.y", CREATE, "kafka_topic.a"),
        ]
    )
    result, state, writes, hooks = _apply(plan, kafka=kafka, aws=aws)
    assert result.failed == {"aws_s3_bucket.b": "cannot reach AWS"}
    assert result.skipped == {"kafka_acl.x": "aws_s3_bucket.b failed"}
    assert result.done == ["kafka_topic.a", "kafka_acl.y"] and sorted(state.resources) == [
        "kafka_acl.y",
        "kafka_topic.a",
    ]
    assert ("done", APPLY, "aws_s3_bucket.b", "cannot reach AWS") in hooks.events
    assert writes[-1] == ["kafka_acl.y", "kafka_topic.a"]


def test_a_change_the_provider_says_nothing_about_has_failed() -> None:
    kafka = FakeProvider("kafka")
    kafka.silent = {"kafka_topic.a"}
    result, state, _, _ = _apply(Plan([ch("kafka_topic.a"), ch("kafka_acl.x", CREATE, "kafka_topic.a")]), kafka=kafka)
    assert result.failed == {"kafka_topic.a": "the kafka provider reported no outcome"}
    assert result.skipped == {"kafka_acl.x": "kafka_topic.a failed"} and state.resources == {}


def test_a_cycle_is_refused_before_state_or_a_provider_is_touched() -> None:
    kafka = FakeProvider("kafka")
    state = State(resources={"kafka_topic.old": ResourceState("kafka_topic", "old", {}, "src")})
    plan = Plan(
        [ch("kafka_topic.a", CREATE, "kafka_acl.b"), ch("kafka_acl.b", CREATE, "kafka_topic.a")],
        forgotten=["kafka_topic.old"],
    )
    with pytest.raises(DependencyCycle):
        _apply(plan, state, kafka=kafka)
    assert kafka.batches == [] and list(state.resources) == ["kafka_topic.old"]  # not even the forgotten entry went


def test_a_replace_is_counted_once_each_way_and_recorded_after_its_create() -> None:
    kafka = FakeProvider("kafka")
    state = State(resources={"kafka_topic.r": ResourceState("kafka_topic", "r", {"name": "r"}, "src")})
    result, state, writes, hooks = _apply(Plan([ch("kafka_topic.r", REPLACE)]), state, kafka=kafka)
    assert (
        result.ok and result.counts == {"added": 1, "changed": 0, "destroyed": 1} and result.done == ["kafka_topic.r"]
    )
    assert kafka.batches == [("delete", ("kafka_topic.r",)), ("apply", ("kafka_topic.r",))]
    assert writes == [[], ["kafka_topic.r"]]
    assert [e[:2] for e in hooks.events] == [("started", DELETE), ("done", DELETE), ("started", APPLY), ("done", APPLY)]


def test_a_move_rewrites_state_and_its_update_reaches_the_provider_at_the_new_address() -> None:
    kafka = FakeProvider("kafka")
    state = State(resources={"kafka_topic.old": ResourceState("kafka_topic", "old", {"name": "t"}, "src")})
    moved = ch("kafka_topic.new", UPDATE, previous="kafka_topic.old")
    result, state, writes, _ = _apply(Plan([moved]), state, kafka=kafka)
    assert result.ok and kafka.batches == [("apply", ("kafka_topic.new",))]
    assert writes == [["kafka_topic.new"], ["kafka_topic.new"]]  # the move first, then the update
    assert state.resources["kafka_topic.new"].attributes == {"name": "new"}


def test_a_stop_asked_for_after_the_last_round_is_no_interruption() -> None:
    kafka = FakeProvider("kafka")
    result = apply_plan(
        Plan([ch("kafka_topic.a")]),
        State(),
        {"kafka": kafka},
        lambda s: None,
        Hooks(),
        None,
        lambda: bool(kafka.batches),
    )
    assert result.ok and not result.interrupted


def test_a_stop_asked_for_before_a_round_starts_none_of_it() -> None:
    kafka = FakeProvider("kafka")
    plan = Plan(
        [ch("kafka_topic.a"), ch("kafka_acl.b", CREATE, "kafka_topic.a"), ch("kafka_acl.c", CREATE, "kafka_acl.b")]
    )
    result = apply_plan(plan, State(), {"kafka": kafka}, lambda s: None, Hooks(), None, lambda: bool(kafka.batches))
    assert result.interrupted and result.done == ["kafka_topic.a"]
    assert result.not_started == ["kafka_acl.b", "kafka_acl.c"] and result.in_flight == []
