"""Validating `moved` blocks against the configuration: pure.

`from` must be gone from the configuration and `to` must be in it (directly or at the end
of a chain of moves); a chain A -> B -> C moves A to C; cycles and two blocks moving from,
or to, the same address are errors. A module address (`module.a` -> `module.b`) moves
every resource under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from meshctl.errors import Diagnostics
from meshctl.mesh.model import MovedBlock
from meshctl.resources import RESOURCE_TYPES

_MODULE = r'module\.[A-Za-z_][\w-]*(?:\["[^"]*"\])?'
_MODULE_ONLY = re.compile(rf"^{_MODULE}(?:\.{_MODULE})*$")
_RESOURCE = re.compile(rf"^(?:{_MODULE}\.)*([a-z][a-z0-9_]*)\.(.+)$")


def resolve_moved(blocks: list[MovedBlock], desired: Iterable[str], diags: Diagnostics) -> dict[str, str]:
    """old address -> new address for every resource a moved block (or chain) moves."""
    addresses = set(desired)
    edges: dict[str, MovedBlock] = {}
    targets: dict[str, MovedBlock] = {}
    for b in blocks:
        if not _check(b, addresses, diags):
            continue
        if b.from_ in edges:
            diags.error(
                f"two moved blocks move {b.from_}", b.srcs.get("from", b.src), detail=f"the other: {edges[b.from_].src}"
            )
            continue
        if b.to in targets:
            diags.error(
                f"two moved blocks move to {b.to}", b.srcs.get("to", b.src), detail=f"the other: {targets[b.to].src}"
            )
            continue
        edges[b.from_], targets[b.to] = b, b
    out: dict[str, str] = {}
    for start, b in edges.items():
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


def _check(b: MovedBlock, addresses: set[str], diags: Diagnostics) -> bool:
    kinds = (_kind(b.from_), _kind(b.to))
    for attr, text, kind in (("from", b.from_, kinds[0]), ("to", b.to, kinds[1])):
        if kind is None:
            diags.error(
                f"moved.{attr}: {text!r} is not a resource or module address",
                b.srcs.get(attr, b.src),
                hint=f"TYPE.NAME with TYPE one of {', '.join(sorted(RESOURCE_TYPES))}, "
                "optionally after module.NAME., or module.NAME",
            )
            return False
    if kinds[0] != kinds[1]:
        diags.error(
            f"moved: {b.from_} and {b.to} are not the same kind of object",
            b.src,
            detail=f"from is a {_describe(kinds[0])}, to a {_describe(kinds[1])}",
            hint="a move changes the address, never the resource type",
        )
        return False
    if b.from_ == b.to:
        diags.error(f"moved: from and to are the same address {b.from_}", b.src)
        return False
    if _declared(b.from_, addresses):
        diags.error(
            f"moved: {b.from_} is still in the configuration",
            b.srcs.get("from", b.src),
            hint="`from` names the old address: rename or remove the block that declares it",
        )
        return False
    return True


def _kind(address: str) -> str | None:
    """ "module" for a module address, the resource type for a resource address, None otherwise."""
    if _MODULE_ONLY.match(address):
        return "module"
    m = _RESOURCE.match(address)
    return m.group(1) if m and m.group(1) in RESOURCE_TYPES else None


def _describe(kind: str | None) -> str:
    return "module" if kind == "module" else f"{kind} resource"


def _declared(address: str, addresses: set[str]) -> bool:
    if _MODULE_ONLY.match(address):
        return any(a.startswith(address + ".") for a in addresses)
    return address in addresses


def _follow(start: str, edges: dict[str, MovedBlock], diags: Diagnostics) -> str | None:
    seen = [start]
    at = edges[start].to
    while at in edges:
        if at in seen:
            loop = seen[seen.index(at) :]
            if start == min(loop):  # one error per cycle, from its first address
                b = edges[start]
                diags.error(f"moved blocks form a cycle: {' -> '.join([*loop, at])}", b.src, hint="remove one of them")
            return None
        seen.append(at)
        at = edges[at].to
    return at


def _expand(old: str, new: str, addresses: set[str]) -> dict[str, str]:
    if not _MODULE_ONLY.match(new):
        return {old: new}
    return {old + a[len(new) :]: a for a in addresses if a.startswith(new + ".")}
