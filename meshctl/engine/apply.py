"""Apply a plan: deletes in reverse dependency order, then creates and updates in
dependency order (the walk in engine.walk), each round batched per provider. State is
written after every batch, and a failure stops only the changes that depend on it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from meshctl.engine.refresh import provider_named
from meshctl.engine.walk import DELETE, Round, Walk
from meshctl.plan.model import Plan, ResourceChange
from meshctl.providers.base import ChangeResult as ChangeResult  # in ApplyHooks: the CLI imports it from here
from meshctl.providers.base import Provider
from meshctl.resources import provider_of
from meshctl.state_model import ResourceState, State


class ApplyHooks(Protocol):
    def wave_started(self, verb: str, changes: list[ResourceChange]) -> None: ...

    def change_done(self, verb: str, change: ResourceChange, result: ChangeResult, elapsed_s: float) -> None: ...

    def change_skipped(self, change: ResourceChange, because: str) -> None: ...


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "changed": 0, "destroyed": 0})
    interrupted: bool = False  # a signal stopped the run before every change was tried
    in_flight: list[str] = field(default_factory=list)  # sent when the run was cut short: outcome unknown
    not_started: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.interrupted


def apply_plan(
    plan: Plan,
    state: State,
    providers: Mapping[str, Provider],
    persist: Callable[[State], None],
    hooks: ApplyHooks,
    adopt: Mapping[str, ResourceState] | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> ApplyResult:
    """`stop_requested` is read before each round: a run asked to stop finishes the round in
    flight and starts no other. A KeyboardInterrupt inside a round stops at once: what finished
    is recorded, and the changes in flight are reported as unknown.

    A dependency cycle raises DependencyCycle before anything is applied or recorded."""
    walk = Walk(plan.changes)
    result = ApplyResult()
    # Bring state up to date with what refresh saw before changing anything.
    for address in plan.forgotten:
        state.resources.pop(address, None)
    # Moves rewrite state only: the object stays, its address changes (before any update to it).
    for c in plan.moves:
        _move(c, state)
    for address, rs in (adopt or {}).items():
        state.resources[address] = rs
    if plan.forgotten or adopt or plan.moves:
        persist(state)

    try:
        while (step := walk.next_round()) is not None:
            if stop_requested():
                result.interrupted = True
                break
            _run_round(step, walk, providers, state, persist, hooks, result)
    except KeyboardInterrupt:
        result.interrupted = True
        result.in_flight = [a for a in result.in_flight if a not in result.done and a not in result.failed]
        persist(state)  # what finished before the signal is recorded
    handled = {*result.done, *result.failed, *result.skipped, *result.in_flight}
    result.not_started = [c.address for c in plan.actionable if c.address not in handled]
    return result


def _run_round(
    step: Round,
    walk: Walk,
    providers: Mapping[str, Provider],
    state: State,
    persist: Callable[[State], None],
    hooks: ApplyHooks,
    result: ApplyResult,
) -> None:
    """One round: its changes batched per provider, state written after each batch."""
    for change, cause in step.skipped:
        because = f"{cause} failed"
        result.skipped[change.address] = because
        hooks.change_skipped(change, because)
    if not step.changes:
        return
    verb = step.verb
    result.in_flight = [c.address for c in step.changes]
    hooks.wave_started(verb, list(step.changes))
    by_provider: dict[str, list[ResourceChange]] = {}
    for c in step.changes:
        by_provider.setdefault(provider_of(c.type, c.address), []).append(c)
    for name, batch in by_provider.items():
        provider = provider_named(providers, name)
        started = time.monotonic()
        try:
            outcomes = provider.delete(batch) if verb == DELETE else provider.apply(batch)
        except Exception as exc:  # a provider-wide failure (e.g. the broker went away) fails the batch
            message = str(exc) or type(exc).__name__
            outcomes = [ChangeResult(c.address, message) for c in batch]
        elapsed = time.monotonic() - started
        by_address = {c.address: c for c in batch}
        for outcome in outcomes:
            if outcome.address not in by_address:
                continue  # not one of this batch's changes (or reported twice): nothing to record
            change = by_address.pop(outcome.address)
            _finish(verb, change, outcome, state, result, walk)
            hooks.change_done(verb, change, outcome, elapsed)
        for change in by_address.values():  # a provider that says nothing about a change: it failed
            outcome = ChangeResult(change.address, f"the {name} provider reported no outcome")
            _finish(verb, change, outcome, state, result, walk)
            hooks.change_done(verb, change, outcome, elapsed)
        persist(state)
    result.in_flight = []


def _finish(
    verb: str, change: ResourceChange, outcome: ChangeResult, state: State, result: ApplyResult, walk: Walk
) -> None:
    if outcome.ok:
        _record(verb, change, outcome, state, result)
    else:
        result.failed[change.address] = outcome.error
    walk.finished(change.address, outcome.ok)


def _move(change: ResourceChange, state: State) -> None:
    """Re-address the recorded object; a later step of the same apply may update it."""
    old = state.resources.pop(change.previous_address, None)
    if old is None:
        return
    state.resources[change.address] = ResourceState(
        change.type,
        change.name,
        dict(old.attributes),
        change.source,
        change.depends_on,
        change.domain,
        change.module,
        change.protected_at,
    )


def _record(verb: str, change: ResourceChange, outcome: ChangeResult, state: State, result: ApplyResult) -> None:
    if verb == "delete":
        state.resources.pop(change.address, None)
        if change.retire and change.type == "kafka_topic":
            state.retired[str((change.before or {}).get("name", change.name))] = date.today().isoformat()
        if change.is_delete:
            result.counts["destroyed"] += 1
            result.done.append(change.address)
        return
    attributes = dict(outcome.attributes or change.after or {})
    state.resources[change.address] = ResourceState(
        change.type,
        change.name,
        attributes,
        change.source,
        change.depends_on,
        change.domain,
        change.module,
        change.protected_at,
    )
    result.done.append(change.address)
    if "create" in change.actions:
        result.counts["added"] += 1
        if change.is_replace:
            result.counts["destroyed"] += 1
    else:
        result.counts["changed"] += 1
