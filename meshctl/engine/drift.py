"""`meshctl drift`: read what is live and compare it with what state recorded (plan.drift).

Recorded resources in scope are refreshed; every provider in use lists what its namespaces
hold (inventory), so objects nobody declared show too.
"""

from __future__ import annotations

from functools import partial

from meshctl.engine.refresh import concurrently, read_live
from meshctl.engine.run import Run
from meshctl.plan.build import territory_of
from meshctl.plan.drift import DriftReport, detect_drift
from meshctl.plan.scope import Scope, narrow


def detect(run: Run, scope: Scope) -> DriftReport:
    ws, state, desired = run.workspace, run.state, run.connected
    mesh = desired.mesh
    _, prior = narrow(list(desired.resources), state, scope)
    actual = read_live([], prior, ws.providers)
    domains = set(scope.domains) if scope.domains else set(mesh.domains)
    namespaces = {d: mesh.path(d) + "." for d in mesh.domains if d in domains}
    under = tuple(namespaces.values())
    listed = concurrently({name: partial(p.inventory, under) for name, p in ws.providers_in_use(prior).items()})
    inventory: dict[str, dict[str, object]] = {}
    for live in listed.values():  # in the providers' order, however they finish
        inventory.update(live)
    # What meshctl owns comes from the whole configuration and state, so a scoped report never
    # mistakes another domain's grant on this domain's topic for an escalation.
    declared = {r.address for r in desired.resources} | set(state.resources)
    return detect_drift(prior, actual, inventory, namespaces, declared, territory_of(desired, state), scope.domains)
