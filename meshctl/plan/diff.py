"""diff(desired, prior, actual) -> Plan. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from meshctl.plan.model import CREATE, DELETE, NOOP, Plan, ResourceChange
from meshctl.resources import RESOURCE_TYPES, Resource
from meshctl.state.model import State


@dataclass(frozen=True)
class PlanOptions:
    allow_replace: bool = False  # replacing a topic loses its data
    allow_delete_data: bool = False  # deleting a topic that left the configuration
    force_retire: bool = False  # retire a version although consumer groups still have offsets on it


def diff(
    desired: list[Resource],
    prior: State,
    actual: Mapping[str, Mapping[str, object]],
    options: PlanOptions = PlanOptions(),
) -> Plan:
    plan = Plan(state_serial=prior.serial, state_lineage=prior.lineage)
    wanted = {r.address: r for r in desired}
    for address in sorted(wanted):
        r = wanted[address]
        rtype = RESOURCE_TYPES[r.type]
        live = actual.get(address)
        if live is None:
            after = rtype.effective(r.attributes, None)
            plan.changes.append(_change(r, CREATE, None, after))
            continue
        verdict = rtype.compare(r.attributes, live)
        after = rtype.effective(r.attributes, live)
        blocked = ""
        if verdict.actions == ("delete", "create") and rtype.holds_data and not options.allow_replace:
            blocked = "replacing it deletes its data: pass --allow-replace to proceed"
        plan.changes.append(_change(r, verdict.actions, dict(live), after, verdict.reason, blocked))
    for address in sorted(set(prior.resources) - set(wanted)):
        old = prior.resources[address]
        live = actual.get(address)
        if live is None:
            plan.forgotten.append(address)
            continue
        rtype = RESOURCE_TYPES[old.type]
        blocked = ""
        if rtype.holds_data and not options.allow_delete_data:
            blocked = (
                "deleting it loses its data: pass --allow-delete-topics, or `meshctl state rm` to stop managing it"
            )
        plan.changes.append(
            ResourceChange(
                address,
                old.type,
                old.name,
                old.source,
                DELETE,
                dict(live),
                None,
                old.depends_on,
                f"{old.source} is no longer in the configuration",
                blocked,
                old.domain,
                module=old.module,
            )
        )
    return plan


def _change(
    r: Resource, actions: tuple[str, ...], before: dict | None, after: dict, reason: str = "", blocked: str = ""
) -> ResourceChange:
    return ResourceChange(
        r.address,
        r.type,
        r.name,
        r.source,
        actions,
        before,
        after,
        r.depends_on,
        reason,
        blocked,
        r.domain,
        module=r.module,
    )


__all__ = ["diff", "PlanOptions", "NOOP"]
