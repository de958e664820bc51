"""The attributes of each resource type, typed: what compile builds, state records and providers read.

At run time attributes are plain JSON objects (`dict`), so the state and plan documents do
not change; these TypedDicts name their shape for the type checker, and `attributes_of`
checks a mapping against one before code relies on it. Members a desired resource never
has but a live one may (what refresh found besides, what apply recorded) are `NotRequired`;
members not declared here are left alone, so an older or newer state still reads.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import NotRequired, TypedDict, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from meshctl.errors import MeshError

T = TypeVar("T")


class KafkaTopic(TypedDict):
    name: str
    partitions: int
    replication_factor: int | None  # None: the broker's default (a desired topic only)
    config: dict[str, str]


class KafkaAcl(TypedDict):
    """One principal's operations on one resource pattern (Kafka's bindings, grouped)."""

    principal: str  # `User:NAME`
    resource_type: str  # TOPIC, GROUP, TRANSACTIONAL_ID, CLUSTER
    resource_name: str
    pattern_type: str  # LITERAL, PREFIXED
    host: str
    operations: list[str]  # sorted


class KafkaScramUser(TypedDict):
    name: str
    mechanism: str  # SCRAM-SHA-512, SCRAM-SHA-256
    iterations: int
    password: NotRequired[str]  # recorded by apply: a fingerprint, never the password
    credentials: NotRequired[str]  # recorded by apply: where the password is kept
    other_mechanisms: NotRequired[list[str]]  # found by refresh: added out of band
    authenticates: NotRequired[bool]  # found by refresh: False when the kept password no longer logs in
    # found by refresh: False when the kept password is not the one apply last set (its fingerprint
    # differs from state's): a rotation stopped after storing the new password
    password_applied: NotRequired[bool]


class SchemaSubject(TypedDict):
    subject: str
    schema_type: str  # AVRO, JSON, PROTOBUF
    schema: str  # canonical text
    compatibility: str


class AwsS3Bucket(TypedDict):
    bucket: str
    policy: str  # canonical JSON text, "" for none
    encryption: str
    block_public_access: bool
    versioning: bool
    tags: dict[str, str]


class AwsIamRole(TypedDict):
    name: str
    description: str
    assume_role_policy: str  # canonical JSON text
    inline_policies: dict[str, str]  # policy name -> canonical JSON text
    tags: dict[str, str]
    attached_policies: NotRequired[list[str]]  # found by refresh: managed policies attached out of band


class AwsGlueDatabase(TypedDict):
    name: str
    description: str
    parameters: dict[str, str]


class AwsGlueTable(TypedDict):
    database: str
    name: str
    description: str
    parameters: dict[str, str]


class AwsSecretsmanagerSecret(TypedDict):
    name: str
    description: str
    policy: str  # canonical JSON text, "" for none
    tags: dict[str, str]


class KafkaConnector(TypedDict):
    """A Kafka Connect connector. `config` never holds a secret: the password of `principal` is
    referenced through the worker's config provider, which the provider adds at apply."""

    name: str
    config: dict[str, str]
    principal: str  # `User:NAME` its clients authenticate as; "" = the worker's own
    state: str  # running, paused (desired); live also failed, stopped
    failed_tasks: NotRequired[list[str]]  # found by refresh: `task 0: <the error's first line>`


# The attribute shape of every resource type (`meshctl.resources.RESOURCE_TYPES` names the same types).
SHAPES: dict[str, type] = {
    "kafka_topic": KafkaTopic,
    "kafka_acl": KafkaAcl,
    "kafka_scram_user": KafkaScramUser,
    "schema_subject": SchemaSubject,
    "aws_s3_bucket": AwsS3Bucket,
    "aws_iam_role": AwsIamRole,
    "aws_glue_database": AwsGlueDatabase,
    "aws_glue_table": AwsGlueTable,
    "aws_secretsmanager_secret": AwsSecretsmanagerSecret,
    "kafka_connector": KafkaConnector,
}


class BadAttributesError(MeshError):
    """Attributes that do not have their resource type's shape (a hand-edited state, a bug)."""


def attributes_of(shape: type[T], attributes: Mapping[str, object], where: str = "") -> T:
    """`attributes` as a `shape` (one of the TypedDicts above), after checking every declared
    member: a missing required member or a value of another type raises BadAttributesError."""
    prefix = f"{where}: " if where else ""
    # `__required_keys__` cannot see NotRequired in a postponed (string) annotation: read it here.
    for name, hint in get_type_hints(shape, include_extras=True).items():
        optional = get_origin(hint) is NotRequired
        if optional:
            (hint,) = get_args(hint)
        if name not in attributes:
            if not optional:
                raise BadAttributesError(f"{prefix}attribute {name!r} is missing")
            continue
        if not _matches(attributes[name], hint):
            raise BadAttributesError(
                f"{prefix}attribute {name!r} should be {_describe(hint)}, not {_kind(attributes[name])}"
            )
    # Checked member by member above: the mapping has the shape the type checker is told.
    return cast(T, dict(attributes))


def check_attributes(resource_type: str, attributes: Mapping[str, object], where: str = "") -> None:
    """Raise BadAttributesError unless `attributes` have the shape of `resource_type`'s."""
    if resource_type not in SHAPES:
        raise BadAttributesError((f"{where}: " if where else "") + f"unknown resource type {resource_type!r}")
    attributes_of(SHAPES[resource_type], attributes, where)


def _matches(value: object, hint: object) -> bool:
    origin = get_origin(hint)
    if hint is object:
        return True
    if hint is type(None):
        return value is None
    if origin in (Union, types.UnionType):
        return any(_matches(value, h) for h in get_args(hint))
    if origin is dict:
        key_hint, value_hint = get_args(hint)
        return isinstance(value, dict) and all(
            _matches(k, key_hint) and _matches(v, value_hint) for k, v in value.items()
        )
    if origin is list:
        (item_hint,) = get_args(hint)
        return isinstance(value, list) and all(_matches(v, item_hint) for v in value)
    if hint is int:  # a JSON true is never a count
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    raise TypeError(f"attributes_of cannot check {hint!r}")


_WORDS: dict[object, str] = {str: "a string", int: "a whole number", bool: "true or false", type(None): "null"}
_PLURALS: dict[object, str] = {str: "strings", int: "whole numbers", bool: "booleans"}


def _describe(hint: object) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(h) for h in get_args(hint))
    if origin is dict:
        return f"an object of {_PLURALS.get(get_args(hint)[1], 'values')}"
    if origin is list:
        return f"a list of {_PLURALS.get(get_args(hint)[0], 'values')}"
    return _WORDS.get(hint, str(hint))


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):  # before int: true is not a number here
        return _WORDS[bool]
    return _WORDS.get(type(value), type(value).__name__)
