"""Consumer-group naming that cannot nest between relatives. Pure.

Kafka's PREFIXED ACLs are plain string prefixes. Group prefixes taken from the domain tree
(`commerce.` for a parent, `commerce.sales.` for its child, `commerce.snowflake.` for an
integration) nest: the parent's ACL covers its child's and its integrations' groups. So a
principal's groups are keyed by the principal's own name instead: `grp.<principal>.`.

Why nothing nests: principal names never contain a dot (domain and integration names are
`[a-z][a-z0-9_-]*`; an integration's principal is `<domain>-<name>`), and validation keeps
them unique. `grp.<a>.` is a prefix of `grp.<b>.` only if `<a>.` is a prefix of `<b>.`; the
dot after `<a>` must then be the dot ending `<b>`, so a == b. The names also stay put when a
domain moves in the tree.
"""

from __future__ import annotations

from meshctl.mesh.model import Mesh

GROUP_MARKER = "grp"


def group_prefix(principal_name: str) -> str:
    """`grp.sales.` for `User:sales`: the only consumer groups the principal may use."""
    if not principal_name or "." in principal_name:
        # Validation rules this out; a dot would let one principal's prefix cover another's.
        raise ValueError(f"a principal name cannot be empty or contain a dot: {principal_name!r}")
    return f"{GROUP_MARKER}.{principal_name}."


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
