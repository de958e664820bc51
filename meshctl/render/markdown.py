"""A plan as a pull-request comment: a summary table by domain, destructive changes
called out, details folded per domain. Rendered from the JSON plan with jinja2."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from meshctl.plan.jsonformat import PlanDoc, ResourceChangeDoc
from meshctl.render.text import render_changes

if TYPE_CHECKING:
    import jinja2


@functools.cache
def _env() -> jinja2.Environment:
    """The templates' environment, made on first use: jinja2 is imported only by a command that renders with it."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("meshctl.render", "templates"),
        autoescape=False,  # Markdown, not HTML; values are addresses and attribute values
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_markdown(doc: PlanDoc, approvals: list[dict[str, object]] | None = None) -> str:
    """`approvals`: what the grants and copies the plan adds need (mesh.approvals.approvals_for);
    none: no section, the plan reads as before."""
    # Moves show too: a move may change nothing but the address.
    changes = [c for c in doc["resource_changes"] if c["change"]["actions"] != ["no-op"] or c.get("previous_address")]
    by_domain: dict[str, list[ResourceChangeDoc]] = {}
    for c in changes:
        by_domain.setdefault(c["meshctl"].get("domain") or "(none)", []).append(c)
    domains = []
    for name in sorted(by_domain):
        group = by_domain[name]
        domains.append(
            {
                "name": name,
                "changes": group,
                "add": sum("create" in c["change"]["actions"] for c in group),
                "change": sum(c["change"]["actions"] == ["update"] for c in group),
                "destroy": sum("delete" in c["change"]["actions"] for c in group),
                "text": _as_diff(render_changes(group)),
            }
        )
    # What a delete or replace of loses data (or access), as the planner marked it.
    destructive = [
        _destructive_line(c) for c in changes if "delete" in c["change"]["actions"] and c["meshctl"].get("holds_data")
    ]
    warnings = [d["summary"] for d in doc.get("diagnostics", [])]
    return (
        _env()
        .get_template("plan.md.j2")
        .render(
            changes=changes,
            summary=doc["summary"],
            domains=domains,
            destructive=destructive,
            warnings=warnings,
            unmanaged=doc.get("unmanaged") or [],
            approvals=[_approval_row(a) for a in approvals or []],
        )
    )


def _approval_row(a: dict[str, object]) -> dict[str, str]:
    approvers = a.get("approvers")
    who = ", ".join(str(x) for x in approvers) if isinstance(approvers, list) and approvers else "nobody (no owners)"
    if a.get("approved_by"):
        given = f"approved by {a['approved_by']}" + (f" ({a['ticket']})" if a.get("ticket") else "")
    elif a.get("exception"):
        given = f"**missing**: exception `{a['exception']}` lets it stand until {a['exception_expires']}"
    else:
        given = "**missing**"
    return {
        "address": str(a["address"]),
        "product": str(a["product"]),
        "consumer": str(a["consumer"]),
        "at": str(a["approver_domain"] or "(no common ancestor)"),
        "who": who,
        "given": given,
    }


def _destructive_line(c: ResourceChangeDoc) -> str:
    what = "is replaced" if c["change"]["actions"] == ["delete", "create"] else "is destroyed"
    line = f"`{c['address']}` {what}"
    if c["meshctl"].get("reason"):
        line += f": {c['meshctl']['reason']}"
    if c["meshctl"].get("blocked"):
        line += f" (apply refuses it without an opt-in: {c['meshctl']['blocked']})"
    return line


def _as_diff(text: str) -> str:
    """Move each line's action symbol to column 0 so GitHub colours it as a diff."""
    out = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped[:1] in "+-" and not stripped.startswith("-/+") and line.startswith(" "):
            out.append(stripped[0] + line[1:])
        else:
            out.append(line)
    return "\n".join(out)
