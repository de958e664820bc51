"""Drift: what changed out of band since meshctl last applied. Pure.

Three kinds: a recorded resource changed (including what was added next to it: another
SCRAM mechanism, a password that no longer logs in, an attached IAM policy), a recorded
resource is gone, and a live object nobody declared sits inside meshctl's territory (a topic
under a domain's prefix, an ACL that reaches a managed topic, group or namespace, an ACL of
a managed principal that no grant explains: see plan.outside).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl.address import Address
from meshctl.plan.details import policy_changes, schema_changes
from meshctl.plan.model import PolicyChange, SchemaChange
from meshctl.plan.outside import Territory, escalations, outside
from meshctl.resources import RESOURCE_TYPES
from meshctl.state_model import State

CHANGED, DELETED, UNMANAGED = "changed", "deleted", "unmanaged"


@dataclass(frozen=True)
class DriftItem:
    kind: str
    address: str
    type: str
    domain: str
    recorded: Mapping[str, object] | None
    live: Mapping[str, object] | None
    detail: str = ""
    # What a changed schema or policy document gained and lost, as in a plan (plan.details).
    schema_changes: tuple[SchemaChange, ...] | None = None
    policy_changes: tuple[PolicyChange, ...] = ()
    name: str = ""  # the resource's name in its block (`resource "TYPE" "NAME"`)


@dataclass
class DriftReport:
    items: list[DriftItem] = field(default_factory=list)
    managed: int = 0

    @property
    def has_drift(self) -> bool:
        return bool(self.items)

    def count(self, kind: str) -> int:
        return sum(1 for i in self.items if i.kind == kind)


def detect_drift(
    prior: State,
    actual: Mapping[str, Mapping[str, object]],
    inventory: Mapping[str, Mapping[str, object]],
    namespaces: Mapping[str, str],
    declared: set[str],
    territory: Territory | None = None,
    scope: frozenset[str] = frozenset(),
) -> DriftReport:
    """prior: state; actual: refresh of the recorded resources; inventory: everything live;
    namespaces: domain -> topic prefix (`commerce.sales.`); declared: addresses in config;
    territory: what meshctl owns (plan.outside), by default the namespaces and domain principals;
    scope: the domains of a `--domain` report (empty: all)."""
    report = DriftReport(managed=len(prior.resources))
    for address in sorted(prior.resources):
        rs = prior.resources[address]
        live = actual.get(address)
        if live is None:
            report.items.append(DriftItem(DELETED, address, rs.type, rs.domain, rs.attributes, None, name=rs.name))
            continue
        recorded = {k: v for k, v in rs.attributes.items() if k in live}
        rtype = RESOURCE_TYPES[rs.type]
        if rtype.compare(recorded, live).actions != ("no-op",):
            detail = "; ".join(escalations(live))
            report.items.append(
                DriftItem(
                    CHANGED,
                    address,
                    rs.type,
                    rs.domain,
                    recorded,
                    dict(live),
                    detail,
                    schema_changes(rs.type, recorded, live),
                    policy_changes(recorded, live),
                    rs.name,
                )
            )
    t = territory or Territory(dict(namespaces), principals={f"User:{d}": d for d in namespaces})
    _, found = outside(t, inventory, set(prior.resources) | declared, scope)
    for u in found:
        detail = u.detail + ("; `meshctl plan` deletes it" if u.deleted else "")
        name = Address.parse(u.address).label
        report.items.append(DriftItem(UNMANAGED, u.address, u.type, u.domain, None, dict(u.live), detail, name=name))
    return report
