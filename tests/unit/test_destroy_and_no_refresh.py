"""Pure parts of `destroy` (what it deletes) and of `-refresh=false` (what a plan from state
alone observes)."""

from __future__ import annotations

from meshctl.address import Address
from meshctl.cli.state_cmds import moved_state, planned_moves
from meshctl.plan.observed import from_state
from meshctl.plan.scope import Scope, destroy_set
from meshctl.state_model import ResourceState, State

TOPIC = "kafka_topic.sales.orders.v1"
ACL = "kafka_acl.analytics.reads.sales.orders"
USER = "kafka_scram_user.analytics"
OTHER = "kafka_topic.ops.logs.v1"


def _state() -> State:
    s = State(lineage="l", serial=3)
    s.resources[TOPIC] = ResourceState(
        "kafka_topic", "sales.orders.v1", {"name": "sales.orders.v1"}, "data_product.sales.orders.v1", (), "sales"
    )
    s.resources[ACL] = ResourceState(
        "kafka_acl", "analytics.reads.sales.orders", {}, "access.x", (TOPIC, USER), "analytics"
    )
    s.resources[USER] = ResourceState(
        "kafka_scram_user",
        "analytics",
        {"name": "analytics", "password": "sha256:x", "credentials": "c"},
        "domain.analytics",
        (),
        "analytics",
    )
    s.resources[OTHER] = ResourceState(
        "kafka_topic", "ops.logs.v1", {"name": "ops.logs.v1"}, "data_product.ops.logs.v1", (), "ops"
    )
    return s


def test_destroy_takes_everything_without_a_scope() -> None:
    out = destroy_set(_state(), Scope())
    assert set(out.resources) == {TOPIC, ACL, USER, OTHER} and (out.lineage, out.serial) == ("l", 3)


def test_destroy_target_brings_its_dependents_not_its_dependencies() -> None:
    assert set(destroy_set(_state(), Scope((TOPIC,))).resources) == {TOPIC, ACL}
    assert set(destroy_set(_state(), Scope((ACL,))).resources) == {ACL}
    assert set(destroy_set(_state(), Scope(("data_product.ops",))).resources) == {OTHER}


def test_destroy_domain_keeps_to_its_domains() -> None:
    assert set(destroy_set(_state(), Scope((), frozenset({"analytics"}))).resources) == {ACL, USER}
    assert set(destroy_set(_state(), Scope((TOPIC,), frozenset({"sales"}))).resources) == {TOPIC}


def test_a_plan_from_state_sees_what_state_recorded_without_bookkeeping() -> None:
    seen = from_state(_state())
    assert not seen.refreshed and seen.brokers is None and not seen.records and not seen.verdicts
    assert seen.live[USER] == {"name": "analytics"}  # the password fingerprint is state's, not the broker's
    assert seen.live[TOPIC] == {"name": "sales.orders.v1"}
    assert set(seen.live) == {TOPIC, ACL, USER, OTHER}


def test_state_mv_rewrites_what_depended_on_the_moved_entry() -> None:
    state = _state()
    moves = planned_moves(TOPIC, "kafka_topic.sales.orders_renamed.v1", state.resources)
    out = moved_state(state.resources, moves)
    assert set(out) == {"kafka_topic.sales.orders_renamed.v1", ACL, USER, OTHER}
    assert out[ACL].depends_on == ("kafka_topic.sales.orders_renamed.v1", USER)
    assert out["kafka_topic.sales.orders_renamed.v1"].attributes == state.resources[TOPIC].attributes
    assert moves == {TOPIC: Address.parse("kafka_topic.sales.orders_renamed.v1")}
