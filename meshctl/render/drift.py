"""Drift reports for people (text) and for cron jobs and alerting (JSON)."""

from __future__ import annotations

from meshctl import __version__
from meshctl.engine.drift import CHANGED, DELETED, UNMANAGED, DriftReport
from meshctl.render.text import Styler, render_changes

FORMAT_VERSION = "1.0"


def drift_to_json(report: DriftReport) -> dict[str, object]:
    return {
        "format_version": FORMAT_VERSION,
        "meshctl_version": __version__,
        "drift": report.has_drift,
        "summary": {
            "managed": report.managed,
            CHANGED: report.count(CHANGED),
            DELETED: report.count(DELETED),
            UNMANAGED: report.count(UNMANAGED),
        },
        "resources": [
            {
                "address": i.address,
                "type": i.type,
                "kind": i.kind,
                "domain": i.domain,
                "recorded": i.recorded,
                "live": i.live,
                "detail": i.detail,
            }
            for i in report.items
        ],
    }


def render_drift(report: DriftReport, color: bool) -> str:
    s = Styler(color)
    if not report.has_drift:
        return s("No drift.", bold=True) + f" The {report.managed} managed resources match what meshctl recorded.\n"
    out = [
        s("Drift detected:", "yellow", bold=True)
        + f" {report.count(CHANGED)} changed, {report.count(DELETED)} deleted, "
        f"{report.count(UNMANAGED)} unmanaged (of {report.managed} managed resources).",
        "",
    ]
    changed = [i for i in report.items if i.kind == CHANGED]
    if changed:
        out.append("Changed outside meshctl (recorded -> live):")
        out.append("")
        pseudo = [
            {
                "address": i.address,
                "type": i.type,
                "name": i.address.split(".", 1)[1],
                "headline": "changed outside meshctl",
                "change": {"actions": ["update"], "before": i.recorded, "after": i.live},
                "meshctl": {"source": f"domain.{i.domain}", "reason": i.detail},
            }
            for i in changed
        ]
        out.append(render_changes(pseudo))
        out.append("")
    for kind, title, symbol, fg in (
        (DELETED, "Deleted outside meshctl:", "-", "red"),
        (UNMANAGED, "Not managed by meshctl, inside managed namespaces:", "?", "yellow"),
    ):
        items = [i for i in report.items if i.kind == kind]
        if items:
            out.append(title)
            for i in items:
                out.append(f"  {s(symbol, fg)} {i.address}" + (f"  # {i.detail}" if i.detail else ""))
            out.append("")
    out.append("Run `meshctl plan` to see how apply would restore the recorded state.")
    return "\n".join(out) + "\n"
