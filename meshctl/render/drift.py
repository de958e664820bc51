"""Drift reports for people, drawn from the drift document (plan.jsonformat.drift_to_json)
that cron jobs and alerting read."""

from __future__ import annotations

from meshctl.plan.jsonformat import DriftDoc, DriftItemDoc
from meshctl.render.text import Block, Styler, draw_block


def render_drift(doc: DriftDoc, color: bool) -> str:
    s = Styler(color)
    summary, items = doc["summary"], doc["resources"]
    if not doc["drift"]:
        return s("No drift.", bold=True) + f" The {summary['managed']} managed resources match what meshctl recorded.\n"
    out = [
        s("Drift detected:", "yellow", bold=True) + f" {summary['changed']} changed, {summary['deleted']} deleted, "
        f"{summary['unmanaged']} unmanaged (of {summary['managed']} managed resources).",
        "",
    ]
    changed = [i for i in items if i["kind"] == "changed"]
    if changed:
        out.append("Changed outside meshctl (recorded -> live):")
        out.append("")
        for i in changed:
            out.extend(draw_block(_block(i), Styler(False)))  # blocks plain, as in Markdown
            out.append("")
    for kind, title, symbol, fg in (
        ("deleted", "Deleted outside meshctl:", "-", "red"),
        ("unmanaged", "Not managed by meshctl, inside managed namespaces:", "?", "yellow"),
    ):
        listed = [i for i in items if i["kind"] == kind]
        if listed:
            out.append(title)
            for i in listed:
                out.append(f"  {s(symbol, fg)} {i['address']}" + (f"  # {i['detail']}" if i["detail"] else ""))
            out.append("")
    out.append("Run `meshctl plan` to see how apply would restore the recorded state.")
    return "\n".join(out) + "\n"


def _block(i: DriftItemDoc) -> Block:
    """A changed resource drawn as an update from what state recorded to what is live."""
    detail = i["detail"] or ""
    return Block(
        i["address"],
        i["type"],
        i["name"],
        ("update",),
        f"from domain.{i['domain']}{'; ' + detail if detail else ''}",
        i["recorded"] or {},
        i["live"] or {},
        headline="changed outside meshctl",
        schema_changes=i.get("schema_changes"),
        policy_changes=i.get("policy_changes") or [],
    )
