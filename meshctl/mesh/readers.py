"""Who reads a product, from the model: the principals a retirement guard asks the broker
about, under today's group prefixes (`meshctl.naming.group_prefix`) and the tree-shaped ones
they replaced. Pure."""

from __future__ import annotations

from meshctl.mesh.model import Mesh
from meshctl.naming import connect_sink_group_prefix, group_prefix, streams_application_id


def reader_principals(mesh: Mesh, product_key: str) -> set[str]:
    """Principals that may read any version of `product_key`: granted domains and their integrations."""
    readers = {a.consumer for a in mesh.access if a.product == product_key and a.consumer in mesh.domains}
    for i in mesh.integrations:
        if i.domain in mesh.domains and any(_product_key(ref) == product_key for ref in i.reads):
            readers.add(i.principal_name)
    return readers


def legacy_group_prefixes(mesh: Mesh, product_key: str) -> set[str]:
    """The tree-shaped prefixes readers' groups had before `grp.<principal>.` (`<domain path>.`
    for a domain, `<domain path>.<integration>.` for an integration). Groups named so may still
    hold offsets on an old version: a retirement guard must keep counting them."""
    out = {mesh.path(a.consumer) + "." for a in mesh.access if a.product == product_key and a.consumer in mesh.domains}
    for i in mesh.integrations:
        if i.domain in mesh.domains and any(_product_key(ref) == product_key for ref in i.reads):
            out.add(f"{mesh.path(i.domain)}.{i.name}.")
    return out


def _product_key(ref: str) -> str:
    """`sales.orders.v2` -> `sales.orders`; an unversioned reference is already a key."""
    key, _, version = ref.rpartition(".v")
    return key if key and version.isdigit() else ref


def application_group_prefixes(mesh: Mesh, product_key: str) -> set[str]:
    """The consumer groups of the applications that read `product_key`, by kind: `grp.<P>.`
    (producer, consumer), the Streams group `<P>.streams`, a Connect app's sink groups `connect-<P>.`."""
    out: set[str] = set()
    for app in mesh.applications:
        if app.domain not in mesh.domains or not any(_product_key(ref) == product_key for ref in app.reads):
            continue
        user = app.principal_name
        if app.kind == "streams":
            out.add(streams_application_id(user))
        elif app.kind == "connect":
            out.add(connect_sink_group_prefix(user))
        else:
            out.add(group_prefix(user))
    return out
