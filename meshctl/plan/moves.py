"""Validating `moved` blocks against the configuration: pure.

`from` must be gone from the configuration and `to` must be in it (directly or at the end
of a chain of moves); a chain A -> B -> C moves A to C; cycles and two blocks moving from,
or to, the same address are errors. A module address (`module.a` -> `module.b`) moves
every resource under it.
"""

from __future__ import annotations

from collections.abc import Iterable

from meshctl.address import Address, AddressError, ModuleAddress, parse_address
from meshctl.errors import Diagnostics
from meshctl.mesh.model import MovedBlock
from meshctl.resources import RESOURCE_TYPES, provider_of

Moved = Address | ModuleAddress


def resolve_moved(blocks: list[MovedBlock], desired: Iterable[Address], diags: Diagnostics) -> dict[str, str]:
    """old address -> new address for every resource a moved block (or chain) moves."""
    if not blocks:
        return {}
    addresses = set(desired)
    edges: dict[Moved, tuple[Moved, MovedBlock]] = {}
    targets: dict[Moved, MovedBlock] = {}
    for b in blocks:
        checked = _check(b, addresses, diags)
        if checked is None:
            continue
        from_, to = checked
        if from_ in edges:
            diags.error(
                f"two moved blocks move {b.from_}",
                b.srcs.get("from", b.src),
                detail=f"the other: {edges[from_][1].src}",
            )
            continue
        if to in targets:
            diags.error(
                f"two moved blocks move to {b.to}", b.srcs.get("to", b.src), detail=f"the other: {targets[to].src}"
            )
            continue
        edges[from_], targets[to] = (to, b), b
    out: dict[str, str] = {}
    for start, (_, b) in edges.items():
        end = _follow(start, edges, diags)
        if end is None:
            continue
        if not _declared(end, addresses):
            diags.error(
                f"moved: {end} is not in the configuration",
                b.srcs.get("to", b.src),
                hint="`to` names the address the object has now; check the spelling, or remove the moved block",
            )
            continue
        out.update(_expand(start, end, addresses))
    return out


def _check(b: MovedBlock, addresses: set[Address], diags: Diagnostics) -> tuple[Moved, Moved] | None:
    parsed: list[Moved] = []
    for attr, text in (("from", b.from_), ("to", b.to)):
        address, problem = _parse(text)
        if address is None:
            diags.error(
                f"moved.{attr}: {text!r} is not a resource or module address",
                b.srcs.get(attr, b.src),
                detail=problem,
                hint=f"TYPE.NAME with TYPE one of {', '.join(sorted(RESOURCE_TYPES))}, "
                "optionally after module.NAME., or module.NAME",
            )
            return None
        parsed.append(address)
    from_, to = parsed
    if _kind(from_) != _kind(to):
        diags.error(
            f"moved: {b.from_} and {b.to} are not the same kind of object",
            b.src,
            detail=f"from is a {_describe(_kind(from_))}, to a {_describe(_kind(to))}",
            hint="a move changes the address, never the resource type",
        )
        return None
    if from_ == to:
        diags.error(f"moved: from and to are the same address {b.from_}", b.src)
        return None
    if isinstance(from_, Address) and isinstance(to, Address):
        there, here = provider_of(from_.type, str(from_)), provider_of(to.type, str(to))
        if there != here:
            diags.error(
                f"moved: {b.from_} and {b.to} are on different clusters",
                b.src,
                detail="a moved block renames an address in state; it cannot carry an object to another cluster",
                hint="remove the moved block: the plan creates the object on the new cluster and deletes the old one",
            )
            return None
    if _declared(from_, addresses):
        diags.error(
            f"moved: {b.from_} is still in the configuration",
            b.srcs.get("from", b.src),
            hint="`from` names the old address: rename or remove the block that declares it",
        )
        return None
    return from_, to


def _parse(text: str) -> tuple[Moved | None, str]:
    """The address `text` names, or None and what is wrong with it."""
    try:
        address = parse_address(text)
    except AddressError as exc:
        return None, str(exc)
    if isinstance(address, Address) and address.type not in RESOURCE_TYPES:
        return None, f"unknown resource type {address.type!r}"
    return address, ""


def _kind(address: Moved) -> str | None:
    """ "module" for a module address, the resource type for a resource address, None otherwise."""
    if isinstance(address, ModuleAddress):
        return "module"
    return address.type if address.type in RESOURCE_TYPES else None


def _describe(kind: str | None) -> str:
    return "module" if kind == "module" else f"{kind} resource"


def _declared(address: Moved, addresses: set[Address]) -> bool:
    if isinstance(address, ModuleAddress):
        return any(a.within(address) for a in addresses)
    return address in addresses


def _follow(start: Moved, edges: dict[Moved, tuple[Moved, MovedBlock]], diags: Diagnostics) -> Moved | None:
    seen = [start]
    at = edges[start][0]
    while at in edges:
        if at in seen:
            loop = seen[seen.index(at) :]
            if start == min(loop, key=str):  # one error per cycle, from its first address
                b = edges[start][1]
                diags.error(
                    f"moved blocks form a cycle: {' -> '.join(map(str, [*loop, at]))}", b.src, hint="remove one of them"
                )
            return None
        seen.append(at)
        at = edges[at][0]
    return at


def _expand(old: Moved, new: Moved, addresses: set[Address]) -> dict[str, str]:
    if isinstance(new, Address):
        return {str(old): str(new)}
    assert isinstance(old, ModuleAddress)  # _check keeps both ends of a move the same kind
    return {str(a.moved(new, old)): str(a) for a in addresses if a.within(new)}
