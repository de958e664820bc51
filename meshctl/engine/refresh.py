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
from typing import TypeVar

from meshctl.plan.build import Scoped, facts_wanted
from meshctl.plan.observed import GroupLag, Observed, SchemaCandidate, SchemaVerdict
from meshctl.providers.base import (
    JudgesSchemaCompatibility,
    Managed,
    Provider,
    ReportsBrokerCount,
    ReportsConsumerPositions,
    ReportsRecordCounts,
)
from meshctl.resources import RESOURCE_TYPES, Resource
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


def read_live(desired: list[Resource], prior: State, providers: Mapping[str, Provider]) -> dict[str, dict[str, object]]:
    """Live attributes by address: of the managed resources that exist, and of whatever else the
    providers' listings showed (topics, ACLs, SCRAM users, subjects nobody declared), which the
    planner sorts into escalations to revert and unmanaged objects to list (plan.outside)."""
    by_provider: dict[str, list[Managed]] = defaultdict(list)
    for m in managed_resources(desired, prior):
        by_provider[RESOURCE_TYPES[m.type].provider].append(m)
    read = concurrently({name: partial(providers[name].refresh, managed) for name, managed in by_provider.items()})
    actual: dict[str, dict[str, object]] = {}
    for live in read.values():  # in the order the providers were first needed: a deterministic merge
        actual.update(live)
    return actual


def refresh(scoped: Scoped, providers: Mapping[str, Provider]) -> Observed:
    """Every fact the plan of `scoped` needs (plan.build.scope_plan says what is in scope)."""
    live = read_live(scoped.resources, scoped.prior, providers)
    at_stake, candidates = facts_wanted(scoped, live)
    topics = providers.get(RESOURCE_TYPES["kafka_topic"].provider)
    subjects = providers.get(RESOURCE_TYPES["schema_subject"].provider)
    records: dict[str, int] = {}
    if at_stake and isinstance(topics, ReportsRecordCounts):
        records = topics.topic_records(at_stake)
    positions: dict[str, tuple[GroupLag, ...]] = {}
    if scoped.watched and scoped.group_prefixes and isinstance(topics, ReportsConsumerPositions):
        positions = topics.consumer_positions(list(scoped.watched), scoped.group_prefixes)
    verdicts: dict[SchemaCandidate, SchemaVerdict] = {}
    if candidates and isinstance(subjects, JudgesSchemaCompatibility):
        verdicts = subjects.judge_schemas(candidates)
    brokers = None  # what the connection learnt; asked only when topics are in scope
    if any(r.type == "kafka_topic" for r in scoped.resources) and isinstance(topics, ReportsBrokerCount):
        brokers = topics.broker_count()
    return Observed(live, brokers, records, positions, verdicts)
