"""Product versions in migration: who still reads the old version, and the guard that
keeps a version from being deleted under its consumers. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from meshctl.compile.lifecycle import RETIRE, Stage
from meshctl.mesh.model import Mesh
from meshctl.mesh.naming import group_prefix, legacy_group_prefixes, reader_principals
from meshctl.plan.model import Plan


def guard_retirement(
    plan: Plan, mesh: Mesh, stages: Mapping[str, Stage], positions: Mapping[str, list[dict]], force: bool
) -> Plan:
    """Deleting a retired version's topic is what its lifecycle asked for (no extra flag),
    but never while a consumer group still has committed offsets on it, unless forced."""
    retiring = {mesh.topic_name(p): p for p in mesh.products if stages.get(p.address, Stage("live")).stage == RETIRE}
    changes = []
    for c in plan.changes:
        name = str((c.before or {}).get("name", ""))
        if c.type == "kafka_topic" and c.is_delete and name in retiring:
            product = retiring[name]
            successor = stages[product.address].successor
            groups = [g["group"] for g in positions.get(name, [])]
            blocked = ""
            if groups and not force:
                blocked = (
                    f"consumer groups still have committed offsets on it ({', '.join(groups)}): move them to "
                    f"v{successor.version if successor else '?'} first, or pass --force-retire"
                )
            c = replace(c, retire=True, blocked=blocked, reason=f"{product.key} v{product.version} is retired")
        changes.append(c)
    return replace(plan, changes=changes)


def migrations(
    mesh: Mesh, stages: Mapping[str, Stage], positions: Mapping[str, list[dict]], today: date
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for p in sorted(mesh.products, key=lambda p: p.address):
        stage = stages.get(p.address)
        if stage is None or stage.successor is None:
            continue
        nxt = stage.successor
        old_topic, new_topic = mesh.topic_name(p), mesh.topic_name(nxt)
        lags: dict[str, dict[str, object]] = {}
        for topic, key in ((old_topic, "old_lag"), (new_topic, "new_lag")):
            for g in positions.get(topic, []):
                lags.setdefault(str(g["group"]), {"group": g["group"], "old_lag": None, "new_lag": None})[key] = g[
                    "lag"
                ]
        sunset = nxt.lifecycle.sunset
        out.append(
            {
                "product": p.key,
                "from_version": p.version,
                "to_version": nxt.version,
                "stage": stage.stage,
                "deprecated": nxt.lifecycle.deprecated.isoformat() if nxt.lifecycle.deprecated else None,
                "sunset": sunset.isoformat() if sunset else None,
                "days_to_sunset": (sunset - today).days if sunset else None,
                "old_topic": old_topic,
                "new_topic": new_topic,
                "consumer_groups": [lags[g] for g in sorted(lags)],
            }
        )
    return out


def watched_groups(mesh: Mesh, stages: Mapping[str, Stage]) -> tuple[list[str], tuple[str, ...]]:
    """The topics of versions being replaced and of their successors, and the group prefixes of
    the principals that read them (granted domains and their integrations): whose committed
    offsets decide when an old version may go. Readers use `grp.<principal>.`; groups named
    before that (`<domain path>.`) are counted too, so a reader that has not moved its group
    yet still keeps its old version from being deleted. Listing more groups is safe: only
    groups with offsets on these topics are reported."""
    topics: set[str] = set()
    readers: set[str] = set()
    for p in mesh.products:
        stage = stages.get(p.address)
        if stage is None or stage.successor is None:
            continue
        topics |= {mesh.topic_name(p), mesh.topic_name(stage.successor)}
        readers |= {group_prefix(r) for r in reader_principals(mesh, p.key)}
        readers |= legacy_group_prefixes(mesh, p.key)
    if not topics:
        return [], ()
    return sorted(topics), tuple(sorted(readers))
