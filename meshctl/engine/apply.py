"""Apply a plan: deletes in reverse dependency order, then creates and updates in
dependency order, each wave batched per provider. State is written after every wave,
and a failure stops only the changes that depend on it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from meshctl.plan.model import Plan, ResourceChange
from meshctl.providers.base import ChangeResult, Provider
from meshctl.resources import RESOURCE_TYPES
from meshctl.state.model import ResourceState, State


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


def _levels(changes: list[ResourceChange], deps: Callable[[ResourceChange], list[str]]) -> list[list[ResourceChange]]:
    """Group changes into waves: a change runs after every change it depends on."""
    by_address = {c.address: c for c in changes}
    level: dict[str, int] = {}

    def depth(c: ResourceChange, trail: frozenset[str]) -> int:
        if c.address in level:
            return level[c.address]
        inner = [by_address[d] for d in deps(c) if d in by_address and d not in trail]
        level[c.address] = 1 + max((depth(d, trail | {c.address}) for d in inner), default=-1)
        return level[c.address]

    for c in changes:
        depth(c, frozenset())
    waves: list[list[ResourceChange]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for c in changes:
        waves[level[c.address]].append(c)
    return waves


def apply_plan(
    plan: Plan,
    state: State,
    providers: Mapping[str, Provider],
    persist: Callable[[State], None],
    hooks: ApplyHooks,
    adopt: Mapping[str, ResourceState] | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> ApplyResult:
    """`stop_requested` is read before each wave: a run asked to stop finishes the wave in
    flight and starts no other. A KeyboardInterrupt inside a wave stops at once: what finished
    is recorded, and the changes in flight are reported as unknown."""
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

    changes = plan.actionable
    deletes = [c for c in changes if "delete" in c.actions]
    upserts = [c for c in changes if c.actions != ("delete",)]
    failed: set[str] = set()

    # A resource is deleted after everything that depends on it.
    dependents: dict[str, list[str]] = {}
    for c in deletes:
        for d in c.depends_on:
            dependents.setdefault(d, []).append(c.address)
    waves: list[tuple[str, list[ResourceChange], Callable[[ResourceChange], list[str]]]] = [
        ("delete", wave, lambda c: dependents.get(c.address, []))
        for wave in reversed(_levels(deletes, lambda c: [d for d in c.depends_on]))
    ]
    waves += [
        ("apply", wave, lambda c: list(c.depends_on) + ([c.address] if c.is_replace else []))
        for wave in _levels(upserts, lambda c: list(c.depends_on))
    ]
    try:
        for verb, wave, blockers in waves:
            if stop_requested():
                result.interrupted = True
                break
            _run_wave(verb, wave, blockers, providers, state, persist, hooks, result, failed)
    except KeyboardInterrupt:
        result.interrupted = True
        result.in_flight = [a for a in result.in_flight if a not in result.done and a not in result.failed]
        persist(state)  # what finished before the signal is recorded
    handled = {*result.done, *result.failed, *result.skipped, *result.in_flight}
    result.not_started = [c.address for c in changes if c.address not in handled]
    return result


def _run_wave(
    verb: str,
    wave: list[ResourceChange],
    blockers: Callable[[ResourceChange], list[str]],
    providers: Mapping[str, Provider],
    state: State,
    persist: Callable[[State], None],
    hooks: ApplyHooks,
    result: ApplyResult,
    failed: set[str],
) -> None:
    runnable = []
    for c in wave:
        blocking = [b for b in blockers(c) if b in failed]
        if blocking:
            because = f"{blocking[0]} failed"
            result.skipped[c.address] = because
            failed.add(c.address)
            hooks.change_skipped(c, because)
        else:
            runnable.append(c)
    if not runnable:
        return
    result.in_flight = [c.address for c in runnable]
    hooks.wave_started(verb, runnable)
    by_provider: dict[str, list[ResourceChange]] = {}
    for c in runnable:
        by_provider.setdefault(RESOURCE_TYPES[c.type].provider, []).append(c)
    by_address = {c.address: c for c in runnable}
    for name, batch in by_provider.items():
        provider = providers[name]
        started = time.monotonic()
        try:
            outcomes = provider.delete(batch) if verb == "delete" else provider.apply(batch)
        except Exception as exc:  # a provider-wide failure (e.g. the broker went away) fails the batch
            message = str(exc) or type(exc).__name__
            outcomes = [ChangeResult(c.address, message) for c in batch]
        elapsed = time.monotonic() - started
        for outcome in outcomes:
            change = by_address[outcome.address]
            if outcome.ok:
                _record(verb, change, outcome, state, result)
            else:
                failed.add(change.address)
                result.failed[change.address] = outcome.error
            hooks.change_done(verb, change, outcome, elapsed)
        persist(state)
    result.in_flight = []


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
