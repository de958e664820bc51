"""Resource attributes typed per resource type: every type has a shape, compile builds
exactly that shape, and the checked accessor refuses what does not have it."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.attributes import (
    SHAPES,
    AwsIamRole,
    BadAttributesError,
    KafkaScramUser,
    KafkaTopic,
    attributes_of,
    check_attributes,
)
from meshctl.config.loader import LoadOptions
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.resources import RESOURCE_TYPES
from meshctl.state_model import State
from tests.helpers import MINIMAL, write_mesh

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TOPIC = {"name": "a.b.v1", "partitions": 3, "replication_factor": None, "config": {"cleanup.policy": "delete"}}


def test_every_resource_type_has_an_attribute_shape() -> None:
    assert sorted(SHAPES) == sorted(RESOURCE_TYPES)


def test_every_resource_the_examples_compile_to_has_its_types_shape() -> None:
    ws = Workspace(EXAMPLES, LoadOptions(env={}, environment="dev"))
    resources = ws.run(State(), offline=True).resources
    assert {r.type for r in resources} == set(SHAPES)  # the examples use every type
    for r in resources:
        check_attributes(r.type, r.attributes, r.address)


def test_a_valid_mapping_comes_back_equal_and_in_the_same_order() -> None:
    topic = attributes_of(KafkaTopic, TOPIC)
    assert topic == TOPIC
    assert list(topic) == list(TOPIC)  # state is written in this order: byte for byte the same
    assert topic is not TOPIC


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({k: v for k, v in TOPIC.items() if k != "partitions"}, "kafka_topic.x: attribute 'partitions' is missing"),
        ({**TOPIC, "partitions": "3"}, "attribute 'partitions' should be a whole number, not a string"),
        ({**TOPIC, "partitions": True}, "attribute 'partitions' should be a whole number, not true or false"),
        ({**TOPIC, "replication_factor": 2.5}, "'replication_factor' should be a whole number or null, not float"),
        ({**TOPIC, "config": {"retention.ms": 1}}, "attribute 'config' should be an object of strings, not an object"),
        ({**TOPIC, "config": ["x"]}, "attribute 'config' should be an object of strings, not a list"),
    ],
)
def test_a_member_missing_or_of_another_type_is_one_error_naming_it(attributes: dict, message: str) -> None:
    with pytest.raises(BadAttributesError) as caught:
        attributes_of(KafkaTopic, attributes, "kafka_topic.x")
    assert message in str(caught.value)
    assert isinstance(caught.value, MeshError)  # printed as a message, never a traceback


def test_not_required_members_may_be_absent_but_are_checked_when_present() -> None:
    user = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192}
    assert attributes_of(KafkaScramUser, user) == user
    assert attributes_of(KafkaScramUser, {**user, "other_mechanisms": ["SCRAM-SHA-256"]})["other_mechanisms"] == [
        "SCRAM-SHA-256"
    ]
    with pytest.raises(BadAttributesError, match="'other_mechanisms' should be a list of strings, not a string"):
        attributes_of(KafkaScramUser, {**user, "other_mechanisms": "SCRAM-SHA-256"})
    with pytest.raises(BadAttributesError, match="'authenticates' should be true or false"):
        attributes_of(KafkaScramUser, {**user, "authenticates": "no"})


def test_members_the_shape_does_not_name_are_kept() -> None:
    role = {
        "name": "r",
        "description": "",
        "assume_role_policy": "{}",
        "inline_policies": {},
        "tags": {},
        "from_a_newer_meshctl": 1,
    }
    assert dict(attributes_of(AwsIamRole, role))["from_a_newer_meshctl"] == 1


def test_an_unknown_resource_type_is_refused() -> None:
    with pytest.raises(BadAttributesError, match="unknown resource type 'kafka_quota'"):
        check_attributes("kafka_quota", {}, "kafka_quota.x")


def test_an_attribute_written_null_takes_its_default_so_the_plan_settles(tmp_path: Path) -> None:
    """`policy = null` compiled to a null policy while AWS reports "" for none: every plan updated it."""
    aws = """
    aws {
      region        = "eu-west-1"
      deployer_arns = ["arn:aws:iam::123456789012:role/deployer"]
    }
    resource "aws_s3_bucket" "data" {
      bucket = "acme-data"
      policy = null
    }
    resource "aws_iam_role" "reader" {
      name               = "reader"
      assume_role_policy = null
    }
    """
    write_mesh(tmp_path, {"main.hcl": MINIMAL, "aws.hcl": aws})
    ws = Workspace(tmp_path, LoadOptions(env={}))
    with pytest.raises(BadAttributesError, match="aws_iam_role.reader: attribute 'assume_role_policy' is missing"):
        ws.run(State(), offline=True).check_moved()  # compiles: required, no default to take
    write_mesh(tmp_path, {"aws.hcl": aws.replace("assume_role_policy = null", 'assume_role_policy = "{}"')})
    ws = Workspace(tmp_path, LoadOptions(env={}))
    bucket = next(r for r in ws.run(State(), offline=True).resources if r.address == "aws_s3_bucket.data")
    assert bucket.attributes["policy"] == ""
    live = {**bucket.attributes}  # what refresh reads from a bucket without a policy or tags
    assert RESOURCE_TYPES["aws_s3_bucket"].compare(bucket.attributes, live).actions == ("no-op",)
