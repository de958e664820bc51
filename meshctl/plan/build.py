"""build_plan: the desired state, the prior state and what refresh observed -> a plan and
its diagnostics. Pure: no I/O, no clock (today is given), no environment.

The steps, in order: narrow to the scope (`--target`, `--domain`) and check what may not be
planned at all (a retired name reused, a sensitive value in an attribute, `moved` blocks);
then compare (plan.diff), judge schema changes by the registry's verdicts, guard retiring
versions by their records and consumer positions, refuse what prevent_destroy protects, list
the versions in migration, and sort the objects nobody declared (plan.outside).

Refresh needs to know what to read before the planner runs: `scope_plan` and
`facts_wanted` say so, from the same inputs, so both see the same scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from meshctl.errors import Diagnostic, Diagnostics, error
from meshctl.mesh.capacity import replication_errors
from meshctl.mesh.lifecycle import RETIRE, Stage
from meshctl.mesh.model import Mesh
from meshctl.naming import DEFAULT_CLUSTER, cluster_of, integration_namespace
from meshctl.plan.diff import PlanOptions, diff, match_moves, prevent_destroy_errors, topics_at_stake
from meshctl.plan.force_replace import replace_problems
from meshctl.plan.migration import guard_retirement, migrations, watched_groups
from meshctl.plan.model import UPDATE, Plan, ResourceChange
from meshctl.plan.moves import resolve_moved
from meshctl.plan.observed import Observed, SchemaCandidate, SchemaVerdict
from meshctl.plan.outside import Territory, explain, outside, territory
from meshctl.plan.scope import Scope, narrow
from meshctl.redaction import secret_paths
from meshctl.resources import Resource
from meshctl.schemas.diff import incompatible_changes
from meshctl.schemas.model import SchemaError
from meshctl.state_model import State


@dataclass(frozen=True)
class Desired:
    """What the configuration compiles to, with what of the configuration the planner reads."""

    mesh: Mesh
    resources: tuple[Resource, ...]  # every compiled resource, whatever the scope
    stages: Mapping[str, Stage]  # where each product version is in its life (by product address)
    sensitive: tuple[tuple[str, str], ...] = ()  # (`var.NAME`, a leaf of its value) of sensitive variables
    principal: str = ""  # the principal meshctl connects as: never managed, its ACLs never touched
    # ... and on each named cluster (`kafka "eu"`) it connects to: cluster -> principal.
    cluster_principals: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scoped:
    """The part of the mesh a plan looks at: what refresh reads and the planner compares."""

    resources: list[Resource]  # desired resources in scope
    prior: State  # recorded resources in scope, with the entries chosen resources move from
    moved: Mapping[str, str]  # old address -> new address, from `moved` blocks
    watched: tuple[str, ...]  # topics whose consumer positions decide migrations and retirement
    group_prefixes: tuple[str, ...]  # the consumer groups that may hold positions on them


# -- before refresh: what to read ----------------------------------------------------------------


def scope_plan(
    desired: Desired, prior: State, scope: Scope, options: PlanOptions | None = None
) -> tuple[Scoped, Diagnostics]:
    """The scoped resources and state, and what may not be planned at all (errors before any
    request): `options` brings the requested replacements (`-replace`) and the opt-ins they need."""
    everything = list(desired.resources)
    resources, scoped_prior = narrow(everything, prior, scope)
    diags = Diagnostics()
    if options is not None and options.replace:
        for problem in replace_problems(everything, prior, (r.address for r in resources), options):
            diags.error(problem)
    _reused_names(resources, prior, desired.principal, diags, desired.cluster_principals)
    _sensitive_attributes(resources, desired.sensitive, diags)
    moved = resolve_moved(desired.mesh.moved, (r.addr for r in everything), diags)
    scoped_prior = with_move_sources(everything, resources, prior, scoped_prior, moved)
    in_scope = None
    if not scope.everything:
        in_scope = frozenset(str(r.attributes["name"]) for r in resources if r.type == "kafka_topic")
        in_scope |= {str(rs.attributes["name"]) for rs in scoped_prior.resources.values() if rs.type == "kafka_topic"}
    topics, prefixes = watched_groups(desired.mesh, desired.stages, in_scope)
    return Scoped(resources, scoped_prior, moved, tuple(topics), prefixes), diags


def facts_wanted(
    scoped: Scoped, live: Mapping[str, Mapping[str, object]]
) -> tuple[dict[str, int], list[SchemaCandidate]]:
    """After the live attributes are read: the topics whose records to count (name ->
    partitions: those the plan may delete or replace) and the schemas for the registry to
    judge (those an update would register)."""
    # Only a subject's update is judged, and moves pair objects of one type: the diff of the
    # subjects alone finds the same candidates as the whole plan's (1.5 s at 25,000 resources).
    subjects = [r for r in scoped.resources if r.type == "schema_subject"]
    recorded = State(
        scoped.prior.lineage,
        scoped.prior.serial,
        {a: rs for a, rs in scoped.prior.resources.items() if rs.type == "schema_subject"},
    )
    draft = diff(subjects, recorded, live, PlanOptions(), scoped.moved)
    candidates = [c for c in map(_schema_candidate, draft.changes) if c is not None]
    return topics_at_stake(scoped.resources, scoped.prior, live), sorted(set(candidates), key=_candidate_key)


def _candidate_key(c: SchemaCandidate) -> tuple[str, str, str]:
    return (c.subject, c.schema_type, c.schema)


def _schema_candidate(c: ResourceChange) -> SchemaCandidate | None:
    before, after = c.before or {}, c.after or {}
    if c.type != "schema_subject" or c.actions != UPDATE or before.get("schema") == after.get("schema"):
        return None
    level = str(after.get("compatibility") or before.get("compatibility"))
    return SchemaCandidate(str(after["subject"]), str(after["schema_type"]), str(after["schema"]), level)


# -- the plan ------------------------------------------------------------------------------------


def build_plan(
    desired: Desired, prior: State, observed: Observed, options: PlanOptions, today: date
) -> tuple[Plan, Diagnostics]:
    """The plan for `options.scope`, and the errors that forbid applying it (diagnostics with
    severity error: the plan is then for display only)."""
    scoped, diags = scope_plan(desired, prior, options.scope, options)
    if diags.has_errors:
        return Plan(state_serial=prior.serial, state_lineage=prior.lineage), diags
    mesh = desired.mesh
    if observed.brokers:
        _add(diags, replication_errors(scoped.resources, observed.brokers, mesh))
    plan = diff(scoped.resources, scoped.prior, observed.live, options, scoped.moved, observed.records)
    _add(diags, breaking_errors(plan, observed.verdicts, mesh))
    plan = guard_retirement(
        plan, mesh, desired.stages, observed.positions, options, observed.records, observed.refreshed
    )
    retiring = frozenset(a for a, st in desired.stages.items() if st.stage == RETIRE)
    _add(diags, prevent_destroy_errors(plan, retiring))
    watched = None if options.scope.everything else frozenset(scoped.watched)
    plan.migrations = migrations(mesh, desired.stages, observed.positions, today, watched)
    _outside(plan, desired, prior, observed.live, options.scope)
    return plan, diags


def _add(diags: Diagnostics, found: Iterable[Diagnostic]) -> None:
    for d in found:
        diags.add(d)


def territory_of(desired: Desired, prior: State) -> Territory:
    """What meshctl owns on the cluster: declared and recorded objects, every domain's namespace."""
    mesh = desired.mesh
    items = [(r.type, r.attributes, r.domain) for r in desired.resources]
    items += [(rs.type, rs.attributes, rs.domain) for rs in prior.resources.values()]
    kept = [*mesh.kafka.keep_acls_of, *([f"User:{desired.principal}"] if desired.principal else [])]
    # Several clusters: what one cluster's settings keep is kept on every one (never deleted).
    kept += [a for conn in mesh.clusters.values() for a in conn.keep_acls_of]
    kept += [f"User:{p}" for p in desired.cluster_principals.values() if p]
    integrations = {
        integration_namespace(mesh.path(i.domain), i.name): (i.domain, i.name)
        for i in mesh.integrations
        if i.domain in mesh.domains
    }
    return territory(items, {d: mesh.path(d) + "." for d in mesh.domains}, kept, integrations)


def _outside(
    plan: Plan, desired: Desired, prior: State, live: Mapping[str, Mapping[str, object]], scope: Scope
) -> None:
    """Escalations out of band become changes; unmanaged objects in namespaces are listed.
    A `--target` plan is about its targets only, as in Terraform."""
    plan.changes[:] = [explain(c) for c in plan.changes]
    if scope.targets:
        return
    known = {r.address for r in desired.resources} | set(prior.resources)
    deletes, found = outside(territory_of(desired, prior), live, known, scope.domains)
    plan.changes.extend(deletes)
    plan.unmanaged = [u.to_json() for u in found]


def with_move_sources(
    everything: list[Resource], desired: list[Resource], prior: State, scoped: State, moved: Mapping[str, str]
) -> State:
    """A `--target` or `--domain` plan also sees the recorded entry a chosen resource moves
    from: it plans the move, never an adoption next to an old entry a later plan would delete."""
    if len(scoped.resources) == len(prior.resources):
        return scoped
    recorded = {a: rs.attributes for a, rs in prior.resources.items()}
    chosen = {r.address for r in desired}
    pairs = match_moves({r.address: r for r in everything}, prior, recorded, moved)
    for new, old in pairs.items():
        if new in chosen:
            scoped.resources.setdefault(old, prior.resources[old])
    return scoped


# -- what may not be planned -----------------------------------------------------------------------


def _reused_names(
    desired: list[Resource],
    prior: State,
    principal: str,
    diags: Diagnostics,
    cluster_principals: Mapping[str, str] | None = None,
) -> None:
    for r in desired:
        if r.type == "kafka_topic" and r.name in prior.retired:
            diags.error(
                f"topic {r.name} ({r.source}) was retired on {prior.retired[r.name]}; a retired version's "
                "name is never used again: publish the next version number instead"
            )
        if r.type != "kafka_scram_user":
            continue
        cluster, name = cluster_of(r.name)
        own = principal if cluster == DEFAULT_CLUSTER else (cluster_principals or {}).get(cluster, "")
        if own and (r.name == own if cluster == DEFAULT_CLUSTER else name == own):
            # Managing it would give meshctl's own (often super) user a new password and the block's ACLs.
            on = "" if cluster == DEFAULT_CLUSTER else f" on cluster {cluster}"
            diags.error(
                f"{r.source} would be the principal User:{own}, which meshctl itself connects as{on}: "
                "rename the domain or integration"
            )


def _sensitive_attributes(desired: list[Resource], sensitive: tuple[tuple[str, str], ...], diags: Diagnostics) -> None:
    """State and saved plans are plain text: a sensitive variable's value may not become an attribute."""
    if not sensitive:
        return
    for r in desired:
        for path, name in secret_paths(r.attributes, list(sensitive)):
            diags.error(
                f"{r.address} (from {r.source}): {path} would hold the value of the sensitive {name}, "
                "and state and saved plans are plain text: keep the value in Secrets Manager and refer to it "
                "by name, or drop sensitive = true if it is no secret"
            )


def breaking_errors(plan: Plan, verdicts: Mapping[SchemaCandidate, SchemaVerdict], mesh: Mesh) -> list[Diagnostic]:
    """A schema change the registry judged incompatible is an error, explained field by field:
    breaking changes are published as a new version, never inside one."""
    out = []
    for c in plan.actionable:
        candidate = _schema_candidate(c)
        verdict = verdicts.get(candidate) if candidate is not None else None
        if candidate is None or verdict is None or verdict.compatible:
            continue
        product = next((p for p in mesh.products if p.address == c.source), None)
        version = product.version if product else 0
        out.append(
            error(
                f"breaking schema change in {c.source or c.address}",
                product.srcs.get("schema.file", product.src) if product else None,
                detail=f"subject {candidate.subject}: {_why_breaking(c, candidate, verdict)}",
                hint=f"breaking changes are published as version {version + 1}: a new data_product block "
                f"with versioning {{ replaces = {version} }}, never inside a version",
            )
        )
    return out


def _why_breaking(c: ResourceChange, candidate: SchemaCandidate, verdict: SchemaVerdict) -> str:
    """The registry's verdict explained: against the latest version, or against every registered
    version for a transitive level."""
    before = c.before or {}
    level = candidate.compatibility
    earlier = verdict.registered if candidate.transitive and verdict.registered else {0: str(before["schema"])}
    try:
        found = incompatible_changes(candidate.schema_type, earlier, candidate.schema, level)
    except SchemaError:  # a live schema does not parse here: the registry's verdict stands alone
        found = []
    reasons = [f"{b.change.describe()} ({b.rule})" for b in found]
    return "; ".join(reasons) if reasons else f"the registry reports it incompatible under {level}"
