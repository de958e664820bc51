"""`--target` and `--domain`: narrow a plan to part of the mesh. Pure."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from meshctl.address import Address, AddressError, Target
from meshctl.resources import Resource
from meshctl.state_model import State


@dataclass(frozen=True)
class Scope:
    targets: tuple[str, ...] = ()  # resource, module or block addresses, or prefixes of them (address.Target)
    domains: frozenset[str] = frozenset()  # the domain subtrees chosen with --domain

    @property
    def everything(self) -> bool:
        return not self.targets and not self.domains


def _targets(texts: tuple[str, ...]) -> list[tuple[str, Target | None]]:
    """Each `--target` as written (for the block addresses) and as a resource address, if it is one."""
    out: list[tuple[str, Target | None]] = []
    for text in texts:
        try:
            out.append((text, Target.parse(text)))
        except AddressError:  # a block address (`data_product.sales.orders.v1`) need not parse
            out.append((text, None))
    return out


def _matches(address: Address, source: str, target: tuple[str, Target | None]) -> bool:
    """The resource is what the target names or inside it, or it comes from the block the
    target names (`data_product.sales` or below, `resource.aws_s3_bucket.data`)."""
    text, parsed = target
    if parsed is not None and parsed.chooses(address):
        return True
    # `module.orders` also chooses what its instances' mesh blocks made (`module.orders["eu"].data_product...`).
    return source == text or source.startswith((text + ".", text + "/", text + "["))


def unmatched_targets(desired: list[Resource], prior: State, targets: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each `--target` that matches no resource, with the closest known address ("" if none is close)."""
    resources = [(r.addr, r.source) for r in desired] + [(rs.addr, rs.source) for rs in prior.resources.values()]
    known = {str(a) for a, _ in resources} | {source for _, source in resources}
    known.discard("")
    out = []
    for target in _targets(targets):
        if not any(_matches(address, source, target) for address, source in resources):
            close = difflib.get_close_matches(target[0], sorted(known), n=1, cutoff=0.6)
            out.append((target[0], close[0] if close else ""))
    return out


def narrow(desired: list[Resource], prior: State, scope: Scope) -> tuple[list[Resource], State]:
    """The desired resources and state entries inside the scope.

    A targeted resource brings its dependencies, as in Terraform. A domain scope keeps
    only what belongs to the chosen subtrees, so a team's plan never touches another's.
    """
    if scope.everything:
        return desired, prior
    by_address = {r.address: r for r in desired}
    targets = _targets(scope.targets)
    chosen: set[str] = set()
    if scope.targets:
        stack = [r.address for r in desired if any(_matches(r.addr, r.source, t) for t in targets)]
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
        in_targets = not scope.targets or address in chosen or any(_matches(rs.addr, rs.source, t) for t in targets)
        in_domains = not scope.domains or rs.domain in scope.domains
        if in_targets and in_domains:
            narrowed.resources[address] = rs
    return [by_address[a] for a in by_address if a in chosen], narrowed


def destroy_set(prior: State, scope: Scope) -> State:
    """What `destroy` deletes: every state entry within the scope. A `--target` brings what
    depends on it (as Terraform's `destroy -target`: nothing is left pointing at a deleted
    object), never what it depends on; `--domain` keeps to the chosen subtrees."""
    chosen = set(prior.resources)
    if scope.targets:
        targets = _targets(scope.targets)
        chosen = {a for a, rs in prior.resources.items() if any(_matches(rs.addr, rs.source, t) for t in targets)}
        dependents: dict[str, set[str]] = {}
        for address, rs in prior.resources.items():
            for dependency in rs.depends_on:
                dependents.setdefault(dependency, set()).add(address)
        stack = list(chosen)
        while stack:
            for dependent in dependents.get(stack.pop(), ()):
                if dependent not in chosen:
                    chosen.add(dependent)
                    stack.append(dependent)
    if scope.domains:
        chosen = {a for a in chosen if prior.resources[a].domain in scope.domains}
    out = State(lineage=prior.lineage, serial=prior.serial)
    out.resources.update((a, rs) for a, rs in prior.resources.items() if a in chosen)
    return out
