"""Refresh: the only I/O before a plan. It gathers every fact the planner reads, each in a
constant number of requests, and only what the scope needs: a plan of nothing asks nothing.

First the live attributes of the resources in scope (each provider reads its own in batches);
then, from those, the facts a plan rests on, each asked of the provider that declares the
capability (providers.base): the records of the topics the plan may delete or replace, the
consumer positions on versions in migration, the registry's verdict on each schema an update
would register, and the broker count the connection learnt.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import partial
from typing import TypeVar, cast

from meshctl.errors import MeshError
from meshctl.plan.build import Scoped, facts_wanted
from meshctl.plan.observed import GroupLag, Observed, SchemaCandidate, SchemaVerdict
from meshctl.providers.base import (
    JudgesSchemaCompatibility,
    Managed,
    Provider,
    RefreshesAhead,
    ReportsBrokerCount,
    ReportsConsumerPositions,
    ReportsRecordCounts,
)
from meshctl.resources import Resource, provider_of
from meshctl.state_model import State

T = TypeVar("T")


def concurrently(calls: Mapping[str, Callable[[], T]]) -> dict[str, T]:
    """Each call in a thread of its own, so the slowest provider sets the pace, not the sum of
    them: they wait on the network (confluent-kafka, botocore and the registry's HTTP client
    release the GIL while they do). One call runs in the calling thread.

    Results come back by name in the order of `calls`, whatever order they finish in; so do
    errors: the first call in that order that failed raises its exception, once those before
    it are done, as calling them one after another would have. Calls after it are not waited
    for. The threads are daemons and the caller waits in `join`, which a signal interrupts
    (meshctl.interrupt raises it in the main thread): Ctrl-C ends a refresh at once, without
    waiting for a broker that does not answer.
    """
    if len(calls) <= 1:
        return {name: call() for name, call in calls.items()}
    results: dict[str, T] = {}
    errors: dict[str, BaseException] = {}

    def run(name: str, call: Callable[[], T]) -> None:
        try:
            results[name] = call()
        except BaseException as exc:  # handed to the caller, which raises it
            errors[name] = exc

    threads = {
        name: threading.Thread(target=run, args=(name, call), name=f"meshctl-read-{name}", daemon=True)
        for name, call in calls.items()
    }
    for thread in threads.values():
        thread.start()
    out: dict[str, T] = {}
    for name, thread in threads.items():
        thread.join()
        if name in errors:
            raise errors[name]
        out[name] = results[name]
    return out


def managed_resources(desired: list[Resource], prior: State) -> list[Managed]:
    """Everything a plan must look at: desired resources and those recorded in state."""
    recorded = {address: rs.attributes for address, rs in prior.resources.items()}
    out = {r.address: Managed(r.address, r.type, r.attributes, recorded.get(r.address)) for r in desired}
    for address, rs in prior.resources.items():
        out.setdefault(address, Managed(address, rs.type, rs.attributes, rs.attributes))
    return list(out.values())


class ReadAhead:
    """The live attributes of the resources state recorded, read from one provider in a thread
    of its own from the moment state is known, while the configuration compiles (~1 s of CPU at
    10,000 products that the broker's answer no longer waits behind). `result_for` keeps what it
    read when the compiled list of managed resources has the same refresh keys; otherwise it is
    read again, as without read-ahead. An error it met (unreachable, refused) is raised then."""

    def __init__(self, name: str, provider: Provider, key: Callable[[Managed], tuple[object, ...]], prior: State):
        managed = [m for m in managed_resources([], prior) if provider_of(m.type, m.address) == name]
        self._provider = provider
        self._key = key
        self._keys = sorted(map(_comparable, map(key, managed)))
        self._outcome: list[dict[str, dict[str, object]]] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, args=(managed,), name="meshctl-read-ahead", daemon=True)
        self._thread.start()

    def _read(self, managed: list[Managed]) -> None:
        try:
            self._outcome.append(self._provider.refresh(managed))
        except BaseException as exc:  # raised in the thread that takes the result
            self._error = exc

    def result_for(
        self, managed: list[Managed], read: Callable[[], dict[str, dict[str, object]]]
    ) -> dict[str, dict[str, object]]:
        same = sorted(map(_comparable, map(self._key, managed))) == self._keys
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._outcome[0] if same else read()


def _comparable(key: tuple[object, ...]) -> tuple[str, ...]:
    return tuple("" if part is None else str(part) for part in key)


def read_ahead(prior: State, providers: Mapping[str, Provider]) -> dict[str, ReadAhead]:
    """A read-ahead of every provider that can, for the resources `prior` records of it."""
    recorded = {provider_of(rs.type, address) for address, rs in prior.resources.items()}
    return {
        name: ReadAhead(name, provider, provider.refresh_key, prior)
        for name, provider in providers.items()
        if name in recorded and isinstance(provider, RefreshesAhead)
    }


def read_live(
    desired: list[Resource],
    prior: State,
    providers: Mapping[str, Provider],
    ahead: Mapping[str, ReadAhead] | None = None,
) -> dict[str, dict[str, object]]:
    """Live attributes by address: of the managed resources that exist, and of whatever else the
    providers' listings showed (topics, ACLs, SCRAM users, subjects nobody declared), which the
    planner sorts into escalations to revert and unmanaged objects to list (plan.outside)."""
    by_provider: dict[str, list[Managed]] = defaultdict(list)
    for m in managed_resources(desired, prior):
        by_provider[provider_of(m.type, m.address)].append(m)
    ahead = ahead or {}
    calls: dict[str, Callable[[], dict[str, dict[str, object]]]] = {}
    for name, managed in by_provider.items():
        fresh = partial(provider_named(providers, name).refresh, managed)
        calls[name] = partial(ahead[name].result_for, managed, fresh) if name in ahead else fresh
    read = concurrently(calls)
    actual: dict[str, dict[str, object]] = {}
    for live in read.values():  # in the order the providers were first needed: a deterministic merge
        actual.update(live)
    return actual


def provider_named(providers: Mapping[str, Provider], name: str) -> Provider:
    """The provider `name` (`kafka.eu`: cluster eu's); a clear error when state holds objects of
    a cluster the configuration no longer declares."""
    provider = providers.get(name)
    if provider is not None:
        return provider
    kind, _, cluster = name.partition(".")
    block = "kafka" if kind == "kafka" else "schema_registry"
    raise MeshError(
        f'state holds objects on cluster "{cluster}", which the configuration does not declare: declare '
        f'{block} "{cluster}" {{ ... }} again so meshctl can reach them (to delete or keep them), '
        f"or remove them from state with meshctl state rm"
    )


def refresh(
    scoped: Scoped, providers: Mapping[str, Provider], ahead: Mapping[str, ReadAhead] | None = None
) -> Observed:
    """Every fact the plan of `scoped` needs (plan.build.scope_plan says what is in scope).
    With several clusters each fact is asked of the cluster (or registry) that holds its
    objects, all of them at once: a constant number of requests per cluster."""
    live = read_live(scoped.resources, scoped.prior, providers, ahead)
    at_stake, candidates = facts_wanted(scoped, live)
    # topic or subject name -> the providers holding it; with one cluster, the default ones
    several = any("." in name for name in providers)
    where = _clusters_of(scoped, live) if several else {}
    kafkas = sorted({p for ps in where.values() for p in ps if p.startswith("kafka")} | {"kafka"})
    registries = sorted({p for ps in where.values() for p in ps if p.startswith("registry")} | {"registry"})
    asks: dict[str, list[tuple[str, Callable[[], object]]]] = defaultdict(list)  # provider -> its questions
    for name in kafkas:
        topics = providers.get(name)
        mine = {t: n for t, n in at_stake.items() if name in where.get(t, {"kafka"})}
        if mine and isinstance(topics, ReportsRecordCounts):
            asks[name].append(("records", partial(topics.topic_records, mine)))
        watched = [t for t in scoped.watched if name in where.get(t, {"kafka"})]
        if watched and scoped.group_prefixes and isinstance(topics, ReportsConsumerPositions):
            asks[name].append(("positions", partial(topics.consumer_positions, watched, scoped.group_prefixes)))
    for name in registries:
        subjects = providers.get(name)
        judged = [c for c in candidates if name in where.get(c.subject, {"registry"})]
        if judged and isinstance(subjects, JudgesSchemaCompatibility):
            asks[name].append(("verdicts", partial(subjects.judge_schemas, judged)))
    # Each provider answers its questions in turn; the providers, at once.
    answers = concurrently({name: partial(_ask, questions) for name, questions in asks.items()})
    records: dict[str, int] = {}
    positions: dict[str, tuple[GroupLag, ...]] = {}
    verdicts: dict[SchemaCandidate, SchemaVerdict] = {}
    for answered in answers.values():
        for what, value in answered:
            if what == "records":
                for topic, count in cast("dict[str, int]", value).items():
                    records[topic] = max(count, records.get(topic, 0))  # a name on two clusters: the fuller
            elif what == "positions":
                for topic, lags in cast("dict[str, tuple[GroupLag, ...]]", value).items():
                    positions[topic] = positions.get(topic, ()) + lags
            else:
                verdicts.update(cast("dict[SchemaCandidate, SchemaVerdict]", value))
    brokers: int | None = None  # what the connections learnt; asked only when topics are in scope
    if any(r.type == "kafka_topic" for r in scoped.resources):
        # Several clusters: the smallest, so a replication factor is checked against every one.
        known: list[int] = []
        for name in kafkas:
            counter = providers.get(name)
            found = counter.broker_count() if isinstance(counter, ReportsBrokerCount) else None
            if found:
                known.append(found)
        brokers = min(known) if known else None
    return Observed(live, brokers, records, positions, verdicts)


def _ask(questions: list[tuple[str, Callable[[], object]]]) -> list[tuple[str, object]]:
    return [(what, call()) for what, call in questions]


def _clusters_of(scoped: Scoped, live: Mapping[str, Mapping[str, object]]) -> dict[str, set[str]]:
    """Each topic and subject name -> the providers whose objects carry it (desired, recorded
    or live): where its records, consumers or schema verdicts are asked for."""
    out: dict[str, set[str]] = defaultdict(set)

    def note(type_: str, address: str, attributes: Mapping[str, object]) -> None:
        if type_ == "kafka_topic":
            out[str(attributes.get("name"))].add(provider_of(type_, address))
        elif type_ == "schema_subject":
            out[str(attributes.get("subject"))].add(provider_of(type_, address))

    for r in scoped.resources:
        note(r.type, r.address, r.attributes)
    for address, rs in scoped.prior.resources.items():
        note(rs.type, address, rs.attributes)
    for address, attributes in live.items():
        note(address.split(".", 1)[0], address, attributes)
    return out
