"""Read-ahead: refresh starts from the resources state records while the configuration
compiles, and its answer is kept only when the compiled resources are refreshed alike
(the same refresh keys); otherwise refresh reads again, so a plan never rests on a read of
other resources than its own."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest

from meshctl.engine.refresh import read_ahead, refresh
from meshctl.errors import MeshError
from meshctl.plan.build import Scoped
from meshctl.providers.base import Managed, RefreshesAhead
from meshctl.providers.kafka.provider import KafkaProvider
from meshctl.resources import Resource
from meshctl.state_model import ResourceState, State


class Ahead(RefreshesAhead):
    """A Kafka provider that reads topics by name, counting its reads; `gate` holds a read
    back until the test lets it go (a broker still answering while the configuration compiles)."""

    name = "kafka"

    def __init__(self, live: Mapping[str, dict[str, object]], error: Exception | None = None):
        self.live = live
        self.error = error
        self.reads: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()

    def refresh_key(self, managed: Managed) -> tuple[object, ...]:
        return (managed.address, managed.type, managed.attributes.get("name"))

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        self.gate.wait(5)
        self.reads.append(sorted(m.address for m in managed))
        if self.error is not None:
            raise self.error
        return {m.address: dict(self.live[m.address]) for m in managed if m.address in self.live}

    @property
    def requests(self) -> int:
        return len(self.reads)


def _topic(name: str, retention: str) -> dict[str, object]:
    return {"name": name, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": retention}}


def _prior(*names: str) -> State:
    state = State()
    for name in names:
        state.resources[f"kafka_topic.{name}"] = ResourceState("kafka_topic", name, _topic(name, "1"), "p")
    return state


def _scoped(prior: State, *topics: tuple[str, str]) -> Scoped:
    desired = [Resource("kafka_topic", name, _topic(name, retention), "p") for name, retention in topics]
    return Scoped(desired, prior, {}, (), ())


LIVE = {f"kafka_topic.{n}": _topic(n, "1") for n in ("a", "b", "c")}


def test_a_plan_of_the_same_resources_keeps_what_was_read_ahead() -> None:
    prior = _prior("a", "b")
    provider = Ahead(LIVE)
    provider.gate.clear()  # the broker has not answered yet when the configuration is compiled
    ahead = read_ahead(prior, {"kafka": provider})  # type: ignore[dict-item]
    scoped = _scoped(prior, ("a", "1"), ("b", "7"))  # b's retention changes: read alike
    provider.gate.set()
    observed = refresh(scoped, {"kafka": provider}, ahead)  # type: ignore[dict-item]
    assert provider.reads == [["kafka_topic.a", "kafka_topic.b"]]  # one read, the one ahead
    assert observed.live == refresh(scoped, {"kafka": Ahead(LIVE)}).live  # type: ignore[dict-item]


def test_a_new_resource_means_reading_again_what_the_plan_needs() -> None:
    prior = _prior("a")
    provider = Ahead(LIVE)
    ahead = read_ahead(prior, {"kafka": provider})  # type: ignore[dict-item]
    observed = refresh(_scoped(prior, ("a", "1"), ("c", "1")), {"kafka": provider}, ahead)  # type: ignore[dict-item]
    assert provider.reads == [["kafka_topic.a"], ["kafka_topic.a", "kafka_topic.c"]]
    assert set(observed.live) == {"kafka_topic.a", "kafka_topic.c"}


def test_a_resource_gone_from_the_configuration_is_still_read_from_state() -> None:
    prior = _prior("a", "b")
    provider = Ahead(LIVE)
    ahead = read_ahead(prior, {"kafka": provider})  # type: ignore[dict-item]
    observed = refresh(_scoped(prior, ("a", "1")), {"kafka": provider}, ahead)  # type: ignore[dict-item]
    assert len(provider.reads) == 1 and set(observed.live) == {"kafka_topic.a", "kafka_topic.b"}


def test_an_error_met_ahead_is_raised_by_the_plan_once() -> None:
    provider = Ahead(LIVE, error=MeshError("cannot reach Kafka at 127.0.0.1:1"))
    prior = _prior("a")
    ahead = read_ahead(prior, {"kafka": provider})  # type: ignore[dict-item]
    with pytest.raises(MeshError, match="cannot reach Kafka"):
        refresh(_scoped(prior, ("a", "1")), {"kafka": provider}, ahead)  # type: ignore[dict-item]
    assert len(provider.reads) == 1  # not asked again after it failed


def test_nothing_is_read_ahead_without_state_or_of_a_provider_that_cannot() -> None:
    class Plain:
        name = "registry"

    assert read_ahead(State(), {"kafka": Ahead(LIVE)}) == {}  # type: ignore[dict-item]
    prior = _prior("a")
    assert read_ahead(prior, {"registry": Plain()}) == {}  # type: ignore[dict-item]


# -- what the Kafka provider's refresh reads of a resource ----------------------------------


def _kafka() -> KafkaProvider:
    return KafkaProvider(lambda: None, None)  # type: ignore[arg-type,return-value]  # never connects here


def test_kafka_reads_a_topic_by_its_name_whatever_its_settings() -> None:
    key = _kafka().refresh_key
    before = Managed("kafka_topic.a", "kafka_topic", _topic("a", "1"), _topic("a", "1"))
    after = Managed("kafka_topic.a", "kafka_topic", _topic("a", "2") | {"partitions": 6}, _topic("a", "1"))
    assert key(before) == key(after)


def test_kafka_reads_a_user_by_name_mechanism_and_the_recorded_password_fingerprint() -> None:
    key = _kafka().refresh_key
    user = {"name": "sales", "mechanism": "SCRAM-SHA-512", "iterations": 8192}
    recorded = user | {"password": "fp1"}
    base = Managed("kafka_scram_user.sales", "kafka_scram_user", user, recorded)
    assert key(base) == key(Managed(base.address, base.type, user | {"iterations": 4096}, recorded))
    assert key(base) != key(Managed(base.address, base.type, user | {"mechanism": "SCRAM-SHA-256"}, recorded))
    assert key(base) != key(Managed(base.address, base.type, user, recorded | {"password": "fp2"}))
