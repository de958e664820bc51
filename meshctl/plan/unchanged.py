"""Unchanged resources in a plan (actions `["no-op"]`): the records apply still writes for
some of them, and which of them a JSON plan or a saved plan may leave out.

A plan of 10,000 products that changes nothing holds ~25,000 no-op entries: listed in full,
its JSON and a saved plan are ~30 MB. Apply acts on none of them, but it reads three kinds:

- a move (a `previous_address`): state's record is re-addressed;
- a record to bring up to date: an object adopted (not in state yet), or one whose block,
  domain, dependencies or protection changed (`records_to_update`);
- a link in the dependency chain between two changes: the walk (engine.walk) orders and
  stops changes through unchanged resources, so a change that depends on another only
  through an unchanged resource still waits for it, and is skipped if it fails.

`listed` keeps those and every change; the rest are left out unless `plan --full` asks. A
saved plan applies only to the state it was made from (serial and lineage), so what apply
reads of a listed plan is what it would have read of the full one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from meshctl.plan.model import Plan, ResourceChange
from meshctl.state_model import ResourceState, State


def records_to_update(plan: Plan, state: State) -> dict[str, ResourceState]:
    """The records apply writes for the plan's unchanged resources (address -> record): adopted
    when state does not hold them yet, and with the block, domain, dependencies and protection
    the configuration now gives them; nothing for those state already records so."""
    out = {}
    for c in plan.changes:
        if not c.is_noop:
            continue
        known = state.resources.get(c.address) or state.resources.get(c.previous_address)
        if known is not None and _same_record(c, known):
            continue
        attributes = dict(known.attributes) if known else dict(c.after or {})
        out[c.address] = ResourceState(
            c.type, c.name, attributes, c.source, c.depends_on, c.domain, c.module, c.protected_at
        )
    return out


def _same_record(c: ResourceChange, known: ResourceState) -> bool:
    """Whether state's record is the one apply would write (its attributes are kept as they are)."""
    return (known.type, known.name, known.source, known.depends_on, known.domain, known.module, known.protected_at) == (
        c.type,
        c.name,
        c.source,
        c.depends_on,
        c.domain,
        c.module,
        c.protected_at,
    )


def listed(plan: Plan, prior: State) -> Plan:
    """The plan with the unchanged resources apply does not read left out; `prior` is the
    state the plan was made from."""
    needed = {c.address for c in plan.changes if not c.is_noop or c.previous_address or c.blocked}
    needed.update(records_to_update(plan, prior))
    needed.update(links(plan.changes))
    if len(needed) == len(plan.changes):
        return plan
    return replace(plan, changes=[c for c in plan.changes if c.address in needed])


def links(changes: Iterable[ResourceChange]) -> set[str]:
    """The unchanged resources on a dependency path from one change to another: each depends
    (transitively) on a change and some change depends (transitively) on it."""
    listed_changes = list(changes)
    acting = [c.address for c in listed_changes if not c.is_noop]
    if not acting:
        return set()
    known = {c.address for c in listed_changes}
    depends: dict[str, list[str]] = {}
    dependents: dict[str, list[str]] = {}
    for c in listed_changes:
        deps = [d for d in dict.fromkeys(c.depends_on) if d in known]
        depends[c.address] = deps
        for d in deps:
            dependents.setdefault(d, []).append(c.address)
    below = _reached(acting, depends)  # what the changes depend on
    above = _reached(acting, dependents)  # what depends on the changes
    return (below & above) - set(acting)


def _reached(starts: Iterable[str], edges: Mapping[str, list[str]]) -> set[str]:
    """The nodes one or more edges away from `starts`."""
    seen: set[str] = set()
    todo = [n for s in starts for n in edges.get(s, ())]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen
