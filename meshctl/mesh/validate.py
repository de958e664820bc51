"""Mesh-wide checks across blocks: references, the tree, ownership, policies, naming."""

from __future__ import annotations

import difflib

from meshctl.errors import Diagnostics
from meshctl.mesh.durations import format_ms
from meshctl.mesh.model import DataProduct, Mesh
from meshctl.mesh.policy import SOURCE_NAME, SettingValue, effective_policy, loosened
from meshctl.naming import integration_namespace


def validate(mesh: Mesh, diags: Diagnostics) -> None:
    _check_tree(mesh, diags)
    _check_policies(mesh, diags)
    _check_products(mesh, diags)
    _check_access(mesh, diags)
    _check_integrations(mesh, diags)
    _check_principals(mesh, diags)


def _did_you_mean(name: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"known {what}: {', '.join(sorted(known)[:8])}" if known else f"no {what} is declared"


def _check_tree(mesh: Mesh, diags: Diagnostics) -> None:
    reported_cycles: set[frozenset[str]] = set()
    for d in mesh.domains.values():
        if d.parent is None:
            continue
        if d.parent not in mesh.domains:
            diags.error(
                f'domain "{d.name}" has an unknown parent "{d.parent}"',
                d.srcs.get("parent", d.src),
                hint=_did_you_mean(d.parent, list(mesh.domains), "domains"),
            )
            continue
        chain, seen = [d.name], {d.name}
        cur: str | None = d.parent
        while cur and cur in mesh.domains and cur not in seen:
            chain.append(cur)
            seen.add(cur)
            cur = mesh.domains[cur].parent
        if cur == d.name:
            members = frozenset(chain)
            if members not in reported_cycles:
                reported_cycles.add(members)
                diags.error(
                    f"domain parents form a cycle: {' -> '.join([*chain, d.name])}",
                    d.srcs.get("parent", d.src),
                    hint="the domains must form a tree: one of them needs no parent",
                )


def _check_policies(mesh: Mesh, diags: Diagnostics) -> None:
    for name in mesh.domains:
        for setting, value, theirs in loosened(mesh, name):
            shown = SOURCE_NAME.get(setting, setting)
            diags.error(
                f'domain "{name}" loosens {shown} inherited from domain "{theirs.domain}"',
                mesh.domains[name].policy.srcs.get(shown, mesh.domains[name].src),
                detail=f"{_show(setting, value)} here, {_show(setting, theirs.value)} at {theirs.src}",
                hint=f'tighten it, or set allow_override = true in "{theirs.domain}"\'s policy',
            )


def _show(setting: str, value: SettingValue) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    if setting == "max_retention_ms":
        return format_ms(value)
    return str(value)


def _check_products(mesh: Mesh, diags: Diagnostics) -> None:
    seen_versions: dict[tuple[str, str, int], str] = {}
    topics: dict[str, str] = {}
    for p in mesh.products:
        if p.domain not in mesh.domains:
            diags.error(
                f'data_product "{p.name}" names an unknown domain "{p.domain}"',
                p.srcs.get("domain", p.src),
                hint=_did_you_mean(p.domain, list(mesh.domains), "domains"),
            )
            continue
        ident = (p.domain, p.name, p.version)
        if ident in seen_versions:
            diags.error(
                f"duplicate data product version: {p.key} v{p.version}",
                p.srcs.get("version", p.src),
                detail=f"already declared at {seen_versions[ident]}",
                hint="raise version for a new version of the product",
            )
            continue
        seen_versions[ident] = str(p.src)
        topic = mesh.topic_name(p)
        if topic in topics:
            diags.error(
                f'topic "{topic}" is used by two data products',
                p.srcs.get("topic.name", p.src),
                detail=f"also by {topics[topic]}",
                hint="each product version owns exactly one topic",
            )
        topics[topic] = p.address
        _check_replaces(mesh, p, diags)
        _check_namespace(mesh, p, topic, diags)
        _check_against_policy(mesh, p, diags)


def _check_replaces(mesh: Mesh, p: DataProduct, diags: Diagnostics) -> None:
    replaces = p.lifecycle.replaces
    declared = [q.version for q in mesh.versions(p.key)]
    if replaces is not None and replaces not in declared:
        diags.error(
            f"lifecycle.replaces names version {replaces} of {p.key}, which is not declared",
            p.srcs.get("lifecycle.replaces", p.src),
            detail=f"declared versions: {', '.join(f'v{v}' for v in sorted(declared))}",
            hint=f"declare v{replaces} (it stays live until its sunset), or remove replaces",
        )


def _check_namespace(mesh: Mesh, p: DataProduct, topic: str, diags: Diagnostics) -> None:
    if p.topic.name is None:
        return
    own = mesh.path(p.domain) + "."
    where = p.srcs.get("topic.name", p.src)
    if not topic.startswith(own):
        diags.error(
            f'topic "{topic}" is outside domain "{p.domain}"\'s namespace',
            where,
            detail=f'topics of "{p.domain}" start with "{own}"',
            hint="leave topic.name out to use the default name",
        )
        return
    for other in mesh.domains:
        if other != p.domain and topic.startswith(mesh.path(other) + ".") and len(mesh.path(other)) > len(own) - 1:
            diags.error(
                f'topic "{topic}" falls in the namespace of domain "{other}"',
                where,
                detail=f'"{mesh.path(other)}." belongs to "{other}"; only one domain may write a namespace',
                hint="pick a name that is not under a sub-domain's prefix",
            )


def _check_against_policy(mesh: Mesh, p: DataProduct, diags: Diagnostics) -> None:
    policy = effective_policy(mesh, p.domain)

    def fail(setting: str, attr: str, summary: str) -> None:
        s = policy[setting]
        diags.error(
            summary,
            p.srcs.get(attr, p.src),
            detail=f"{SOURCE_NAME.get(setting, setting)} = {_show(setting, s.value)} "
            f'is set by domain "{s.domain}" at {s.src}',
            hint=f'change {p.address} to meet the policy, or change the policy of "{s.domain}"',
        )

    rf = p.topic.replication_factor
    if "min_replication_factor" in policy and rf is not None and rf < policy["min_replication_factor"].number:
        fail(
            "min_replication_factor",
            "topic.replication_factor",
            f"replication_factor {rf} is under the minimum {policy['min_replication_factor'].value}",
        )
    if "max_partitions" in policy and p.topic.partitions > policy["max_partitions"].number:
        fail(
            "max_partitions",
            "topic.partitions",
            f"partitions {p.topic.partitions} is over the maximum {policy['max_partitions'].value}",
        )
    if "allowed_kinds" in policy and p.kind not in policy["allowed_kinds"].names:
        fail("allowed_kinds", "kind", f'kind "{p.kind}" is not allowed here')
    retention = p.topic.config.get("retention.ms")
    if "max_retention_ms" in policy and retention is not None:
        try:
            value = int(retention)
        except ValueError:
            diags.error(
                "retention.ms must be a number of milliseconds",
                p.srcs.get("topic.config", p.src),
                detail=f"got {retention!r}",
            )
        else:
            limit = policy["max_retention_ms"].number
            if value < 0 or value > limit:
                fail(
                    "max_retention_ms",
                    "topic.config",
                    f"retention.ms {format_ms(value)} is over the maximum retention {format_ms(limit)}",
                )
    isr = p.topic.config.get("min.insync.replicas")
    if (
        "min_insync_replicas" in policy
        and isr is not None
        and isr.isdigit()
        and int(isr) < policy["min_insync_replicas"].number
    ):
        fail(
            "min_insync_replicas",
            "topic.config",
            f"min.insync.replicas {isr} is under the minimum {policy['min_insync_replicas'].value}",
        )


def _check_access(mesh: Mesh, diags: Diagnostics) -> None:
    keys = sorted({p.key for p in mesh.products})
    grants: dict[tuple[str, str, int | None], str] = {}
    names: dict[str, str] = {}
    for a in mesh.access:
        if a.name in names:
            diags.error(
                f'duplicate access "{a.name}"',
                a.src,
                detail=f"first declared at {names[a.name]}",
                hint="access names are unique across the mesh: rename one of them",
            )
            continue
        names[a.name] = str(a.src)
        if a.mode != "read":
            diags.error(
                f'access "{a.name}" asks for mode "{a.mode}": only the owning domain may write a product',
                a.srcs.get("mode", a.src),
                detail="single writer: a data product's topic has exactly one producer, its domain",
                hint='grants are read-only: mode = "read" (the default); to publish, declare your own data_product',
            )
        if a.consumer not in mesh.domains:
            diags.error(
                f'access "{a.name}" names an unknown consumer domain "{a.consumer}"',
                a.srcs.get("consumer", a.src),
                hint=_did_you_mean(a.consumer, list(mesh.domains), "domains"),
            )
        product = mesh.product(a.product, a.version)
        if product is None:
            if mesh.versions(a.product):
                known = ", ".join(f"v{p.version}" for p in mesh.versions(a.product))
                diags.error(
                    f'access "{a.name}" names version {a.version} of "{a.product}", which is not declared',
                    a.srcs.get("version", a.srcs.get("product", a.src)),
                    hint=f"declared versions: {known}",
                )
            else:
                diags.error(
                    f'access "{a.name}" names an unknown data product "{a.product}"',
                    a.srcs.get("product", a.src),
                    hint=_did_you_mean(a.product, keys, "products") + ' (products are named "<domain>.<product>")',
                )
            continue
        if a.consumer == product.domain:
            diags.warning(
                f'access "{a.name}" grants "{a.consumer}" its own product',
                a.src,
                hint="the owning domain needs no grant",
            )
        ident = (a.consumer, product.key, product.version)
        if ident in grants:
            diags.warning(f'access "{a.name}" repeats access "{grants[ident]}"', a.src)
        grants[ident] = a.name


def _check_principals(mesh: Mesh, diags: Diagnostics) -> None:
    """One principal per domain and per integration: a shared SCRAM user would share every ACL
    and its `grp.<principal>.` consumer groups (`sales-x` vs integration `x` of `sales`)."""
    owners = {name: (f'domain "{name}"', d.src) for name, d in mesh.domains.items()}
    for i in mesh.integrations:
        if i.domain not in mesh.domains:
            continue
        user = i.principal_name
        if user in owners:
            other, other_src = owners[user]
            if other == f'integration "{i.name}" of domain "{i.domain}"':
                continue  # the same block twice: reported as a duplicate integration
            diags.error(
                f'integration "{i.name}" would share the principal User:{user} with {other}',
                max(i.src, other_src, key=lambda s: (s.file, s.line)),  # at the later block, as duplicates are
                detail="a principal's password, ACLs and consumer groups belong to one block only",
                hint="rename the integration (its principal is <domain>-<name>) or the other block",
            )
            continue
        owners[user] = (f'integration "{i.name}" of domain "{i.domain}"', i.src)


def _check_integrations(mesh: Mesh, diags: Diagnostics) -> None:
    names: dict[str, str] = {}
    for i in mesh.integrations:
        if i.name in names:
            diags.error(f'duplicate integration "{i.name}"', i.src, detail=f"first declared at {names[i.name]}")
            continue
        names[i.name] = str(i.src)
        if i.domain not in mesh.domains:
            diags.error(
                f'integration "{i.name}" names an unknown domain "{i.domain}"',
                i.srcs.get("domain", i.src),
                hint=_did_you_mean(i.domain, list(mesh.domains), "domains"),
            )
            continue
        allowed = effective_policy(mesh, i.domain).get("allowed_vendors")
        if allowed is not None and i.vendor not in allowed.names:
            diags.error(
                f'vendor "{i.vendor}" is not allowed in domain "{i.domain}"',
                i.srcs.get("vendor", i.src),
                detail=f"allowed_vendors = {_show('allowed_vendors', allowed.value)} is set by domain "
                f'"{allowed.domain}" at {allowed.src}',
                hint=f'ask the owners of "{allowed.domain}" to allow it, or use an allowed vendor',
            )
        granted = {a.product for a in mesh.access if a.consumer == i.domain}
        for product in i.reads:
            key = product.rsplit(".v", 1)[0] if product.rsplit(".v", 1)[-1].isdigit() else product
            if not mesh.versions(key):
                diags.error(
                    f'integration "{i.name}" reads an unknown data product "{product}"',
                    i.srcs.get("reads", i.src),
                    hint=_did_you_mean(key, sorted({p.key for p in mesh.products}), "products"),
                )
            elif key not in granted and mesh.versions(key)[0].domain != i.domain:
                diags.error(
                    f'integration "{i.name}" reads "{product}", which domain "{i.domain}" is not granted',
                    i.srcs.get("reads", i.src),
                    detail="a vendor sees only what its domain may see",
                    hint=f'grant it first: access "..." {{ product = "{key}", consumer = "{i.domain}" }}',
                )
        own = integration_namespace(mesh.path(i.domain), i.name)
        clash = [p.name for p in mesh.products if p.domain == i.domain and p.name == i.name] + [
            d.name for d in mesh.domains.values() if d.parent == i.domain and d.name == i.name
        ]
        if clash:
            diags.error(
                f'integration "{i.name}" shares its name with "{clash[0]}" in domain "{i.domain}"',
                i.src,
                detail=f'it may write topics under "{own}", which would include theirs',
                hint="rename the integration: only a product's domain writes the product",
            )
        inside = sorted(t for t in map(mesh.topic_name, mesh.products) if t.startswith(own))
        if inside and not clash:  # a custom topic name under the integration's writable prefix
            diags.error(
                f'integration "{i.name}" may write every topic under "{own}", which includes product topic '
                f'"{inside[0]}"',
                i.src,
                detail="only a product's domain writes the product",
                hint="rename the integration, or the product's topic name",
            )
        if i.trusted_principal and not i.external_id:
            diags.error(
                f'integration "{i.name}": a trusted_principal needs an external_id',
                i.srcs.get("aws.trusted_principal", i.src),
                hint="the vendor must present sts:ExternalId to assume the role (confused deputy)",
            )
