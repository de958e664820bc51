"""The Kafka client's large reads: each costs a constant number of requests, whatever the size
of the cluster, and keeps only what meshctl compares."""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigEntry, ConfigResource, ConfigSource

from meshctl.providers.kafka import client as client_module


class LoginAdmin:
    """An AdminClient made for one principal's login: it answers DescribeCluster, refusing a
    wrong password, and fails the test on a metadata request (which the broker answers by
    authorizing every topic of the cluster for the principal)."""

    made: list[LoginAdmin] = []

    def __init__(self, conf: dict[str, Any]):
        self.conf = conf
        self.calls: list[str] = []
        LoginAdmin.made.append(self)

    def list_topics(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("a login asked for the metadata of every topic")

    def describe_cluster(self, request_timeout: float) -> Future:
        self.calls.append("describe_cluster")
        f: Future = Future()
        if self.conf["sasl.password"] == "right":
            f.set_result(object())
        else:
            f.set_exception(KafkaException(KafkaError(KafkaError._AUTHENTICATION)))
        return f

    def poll(self, timeout: float) -> int:
        return 0


def test_a_login_check_is_one_describe_cluster_not_a_metadata_request_of_every_topic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "AdminClient", LoginAdmin)
    LoginAdmin.made = []
    settings = {"bootstrap.servers": "127.0.0.1:1", "security.protocol": "SASL_PLAINTEXT"}
    assert client_module._login({**settings, "sasl.username": "alice"}, "right", 1.0) is True
    assert client_module._login({**settings, "sasl.username": "bob"}, "wrong", 1.0) is False
    assert [a.calls for a in LoginAdmin.made] == [["describe_cluster"], ["describe_cluster"]]


# -- DescribeConfigs: a few requests, each topic's own entries kept as they arrive ---------------

DEFAULTS = 45  # entries the broker answers for every topic besides its own


class ConfigAdmin:
    """An AdminClient answering DescribeConfigs as confluent-kafka does: a request-level future
    per request whose answer its done-callback spreads over one future per topic. The answers
    come from another thread, one request at a time, once every request is sent (on the first
    poll), or at once (`answer_at_once`, a broker faster than the callbacks are added)."""

    def __init__(self, own: dict[str, dict[str, str]], fail: int | None = None, answer_at_once: bool = False) -> None:
        self.own = own
        self.fail = fail  # the request (by number) the broker refuses as a whole
        self.answer_at_once = answer_at_once
        self.requests: list[list[str]] = []
        self.held_when_answering: list[int] = []  # full answers (entries) still alive as each is made
        self._pending: list[tuple[Future, list[ConfigResource], int]] = []
        self._entries: list[weakref.ref] = []
        self._answering: threading.Thread | None = None

    def describe_configs(self, resources: list[ConfigResource], request_timeout: float) -> dict:
        self.requests.append([r.name for r in resources])
        f, futmap = AdminClient._make_futures(resources, ConfigResource, AdminClient._make_resource_result)
        self._pending.append((f, resources, len(self.requests) - 1))
        if self.answer_at_once:
            self._answer_next()
        return futmap

    def _answer_next(self) -> None:
        f, resources, number = self._pending.pop(0)
        self.held_when_answering.append(sum(1 for r in self._entries if r() is not None))
        if number == self.fail:
            f.set_exception(KafkaException(KafkaError(KafkaError.REQUEST_TIMED_OUT)))
            return
        answer: dict[ConfigResource, dict[str, ConfigEntry]] = {}
        for r in resources:
            if r.name not in self.own:  # deleted since listed
                answer[ConfigResource(r.restype, r.name, error=KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART))] = {}
                continue
            entries = {
                f"default.{i}": _entry(f"default.{i}", "x", ConfigSource.DEFAULT_CONFIG) for i in range(DEFAULTS)
            }
            entries.update({k: _entry(k, v, ConfigSource.DYNAMIC_TOPIC_CONFIG) for k, v in self.own[r.name].items()})
            entries["sasl.secret"] = _entry("sasl.secret", None, ConfigSource.DYNAMIC_TOPIC_CONFIG, sensitive=True)
            answer[r] = entries
        self._entries += [weakref.ref(e) for entries in answer.values() for e in entries.values()]
        f.set_result(answer)

    def _answer_all(self) -> None:
        while self._pending:
            self._answer_next()

    def poll(self, timeout: float) -> int:
        if self._answering is None:
            self._answering = threading.Thread(target=self._answer_all)
            self._answering.start()
        return 0

    def finish(self) -> None:
        if self._answering is not None:
            self._answering.join()


def _entry(name: str, value: str | None, source: ConfigSource, sensitive: bool = False) -> ConfigEntry:
    # librdkafka answers the source's number, and a synonym for each entry
    synonym = ConfigEntry(name, value, source=ConfigSource.DEFAULT_CONFIG.value, is_synonym=True)  # type: ignore[arg-type]
    return ConfigEntry(
        name,
        value,
        source=source.value,
        is_sensitive=sensitive,
        synonyms={name: synonym},  # type: ignore[arg-type]
    )


def _config_client(admin: ConfigAdmin) -> client_module.KafkaClient:
    client = client_module.KafkaClient({"bootstrap.servers": "127.0.0.1:1"})
    client.admin = admin  # type: ignore[assignment]
    client.timeout_s = 10.0
    return client


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of at least 10 topics, so that 100 topics behave as 10,000 do."""
    monkeypatch.setattr(client_module, "_CONFIG_CHUNK_MIN", 10)


def _own(n: int) -> dict[str, dict[str, str]]:
    return {f"t{i:03}": {"retention.ms": str(i), "cleanup.policy": "compact"} for i in range(n)}


@pytest.mark.parametrize("answer_at_once", [False, True])
def test_many_topics_take_a_few_requests_each_topic_asked_once_and_only_own_entries_kept(
    small_chunks: None, answer_at_once: bool
) -> None:
    own = _own(100)
    admin = ConfigAdmin(own, answer_at_once=answer_at_once)
    client = _config_client(admin)
    configs = client.describe_topic_configs(sorted(own))
    admin.finish()
    assert len(admin.requests) == client.requests == client_module._CONFIG_CHUNKS
    asked = [t for request in admin.requests for t in request]
    assert sorted(asked) == sorted(own) and len(asked) == len(set(asked))  # every topic exactly once
    assert configs == own  # defaults, synonyms and sensitive entries dropped
    assert list(configs) == sorted(own)  # in the order asked, however the answers arrived


def test_the_shipped_split_is_8_requests_from_4000_topics_on() -> None:
    """Up to 8 requests of 500 topics at least: the count stops growing at 4,000 topics."""
    names = [f"t{i:05}" for i in range(10_000)]
    counts = {n: len(client_module.config_chunks(names[:n])) for n in (1, 500, 501, 999, 4_000, 5_000, 10_000)}
    assert counts == {1: 1, 500: 1, 501: 2, 999: 2, 4_000: 8, 5_000: 8, 10_000: 8}
    assert [t for chunk in client_module.config_chunks(names) for t in chunk] == names  # each topic once, in order


def test_a_few_topics_are_one_request_and_the_count_never_grows_with_the_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = ((5, 1000, 4, 1), (999, 1000, 4, 1), (40, 10, 4, 4), (41, 10, 4, 4), (400, 10, 4, 4))
    cases += ((400, 100, 8, 4), (1_000, 100, 8, 8))
    for n, chunk_min, chunks, expected in cases:
        monkeypatch.setattr(client_module, "_CONFIG_CHUNK_MIN", chunk_min)
        monkeypatch.setattr(client_module, "_CONFIG_CHUNKS", chunks)
        admin = ConfigAdmin(_own(n), answer_at_once=True)
        client = _config_client(admin)
        assert len(client.describe_topic_configs(sorted(_own(n)))) == n
        assert len(admin.requests) == expected, (n, chunk_min)


def test_only_one_requests_full_answer_is_held_at_a_time(small_chunks: None) -> None:
    own = _own(100)
    admin = ConfigAdmin(own)
    configs = _config_client(admin).describe_topic_configs(sorted(own))
    admin.finish()
    # when each answer is made, those before it were cut down to their topics' own entries
    assert admin.held_when_answering == [0] * client_module._CONFIG_CHUNKS
    assert sum(len(c) for c in configs.values()) == 2 * len(own)


def test_a_topic_deleted_since_listed_is_left_out(small_chunks: None) -> None:
    own = _own(100)
    admin = ConfigAdmin({t: c for t, c in own.items() if t != "t042"}, answer_at_once=True)
    configs = _config_client(admin).describe_topic_configs(sorted(own))
    assert "t042" not in configs and len(configs) == 99


def test_a_refused_request_names_its_topics(small_chunks: None) -> None:
    own = _own(100)
    admin = ConfigAdmin(own, fail=1)
    client = _config_client(admin)
    with pytest.raises(client_module.KafkaClientError) as raised:
        client.describe_topic_configs(sorted(own))
    admin.finish()
    second = admin.requests[1]
    assert str(raised.value) == (
        f"Kafka refused to describe the configs of topics {', '.join(second[:5])} and {len(second) - 5} more: "
        f"{KafkaError(KafkaError.REQUEST_TIMED_OUT).str()}"
    )
    asked = [t for request in admin.requests for t in request]
    assert sorted(asked) == sorted(own) and len(asked) == len(set(asked))


def test_one_refused_topic_is_named_alone(small_chunks: None) -> None:
    admin = ConfigAdmin({"a": {}}, fail=0)
    with pytest.raises(client_module.KafkaClientError, match="describe the configs of topic a: "):
        _config_client(admin).describe_topic_configs(["a"])
    admin.finish()
