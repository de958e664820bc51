"""The human plan is rendered from the JSON plan, in Terraform's conventions."""

from __future__ import annotations

from meshctl.plan.jsonformat import plan_to_json
from meshctl.plan.model import Plan, ResourceChange
from meshctl.render.text import render_plan

TOPIC_BEFORE = {
    "name": "a.t.v1",
    "partitions": 3,
    "replication_factor": 1,
    "config": {"cleanup.policy": "delete", "retention.ms": "86400000", "segment.bytes": "1024"},
}
TOPIC_AFTER = {
    "name": "a.t.v1",
    "partitions": 6,
    "replication_factor": 1,
    "config": {"cleanup.policy": "delete", "retention.ms": "172800000", "max.message.bytes": "2048"},
}

GOLDEN = """\
Resource actions are indicated with the following symbols:
  + create
  ~ update in-place
  - destroy

meshctl will perform the following actions:

  # kafka_acl.b/topic/a.t.v1 will be destroyed
  # (from access.x; access.x is no longer in the configuration)
  - resource "kafka_acl" "b/topic/a.t.v1" {
      - principal  = "User:b"
      - operations = ["DESCRIBE", "READ"]
    }

  # kafka_scram_user.c will be created
  # (from domain.c)
  + resource "kafka_scram_user" "c" {
      + name      = "c"
      + mechanism = "SCRAM-SHA-512"
    }

  # kafka_topic.a.t.v1 will be updated in-place
  # (from data_product.a.t.v1)
  ~ resource "kafka_topic" "a.t.v1" {
        name               = "a.t.v1"
      ~ partitions         = 3 -> 6
      ~ config             = {
          + "max.message.bytes" = "2048"
          ~ "retention.ms"      = "86400000" -> "172800000" # 1d -> 2d
          - "segment.bytes"     = "1024" -> null
            # (1 unchanged element hidden)
        }
        # (1 unchanged attribute hidden)
    }

Plan: 1 to add, 1 to change, 1 to destroy.
"""


def _plan() -> Plan:
    return Plan(
        changes=[
            ResourceChange(
                "kafka_acl.b/topic/a.t.v1",
                "kafka_acl",
                "b/topic/a.t.v1",
                "access.x",
                ("delete",),
                {"principal": "User:b", "operations": ["DESCRIBE", "READ"]},
                None,
                reason="access.x is no longer in the configuration",
                action_reason="delete_because_no_resource_config",  # set by the planner
            ),
            ResourceChange(
                "kafka_scram_user.c",
                "kafka_scram_user",
                "c",
                "domain.c",
                ("create",),
                None,
                {"name": "c", "mechanism": "SCRAM-SHA-512"},
            ),
            ResourceChange(
                "kafka_topic.a.t.v1",
                "kafka_topic",
                "a.t.v1",
                "data_product.a.t.v1",
                ("update",),
                TOPIC_BEFORE,
                TOPIC_AFTER,
            ),
            ResourceChange(
                "kafka_topic.same", "kafka_topic", "same", "data_product.s.v1", ("no-op",), TOPIC_BEFORE, TOPIC_BEFORE
            ),
        ]
    )


def test_golden_plan_text() -> None:
    assert render_plan(plan_to_json(_plan()), color=False) == GOLDEN


def test_no_changes() -> None:
    text = render_plan(plan_to_json(Plan()), color=False)
    assert text == "No changes. Your mesh matches the configuration.\n"


def test_colour_only_when_asked() -> None:
    assert "\x1b[" in render_plan(plan_to_json(_plan()), color=True)
    assert "\x1b[" not in render_plan(plan_to_json(_plan()), color=False)


def test_replace_is_marked_and_blocked_changes_are_called_out() -> None:
    plan = Plan(
        changes=[
            ResourceChange(
                "kafka_topic.t",
                "kafka_topic",
                "t",
                "data_product.x.t.v1",
                ("delete", "create"),
                {"name": "t", "partitions": 6},
                {"name": "t", "partitions": 3},
                reason="Kafka cannot reduce a topic's partitions (6 -> 3)",
                blocked="pass --allow-replace",
                action_reason="replace_because_cannot_update",
                replace_paths=(("partitions",),),
            )
        ]
    )
    text = render_plan(plan_to_json(plan), color=False)
    assert '-/+ resource "kafka_topic" "t" {' in text
    assert "~ partitions = 6 -> 3  # forces replacement" in text
    assert "# kafka_topic.t must be replaced" in text
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in text
    assert "kafka_topic.t: pass --allow-replace" in text


def test_json_plan_shape() -> None:
    doc = plan_to_json(_plan())
    assert doc["format_version"] == "1.0"
    changes = {c["address"]: c for c in doc["resource_changes"]}  # type: ignore[union-attr]
    assert changes["kafka_acl.b/topic/a.t.v1"]["change"]["actions"] == ["delete"]
    assert changes["kafka_acl.b/topic/a.t.v1"]["action_reason"] == "delete_because_no_resource_config"
    assert changes["kafka_topic.same"]["change"]["actions"] == ["no-op"]
    assert changes["kafka_topic.a.t.v1"]["provider_name"] == "meshctl/kafka"
    assert doc["summary"] == {"add": 1, "change": 1, "destroy": 1, "blocked": 0}
