"""`meshctl import ADDRESS ID`: adopt an object that already exists into state, as the
configuration declares it, without changing it."""

from __future__ import annotations

import difflib

from meshctl.address import Address
from meshctl.engine.refresh import provider_named
from meshctl.engine.workspace import Workspace
from meshctl.errors import MeshError
from meshctl.naming import cluster_of
from meshctl.providers.base import Managed
from meshctl.resources import RESOURCE_TYPES, provider_of
from meshctl.state_model import ResourceState, State


def adopt(ws: Workspace, address: str, resource_id: str) -> None:
    """Record the live object named `resource_id` at `address`, which the configuration must declare."""
    parsed = Address.parse(address)  # an AddressError says what is wrong with the text
    type_, address = parsed.type, str(parsed)
    if type_ not in RESOURCE_TYPES:
        raise MeshError(f"unknown resource type {type_!r} (types: {', '.join(sorted(RESOURCE_TYPES))})")
    declared = {r.address: r for r in ws.run(State()).resources}
    resource = declared.get(address)
    if resource is None:
        close = difflib.get_close_matches(address, list(declared), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise MeshError(f"{address} is not in the configuration{hint}; declare it first, then import it")
    named = provider_of(type_, address) != RESOURCE_TYPES[type_].provider  # on a named cluster: `@eu/NAME`
    if resource_id != resource.name and not (named and resource_id == cluster_of(resource.name)[1]):
        raise MeshError(f"{address} is the resource named {resource.name!r}, not {resource_id!r}")
    with ws.locked("import") as current:
        if address in current.resources:
            raise MeshError(f"{address} is already managed")
        provider = provider_named(ws.providers, provider_of(type_, address))
        live = provider.refresh([Managed(address, type_, resource.attributes)]).get(address)
        if live is None:
            raise MeshError(f"no live {type_} named {resource_id!r} on the cluster")
        current.resources[address] = ResourceState(
            type_, resource.name, live, resource.source, resource.depends_on, resource.domain
        )
        ws.backend.write(current)
