"""Product versions in migration: who still reads the old version, and the guard that
keeps a version from being deleted under its consumers. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from meshctl.mesh.lifecycle import RETIRE, Stage
from meshctl.mesh.model import DataProduct, Mesh
from meshctl.mesh.readers import application_group_prefixes, legacy_group_prefixes, reader_principals
from meshctl.naming import group_prefix
from meshctl.plan.diff import PlanOptions, delete_flag
from meshctl.plan.model import DELETE_BECAUSE_RETIRED, Plan, ResourceChange
from meshctl.plan.observed import GroupLag


def guard_retirement(
    plan: Plan,
    mesh: Mesh,
    stages: Mapping[str, Stage],
    positions: Mapping[str, tuple[GroupLag, ...]],
    options: PlanOptions,
    records: Mapping[str, int],
    positions_known: bool = True,
) -> Plan:
    """Retiring a version deletes its topic and subjects because its lifecycle asked for it:
    an empty topic needs no further flag. A topic that still holds records needs the same
    opt-in as any topic delete (`records` counts them; unknown counts as holding data), and
    no version goes while a consumer group still has committed offsets on it, unless forced.

    Each change keeps the diff's own guard unless retirement decides it: a retired subject
    or topic is judged here, never waved through by the lifecycle alone."""
    retiring = {p.address: p for p in mesh.products if stages.get(p.address, Stage("live")).stage == RETIRE}
    changes = []
    for c in plan.changes:
        product = retiring.get(c.source)
        if c.is_delete and product is not None and c.type in ("kafka_topic", "schema_subject"):
            held = records.get(mesh.topic_name(product))
            c = _retire(c, product, stages, positions, options, held, mesh, positions_known)
        changes.append(c)
    return replace(plan, changes=changes)


def _retire(
    c: ResourceChange,
    product: DataProduct,
    stages: Mapping[str, Stage],
    positions: Mapping[str, tuple[GroupLag, ...]],
    options: PlanOptions,
    held: int | None,
    mesh: Mesh,
    positions_known: bool = True,
) -> ResourceChange:
    topic = mesh.topic_name(product)
    successor = stages[product.address].successor
    reasons, opt_in = [], ""
    groups = [g.group for g in positions.get(topic, ())]
    if groups and not options.force_retire:
        reasons.append(
            f"consumer groups still have committed offsets on it ({', '.join(groups)}): move them to "
            f"v{successor.version if successor else '?'} first, or pass --force-retire"
        )
        opt_in = "--force-retire"
    if not positions_known and not options.force_retire:
        # -refresh=false read no consumer positions: readers may still be on this version.
        reasons.append(
            "consumer positions were not read (-refresh=false): plan with refresh to check that no consumer "
            "group is still on it, or pass --force-retire"
        )
        opt_in = "--force-retire"
    if held != 0 and not options.allows_delete("kafka_topic"):
        what = "an unknown number of records" if held is None else f"{held} record{'' if held == 1 else 's'}"
        reasons.append(
            f"retiring {product.key} v{product.version} deletes topic {topic}, which still holds {what}: "
            f"pass {delete_flag('kafka_topic')} (or --allow-delete-topics) to proceed"
        )
        opt_in = opt_in or delete_flag("kafka_topic")
    return replace(
        c,
        retire=c.type == "kafka_topic",
        blocked="; ".join(reasons),
        opt_in=opt_in,
        reason=f"{product.key} v{product.version} is retired",
        action_reason=DELETE_BECAUSE_RETIRED,
    )


def migrations(
    mesh: Mesh,
    stages: Mapping[str, Stage],
    positions: Mapping[str, tuple[GroupLag, ...]],
    today: date,
    watched: frozenset[str] | None = None,
) -> list[dict[str, object]]:
    """Each product version in migration, with who reads which version and the dates ahead.
    `watched`: the topics whose positions refresh read (a scoped plan shows only its own
    versions); None shows every version in migration."""
    out: list[dict[str, object]] = []
    for p in sorted(mesh.products, key=lambda p: p.address):
        stage = stages.get(p.address)
        if stage is None or stage.successor is None:
            continue
        nxt = stage.successor
        old_topic, new_topic = mesh.topic_name(p), mesh.topic_name(nxt)
        if watched is not None and not {old_topic, new_topic} & watched:
            continue
        lags: dict[str, dict[str, object]] = {}
        for topic, key in ((old_topic, "old_lag"), (new_topic, "new_lag")):
            for g in positions.get(topic, ()):
                lags.setdefault(g.group, {"group": g.group, "old_lag": None, "new_lag": None})[key] = g.lag
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


def watched_groups(
    mesh: Mesh, stages: Mapping[str, Stage], in_scope: frozenset[str] | None = None
) -> tuple[list[str], tuple[str, ...]]:
    """The topics of versions being replaced and of their successors, and the group prefixes of
    the principals that read them (granted domains and their integrations): whose committed
    offsets decide when an old version may go. Readers use `grp.<principal>.`; groups named
    before that (`<domain path>.`) are counted too, so a reader that has not moved its group
    yet still keeps its old version from being deleted. Listing more groups is safe: only
    groups with offsets on these topics are reported.

    `in_scope`: the topic names a scoped plan looks at (None: all); a version neither of whose
    topics is among them is not watched, so a plan of nothing asks nothing."""
    topics: set[str] = set()
    readers: set[str] = set()
    for p in mesh.products:
        stage = stages.get(p.address)
        if stage is None or stage.successor is None:
            continue
        pair = {mesh.topic_name(p), mesh.topic_name(stage.successor)}
        if in_scope is not None and not pair & in_scope:
            continue
        topics |= pair
        readers |= {group_prefix(r) for r in reader_principals(mesh, p.key)}
        readers |= legacy_group_prefixes(mesh, p.key)
        readers |= application_group_prefixes(mesh, p.key)
    if not topics:
        return [], ()
    return sorted(topics), tuple(sorted(readers))
