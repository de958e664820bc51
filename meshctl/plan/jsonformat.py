"""The JSON plan, in both directions: the one serialized form of a plan, shaped like
Terraform's JSON plan so tools that read Terraform plans can read it. The text and Markdown
views are drawn from it, saved plans are it (plan.planfile), and reading one back gives the
plan it was written from.

meshctl's own fields sit under `meshctl` in each resource change; Terraform's `action_reason`
and `change.replace_paths` carry what the planner decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from meshctl import __version__
from meshctl.address import Address
from meshctl.documents import BadDocumentError, JsonValue
from meshctl.plan.drift import CHANGED as DRIFT_CHANGED
from meshctl.plan.drift import DELETED, UNMANAGED, DriftReport
from meshctl.plan.model import (
    ACTION_REASONS,
    CREATE,
    DELETE,
    NOOP,
    REPLACE,
    UPDATE,
    Plan,
    PolicyChange,
    ResourceChange,
    SchemaChange,
)
from meshctl.resources import RESOURCE_TYPES, provider_of

FORMAT_VERSION = "1.0"


# -- the document's shape: what the views read ---------------------------------------------------


class SchemaChangeDoc(TypedDict):
    kind: str
    effect: str  # added, removed, changed
    description: str


class PolicyChangeDoc(TypedDict):
    path: list[str]
    effect: str  # changed; added or removed for a whole inline policy
    removed: list[dict[str, object]]
    added: list[dict[str, object]]


class ChangeDoc(TypedDict):
    actions: list[str]
    before: Mapping[str, object] | None
    after: Mapping[str, object] | None
    after_unknown: dict[str, object]
    before_sensitive: dict[str, object]
    after_sensitive: dict[str, object]
    replace_paths: NotRequired[list[list[str]]]


class MeshctlDoc(TypedDict):
    source: str
    domain: str
    reason: str
    blocked: str
    opt_in: str
    prevent_destroy: str
    depends_on: list[str]
    retire: bool
    holds_data: bool
    schema_changes: NotRequired[list[SchemaChangeDoc]]
    policy_changes: NotRequired[list[PolicyChangeDoc]]


class ResourceChangeDoc(TypedDict):
    address: str
    mode: str
    module_address: NotRequired[str]
    previous_address: NotRequired[str]
    type: str
    name: str
    provider_name: str
    change: ChangeDoc
    action_reason: NotRequired[str]
    meshctl: MeshctlDoc


class SummaryDoc(TypedDict):
    add: int
    change: int
    destroy: int
    blocked: int


class PriorStateDoc(TypedDict):
    serial: int
    lineage: str
    forgotten: list[str]


class DiagnosticDoc(TypedDict):
    severity: str
    summary: str


class PlanDoc(TypedDict):
    format_version: str
    meshctl_version: str
    applyable: bool
    complete: bool
    errored: bool
    resource_changes: list[ResourceChangeDoc]
    summary: SummaryDoc
    prior_state: PriorStateDoc
    # Each as plan.migration.migrations and plan.outside.Unmanaged.to_json make them.
    migrations: list[dict[str, Any]]
    unmanaged: list[dict[str, Any]]
    diagnostics: list[DiagnosticDoc]


class DriftSummaryDoc(TypedDict):
    managed: int
    changed: int
    deleted: int
    unmanaged: int


class DriftItemDoc(TypedDict):
    address: str
    type: str
    name: str
    kind: str  # changed, deleted, unmanaged
    domain: str
    recorded: Mapping[str, object] | None
    live: Mapping[str, object] | None
    detail: str
    schema_changes: NotRequired[list[SchemaChangeDoc]]
    policy_changes: NotRequired[list[PolicyChangeDoc]]


class DriftDoc(TypedDict):
    format_version: str
    meshctl_version: str
    drift: bool
    summary: DriftSummaryDoc
    resources: list[DriftItemDoc]


# -- writing ---------------------------------------------------------------------------------------


def plan_to_json(plan: Plan, warnings: list[str] | None = None) -> PlanDoc:
    add, change, destroy = plan.counts()
    return {
        "format_version": FORMAT_VERSION,
        "meshctl_version": __version__,
        "applyable": plan.has_changes and not plan.blocked,
        "complete": True,
        "errored": False,
        "resource_changes": [_change_to_json(c) for c in sorted(plan.changes, key=lambda c: c.address)],
        "summary": {"add": add, "change": change, "destroy": destroy, "blocked": len(plan.blocked)},
        "prior_state": {"serial": plan.state_serial, "lineage": plan.state_lineage, "forgotten": plan.forgotten},
        "migrations": plan.migrations,
        # Live objects in managed namespaces that nothing declares: ACLs (action "delete", planned
        # above as resource changes) and topics or subjects (action "none", left alone).
        "unmanaged": plan.unmanaged,
        "diagnostics": [{"severity": "warning", "summary": w} for w in (warnings or [])],
    }


def _change_to_json(c: ResourceChange) -> ResourceChangeDoc:
    change: ChangeDoc = {
        "actions": list(c.actions),
        "before": c.before,
        "after": c.after,
        "after_unknown": {},
        "before_sensitive": {},
        "after_sensitive": {},
    }
    if c.replace_paths:
        change["replace_paths"] = [list(p) for p in c.replace_paths]
    extra: MeshctlDoc = {
        "source": c.source,
        "domain": c.domain,
        "reason": c.reason,
        "blocked": c.blocked,
        "opt_in": c.opt_in,  # the flag that lifts `blocked`
        "prevent_destroy": c.protected_at,
        "depends_on": list(c.depends_on),
        "retire": c.retire,
        "holds_data": c.holds_data,
    }
    if c.schema_changes is not None:
        extra["schema_changes"] = schema_changes_to_json(c.schema_changes)
    if c.policy_changes:
        extra["policy_changes"] = policy_changes_to_json(c.policy_changes)
    entry: ResourceChangeDoc = {
        "address": c.address,
        "mode": "managed",
        "type": c.type,
        "name": c.name,
        "provider_name": f"meshctl/{provider_of(c.type, c.address)}",  # meshctl/kafka.eu on cluster eu
        "change": change,
        "meshctl": extra,
    }
    if c.module:
        entry["module_address"] = c.module
    if c.previous_address:
        entry["previous_address"] = c.previous_address
    if c.action_reason:
        entry["action_reason"] = c.action_reason
    return entry


def schema_changes_to_json(changes: tuple[SchemaChange, ...]) -> list[SchemaChangeDoc]:
    return [{"kind": s.kind, "effect": s.effect, "description": s.description} for s in changes]


def policy_changes_to_json(changes: tuple[PolicyChange, ...]) -> list[PolicyChangeDoc]:
    return [
        {
            "path": list(p.path),
            "effect": p.effect,
            "removed": [dict(s) for s in p.removed],
            "added": [dict(s) for s in p.added],
        }
        for p in changes
    ]


def drift_to_json(report: DriftReport) -> DriftDoc:
    """The drift report: for cron jobs and alerting, and what `meshctl drift` draws."""
    items: list[DriftItemDoc] = []
    for i in report.items:
        item: DriftItemDoc = {
            "address": i.address,
            "type": i.type,
            "name": i.name,
            "kind": i.kind,
            "domain": i.domain,
            "recorded": i.recorded,
            "live": i.live,
            "detail": i.detail,
        }
        if i.schema_changes is not None:
            item["schema_changes"] = schema_changes_to_json(i.schema_changes)
        if i.policy_changes:
            item["policy_changes"] = policy_changes_to_json(i.policy_changes)
        items.append(item)
    return {
        "format_version": FORMAT_VERSION,
        "meshctl_version": __version__,
        "drift": report.has_drift,
        "summary": {
            "managed": report.managed,
            "changed": report.count(DRIFT_CHANGED),
            "deleted": report.count(DELETED),
            "unmanaged": report.count(UNMANAGED),
        },
        "resources": items,
    }


# -- reading ---------------------------------------------------------------------------------------

_ACTIONS = {NOOP, CREATE, UPDATE, DELETE, REPLACE}


def _actions(change: JsonValue) -> tuple[str, ...]:
    """The change's actions, one of the shapes the planner makes: apply acts on nothing else."""
    actions = tuple(change.get("actions", list))
    if not all(isinstance(a, str) for a in actions) or actions not in _ACTIONS:
        raise BadDocumentError(change.file, f"{change.path}.actions: {list(actions)} is not a planned action")
    return actions


def _strings(value: JsonValue) -> tuple[str, ...]:
    items = value.expect(list)
    if not all(isinstance(i, str) for i in items):
        raise BadDocumentError(value.file, f"{value.path} should be a list of strings")
    return tuple(items)


def plan_from_json(data: Mapping[str, object], where: str = "the plan") -> Plan:
    """The inverse of plan_to_json; a document of another shape is one clear error."""
    doc = JsonValue(data, where)
    prior = doc.member("prior_state")
    plan = Plan(
        state_serial=prior.get("serial", int),
        state_lineage=prior.get("lineage", str),
        forgotten=prior.get("forgotten", list, []),
        migrations=doc.get("migrations", list, []),
        unmanaged=doc.get("unmanaged", list, []),
    )
    for rc in doc.items("resource_changes"):
        plan.changes.append(_change_from_json(rc, where))
    return plan


def _change_from_json(rc: JsonValue, where: str) -> ResourceChange:
    extra = rc.member("meshctl")
    change = rc.member("change")
    if rc.get("type", str) not in RESOURCE_TYPES:
        raise BadDocumentError(where, f"{rc.path}.type: unknown resource type {rc.get('type', str)!r}")
    reason = rc.get("action_reason", str, "")
    if reason and reason not in ACTION_REASONS:
        raise BadDocumentError(where, f"{rc.path}.action_reason: unknown reason {reason!r}")
    schema, policies = details_from_json(extra)
    address = _address(rc, where)
    return ResourceChange(
        address=address,
        type=rc.get("type", str),
        name=rc.get("name", str),
        source=extra.get("source", str),
        actions=_actions(change),
        before=change.optional("before", dict),
        after=change.optional("after", dict),
        depends_on=tuple(extra.get("depends_on", list, [])),
        reason=extra.get("reason", str, ""),
        blocked=extra.get("blocked", str, ""),
        domain=extra.get("domain", str, ""),
        retire=extra.get("retire", bool, False),
        module=rc.get("module_address", str, ""),
        previous_address=rc.get("previous_address", str, ""),
        opt_in=extra.get("opt_in", str, ""),
        protected_at=extra.get("prevent_destroy", str, ""),
        action_reason=reason,
        replace_paths=tuple(_strings(p) for p in change.items("replace_paths")),
        holds_data=extra.get("holds_data", bool, False),
        schema_changes=schema,
        policy_changes=policies,
    )


def _address(rc: JsonValue, where: str) -> str:
    """The change's address, which must be the one its type, name and module make (and a
    previous address one that reads as an address): apply keys state by them."""
    address = rc.get("address", str)
    try:
        made = Address.of(rc.get("type", str), rc.get("name", str), rc.get("module_address", str, ""))
        previous = rc.get("previous_address", str, "")
        if previous:
            Address.parse(previous)
    except ValueError as exc:  # an AddressError says what is wrong with the text
        raise BadDocumentError(where, f"{rc.path}: {exc}") from None
    if str(made) != address:
        raise BadDocumentError(where, f"{rc.path}.address: {address!r} is not {made}, which its type and name make")
    return address


def details_from_json(extra: JsonValue) -> tuple[tuple[SchemaChange, ...] | None, tuple[PolicyChange, ...]]:
    schema = None
    if extra.optional("schema_changes", list) is not None:
        schema = tuple(
            SchemaChange(s.get("kind", str), s.get("effect", str), s.get("description", str))
            for s in extra.items("schema_changes")
        )
    policies = tuple(
        PolicyChange(
            _strings(p.member("path")),
            p.get("effect", str),
            tuple(s.expect(dict) for s in p.items("removed")),
            tuple(s.expect(dict) for s in p.items("added")),
        )
        for p in extra.items("policy_changes")
    )
    return schema, policies
