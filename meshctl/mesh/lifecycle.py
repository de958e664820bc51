"""Where each product version is in its life, from the configuration, today's date and
what state recorded (the topics `state_model.frozen_topics` finds frozen). Pure.

A version replaced by a newer one stays live (both are readable) until the newer
version's `sunset` date. After it, the old version is first frozen (its producer's WRITE
removed), and once state shows it frozen, retired: its topic, ACLs and subjects deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from meshctl.mesh.model import DataProduct, Mesh

LIVE, MIGRATING, DEPRECATED, FREEZE, RETIRE = "live", "migrating", "deprecated", "freeze", "retire"


@dataclass(frozen=True)
class Stage:
    stage: str
    successor: DataProduct | None = None  # the version that replaces this one

    @property
    def writable(self) -> bool:
        return self.stage in (LIVE, MIGRATING, DEPRECATED)

    @property
    def exists(self) -> bool:
        return self.stage != RETIRE


def stages(mesh: Mesh, today: date, frozen_topics: set[str]) -> dict[str, Stage]:
    """Stage of every declared product version, by product address."""
    successors: dict[tuple[str, int], DataProduct] = {}
    for p in mesh.products:
        if p.lifecycle.replaces is not None:
            successors[(p.key, p.lifecycle.replaces)] = p
    out: dict[str, Stage] = {}
    live = Stage(LIVE)  # a version nothing replaces, the most of them: one shared, and its topic not looked up
    for p in mesh.products:
        nxt = successors.get((p.key, p.version))
        out[p.address] = live if nxt is None else Stage(_stage(nxt, today, mesh.topic_name(p) in frozen_topics), nxt)
    return out


def _stage(successor: DataProduct | None, today: date, frozen: bool) -> str:
    if successor is None:
        return LIVE
    life = successor.lifecycle
    if life.sunset is not None and today >= life.sunset:
        return RETIRE if frozen else FREEZE
    if life.deprecated is not None and today >= life.deprecated:
        return DEPRECATED
    return MIGRATING
