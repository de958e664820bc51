"""The JSON plan: the one serialized form of a plan, shaped like Terraform's JSON plan
so tools that read Terraform plans can read it. The text view is rendered from it."""

from __future__ import annotations

from meshctl import __version__
from meshctl.plan.model import Plan
from meshctl.resources import RESOURCE_TYPES

FORMAT_VERSION = "1.0"


def _action_reason(actions: tuple[str, ...], reason: str) -> str | None:
    if actions == ("delete", "create"):
        return "replace_because_cannot_update"
    if actions == ("delete",):
        return "delete_because_no_resource_config"
    return None


def plan_to_json(plan: Plan, warnings: list[str] | None = None) -> dict[str, object]:
    add, change, destroy = plan.counts()
    resource_changes = []
    for c in sorted(plan.changes, key=lambda c: c.address):
        entry: dict[str, object] = {
            "address": c.address,
            "mode": "managed",
            **({"module_address": c.module} if c.module else {}),
            **({"previous_address": c.previous_address} if c.previous_address else {}),
            "type": c.type,
            "name": c.name,
            "provider_name": f"meshctl/{RESOURCE_TYPES[c.type].provider}",
            "change": {
                "actions": list(c.actions),
                "before": c.before,
                "after": c.after,
                "after_unknown": {},
                "before_sensitive": {},
                "after_sensitive": {},
            },
            "meshctl": {
                "source": c.source,
                "domain": c.domain,
                "reason": c.reason,
                "blocked": c.blocked,
                "opt_in": c.opt_in,  # the flag that lifts `blocked`
                "prevent_destroy": c.protected_at,
                "depends_on": list(c.depends_on),
                "retire": c.retire,
            },
        }
        reason = _action_reason(c.actions, c.reason)
        if reason:
            entry["action_reason"] = reason
        resource_changes.append(entry)
    return {
        "format_version": FORMAT_VERSION,
        "meshctl_version": __version__,
        "applyable": plan.has_changes and not plan.blocked,
        "complete": True,
        "errored": False,
        "resource_changes": resource_changes,
        "summary": {"add": add, "change": change, "destroy": destroy, "blocked": len(plan.blocked)},
        "prior_state": {"serial": plan.state_serial, "lineage": plan.state_lineage, "forgotten": plan.forgotten},
        "migrations": plan.migrations,
        # Live objects in managed namespaces that nothing declares: ACLs (action "delete", planned
        # above as resource changes) and topics or subjects (action "none", left alone).
        "unmanaged": plan.unmanaged,
        "diagnostics": [{"severity": "warning", "summary": w} for w in (warnings or [])],
    }
