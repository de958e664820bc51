"""diff(desired, prior, actual), table-driven. Pure: no broker involved."""

from __future__ import annotations

import pytest

from meshctl.plan.diff import PlanOptions, diff
from meshctl.resources import Resource
from meshctl.state_model import ResourceState, State


def topic(name: str = "a.t.v1", partitions: int = 3, rf: int | None = 1, **config: str) -> dict:
    return {
        "name": name,
        "partitions": partitions,
        "replication_factor": rf,
        "config": {"cleanup.policy": "delete", **config},
    }


def acl(ops: list[str]) -> dict:
    return {
        "principal": "User:b",
        "resource_type": "TOPIC",
        "resource_name": "a.t.v1",
        "pattern_type": "LITERAL",
        "host": "*",
        "operations": ops,
    }


def R(type_: str, attrs: dict, name: str = "a.t.v1") -> Resource:
    return Resource(type_, name, attrs, "data_product.a.t.v1")


CASES = {
    "create when missing": (R("kafka_topic", topic()), None, None, ("create",), ""),
    "no-op when equal": (R("kafka_topic", topic()), topic(), topic(), ("no-op",), ""),
    "config change is an update": (R("kafka_topic", topic(**{"retention.ms": "1"})), topic(), topic(), ("update",), ""),
    "config set by hand is an update back": (
        R("kafka_topic", topic()),
        topic(),
        topic(**{"segment.bytes": "1"}),
        ("update",),
        "",
    ),
    "more partitions is an update": (R("kafka_topic", topic(partitions=6)), topic(), topic(), ("update",), ""),
    "fewer partitions is a replace": (
        R("kafka_topic", topic(partitions=1)),
        topic(),
        topic(),
        ("delete", "create"),
        "Kafka cannot reduce a topic's partitions (3 -> 1)",
    ),
    "replication change is a replace": (
        R("kafka_topic", topic(rf=3)),
        topic(),
        topic(),
        ("delete", "create"),
        "Kafka cannot change a topic's replication factor in place",
    ),
    "unset replication follows the cluster": (R("kafka_topic", topic(rf=None)), topic(), topic(rf=3), ("no-op",), ""),
    "recreate what was deleted out of band": (R("kafka_topic", topic()), topic(), None, ("create",), ""),
    "acl operations change is an update": (
        R("kafka_acl", acl(["DESCRIBE", "READ"]), "b/topic/a.t.v1"),
        acl(["READ"]),
        acl(["READ"]),
        ("update",),
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_desired_resources(case: str) -> None:
    desired, prior_attrs, actual_attrs, actions, reason = CASES[case]
    state = State()
    if prior_attrs is not None:
        state.resources[desired.address] = ResourceState(desired.type, desired.name, prior_attrs, desired.source)
    actual = {desired.address: actual_attrs} if actual_attrs is not None else {}
    plan = diff([desired], state, actual)
    (change,) = plan.changes
    assert change.actions == actions
    assert reason in change.reason
    if actions == ("delete", "create"):
        assert "--allow-replace" in change.blocked
        assert not diff([desired], state, actual, PlanOptions(allow_replace=True)).changes[0].blocked


def test_gone_from_config_is_deleted_topics_only_with_opt_in() -> None:
    state = State()
    state.resources["kafka_topic.a.t.v1"] = ResourceState("kafka_topic", "a.t.v1", topic(), "data_product.a.t.v1")
    state.resources["kafka_acl.b/topic/a.t.v1"] = ResourceState(
        "kafka_acl", "b/topic/a.t.v1", acl(["READ"]), "access.x"
    )
    actual = {"kafka_topic.a.t.v1": topic(), "kafka_acl.b/topic/a.t.v1": acl(["READ"])}
    plan = diff([], state, actual)
    by_address = {c.address: c for c in plan.changes}
    assert by_address["kafka_topic.a.t.v1"].actions == ("delete",)
    assert "--allow-delete-topics" in by_address["kafka_topic.a.t.v1"].blocked
    assert by_address["kafka_acl.b/topic/a.t.v1"].actions == ("delete",)
    assert not by_address["kafka_acl.b/topic/a.t.v1"].blocked
    assert plan.counts() == (0, 0, 2)
    opted = diff([], state, actual, PlanOptions(allow_delete_data=True))
    assert not opted.blocked


def test_in_state_but_gone_everywhere_is_forgotten_not_deleted() -> None:
    state = State()
    state.resources["kafka_topic.a.t.v1"] = ResourceState("kafka_topic", "a.t.v1", topic(), "data_product.a.t.v1")
    plan = diff([], state, {})
    assert plan.changes == [] and plan.forgotten == ["kafka_topic.a.t.v1"]
    assert not plan.has_changes


def test_unmanaged_live_objects_are_left_alone() -> None:
    plan = diff([], State(), {"kafka_topic.other": topic("other")})
    assert plan.changes == []


def test_plan_carries_state_serial_and_lineage() -> None:
    state = State(lineage="abc", serial=7)
    plan = diff([], state, {})
    assert (plan.state_serial, plan.state_lineage) == (7, "abc")
