"""The human plan is rendered from the JSON plan, in Terraform's conventions."""

from __future__ import annotations

import json
from dataclasses import replace

from meshctl.plan.diff import diff
from meshctl.plan.drift import detect_drift
from meshctl.plan.jsonformat import drift_to_json, plan_to_json
from meshctl.plan.model import Plan, ResourceChange, SchemaChange
from meshctl.render.drift import render_drift
from meshctl.render.text import render_changes, render_plan
from meshctl.resources import Resource
from meshctl.state_model import ResourceState, State

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


# -- what the planner decided, drawn: schema and policy changes, replace paths, drift --------------

ROLE_BEFORE = {
    "name": "acme-reader",
    "assume_role_policy": json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    ),
    "inline_policies": {
        "data": json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        "old": json.dumps({"Statement": [{"Effect": "Allow", "Action": "glue:*", "Resource": "*"}]}),
    },
}
ROLE_AFTER = {
    "name": "acme-reader",
    "assume_role_policy": ROLE_BEFORE["assume_role_policy"],
    "inline_policies": {
        "data": json.dumps({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}),
        "new": json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}),
    },
}

ROLE_GOLDEN = """\
  # aws_iam_role.reader will be updated in-place
  # (from resource.aws_iam_role.reader)
  ~ resource "aws_iam_role" "reader" {
        name               = "acme-reader"
      ~ inline_policies    = {
          ~ "data" = {
              - statement {"Action": ["s3:*"], "Effect": "Allow", "Resource": ["*"]}
              + statement {"Action": ["s3:GetObject"], "Effect": "Allow", "Resource": ["*"]}
            }
          + "new" (policy added)
                + statement {"Action": ["kms:Decrypt"], "Effect": "Allow", "Resource": ["*"]}
          - "old" (policy removed)
        }
        # (1 unchanged attribute hidden)
    }"""


def _role_plan() -> Plan:
    desired = Resource("aws_iam_role", "reader", ROLE_AFTER, "resource.aws_iam_role.reader")
    state = State(resources={"aws_iam_role.reader": ResourceState("aws_iam_role", "reader", ROLE_BEFORE, "r")})
    return diff([desired], state, {"aws_iam_role.reader": ROLE_BEFORE})


def test_policy_changes_are_planned_as_data_and_drawn_statement_by_statement() -> None:
    plan = _role_plan()
    (change,) = plan.changes
    assert [(p.path, p.effect) for p in change.policy_changes] == [
        (("inline_policies", "data"), "changed"),
        (("inline_policies", "new"), "added"),
        (("inline_policies", "old"), "removed"),
    ]
    doc = plan_to_json(plan)
    assert render_changes(doc["resource_changes"]) == ROLE_GOLDEN  # type: ignore[arg-type]
    # The view draws what the plan says, not what it could work out from before and after.
    doc["resource_changes"][0]["meshctl"]["policy_changes"] = []  # type: ignore[index]
    assert "(policy added)" not in render_changes(doc["resource_changes"])  # type: ignore[arg-type]


def test_schema_changes_are_drawn_from_the_plan() -> None:
    change = ResourceChange(
        "schema_subject.s",
        "schema_subject",
        "s",
        "data_product.x.s.v1",
        ("update",),
        {"subject": "s", "schema": "{}"},
        {"subject": "s", "schema": "{ }"},
        schema_changes=(
            SchemaChange("added", "added", "field a added: string"),
            SchemaChange("type_changed", "changed", "field b: int -> long"),
            SchemaChange("removed", "removed", "field c removed"),
        ),
    )
    text = render_plan(plan_to_json(Plan(changes=[change])), color=False)
    assert "~ schema  = {\n          + field a added: string\n          ~ field b: int -> long\n" in text
    assert "          - field c removed\n        }" in text
    layout = replace(change, schema_changes=())
    assert "~ layout or documentation only" in render_plan(plan_to_json(Plan(changes=[layout])), color=False)


def test_only_the_paths_the_planner_names_force_a_replacement() -> None:
    before = {"name": "t", "partitions": 6, "replication_factor": 1}
    after = {"name": "t", "partitions": 8, "replication_factor": 3}
    change = ResourceChange(
        "kafka_topic.t", "kafka_topic", "t", "p", ("delete", "create"), before, after,
        replace_paths=(("replication_factor",),),
    )  # fmt: skip
    text = render_plan(plan_to_json(Plan(changes=[change])), color=False)
    assert "~ replication_factor = 1 -> 3  # forces replacement" in text
    assert "~ partitions         = 6 -> 8\n" in text


def test_drift_is_drawn_from_its_document() -> None:
    state = State(resources={"aws_iam_role.reader": ResourceState("aws_iam_role", "reader", ROLE_AFTER, "r", (), "a")})
    report = detect_drift(state, {"aws_iam_role.reader": ROLE_BEFORE}, {}, {"a": "a."}, set(state.resources))
    doc = drift_to_json(report)
    (item,) = doc["resources"]  # type: ignore[misc]
    assert item["name"] == "reader" and [p["effect"] for p in item["policy_changes"]] == ["changed", "removed", "added"]
    text = render_drift(doc, color=False)
    assert "  # aws_iam_role.reader changed outside meshctl\n  # (from domain.a)\n" in text
    assert '              - statement {"Action": ["s3:GetObject"], "Effect": "Allow", "Resource": ["*"]}' in text
    assert '          + "old" (policy added)' in text and '          - "new" (policy removed)' in text
    assert text.startswith("Drift detected: 1 changed, 0 deleted, 0 unmanaged (of 1 managed resources).\n")
