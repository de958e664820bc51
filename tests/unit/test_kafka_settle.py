"""Apply waits until the brokers serve what the controller committed (altered configs, added
partitions, SCRAM credentials), polling with one batched read a poll, and gives up quietly."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka.admin import (
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialsDescription,
)

from meshctl.plan.model import ResourceChange
from meshctl.providers.kafka.client import ConfigChange, KafkaClient, KafkaClientError
from meshctl.providers.kafka.provider import KafkaProvider


def _done(value: object) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


@dataclass
class LaggingAdmin:
    """An AdminClient whose reads serve the state from before the last write for `lag` more reads
    of each kind, as a broker does until it has applied the controller's metadata log."""

    topics: dict[str, tuple[int, dict[str, str]]]
    users: dict[str, dict[str, int]] = field(default_factory=dict)
    lag: int = 3
    calls: list[tuple[str, Any]] = field(default_factory=list)
    _stale: dict[str, tuple[int, Any]] = field(default_factory=dict)  # kind -> (reads left, snapshot)

    def poll(self, timeout: float) -> int:
        return 0

    def _read(self, kind: str) -> tuple[dict[str, tuple[int, dict[str, str]]], dict[str, dict[str, int]]]:
        left, stale = self._stale.get(kind, (0, None))
        if left:
            self._stale[kind] = (left - 1, stale)
            return stale
        return self.topics, self.users

    def _written(self) -> None:
        snapshot = ({t: (p, dict(c)) for t, (p, c) in self.topics.items()}, {u: dict(m) for u, m in self.users.items()})
        self._stale = {kind: (self.lag, snapshot) for kind in ("metadata", "configs", "scram")}

    # -- reads
    def list_topics(self, timeout: float) -> SimpleNamespace:
        self.calls.append(("list_topics", None))
        topics, _ = self._read("metadata")
        return SimpleNamespace(
            topics={
                t: SimpleNamespace(error=None, partitions={i: SimpleNamespace(replicas=[1]) for i in range(p)})
                for t, (p, _) in topics.items()
            }
        )

    def describe_configs(self, resources: list[ConfigResource], request_timeout: float) -> dict:
        self.calls.append(("describe_configs", sorted(r.name for r in resources)))
        topics, _ = self._read("configs")
        source: Any = ConfigSource.DYNAMIC_TOPIC_CONFIG.value  # librdkafka answers the number
        return {
            r: _done({k: ConfigEntry(k, v, source=source) for k, v in topics[r.name][1].items()}) for r in resources
        }

    def describe_user_scram_credentials(self, request_timeout: float) -> Future:
        self.calls.append(("describe_user_scram_credentials", None))
        _, users = self._read("scram")
        return _done(
            {
                u: UserScramCredentialsDescription(
                    u, [ScramCredentialInfo(ScramMechanism[m.replace("-", "_")], i) for m, i in mechs.items()]
                )
                for u, mechs in users.items()
            }
        )

    # -- writes: accepted at once
    def create_partitions(self, new: list[NewPartitions], **_: float) -> dict:
        self.calls.append(("create_partitions", None))
        self._written()
        for p in new:
            self.topics[p.topic] = (p.new_total_count, self.topics[p.topic][1])
        return {p.topic: _done(None) for p in new}

    def incremental_alter_configs(self, resources: list[ConfigResource], request_timeout: float) -> dict:
        self.calls.append(("incremental_alter_configs", None))
        self._written()
        for r in resources:
            config = self.topics[r.name][1]
            for e in r.incremental_configs:
                if e.value is None:
                    config.pop(e.name, None)
                else:
                    config[e.name] = e.value
        return {r: _done(None) for r in resources}

    def alter_user_scram_credentials(self, alterations: list, request_timeout: float) -> dict:
        self.calls.append(("alter_user_scram_credentials", None))
        self._written()
        for a in alterations:
            mech = a.scram_credential_info.mechanism if not isinstance(a, UserScramCredentialDeletion) else a.mechanism
            name = mech.name.replace("_", "-")
            if isinstance(a, UserScramCredentialDeletion):
                self.users.get(a.user, {}).pop(name, None)
            else:
                self.users.setdefault(a.user, {})[name] = a.scram_credential_info.iterations
        return {a.user: _done(None) for a in alterations}

    def reads(self, kind: str) -> list[Any]:
        return [arg for name, arg in self.calls if name == kind]


def _client(admin: LaggingAdmin, timeout_s: float = 5.0) -> KafkaClient:
    client = KafkaClient({"bootstrap.servers": "127.0.0.1:1"})
    client.admin = admin  # type: ignore[assignment]
    client.timeout_s = timeout_s
    return client


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("meshctl.providers.kafka.client._SETTLE_FIRST_PAUSE_S", 0.001)
    monkeypatch.setattr("meshctl.providers.kafka.client._SETTLE_MAX_PAUSE_S", 0.001)


def test_config_wait_polls_until_every_altered_topic_reads_back_in_one_request_a_poll() -> None:
    names = [f"t{i:02}" for i in range(40)]
    admin = LaggingAdmin({n: (3, {"retention.ms": "1", "cleanup.policy": "delete"}) for n in names}, lag=3)
    client = _client(admin)
    changes = [ConfigChange(n, {"retention.ms": "2"}, ("cleanup.policy",)) for n in names]
    assert all(err is None for err in client.alter_topic_configs(changes).values())
    assert client.wait_topic_configs(changes) is True
    polls = admin.reads("describe_configs")
    assert polls == [names] * 4  # three stale reads, then the fresh one: each a single request for all 40
    assert client.describe_topic_configs(names)[names[0]] == {"retention.ms": "2"}


def test_config_wait_asks_again_only_about_topics_not_settled_yet() -> None:
    admin = LaggingAdmin({"a": (1, {"retention.ms": "1"}), "b": (1, {"retention.ms": "1"})}, lag=0)
    client = _client(admin)
    admin.topics["a"][1]["retention.ms"] = "2"  # a already served; b is still being applied
    seen: list[list[str]] = []
    original = admin.describe_configs

    def describe(resources: list[ConfigResource], request_timeout: float) -> dict:
        seen.append(sorted(r.name for r in resources))
        if len(seen) == 3:  # b shows on the third read
            admin.topics["b"][1]["retention.ms"] = "2"
        return original(resources, request_timeout)

    admin.describe_configs = describe  # type: ignore[method-assign]
    changes = [ConfigChange(t, {"retention.ms": "2"}, ()) for t in ("a", "b")]
    assert client.wait_topic_configs(changes) is True
    assert seen == [["a", "b"], ["b"], ["b"]]


def test_a_change_that_never_shows_is_not_an_error_but_a_debug_line(caplog: pytest.LogCaptureFixture) -> None:
    admin = LaggingAdmin({"a": (3, {"retention.ms": "1"})}, lag=10**6)
    client = _client(admin, timeout_s=0.05)
    admin._written()
    caplog.set_level(logging.DEBUG, logger="meshctl.kafka")
    assert client.wait_topic_configs([ConfigChange("a", {"retention.ms": "2"}, ())]) is False
    assert client.wait_partitions({"a": 6}) is False
    assert client.wait_scram_users({"alice": ("SCRAM-SHA-256", 4096)}) is False
    assert [r.levelno for r in caplog.records] == [logging.DEBUG] * 3
    assert "altered topic configs: not visible yet" in caplog.records[0].getMessage()
    assert len(admin.reads("describe_configs")) > 1  # it did poll until the deadline


def test_nothing_to_wait_for_sends_no_request() -> None:
    admin = LaggingAdmin({})
    client = _client(admin)
    assert client.wait_topic_configs([]) and client.wait_partitions({}) and client.wait_scram_users({}, [])
    assert admin.calls == []


def test_partition_and_scram_waits_poll_until_the_read_matches() -> None:
    admin = LaggingAdmin({"a": (3, {}), "b": (2, {})}, users={"bob": {"SCRAM-SHA-512": 4096}}, lag=2)
    client = _client(admin)
    client.create_partitions({"a": 6, "b": 4})
    assert client.wait_partitions({"a": 6, "b": 4}) is True
    assert len(admin.reads("list_topics")) == 3  # one metadata request a poll, for both topics
    client.upsert_scram_users({"alice": ("SCRAM-SHA-256", 8192, "pw")})
    client.delete_scram_users({"bob": "SCRAM-SHA-512"})
    assert client.wait_scram_users({"alice": ("SCRAM-SHA-256", 8192)}, [("bob", "SCRAM-SHA-512")]) is True
    assert len(admin.reads("describe_user_scram_credentials")) == 3


class _Credentials:
    def get_or_create(self, user: str, mechanism: str) -> str:
        return "pw"

    def location(self, user: str) -> str:
        return f"mem:{user}"

    def delete(self, user: str) -> None:
        pass


def test_apply_returns_once_a_read_sees_the_new_config_and_partitions() -> None:
    """The flaky integration test's race, made certain: a broker that serves the old retention
    for three reads after apply. A plan right after apply must read the new one."""
    admin = LaggingAdmin({"orders": (3, {"retention.ms": "86400000"})}, lag=3)
    provider = KafkaProvider(lambda: _client(admin), _Credentials())  # type: ignore[arg-type]
    provider._client = _client(admin)  # connected already: no cluster check against the fake
    before = {"name": "orders", "partitions": 3, "replication_factor": 1, "config": {"retention.ms": "86400000"}}
    after = {**before, "partitions": 6, "config": {"retention.ms": "172800000"}}
    change = ResourceChange("kafka_topic.orders", "kafka_topic", "orders", "p", ("update",), before, after)
    [result] = provider.apply([change])
    assert result.ok
    assert provider.client.list_topics()["orders"].partitions == 6
    assert provider.client.describe_topic_configs(["orders"])["orders"] == {"retention.ms": "172800000"}


def test_apply_waits_for_scram_credentials_to_read_back() -> None:
    admin = LaggingAdmin({}, users={"alice": {"SCRAM-SHA-256": 4096, "SCRAM-SHA-512": 4096}}, lag=2)
    provider = KafkaProvider(lambda: _client(admin), _Credentials())  # type: ignore[arg-type]
    provider._client = _client(admin)
    before = {"name": "alice", "mechanism": "SCRAM-SHA-256", "iterations": 4096, "other_mechanisms": ["SCRAM-SHA-512"]}
    after = {"name": "alice", "mechanism": "SCRAM-SHA-256", "iterations": 8192}
    change = ResourceChange("kafka_scram_user.alice", "kafka_scram_user", "alice", "p", ("update",), before, after)
    [result] = provider.apply([change])
    assert result.ok
    assert provider.client.describe_scram_users().result() == {"alice": [("SCRAM-SHA-256", 8192)]}


def test_a_failed_mechanism_removal_is_not_hidden_by_a_later_success(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = LaggingAdmin({}, users={"alice": {"SCRAM-SHA-256": 4096}}, lag=0)
    provider = KafkaProvider(lambda: _client(admin), _Credentials())  # type: ignore[arg-type]
    provider._client = _client(admin)
    refused = KafkaClientError("not allowed")
    answers = iter([{"alice": refused}, {"alice": None}])  # one request per mechanism, in name order
    monkeypatch.setattr(provider.client, "delete_scram_users", lambda users: next(answers))
    before = {"name": "alice", "mechanism": "SCRAM-SHA-256", "iterations": 4096, "other_mechanisms": ["X-1", "X-2"]}
    after = {"name": "alice", "mechanism": "SCRAM-SHA-256", "iterations": 4096}
    change = ResourceChange("kafka_scram_user.alice", "kafka_scram_user", "alice", "p", ("update",), before, after)
    [result] = provider.apply([change])
    assert not result.ok
