"""Refresh: the only I/O during plan. Each provider reads its resources in batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from meshctl.providers.base import Managed, Provider
from meshctl.resources import RESOURCE_TYPES, Resource
from meshctl.state.model import State


def managed_resources(desired: list[Resource], prior: State) -> list[Managed]:
    """Everything a plan must look at: desired resources and those recorded in state."""
    out = {r.address: Managed(r.address, r.type, r.attributes) for r in desired}
    for address, rs in prior.resources.items():
        out.setdefault(address, Managed(address, rs.type, rs.attributes))
    return list(out.values())


def refresh(desired: list[Resource], prior: State, providers: Mapping[str, Provider]) -> dict[str, dict[str, object]]:
    """Live attributes by address: of the managed resources that exist, and of whatever else the
    providers' listings showed (topics, ACLs, SCRAM users, subjects nobody declared), which the
    planner sorts into escalations to revert and unmanaged objects to list (plan.outside)."""
    by_provider: dict[str, list[Managed]] = defaultdict(list)
    for m in managed_resources(desired, prior):
        by_provider[RESOURCE_TYPES[m.type].provider].append(m)
    actual: dict[str, dict[str, object]] = {}
    for name, managed in by_provider.items():
        actual.update(providers[name].refresh(managed))
    return actual
