"""Providers in memory for engine tests. The Kafka one keeps topics, ACL bindings and SCRAM
users as a broker does, and refuses what a broker refuses; the apply contract suite
(tests/apply_contract.py) runs against it and against the real broker alike, so it cannot
drift from what Kafka does."""

from __future__ import annotations

from collections.abc import Mapping

from meshctl.plan.model import ResourceChange
from meshctl.providers.base import ChangeResult, Managed

Binding = tuple[str, str, str, str, str]  # principal, resource type, resource name, pattern type, operation

CLEANUP_POLICIES = {"delete", "compact", "compact,delete", "delete,compact"}


class FakeProvider:
    """Succeeds at everything unless told otherwise; records every batch it is given."""

    def __init__(self, name: str = "kafka"):
        self.name = name
        self.batches: list[tuple[str, tuple[str, ...]]] = []  # ("apply" | "delete", addresses) per call
        self.fail: dict[str, str] = {}  # address -> the error its change gets
        self.raises: Exception | None = None  # a provider-wide failure (e.g. the broker went away)
        self.silent: set[str] = set()  # addresses the provider forgets to report on

    @property
    def requests(self) -> int:
        return len(self.batches)

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        return {}

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        return {}

    def apply(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        return self._batch("apply", changes)

    def delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        return self._batch("delete", changes)

    def _batch(self, verb: str, changes: list[ResourceChange]) -> list[ChangeResult]:
        self.batches.append((verb, tuple(c.address for c in changes)))
        if self.raises is not None:
            raise self.raises
        out = []
        for c in changes:
            if c.address in self.silent:
                continue
            error = self.fail.get(c.address) or (self._delete_one(c) if verb == "delete" else self._apply_one(c))
            out.append(ChangeResult(c.address, error, None if error or verb == "delete" else dict(c.after or {})))
        return out

    def _apply_one(self, change: ResourceChange) -> str:
        return ""

    def _delete_one(self, change: ResourceChange) -> str:
        return ""


class FakeKafka(FakeProvider):
    """Topics, ACL bindings and SCRAM users in memory, with a broker's refusals: a topic
    that exists already or not at all, fewer partitions, an unknown cleanup.policy, a user
    that is not there to delete."""

    def __init__(self) -> None:
        super().__init__("kafka")
        self.topics: dict[str, tuple[int, dict[str, str]]] = {}  # name -> (partitions, config)
        self.bindings: set[Binding] = set()
        self.users: set[str] = set()

    def _apply_one(self, c: ResourceChange) -> str:
        after = c.after or {}
        if c.type == "kafka_topic":
            return self._put_topic(c, after)
        if c.type == "kafka_acl":
            have = set(_bindings(c.before or {})) if c.actions == ("update",) else set()
            wanted = set(_bindings(after))
            self.bindings = (self.bindings - (have - wanted)) | wanted
            return ""
        if c.type == "kafka_scram_user":
            self.users.add(str(after["name"]))
            return ""
        return f"FakeKafka does not manage {c.type}"

    def _put_topic(self, c: ResourceChange, after: Mapping[str, object]) -> str:
        name, partitions = str(after["name"]), int(str(after["partitions"]))
        given = after.get("config") or {}
        assert isinstance(given, Mapping)
        config = {str(k): str(v) for k, v in given.items()}
        policy = config.get("cleanup.policy", "delete")
        if policy not in CLEANUP_POLICIES:
            return f"Invalid value {policy} for configuration cleanup.policy"
        if "create" in c.actions:
            if name in self.topics:
                return f"Topic '{name}' already exists."
            self.topics[name] = (partitions, config)
            return ""
        if name not in self.topics:
            return "This server does not host this topic-partition."
        if partitions < self.topics[name][0]:
            return f"Topic currently has {self.topics[name][0]} partitions, which is higher than {partitions}"
        self.topics[name] = (partitions, config)
        return ""

    def _delete_one(self, c: ResourceChange) -> str:
        before = c.before or {}
        if c.type == "kafka_topic":
            if self.topics.pop(str(before["name"]), None) is None:
                return "This server does not host this topic-partition."
            return ""
        if c.type == "kafka_acl":
            self.bindings -= set(_bindings(before))
            return ""
        if c.type == "kafka_scram_user":
            name = str(before["name"])
            if name not in self.users:
                return f"Attempt to delete a user credential that does not exist: {name}"
            self.users.discard(name)
            return ""
        return f"FakeKafka does not manage {c.type}"


def _bindings(attributes: Mapping[str, object]) -> list[Binding]:
    if not attributes:
        return []
    operations = attributes["operations"]
    assert isinstance(operations, (list, tuple))
    return [
        (
            str(attributes["principal"]),
            str(attributes["resource_type"]),
            str(attributes["resource_name"]),
            str(attributes["pattern_type"]),
            str(op),
        )
        for op in operations
    ]
