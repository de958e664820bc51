"""Drift: what changed out of band since meshctl last applied. Pure.

Three kinds: a recorded resource changed, a recorded resource is gone, and a live resource
nobody declared sits inside a managed namespace (a topic under a domain's prefix, an ACL
of a domain's principal that no grant explains).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl.resources import RESOURCE_TYPES
from meshctl.state.model import State

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
) -> DriftReport:
    """prior: state; actual: refresh of the recorded resources; inventory: everything live;
    namespaces: domain -> topic prefix (`commerce.sales.`); declared: addresses in config."""
    report = DriftReport(managed=len(prior.resources))
    for address in sorted(prior.resources):
        rs = prior.resources[address]
        live = actual.get(address)
        if live is None:
            report.items.append(DriftItem(DELETED, address, rs.type, rs.domain, rs.attributes, None))
            continue
        recorded = {k: v for k, v in rs.attributes.items() if k in live}
        rtype = RESOURCE_TYPES[rs.type]
        if rtype.compare(recorded, live).actions != ("no-op",):
            report.items.append(DriftItem(CHANGED, address, rs.type, rs.domain, recorded, dict(live)))
    principals = {f"User:{d}": d for d in namespaces}
    known = set(prior.resources) | declared
    for address in sorted(set(inventory) - known):
        live = inventory[address]
        type_ = address.split(".", 1)[0]
        owner = _owner(type_, live, namespaces, principals)
        if owner:
            report.items.append(DriftItem(UNMANAGED, address, type_, owner[0], None, dict(live), owner[1]))
    return report


def _owner(
    type_: str, live: Mapping[str, object], namespaces: Mapping[str, str], principals: Mapping[str, str]
) -> tuple[str, str] | None:
    """The managed domain whose namespace or principal an unmanaged resource falls into."""
    if type_ in ("kafka_topic", "schema_subject"):
        name = str(live.get("name") or live.get("subject"))
        matches = [(len(prefix), d) for d, prefix in namespaces.items() if name.startswith(prefix)]
        if matches:
            domain = max(matches)[1]
            return domain, f'inside the namespace of domain "{domain}" ({namespaces[domain]}*)'
    if type_ == "kafka_acl" and str(live.get("principal")) in principals:
        domain = principals[str(live["principal"])]
        return domain, f'an ACL of domain "{domain}"\'s principal that no grant explains'
    return None
