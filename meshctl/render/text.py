"""The human plan, rendered from the JSON plan (so the two cannot disagree), in
Terraform's conventions: `+ ~ - -/+`, attribute-level `old -> new`, a summary line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

from meshctl.mesh.durations import format_ms
from meshctl.plan.jsonformat import PlanDoc, PolicyChangeDoc, ResourceChangeDoc, SchemaChangeDoc

_SYMBOL = {
    ("create",): ("+", "green"),
    ("update",): ("~", "yellow"),
    ("delete",): ("-", "red"),
    ("delete", "create"): ("-/+", "red"),
}
_HEADLINE = {
    ("create",): "will be created",
    ("update",): "will be updated in-place",
    ("delete",): "will be destroyed",
    ("delete", "create"): "must be replaced",
}
_LEGEND = {
    ("create",): "create",
    ("update",): "update in-place",
    ("delete",): "destroy",
    ("delete", "create"): "destroy and then create replacement",
}
_REQUESTED = "will be replaced, as requested"  # Terraform's headline for `-replace`
IDENTITY = ("name", "principal")


class Styler:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if self.color else text


def render_plan(doc: PlanDoc, color: bool) -> str:
    s = Styler(color)
    changes = [c for c in doc["resource_changes"] if _shown(c)]
    unmanaged = render_unmanaged(doc.get("unmanaged") or [], s)
    if not changes:
        tail = "\n".join(unmanaged + render_migrations(doc.get("migrations") or [], s))
        return s("No changes.", bold=True) + " Your mesh matches the configuration.\n" + (f"\n{tail}" if tail else "")
    used = sorted({tuple(c["change"]["actions"]) for c in changes} - {("no-op",)}, key=list(_SYMBOL).index)
    out = ["meshctl will perform the following actions:", ""]
    legend = ["Resource actions are indicated with the following symbols:"]
    for actions in used:
        sym, fg = _SYMBOL[actions]
        legend.append(f"{s(sym.rjust(3), fg)} {_LEGEND[actions]}")
    out = unmanaged + legend + [""] + out
    for c in changes:
        out.extend(_render_change(c, s))
        out.append("")
    out.extend(render_migrations(doc.get("migrations") or [], s))
    summary = doc["summary"]
    moves = sum(1 for c in changes if c.get("previous_address"))
    out.append(
        s("Plan:", bold=True)
        + f" {summary['add']} to add, {summary['change']} to change, {summary['destroy']} to destroy"
        + (f", {moves} to move." if moves else ".")
    )
    blocked = [c for c in changes if c["meshctl"]["blocked"]]
    if blocked:
        out.append("")
        out.append(s("Warning:", "yellow", bold=True) + " apply will refuse these changes without an explicit opt-in:")
        for c in blocked:
            out.append(f"  {c['address']}: {c['meshctl']['blocked']}")
    return "\n".join(out) + "\n"


def _shown(c: ResourceChangeDoc) -> bool:
    """A change to show: any action, or a move (which may change nothing but the address)."""
    return c["change"]["actions"] != ["no-op"] or bool(c.get("previous_address"))


def render_unmanaged(unmanaged: Sequence[Mapping[str, Any]], s: Styler) -> list[str]:
    """Objects in managed namespaces that nothing declares, before the actions (as Terraform
    shows objects changed outside it first): ACLs the plan deletes, topics and subjects it leaves."""
    if not unmanaged:
        return []
    out = [s("Unmanaged objects in managed namespaces:", bold=True)]
    for u in unmanaged:
        sym, fg = ("-", "red") if u["action"] == "delete" else ("?", "yellow")
        out.append(f"  {s(sym, fg)} {u['address']}  # {u['detail']}")
    out.append("")
    return out


_STAGE_WORDS = {
    "migrating": "both versions live",
    "deprecated": "old version deprecated",
    "freeze": "sunset passed: freezing the old version (its producer's WRITE removed)",
    "retire": "sunset passed and frozen: retiring the old version",
}


def render_migrations(migrations: Sequence[Mapping[str, Any]], s: Styler) -> list[str]:
    """The migration section: per product in migration, who still reads the old version."""
    if not migrations:
        return []
    out = [s("Migrations:", bold=True)]
    for m in migrations:
        when = ""
        if m.get("sunset"):
            days = m.get("days_to_sunset")
            when = f", sunset {m['sunset']}" + (f" (in {days} days)" if isinstance(days, int) and days >= 0 else "")
        out.append(f"  {m['product']} v{m['from_version']} -> v{m['to_version']}: {_STAGE_WORDS[m['stage']]}{when}")
        groups = m.get("consumer_groups") or []
        if not groups:
            out.append(f"    no consumer group has committed offsets on {m['old_topic']}")
            continue
        width = max(len(str(g["group"])) for g in groups)
        out.append(f"    {'consumer group'.ljust(width)}  v{m['from_version']} lag  v{m['to_version']} lag")
        for g in groups:
            old = "-" if g["old_lag"] is None else str(g["old_lag"])
            new = "-" if g["new_lag"] is None else str(g["new_lag"])
            note = "  still reads the old version" if g["old_lag"] is not None else ""
            out.append(f"    {str(g['group']).ljust(width)}  {old.rjust(6)}  {new.rjust(6)}{note}")
    out.append("")
    return out


def render_changes(changes: Sequence[ResourceChangeDoc]) -> str:
    """Just the change blocks, without colour (for Markdown and drift reports)."""
    s = Styler(False)
    out: list[str] = []
    for c in changes:
        out.extend(_render_change(c, s))
        out.append("")
    return "\n".join(out).rstrip("\n")


@dataclass(frozen=True)
class Block:
    """One resource block to draw: from a plan's resource change or a drift report's item."""

    address: str
    type: str
    name: str
    actions: tuple[str, ...]
    comment: str  # `from data_product.x.v1; why`
    before: Mapping[str, object]
    after: Mapping[str, object]
    headline: str = ""  # instead of the action's own (`changed outside meshctl`)
    replace_paths: tuple[tuple[str, ...], ...] = ()
    schema_changes: Sequence[SchemaChangeDoc] | None = None
    policy_changes: Sequence[PolicyChangeDoc] = field(default_factory=list)


def change_block(c: ResourceChangeDoc) -> Block:
    """The block of a resource change of the JSON plan (plan.jsonformat)."""
    extra = c["meshctl"]
    detail = extra["reason"] or ""
    return Block(
        c["address"],
        c["type"],
        c["name"],
        tuple(c["change"]["actions"]),
        f"from {extra['source']}{'; ' + detail if detail else ''}",
        c["change"]["before"] or {},
        c["change"]["after"] or {},
        headline=_REQUESTED if _requested_replace(c) else "",
        replace_paths=tuple(tuple(p) for p in c["change"].get("replace_paths") or ()),
        schema_changes=extra.get("schema_changes"),
        policy_changes=extra.get("policy_changes") or [],
    )


def _requested_replace(c: ResourceChangeDoc) -> bool:
    return c.get("action_reason") == "replace_by_request" and c["change"]["actions"] == ["delete", "create"]


def _render_change(c: ResourceChangeDoc, s: Styler) -> list[str]:
    if tuple(c["change"]["actions"]) == ("no-op",):
        return _render_move(c, s)
    return draw_block(change_block(c), s)


def draw_block(b: Block, s: Styler) -> list[str]:
    actions, before, after = b.actions, b.before, b.after
    sym, fg = _SYMBOL[actions]
    lines = [s(f"  # {b.address}", bold=True) + f" {b.headline or _HEADLINE[actions]}"]
    lines.append(f"  # ({b.comment})")
    lines.append(f'{s(sym.rjust(3), fg)} resource "{b.type}" "{b.name}" {{')
    policies = {tuple(p["path"]): p for p in b.policy_changes}
    keys = list(dict.fromkeys([*after, *before]))
    width = max((len(k) for k in keys), default=0)
    hidden = 0
    for key in keys:
        old, new = before.get(key), after.get(key)
        in_old, in_new = key in before, key in after
        if actions == ("create",):
            lines.extend(_attr("+", key, new, width, s))
        elif actions == ("delete",):
            lines.extend(_attr("-", key, old, width, s))
        elif (key,) in policies:
            lines.extend(_policy_diff(key, policies[(key,)], width, s))
        elif any(len(path) == 2 and path[0] == key for path in policies):
            lines.extend(_inline_policies_diff(key, [p for path, p in policies.items() if path[0] == key], width, s))
        elif key == "schema" and b.schema_changes is not None:
            lines.extend(_schema_diff(b.schema_changes, width, s))
        elif old == new:
            if key in IDENTITY:
                lines.append(f"        {key.ljust(width)} = {_scalar(new, key)}")
            else:
                hidden += 1
        elif isinstance(old, dict) or isinstance(new, dict):
            lines.extend(_map_diff(key, _mapping(old), _mapping(new), width, s))
        elif isinstance(old, list) and isinstance(new, list):
            lines.extend(_list_diff(key, old, new, width, s))
        elif in_old and in_new:
            note = "  # forces replacement" if (key,) in b.replace_paths else ""
            lines.append(f"      {s('~', 'yellow')} {key.ljust(width)} = {_change(old, new, key)}{note}")
        elif in_new:
            lines.extend(_attr("+", key, new, width, s))
        else:
            lines.extend(_attr("-", key, old, width, s))
    if hidden:
        lines.append(f"        # ({hidden} unchanged attribute{'s' if hidden > 1 else ''} hidden)")
    lines.append("    }")
    return lines


def _render_move(c: ResourceChangeDoc, s: Styler) -> list[str]:
    """Terraform's `# a has moved to b`: only the address changes, the object stays."""
    after = c["change"]["after"] or {}
    lines = [s(f"  # {c['previous_address']}", bold=True) + f" has moved to {s(c['address'], bold=True)}"]
    lines.append(f'    resource "{c["type"]}" "{c["name"]}" {{')
    shown = [k for k in IDENTITY if k in after]
    width = max((len(k) for k in shown), default=0)
    lines += [f"        {k.ljust(width)} = {_scalar(after[k], k)}" for k in shown]
    hidden = len(after) - len(shown)
    if hidden:
        lines.append(f"        # ({hidden} unchanged attribute{'s' if hidden > 1 else ''} hidden)")
    lines.append("    }")
    return lines


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


_COLORS = {"+": "green", "-": "red", "~": "yellow"}


_EFFECT_SYMBOL = {"added": "+", "removed": "-", "changed": "~"}


def _schema_diff(changes: Sequence[SchemaChangeDoc], width: int, s: Styler) -> list[str]:
    """A schema change as the fields it adds, removes and changes (plan.details), not as a blob."""
    lines = [f"      {s('~', 'yellow')} {'schema'.ljust(width)} = {{"]
    for ch in changes:
        sym = _EFFECT_SYMBOL[ch["effect"]]
        lines.append(f"          {s(sym, _COLORS[sym])} {ch['description']}")
    if not changes:
        lines.append("          ~ layout or documentation only")
    lines.append("        }")
    return lines


def _policy_diff(key: str, change: PolicyChangeDoc, width: int, s: Styler, indent: str = "      ") -> list[str]:
    """A policy change as the statements it removes and adds (plan.details), not as a blob of JSON."""
    lines = [f"{indent}{s('~', 'yellow')} {key.ljust(width)} = {{"]
    lines += _statements(change, s, indent + "    ")
    lines.append(f"{indent}  }}")
    return lines


def _statements(change: PolicyChangeDoc, s: Styler, indent: str) -> list[str]:
    lines = [f"{indent}{s('-', 'red')} statement {json.dumps(st, sort_keys=True)}" for st in change["removed"]]
    lines += [f"{indent}{s('+', 'green')} statement {json.dumps(st, sort_keys=True)}" for st in change["added"]]
    return lines


def _inline_policies_diff(key: str, changes: list[PolicyChangeDoc], width: int, s: Styler) -> list[str]:
    lines = [f"      {s('~', 'yellow')} {key.ljust(width)} = {{"]
    for change in sorted(changes, key=lambda c: c["path"][1]):
        name = json.dumps(change["path"][1])
        if change["effect"] == "removed":
            lines.append(f"          {s('-', 'red')} {name} (policy removed)")
        elif change["effect"] == "added":
            lines.append(f"          {s('+', 'green')} {name} (policy added)")
            lines += _statements(change, s, "                ")
        else:
            lines.extend(_policy_diff(name, change, 0, s, "          "))
    lines.append("        }")
    return lines


def _attr(sym: str, key: str, value: object, width: int, s: Styler) -> list[str]:
    mark = s(sym, _COLORS[sym])
    if key == "schema" and isinstance(value, str) and len(value) > 60:
        digest = hashlib.sha256(value.encode()).hexdigest()[:12]
        return [f"      {mark} {key.ljust(width)} = ({len(value)} bytes, sha256 {digest})"]
    if isinstance(value, dict):
        if not value:
            return [f"      {mark} {key.ljust(width)} = {{}}"]
        inner = max(len(json.dumps(k)) for k in value)
        lines = [f"      {mark} {key.ljust(width)} = {{"]
        for k, v in value.items():
            lines.append(f"          {mark} {json.dumps(k).ljust(inner)} = {_scalar(v, k)}")
        lines.append("        }")
        return lines
    if isinstance(value, list):
        return [f"      {mark} {key.ljust(width)} = [{', '.join(_scalar(v, key) for v in value)}]"]
    return [f"      {mark} {key.ljust(width)} = {_scalar(value, key)}"]


def _map_diff(key: str, old: Mapping[str, object], new: Mapping[str, object], width: int, s: Styler) -> list[str]:
    lines = [f"      {s('~', 'yellow')} {key.ljust(width)} = {{"]
    keys = sorted({*old, *new})
    inner = max((len(json.dumps(k)) for k in keys), default=0)
    unchanged = 0
    for k in keys:
        label = json.dumps(k).ljust(inner)
        if k in old and k in new:
            if old[k] == new[k]:
                unchanged += 1
                continue
            lines.append(f"          {s('~', 'yellow')} {label} = {_change(old[k], new[k], k)}")
        elif k in new:
            lines.append(f"          {s('+', 'green')} {label} = {_scalar(new[k], k)}")
        else:
            lines.append(f"          {s('-', 'red')} {label} = {_change(old[k], None, k)}")
    if unchanged:
        lines.append(f"            # ({unchanged} unchanged element{'s' if unchanged > 1 else ''} hidden)")
    lines.append("        }")
    return lines


def _list_diff(key: str, old: list, new: list, width: int, s: Styler) -> list[str]:
    lines = [f"      {s('~', 'yellow')} {key.ljust(width)} = ["]
    for v in sorted({*map(json.dumps, old), *map(json.dumps, new)}):
        value = json.loads(v)
        if value in old and value in new:
            lines.append(f"            {v},")
        elif value in new:
            lines.append(f"          {s('+', 'green')} {v},")
        else:
            lines.append(f"          {s('-', 'red')} {v},")
    lines.append("        ]")
    return lines


def _scalar(value: object, key: str) -> str:
    readable = _readable(value, key)
    return json.dumps(value) + (f" # {readable}" if readable else "")


def _change(old: object, new: object, key: str) -> str:
    """`"86400000" -> "172800000" # 1d -> 2d`: durations made readable, as topicctl does."""
    text = f"{json.dumps(old)} -> {json.dumps(new)}"
    before, after = _readable(old, key), _readable(new, key)
    if before or after:
        text += f" # {before or json.dumps(old)} -> {after or json.dumps(new)}"
    return text


def _readable(value: object, key: str) -> str:
    if key.endswith(".ms") and isinstance(value, str) and value.lstrip("-").isdigit():
        return format_ms(int(value))
    return ""
