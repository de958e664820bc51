"""Questions about the domain tree that involve several domains: their nearest common ancestor."""

from __future__ import annotations

from collections.abc import Iterable

from meshctl.mesh.model import Mesh


def lineage(mesh: Mesh, domain: str) -> list[str]:
    """`domain` and its ancestors, nearest first: the domains whose policy and owners reach it."""
    return [domain, *(d.name for d in mesh.ancestors(domain))] if domain in mesh.domains else []


def nearest_common_ancestor(mesh: Mesh, domains: Iterable[str]) -> str | None:
    """The deepest domain that is (or is an ancestor of) every one of `domains`: a domain is its
    own ancestor here, so the NCA of `sales` and its child `sales_eu` is `sales`. None when
    they share no domain (different roots, an unknown domain) or none is given."""
    chains = [lineage(mesh, d) for d in dict.fromkeys(domains)]
    if not chains or any(not c for c in chains):
        return None
    shared = set(chains[0]).intersection(*chains[1:])
    # The first of the first chain's domains that all share: walking up from a domain, the nearest.
    return next((d for d in chains[0] if d in shared), None)
