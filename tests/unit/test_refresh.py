"""Refresh gathers every fact the planner reads, from the providers that declare the
capability, batched (one request per kind of fact) and scoped: a plan of nothing asks
nothing. And a run compiles the configuration once, however many steps ask for it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from meshctl import interrupt
from meshctl.engine import run as run_module
from meshctl.engine.refresh import refresh
from meshctl.errors import MeshError
from meshctl.plan.build import Scoped, _candidate_key, _schema_candidate, facts_wanted
from meshctl.plan.diff import PlanOptions, diff
from meshctl.plan.model import ResourceChange
from meshctl.plan.observed import GroupLag, SchemaCandidate, SchemaVerdict
from meshctl.providers.base import (
    ChangeResult,
    JudgesSchemaCompatibility,
    Managed,
    ReportsBrokerCount,
    ReportsConsumerPositions,
    ReportsRecordCounts,
)
from meshctl.resources import Resource
from meshctl.state_model import ResourceState, State
from tests.cli import run
from tests.helpers import write_mesh


class Exploding(ReportsBrokerCount, ReportsRecordCounts, ReportsConsumerPositions, JudgesSchemaCompatibility):
    """A provider with every capability that fails on any call: proof that nothing was asked."""

    name = "exploding"

    def _fail(self, *args: object, **kwargs: object) -> dict:
        raise AssertionError("refresh asked a provider for something")

    refresh = inventory = delete = apply = topic_records = consumer_positions = judge_schemas = _fail  # type: ignore[assignment]
    broker_count = _fail  # type: ignore[assignment]

    @property
    def requests(self) -> int:
        raise AssertionError("refresh asked a provider for something")


class Recording:
    """What a provider was asked, in order."""

    def __init__(self, live: Mapping[str, dict[str, object]]):
        self.live = live
        self.calls: list[tuple[str, object]] = []

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        self.calls.append(("refresh", sorted(m.address for m in managed)))
        return {m.address: dict(self.live[m.address]) for m in managed if m.address in self.live}

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        raise AssertionError("a plan reads no inventory")

    def delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        raise AssertionError("refresh changes nothing")

    apply = delete

    @property
    def requests(self) -> int:
        return len(self.calls)


class Kafka(Recording, ReportsBrokerCount, ReportsRecordCounts, ReportsConsumerPositions):
    name = "kafka"

    def broker_count(self) -> int | None:
        self.calls.append(("broker_count", None))
        return 3

    def topic_records(self, partitions: Mapping[str, int]) -> dict[str, int]:
        self.calls.append(("topic_records", dict(partitions)))
        return {t: 10 for t in partitions}

    def consumer_positions(self, topics: list[str], group_prefixes: tuple[str, ...]) -> dict[str, tuple[GroupLag, ...]]:
        self.calls.append(("consumer_positions", (list(topics), group_prefixes)))
        return {t: (GroupLag("grp.a.x", 1),) for t in topics}


class Registry(Recording, JudgesSchemaCompatibility):
    name = "registry"

    def judge_schemas(self, candidates: list[SchemaCandidate]) -> dict[SchemaCandidate, SchemaVerdict]:
        self.calls.append(("judge_schemas", [(c.subject, c.compatibility) for c in candidates]))
        return {c: SchemaVerdict(False) for c in candidates}


class PlainKafka(Recording):
    """A Kafka provider that declares no capability: it is asked for live attributes only."""

    name = "kafka"


def _topic(name: str, partitions: int) -> dict[str, object]:
    return {"name": name, "partitions": partitions, "replication_factor": 1, "config": {}}


def _subject(name: str, schema: str) -> dict[str, object]:
    return {"subject": name, "schema_type": "JSON", "schema": schema, "compatibility": "BACKWARD"}


def _scoped(resources: list[Resource], prior: State, watched: tuple[str, ...] = ()) -> Scoped:
    return Scoped(resources, prior, {}, watched, ("grp.a.",) if watched else ())


def _world() -> tuple[Scoped, dict[str, dict[str, object]]]:
    """Two topics going (one removed, one shrunk), one kept; a subject whose schema changes."""
    prior = State()
    live: dict[str, dict[str, object]] = {}
    for name, partitions in (("gone", 2), ("shrunk", 4), ("kept", 1)):
        prior.resources[f"kafka_topic.{name}"] = ResourceState("kafka_topic", name, _topic(name, partitions), "p")
        live[f"kafka_topic.{name}"] = _topic(name, partitions)
    live["schema_subject.s"] = _subject("s", '{"type":"object"}')
    desired = [
        Resource("kafka_topic", "shrunk", _topic("shrunk", 1), "p"),
        Resource("kafka_topic", "kept", _topic("kept", 1), "p"),
        Resource("schema_subject", "s", _subject("s", '{"type":"string"}'), "p"),
        Resource("schema_subject", "t", _subject("t", '{"type":"string"}'), "p"),  # new: nothing to judge
    ]
    return _scoped(desired, prior, ("kept", "shrunk")), live


def test_a_plan_of_nothing_asks_nothing() -> None:
    providers = {"kafka": Exploding(), "registry": Exploding(), "aws": Exploding()}
    observed = refresh(_scoped([], State()), providers)  # type: ignore[arg-type]
    assert (observed.live, observed.brokers, observed.records, observed.positions, observed.verdicts) == (
        {},
        None,
        {},
        {},
        {},
    )


def test_every_fact_in_one_request_per_kind() -> None:
    scoped, live = _world()
    kafka, registry = Kafka(live), Registry(live)
    observed = refresh(scoped, {"kafka": kafka, "registry": registry})  # type: ignore[dict-item]
    assert [name for name, _ in kafka.calls] == ["refresh", "topic_records", "consumer_positions", "broker_count"]
    assert kafka.calls[1] == ("topic_records", {"gone": 2, "shrunk": 4})  # the topics the plan may delete
    assert kafka.calls[2] == ("consumer_positions", (["kept", "shrunk"], ("grp.a.",)))
    assert registry.calls == [
        ("refresh", ["schema_subject.s", "schema_subject.t"]),
        ("judge_schemas", [("s", "BACKWARD")]),  # only an update registers next to an existing schema
    ]
    assert observed.records == {"gone": 10, "shrunk": 10} and observed.brokers == 3
    assert observed.positions == {"kept": (GroupLag("grp.a.x", 1),), "shrunk": (GroupLag("grp.a.x", 1),)}
    assert list(observed.verdicts.values()) == [SchemaVerdict(False)]


def test_a_provider_is_asked_only_for_what_it_declares() -> None:
    scoped, live = _world()
    kafka = PlainKafka(live)
    observed = refresh(scoped, {"kafka": kafka, "registry": Registry(live)})  # type: ignore[dict-item]
    assert [name for name, _ in kafka.calls] == ["refresh"]
    assert observed.records == {} and observed.positions == {} and observed.brokers is None


MIGRATING = """
domain "sales" {
  owners { accountable = "s@acme.example" }
}
domain "analytics" {
  owners { accountable = "a@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
}
data_product "orders" {
  domain  = "sales"
  version = 2
  lifecycle {
    replaces = 1
    sunset   = "2099-01-01"
  }
}
access "a" {
  product  = "sales.orders"
  consumer = "analytics"
}
"""


class _Unreachable:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("Kafka was contacted")


def test_plan_of_an_empty_target_contacts_nothing_and_compiles_once(
    mesh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_mesh(mesh_dir, {"main.hcl": MIGRATING})
    monkeypatch.setenv("MESHCTL_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setattr("meshctl.engine.workspace.KafkaClient", _Unreachable)
    compiled: list[str] = []
    real = run_module.compile_desired

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append("x")
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "compile_desired", counting)
    result = run("plan", "--no-color", "--target", "kafka_topic.nothing", "--out", "p.json", ".")
    assert result.exit_code == 0, result.output
    assert "No changes." in result.stdout and "matches no resource or block" in result.stderr
    assert compiled == ["x"]  # scope, plan and the saved plan's fingerprint share one compilation
    # The same plan of everything reads the cluster: the test above can fail.
    everything = run("plan", "--no-color", ".")
    assert everything.exit_code == 1 and "Kafka was contacted" in everything.output


# -- providers are read at the same time ----------------------------------------------------------


class Slow(Recording):
    """A provider whose refresh waits `seconds` (on the network, as it were) and, to prove the
    reads overlap, for every other provider of the `together` barrier to be reading too."""

    def __init__(
        self,
        name: str,
        live: Mapping[str, dict[str, object]],
        seconds: float,
        together: threading.Barrier | None = None,
        fails: Exception | None = None,
    ):
        super().__init__(live)
        self.name, self.seconds, self.together, self.fails = name, seconds, together, fails
        self.finished = threading.Event()

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        if self.together is not None:
            self.together.wait()
        time.sleep(self.seconds)
        self.finished.set()
        if self.fails is not None:
            raise self.fails
        return super().refresh(managed)


def _two_providers() -> tuple[Scoped, dict[str, dict[str, object]]]:
    """Topics (Kafka) and subjects (the registry), declared and live."""
    live = {f"kafka_topic.t{i}": _topic(f"t{i}", 1) for i in range(3)}
    live.update({f"schema_subject.s{i}": _subject(f"s{i}", '{"type":"object"}') for i in range(3)})
    desired = [Resource("kafka_topic", f"t{i}", _topic(f"t{i}", 1), "p") for i in range(3)]
    desired += [Resource("schema_subject", f"s{i}", _subject(f"s{i}", '{"type":"object"}'), "p") for i in range(3)]
    return _scoped(desired, State()), live


def test_providers_are_read_at_once_so_the_slowest_sets_the_pace() -> None:
    scoped, live = _two_providers()
    together = threading.Barrier(2, timeout=5)  # read one after the other, the first would wait here in vain
    providers = {"kafka": Slow("kafka", live, 1.0, together), "registry": Slow("registry", live, 0.6, together)}
    started = time.monotonic()
    observed = refresh(scoped, providers)  # type: ignore[arg-type]
    took = time.monotonic() - started
    assert 1.0 <= took < 1.5  # about the slowest (1 s), not the sum (1.6 s)
    assert observed.live == live


def test_what_providers_read_is_merged_in_the_same_order_whoever_finishes_first() -> None:
    scoped, live = _two_providers()
    sequential = refresh(scoped, {"kafka": Recording(live), "registry": Recording(live)})  # type: ignore[dict-item]
    for kafka_s, registry_s in ((0.2, 0.0), (0.0, 0.2)):
        providers = {"kafka": Slow("kafka", live, kafka_s), "registry": Slow("registry", live, registry_s)}
        observed = refresh(scoped, providers)  # type: ignore[arg-type]
        assert list(observed.live.items()) == list(sequential.live.items())


def test_the_first_provider_that_fails_is_reported_as_read_one_after_the_other() -> None:
    scoped, live = _two_providers()
    # The registry fails first, but Kafka (read first) fails too: Kafka's error, as before.
    providers = {
        "kafka": Slow("kafka", live, 0.2, fails=MeshError("kafka is down")),
        "registry": Slow("registry", live, 0.0, fails=MeshError("registry is down")),
    }
    with pytest.raises(MeshError, match="kafka is down"):
        refresh(scoped, providers)  # type: ignore[arg-type]
    # Kafka answers: the registry's error.
    providers = {
        "kafka": Slow("kafka", live, 0.1),
        "registry": Slow("registry", live, 0.0, fails=MeshError("registry is down")),
    }
    with pytest.raises(MeshError, match="registry is down"):
        refresh(scoped, providers)  # type: ignore[arg-type]


def test_a_failure_is_reported_without_waiting_for_providers_read_after_it() -> None:
    scoped, live = _two_providers()
    registry = Slow("registry", live, 3.0)
    providers = {"kafka": Slow("kafka", live, 0.0, fails=MeshError("kafka is down")), "registry": registry}
    started = time.monotonic()
    with pytest.raises(MeshError, match="kafka is down"):
        refresh(scoped, providers)  # type: ignore[arg-type]
    assert time.monotonic() - started < 1.5 and not registry.finished.is_set()


def test_a_signal_stops_a_refresh_waiting_on_providers_at_once() -> None:
    scoped, live = _two_providers()
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    interrupt.reset()
    interrupt.install()
    try:
        providers = {"kafka": Slow("kafka", live, 3.0), "registry": Slow("registry", live, 3.0)}
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        with pytest.raises(interrupt.Interrupted):
            refresh(scoped, providers)  # type: ignore[arg-type]
        assert time.monotonic() - started < 1.5  # not the 3 s the providers still take
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        interrupt.reset()


def test_schema_candidates_are_those_the_whole_plan_would_register_moves_included() -> None:
    """facts_wanted diffs the subjects alone: the same candidates as a diff of everything."""
    prior = State()
    live: dict[str, dict[str, object]] = {}
    recorded = (
        ("schema_subject.old", "s"),
        ("schema_subject.gone", "g"),
        ("schema_subject.gone2", "g"),
        ("schema_subject.u", "u"),
    )
    for address, subject in recorded:
        prior.resources[address] = ResourceState("schema_subject", subject, _subject(subject, '{"type":"object"}'), "p")
        live[address] = _subject(subject, '{"type":"object"}')
    prior.resources["kafka_topic.t"] = ResourceState("kafka_topic", "t", _topic("t", 1), "p")
    live["kafka_topic.t"] = _topic("t", 1)
    desired = [
        Resource("schema_subject", "new", _subject("s", '{"type":"string"}'), "p"),  # same subject: a move
        Resource("schema_subject", "moved", _subject("g", '{"type":"string"}'), "p"),  # a moved block (of two)
        Resource("schema_subject", "u", _subject("u", '{"type":"string"}'), "p"),
        Resource("schema_subject", "n", _subject("n", '{"type":"string"}'), "p"),  # new: nothing to judge
        Resource("kafka_topic", "t", _topic("t", 2), "p"),
    ]
    scoped = Scoped(desired, prior, {"schema_subject.gone": "schema_subject.moved"}, (), ())
    whole = diff(scoped.resources, scoped.prior, live, PlanOptions(), scoped.moved)
    expected = sorted({c for c in map(_schema_candidate, whole.changes) if c is not None}, key=_candidate_key)
    assert [c.subject for c in expected] == ["g", "s", "u"]
    assert facts_wanted(scoped, live)[1] == expected
