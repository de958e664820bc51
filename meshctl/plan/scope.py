"""`--target` and `--domain`: narrow a plan to part of the mesh. Pure."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from meshctl.resources import Resource
from meshctl.state.model import State


@dataclass(frozen=True)
class Scope:
    targets: tuple[str, ...] = ()  # resource or block addresses, or prefixes of them
    domains: frozenset[str] = frozenset()  # the domain subtrees chosen with --domain

    @property
    def everything(self) -> bool:
        return not self.targets and not self.domains


def _matches(address: str, source: str, target: str) -> bool:
    for candidate in (address, source):
        if candidate == target or candidate.startswith(target + ".") or candidate.startswith(target + "/"):
            return True
    return False


def unmatched_targets(desired: list[Resource], prior: State, targets: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each `--target` that matches no resource, with the closest known address ("" if none is close)."""
    known = {r.address for r in desired} | {r.source for r in desired}
    known |= set(prior.resources) | {rs.source for rs in prior.resources.values()}
    known.discard("")
    out = []
    for target in targets:
        if not any(_matches(address, address, target) for address in known):
            close = difflib.get_close_matches(target, sorted(known), n=1, cutoff=0.6)
            out.append((target, close[0] if close else ""))
    return out


def narrow(desired: list[Resource], prior: State, scope: Scope) -> tuple[list[Resource], State]:
    """The desired resources and state entries inside the scope.

    A targeted resource brings its dependencies, as in Terraform. A domain scope keeps
    only what belongs to the chosen subtrees, so a team's plan never touches another's.
    """
    if scope.everything:
        return desired, prior
    by_address = {r.address: r for r in desired}
    chosen: set[str] = set()
    if scope.targets:
        stack = [r.address for r in desired if any(_matches(r.address, r.source, t) for t in scope.targets)]
        while stack:
            address = stack.pop()
            if address in chosen or address not in by_address:
                continue
            chosen.add(address)
            stack.extend(by_address[address].depends_on)
    else:
        chosen = set(by_address)
    if scope.domains:
        chosen = {a for a in chosen if by_address[a].domain in scope.domains}
    narrowed = State(lineage=prior.lineage, serial=prior.serial)
    for address, rs in prior.resources.items():
        in_targets = (
            not scope.targets or address in chosen or any(_matches(address, rs.source, t) for t in scope.targets)
        )
        in_domains = not scope.domains or rs.domain in scope.domains
        if in_targets and in_domains:
            narrowed.resources[address] = rs
    return [by_address[a] for a in by_address if a in chosen], narrowed
