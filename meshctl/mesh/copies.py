"""Checks of `copy` blocks: what is copied exists and is granted, each copy is one of its kind,
and no product is copied by more domains than its policy allows (the too-many-copies problem:
each copy is one more place the data lives, drifts and must be governed)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

from meshctl.errors import Diagnostics
from meshctl.mesh.model import Copy, Mesh
from meshctl.mesh.policy import Setting, policies
from meshctl.mesh.tree import nearest_common_ancestor
from meshctl.naming import MAX_TOPIC_NAME_LENGTH

DEFAULT_MAX_COPIES = 2  # domains that may copy one product when no policy says otherwise


def check_copies(mesh: Mesh, diags: Diagnostics) -> None:
    seen: dict[tuple[str, str, int], Copy] = {}
    sources: dict[tuple[str, str, int], Copy] = {}
    topics = {mesh.topic_name(p): p.address for p in mesh.products if p.domain in mesh.domains}
    valid: list[Copy] = []
    for c in mesh.copies:
        if not _check_one(mesh, c, diags):
            continue
        ident = (c.domain, c.name, c.version)
        if ident in seen:
            diags.error(
                f'duplicate copy "{c.name}" v{c.version} of domain "{c.domain}"',
                c.src,
                detail=f"first declared at {seen[ident].src}",
                hint="a copy's name and version are unique within its domain",
            )
            continue
        seen[ident] = c
        same = (c.domain, c.product, c.version)
        if same in sources:
            diags.error(
                f'domain "{c.domain}" copies {c.product} v{c.version} twice',
                c.src,
                detail=f"{sources[same].address} at {sources[same].src} copies it already",
                hint="keep one copy: read it from every application of the domain",
            )
            continue
        sources[same] = c
        topic = mesh.copy_topic(c)
        if topic in topics:
            diags.error(
                f'copy "{c.name}" would write topic "{topic}", which {topics[topic]} owns',
                c.src,
                hint="rename the copy",
            )
            continue
        topics[topic] = c.address
        if len(topic) > MAX_TOPIC_NAME_LENGTH:
            diags.error(
                f'copy "{c.name}" would be a topic name of {len(topic)} characters',
                c.src,
                detail=f"Kafka takes at most {MAX_TOPIC_NAME_LENGTH}: {topic[:40]}...",
                hint="shorten the copy's name",
            )
            continue
        valid.append(c)
    check_too_many_copies(mesh, valid, diags)


def _check_one(mesh: Mesh, c: Copy, diags: Diagnostics) -> bool:
    """The copying domain and the source version exist, the source is another domain's, and
    the copying domain is granted it."""
    if c.domain not in mesh.domains:
        diags.error(
            f'copy "{c.name}" names an unknown domain "{c.domain}"',
            c.srcs.get("domain", c.src),
            hint=_did_you_mean(c.domain, list(mesh.domains), "domains"),
        )
        return False
    versions = mesh.versions(c.product)
    if not versions:
        diags.error(
            f'copy "{c.name}" names an unknown data product "{c.product}"',
            c.srcs.get("product", c.src),
            hint=_did_you_mean(c.product, sorted({p.key for p in mesh.products}), "products")
            + ' (products are named "<domain>.<product>")',
        )
        return False
    source = mesh.product(c.product, c.version)
    if source is None:
        diags.error(
            f'copy "{c.name}" names version {c.version} of "{c.product}", which is not declared',
            c.srcs.get("version", c.srcs.get("product", c.src)),
            hint=f"declared versions: {', '.join(f'v{p.version}' for p in versions)}",
        )
        return False
    if source.domain == c.domain:
        diags.error(
            f'copy "{c.name}": domain "{c.domain}" would copy its own product {c.product}',
            c.srcs.get("product", c.src),
            detail="a copy keeps another domain's data inside the copying domain",
            hint="read the product itself: the owning domain needs no copy",
        )
        return False
    if c.name in {p.name for p in mesh.products if p.domain == c.domain}:
        diags.error(
            f'copy "{c.name}" shares its name with data product "{c.key}"',
            c.src,
            detail="the copy is a product of its domain: the two would be named alike",
            hint="rename the copy",
        )
        return False
    grants = [a for a in mesh.access if a.consumer == c.domain and a.product == c.product and a.mode == "read"]
    if not any(a.version in (None, c.version) for a in grants):
        diags.error(
            f'copy "{c.name}": domain "{c.domain}" is not granted {c.product} v{c.version}',
            c.srcs.get("product", c.src),
            detail="a domain copies only what it may read",
            hint=f'grant it first: access "..." {{ product = "{c.product}", consumer = "{c.domain}" }}',
        )
        return False
    return True


def check_too_many_copies(mesh: Mesh, copies: list[Copy], diags: Diagnostics) -> None:
    """A warning per product copied by more domains than `max_copies` of the producing domain's
    effective policy (DEFAULT_MAX_COPIES when none sets it), suggesting one shared copy at the
    copying domains' nearest common ancestor."""
    policy_of = policies(mesh)
    by_product: dict[str, list[Copy]] = {}
    for c in copies:
        by_product.setdefault(c.product, []).append(c)
    for key, found in sorted(by_product.items()):
        producer = mesh.versions(key)[0].domain
        limit, where = max_copies(policy_of, producer)
        domains = list(dict.fromkeys(c.domain for c in found))
        if len(domains) <= limit:
            continue
        nca = nearest_common_ancestor(mesh, domains)
        listed = ", ".join(f"{c.address} ({c.src})" for c in found)
        diags.warning(
            f"{key} is copied by {len(domains)} domains ({', '.join(domains)}), more than max_copies = {limit}",
            found[-1].src,
            detail=f"copies: {listed}; {where}",
            hint=_shared_copy_hint(mesh, key, producer, nca, domains),
        )


def max_copies(policy_of: Callable[[str], Mapping[str, Setting]], producer: str) -> tuple[int, str]:
    """The producing domain's limit on copying domains, and where it is set."""
    setting = policy_of(producer).get("max_copies")
    if setting is None:
        return DEFAULT_MAX_COPIES, f"the default max_copies is {DEFAULT_MAX_COPIES}"
    return setting.number, f'max_copies = {setting.number} is set by domain "{setting.domain}" at {setting.src}'


def _shared_copy_hint(mesh: Mesh, key: str, producer: str, nca: str | None, domains: list[str]) -> str:
    if nca is None:
        return (
            f"the copying domains share no ancestor domain: read {key} directly where you can, "
            f'or raise max_copies in the policy of "{producer}" (or an ancestor)'
        )
    shared = (
        f'keep one shared copy in domain "{nca}", the nearest common ancestor of {", ".join(domains)}, '
        "and let them read that copy"
    )
    if nca == producer:
        return f'"{nca}" owns {key} and is their nearest common ancestor: let them read {key} directly'
    if nca in {d.name for d in mesh.ancestors(producer)}:
        return f'{shared}, or read {key} directly: it is already inside "{nca}"'
    return shared


def _did_you_mean(name: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"known {what}: {', '.join(sorted(known)[:8])}" if known else f"no {what} is declared"
