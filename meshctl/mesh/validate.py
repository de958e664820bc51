"""Mesh-wide checks across blocks: references, the tree, ownership, policies, naming."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from meshctl.errors import Diagnostics, SourceRange
from meshctl.iam.identity import deployer_problem
from meshctl.mesh.approvals import check_approvals
from meshctl.mesh.clusters import check_clusters
from meshctl.mesh.copies import check_copies
from meshctl.mesh.durations import format_ms
from meshctl.mesh.exceptions import Exceptions
from meshctl.mesh.model import (
    APPLICATION_KINDS,
    PRINCIPAL_PROVIDERS,
    SCRAM_MECHANISMS,
    Application,
    DataProduct,
    Integration,
    IntegrationOutput,
    Mesh,
    TopicSpec,
    product_ref,
)
from meshctl.mesh.policy import SOURCE_NAME, Setting, SettingValue, effective_policy, loosened, policies
from meshctl.naming import (
    MAX_TOPIC_NAME_LENGTH,
    NAME_RE,
    application_namespace,
    integration_namespace,
    reserved_principal,
)


def validate(mesh: Mesh, diags: Diagnostics, today: date | None = None) -> None:
    """`today`: the date exceptions expire against (the caller's clock; tests give one)."""
    exceptions = Exceptions(mesh, today or date.today())
    _check_tree(mesh, diags)
    _check_policies(mesh, diags)
    _check_products(mesh, diags, exceptions)
    _check_access(mesh, diags)
    _check_integrations(mesh, diags, exceptions)
    _check_applications(mesh, diags, exceptions)
    _check_principals(mesh, diags)
    check_clusters(mesh, diags)
    check_copies(mesh, diags)
    check_approvals(mesh, diags, lambda address: exceptions.excuses("grant_refused_by_policy", address))
    exceptions.report(diags)


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


def _check_products(mesh: Mesh, diags: Diagnostics, exceptions: Exceptions | None = None) -> None:
    seen_versions: dict[tuple[str, str, int], str] = {}
    topics: dict[str, str] = {}
    policy_of = policies(mesh)
    apps = {application_namespace(a.principal_name): a for a in mesh.applications if a.domain in mesh.domains}
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
        _check_namespace(mesh, p, topic, apps, diags)
        _check_against_policy(mesh, p, diags, policy_of(p.domain), exceptions)
        _check_delivery(p, diags, exceptions)


def _check_replaces(mesh: Mesh, p: DataProduct, diags: Diagnostics) -> None:
    replaces = p.lifecycle.replaces
    declared = [q.version for q in mesh.versions(p.key)]
    if replaces is not None and replaces not in declared:
        diags.error(
            f"replaces names version {replaces} of {p.key}, which is not declared",
            p.srcs.get("lifecycle.replaces", p.src),
            detail=f"declared versions: {', '.join(f'v{v}' for v in sorted(declared))}",
            hint=f"declare v{replaces} (it stays live until its sunset), or remove replaces",
        )


def _check_namespace(mesh: Mesh, p: DataProduct, topic: str, apps: dict[str, Application], diags: Diagnostics) -> None:
    if p.topic.name is None:
        return
    own = mesh.path(p.domain) + "."
    where = p.srcs.get("topic.name", p.src)
    app = next((a for prefix, a in apps.items() if topic.startswith(prefix)), None)
    if app is not None:
        diags.error(
            f'topic "{topic}" falls in the namespace of {app.address}',
            where,
            detail=f'"{application_namespace(app.principal_name)}" holds the application\'s own topics '
            "(Streams and Connect internal topics); the application may create and delete them",
            hint="leave topic.name out to use the default name",
        )
        return
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


def _check_against_policy(
    mesh: Mesh,
    p: DataProduct,
    diags: Diagnostics,
    policy: Mapping[str, Setting],
    exceptions: Exceptions | None = None,
) -> None:
    def where(attr: str) -> SourceRange:
        return p.srcs.get(attr if attr == "kind" else f"topic.{attr}", p.src)

    _check_topic_policy(mesh, p.domain, p.topic, where, p.address, diags, p.kind, policy, exceptions)


def _check_delivery(p: DataProduct, diags: Diagnostics, exceptions: Exceptions | None) -> None:
    """The happy path's delivery contract is at least once, duplicates tolerated (DESIGN.md
    practice 5): promising none is a choice that needs a justified exception."""
    if p.delivery.duplicates != "not_tolerated":
        return
    if exceptions is not None and exceptions.excuses("delivery_contract", p.address):
        return
    diags.error(
        f'{p.address} promises duplicates = "not_tolerated", off the happy path',
        p.srcs.get("delivery.duplicates", p.src),
        detail='the default contract is "tolerated": at least once, consumers process idempotently',
        hint=f'declare exception "..." {{ rule = "delivery_contract", target = "{p.address}", '
        'reason = "...", expires = "YYYY-MM-DD" }, or tolerate duplicates',
    )


def _check_topic_policy(
    mesh: Mesh,
    domain: str,
    topic: TopicSpec,
    where: Callable[[str], SourceRange],
    address: str,
    diags: Diagnostics,
    kind: str | None = None,
    policy: Mapping[str, Setting] | None = None,
    exceptions: Exceptions | None = None,
) -> None:
    """A topic's partitions, replication and configs (and a product's kind) against the
    domain's effective policy (`policy`, when the caller has it already); `where(attr)`: the
    source of `partitions`, `replication_factor`, `config` or `kind`."""
    policy = effective_policy(mesh, domain) if policy is None else policy

    def fail(setting: str, attr: str, summary: str) -> None:
        s = policy[setting]
        hint = f'change {address} to meet the policy, or change the policy of "{s.domain}"'
        if setting == "max_retention_ms":  # the one setting a justified exception may exceed
            hint += f' (or justify it: exception "..." {{ rule = "retention_above_policy", target = "{address}" }})'
        diags.error(
            summary,
            where(attr),
            detail=f"{SOURCE_NAME.get(setting, setting)} = {_show(setting, s.value)} "
            f'is set by domain "{s.domain}" at {s.src}',
            hint=hint,
        )

    rf = topic.replication_factor
    if "min_replication_factor" in policy and rf is not None and rf < policy["min_replication_factor"].number:
        fail(
            "min_replication_factor",
            "replication_factor",
            f"replication_factor {rf} is under the minimum {policy['min_replication_factor'].value}",
        )
    if "max_partitions" in policy and topic.partitions > policy["max_partitions"].number:
        fail(
            "max_partitions",
            "partitions",
            f"partitions {topic.partitions} is over the maximum {policy['max_partitions'].value}",
        )
    if kind is not None and "allowed_kinds" in policy and kind not in policy["allowed_kinds"].names:
        fail("allowed_kinds", "kind", f'kind "{kind}" is not allowed here')
    retention = topic.config.get("retention.ms")
    if "max_retention_ms" in policy and retention is not None:
        try:
            value = int(retention)
        except ValueError:
            diags.error(
                "retention.ms must be a number of milliseconds",
                where("config"),
                detail=f"got {retention!r}",
            )
        else:
            limit = policy["max_retention_ms"].number
            over = value < 0 or value > limit  # -1: kept forever
            if over and not (exceptions is not None and exceptions.excuses("retention_above_policy", address)):
                fail(
                    "max_retention_ms",
                    "config",
                    f"retention.ms {format_ms(value)} is over the maximum retention {format_ms(limit)}",
                )
    isr = topic.config.get("min.insync.replicas")
    if (
        "min_insync_replicas" in policy
        and isr is not None
        and isr.isdigit()
        and int(isr) < policy["min_insync_replicas"].number
    ):
        fail(
            "min_insync_replicas",
            "config",
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
    """One principal per domain, integration and application: a shared SCRAM user would share
    every ACL and its `grp.<principal>.` consumer groups (`sales-x` vs integration `x` of `sales`)."""
    owners: dict[str, tuple[str, SourceRange]] = {}
    for name, d in mesh.domains.items():
        _claim(owners, name, f'domain "{name}"', d.src, "domain", diags)
    for i in mesh.integrations:
        if i.domain in mesh.domains:
            _claim(
                owners, i.principal_name, f'integration "{i.name}" of domain "{i.domain}"', i.src, "integration", diags
            )
    integrations = {(i.domain, i.name) for i in mesh.integrations}
    for a in mesh.applications:
        # An app named as an integration of its domain is reported once, as a name clash (rule 8).
        if a.domain in mesh.domains and (a.domain, a.name) not in integrations:
            _claim(
                owners, a.principal_name, f'application "{a.name}" of domain "{a.domain}"', a.src, "application", diags
            )


def _claim(
    owners: dict[str, tuple[str, SourceRange]], user: str, who: str, src: SourceRange, what: str, diags: Diagnostics
) -> None:
    """Record that `who` owns principal `user`; report a reserved name or a principal taken."""
    if reserved_principal(user):
        diags.error(
            f"{who} would be the principal User:{user}, a reserved name",
            src,
            detail='"grp", "txn" and names starting "connect" mark consumer groups, transactional ids and '
            "Connect sink groups: such a principal's prefixes could cover another principal's names",
            hint=f"rename the {what}",
        )
        return
    if user not in owners:
        owners[user] = (who, src)
        return
    other, other_src = owners[user]
    if other == who:
        return  # the same block twice: reported as a duplicate
    diags.error(
        f"{who.split(' of ')[0]} would share the principal User:{user} with {other}",
        max(src, other_src, key=lambda s: (s.file, s.line)),  # at the later block, as duplicates are
        detail="a principal's password, ACLs and consumer groups belong to one block only",
        hint=f"rename the {what} (its principal is <domain>-<name>) or the other block",
    )


def _check_integrations(mesh: Mesh, diags: Diagnostics, exceptions: Exceptions | None = None) -> None:
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
        check_outputs(mesh, i, i.outputs, diags, exceptions)
        if i.trusted_principal and not i.external_id:
            diags.error(
                f'integration "{i.name}": a trusted_principal needs an external_id',
                i.srcs.get("aws.trusted_principal", i.src),
                hint="the vendor must present sts:ExternalId to assume the role (confused deputy)",
            )


# -- applications ---------------------------------------------------------------


def _check_applications(mesh: Mesh, diags: Diagnostics, exceptions: Exceptions | None = None) -> None:
    """Rules 1 and 3-8 of the application design (rule 2, principals, is `_check_principals`)."""
    seen: dict[tuple[str, str], SourceRange] = {}
    writers: dict[tuple[str, int], Application] = {}
    for app in mesh.applications:
        if not _check_app_identity(mesh, app, seen, diags):
            continue
        _check_app_kind(app, diags)
        _check_app_idempotence(app, diags, exceptions)
        _check_app_principal_spec(app, diags)
        _check_app_runs_as(mesh, app, diags)
        _check_app_name_clash(mesh, app, diags)
        for product in _app_writes(mesh, app, diags):
            _check_single_writer(app, product, writers, diags)
        _check_app_reads(mesh, app, diags)


def _check_app_identity(
    mesh: Mesh, app: Application, seen: dict[tuple[str, str], SourceRange], diags: Diagnostics
) -> bool:
    """Rule 1: a known domain, and one block per (domain, name)."""
    if app.domain not in mesh.domains:
        diags.error(
            f'application "{app.name}" names an unknown domain "{app.domain}"',
            app.srcs.get("domain", app.src),
            hint=_did_you_mean(app.domain, list(mesh.domains), "domains"),
        )
        return False
    ident = (app.domain, app.name)
    if ident in seen:
        diags.error(
            f'duplicate application "{app.name}" of domain "{app.domain}"',
            app.src,
            detail=f"first declared at {seen[ident]}",
            hint="application names are unique within their domain",
        )
        return False
    seen[ident] = app.src
    return True


def _check_app_kind(app: Application, diags: Diagnostics) -> None:
    """Rule 6: what each kind may declare."""
    if app.kind not in APPLICATION_KINDS:
        diags.error(
            f'application "{app.name}" has an unknown kind "{app.kind}"',
            app.srcs.get("kind", app.src),
            hint=_did_you_mean(app.kind, list(APPLICATION_KINDS), "kinds"),
        )
        return
    if app.kind == "consumer" and app.writes:
        diags.error(
            f'application "{app.name}" is a consumer and cannot write',
            app.srcs.get("writes", app.src),
            hint='declare it kind = "producer" (a producer may also read), or remove writes',
        )
    if app.transactional and app.kind not in ("producer", "streams"):
        diags.error(
            f'application "{app.name}": transactional applies to producers and streams, not {app.kind}',
            app.srcs.get("transactional", app.src),
            hint="remove transactional",
        )
    if app.kind == "streams" and not (app.reads or app.writes):
        diags.error(
            f'application "{app.name}" is a streams application that neither reads nor writes',
            app.src,
            hint='name what it consumes in reads = ["<domain>.<product>"] and what it produces in writes',
        )


def _check_app_idempotence(app: Application, diags: Diagnostics, exceptions: Exceptions | None) -> None:
    """Producers are idempotent on the happy path (DESIGN.md practice 5); `idempotent = false`
    needs a justified exception, and cannot go with transactions (Kafka requires idempotence)."""
    if app.idempotent:
        return
    where = app.srcs.get("idempotent", app.src)
    if app.kind not in ("producer", "streams"):
        diags.error(
            f'application "{app.name}": idempotent applies to producers and streams, not {app.kind}',
            where,
            hint="remove idempotent",
        )
        return
    if app.transactional:
        diags.error(
            f'application "{app.name}" is transactional, which needs an idempotent producer',
            where,
            detail="Kafka refuses transactions without enable.idempotence",
            hint="remove idempotent = false",
        )
        return
    if exceptions is not None and exceptions.excuses("non_idempotent_producer", app.address):
        return
    diags.error(
        f'application "{app.name}" turns off producer idempotence, off the happy path',
        where,
        detail="a retried send may then write a record twice or out of order",
        hint=f'declare exception "..." {{ rule = "non_idempotent_producer", target = "{app.address}", '
        'reason = "...", expires = "YYYY-MM-DD" }, or remove idempotent = false',
    )


def _check_app_principal_spec(app: Application, diags: Diagnostics) -> None:
    """Rule 7: SCRAM only, with a SCRAM mechanism."""
    if app.principal.provider not in PRINCIPAL_PROVIDERS:
        diags.error(
            f'application "{app.name}": principal provider "{app.principal.provider}" is not supported yet',
            app.srcs.get("principal.provider", app.src),
            hint=f"providers: {', '.join(PRINCIPAL_PROVIDERS)}",
        )
    elif app.principal.mechanism not in SCRAM_MECHANISMS:
        diags.error(
            f'application "{app.name}": unknown SCRAM mechanism "{app.principal.mechanism}"',
            app.srcs.get("principal.mechanism", app.src),
            hint=f"mechanisms: {', '.join(SCRAM_MECHANISMS)}",
        )


def _check_app_runs_as(mesh: Mesh, app: Application, diags: Diagnostics) -> None:
    """`aws.runs_as`: exact IAM principals (a wildcard would let others read the password)."""
    where = app.srcs.get("aws.runs_as", app.src)
    for arn in app.runs_as:
        problem = deployer_problem(arn)
        if problem:
            diags.error(f'application "{app.name}": aws.runs_as: {problem.replace("deployer", "reader")}', where)
    if app.runs_as and not mesh.aws:
        diags.warning(
            f'application "{app.name}": aws.runs_as has no effect without an aws block',
            where,
            detail="without AWS the password is kept in a local file under .meshctl/credentials/",
        )


def _check_app_name_clash(mesh: Mesh, app: Application, diags: Diagnostics) -> None:
    """Rule 8: an application is not named as an integration or a product of its domain."""
    clash = next(
        (f'integration "{i.name}"' for i in mesh.integrations if i.domain == app.domain and i.name == app.name),
        None,
    ) or next((p.address for p in mesh.products if p.domain == app.domain and p.name == app.name), None)
    if clash:
        diags.error(
            f'application "{app.name}" shares its name with {clash} in domain "{app.domain}"',
            app.src,
            detail="addresses and principals (<domain>-<name>) would read ambiguously",
            hint="rename the application",
        )


def _app_writes(mesh: Mesh, app: Application, diags: Diagnostics) -> list[DataProduct]:
    """Rule 3: `writes` names products of the app's own domain; the product versions written."""
    where = app.srcs.get("writes", app.src)
    out: list[DataProduct] = []
    for entry in app.writes:
        name, version = product_ref(entry)
        if not NAME_RE.match(name):
            diags.error(
                f'application "{app.name}" writes "{entry}": only products of its own domain "{app.domain}"',
                where,
                detail='writes names a product of the application\'s domain: "name" or "name.v<n>"',
                hint=f'write "{entry.removeprefix(app.domain + ".")}", without the domain'
                if entry.startswith(app.domain + ".")
                else "grant reads with access, write with an app of the owning domain",
            )
            continue
        versions = mesh.versions(f"{app.domain}.{name}")
        if not versions:
            elsewhere = sorted({p.key for p in mesh.products if p.name == name})
            diags.error(
                f'application "{app.name}" writes an unknown product "{name}" of domain "{app.domain}"',
                where,
                detail=f"{', '.join(elsewhere)} belongs to another domain" if elsewhere else "",
                hint="grant reads with access, write with an app of the owning domain"
                if elsewhere
                else _did_you_mean(name, sorted({p.name for p in mesh.products if p.domain == app.domain}), "products"),
            )
            continue
        out.extend(_declared_versions(app, "writes", f"{app.domain}.{name}", versions, version, where, diags))
    return out


def _declared_versions(
    app: Application,
    verb: str,
    key: str,
    versions: list[DataProduct],
    version: int | None,
    where: SourceRange,
    diags: Diagnostics,
) -> list[DataProduct]:
    """The versions a `reads`/`writes` entry names: all of them, or the one asked for if declared."""
    chosen = [p for p in versions if version is None or p.version == version]
    if not chosen:
        diags.error(
            f'application "{app.name}" {verb} version {version} of "{key}", which is not declared',
            where,
            hint=f"declared versions: {', '.join(f'v{p.version}' for p in versions)}",
        )
    return chosen


def _check_single_writer(
    app: Application, product: DataProduct, writers: dict[tuple[str, int], Application], diags: Diagnostics
) -> None:
    """Rule 4: one writing application per product version."""
    ident = (product.key, product.version)
    first = writers.setdefault(ident, app)
    if first is not app:
        diags.error(
            f"{product.key} v{product.version} would have two writers: {first.address} and {app.address}",
            app.srcs.get("writes", app.src),
            detail=f"single writer: {first.address} at {first.srcs.get('writes', first.src)} writes it already",
            hint="let one application write each product version",
        )


def _check_app_reads(mesh: Mesh, app: Application, diags: Diagnostics) -> None:
    """Rule 5: reads are own products or covered by the domain's grants (version by version)."""
    where = app.srcs.get("reads", app.src)
    for entry in app.reads:
        key, version = product_ref(entry)
        versions = mesh.versions(key)
        if not versions:
            diags.error(
                f'application "{app.name}" reads an unknown data product "{entry}"',
                where,
                hint=_did_you_mean(key, sorted({p.key for p in mesh.products}), "products")
                + ' (products are named "<domain>.<product>")',
            )
            continue
        wanted = _declared_versions(app, "reads", key, versions, version, where, diags)
        if not wanted:
            continue
        if versions[0].domain == app.domain:
            continue  # own products need no grant
        grants = [a.version for a in mesh.access if a.consumer == app.domain and a.product == key]
        missing = [p for p in wanted if None not in grants and p.version not in grants]
        if missing:
            diags.error(
                f"{app.domain} is not granted {key}"
                + (f" v{missing[0].version}" if version is not None or grants else "")
                + f': application "{app.name}" cannot read it',
                where,
                detail="an application reads only what its domain may read",
                hint=f'add an access block: access "..." {{ product = "{key}", consumer = "{app.domain}" }}',
            )


def check_outputs(
    mesh: Mesh,
    i: Integration,
    which: Iterable[IntegrationOutput],
    diags: Diagnostics,
    exceptions: Exceptions | None = None,
) -> None:
    """The integration's outputs in `which` (all of them, or those its module added): unique
    per integration, a topic name Kafka takes, within the domain's policy."""
    checked = set(map(id, which))
    first: dict[str, IntegrationOutput] = {}
    # A product topic under the namespace is refused by _check_integrations, outputs or not.
    for o in i.outputs:
        if o.name in first:
            if id(o) in checked:
                earlier = first[o.name]
                if o.module and not earlier.module:  # at the user's block: the module's file is not theirs
                    diags.error(
                        f'output "{o.name}" of integration "{i.name}" is declared by its module too',
                        earlier.src,
                        detail=f"{o.module} declares it at {o.src}",
                        hint="remove this output block: the module's declaration makes the topic",
                    )
                else:
                    diags.error(
                        f'duplicate output "{o.name}" of integration "{i.name}"',
                        o.src,
                        detail=f"first declared at {earlier.src}",
                        hint="each output names one topic: rename or remove one of them",
                    )
            continue
        first[o.name] = o
        if id(o) not in checked:
            continue
        topic = mesh.output_topic(i, o)
        address = f'{i.address}.output "{o.name}"'
        if len(topic) > MAX_TOPIC_NAME_LENGTH:
            diags.error(
                f'output "{o.name}" of integration "{i.name}" would be a topic name of {len(topic)} characters',
                o.src,
                detail=f"Kafka takes at most {MAX_TOPIC_NAME_LENGTH}: {topic[:40]}...",
                hint="shorten the output's name (or the integration's or its domains')",
            )

        def where(attr: str, o: IntegrationOutput = o) -> SourceRange:
            return o.srcs.get(attr, o.src)

        _check_topic_policy(mesh, i.domain, o.topic, where, address, diags, exceptions=exceptions)
