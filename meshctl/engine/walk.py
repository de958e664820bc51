"""The order apply carries out a plan in: a walk of its dependency graph on the standard
library's `graphlib.TopologicalSorter`, as Terraform's graph walker does.

Two phases over the graph of every change in the plan (no-ops included, so an order
that runs through an unchanged resource still holds):

- deletes, on the reversed graph: a resource is destroyed after everything that depends
  on it (the delete half of a replace included; a replace carried out in place, a SCRAM
  user's rotated password, has none);
- creates and updates, on the graph: a resource is created after everything it depends
  on (the create half of a replace after its own delete).

A round is everything ready at once; apply batches it per provider. A change that failed
or was skipped stops what depends on it, also through unchanged resources; independent
changes go on. The walk is pure: it never calls a provider and never reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from meshctl.errors import MeshError
from meshctl.plan.model import ResourceChange

DELETE = "delete"
APPLY = "apply"


class DependencyCycle(MeshError):
    """The plan's dependencies loop: no order can satisfy them, so nothing is applied."""

    def __init__(self, cycle: Sequence[str]):
        self.cycle = tuple(cycle)  # each address depends on the next; the last is the first again
        super().__init__(
            "the plan's dependencies form a cycle, so no order can apply them: "
            + " -> ".join(self.cycle)
            + " (each depends on the next); nothing was applied"
        )


@dataclass(frozen=True)
class Round:
    """Changes ready together (`changes`, in plan order), and those found blocked on the
    way to them (`skipped`: change and the address whose failure stops it)."""

    verb: str  # DELETE or APPLY
    changes: tuple[ResourceChange, ...]
    skipped: tuple[tuple[ResourceChange, str], ...] = ()


def dependency_graph(changes: Iterable[ResourceChange]) -> dict[str, tuple[str, ...]]:
    """Address -> the addresses in the plan it depends on (others are outside the plan: done)."""
    listed = list(changes)
    known = {c.address for c in listed}
    return {c.address: tuple(d for d in dict.fromkeys(c.depends_on) if d in known) for c in listed}


def check_acyclic(graph: Mapping[str, tuple[str, ...]]) -> None:
    """Raise DependencyCycle naming the addresses of a cycle, if there is one."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        # graphlib lists the cycle so that each node is a predecessor (a dependency) of the
        # next: reversed, each address depends on the next.
        raise DependencyCycle(list(reversed(exc.args[1]))) from None


def _reversed(graph: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    dependents: dict[str, list[str]] = {node: [] for node in graph}
    for node, deps in graph.items():
        for d in deps:
            dependents[d].append(node)
    return {node: tuple(ds) for node, ds in dependents.items()}


@dataclass
class _Phase:
    verb: str
    graph: Mapping[str, tuple[str, ...]]  # node -> the nodes it waits for in this phase
    work: Mapping[str, ResourceChange]  # the nodes with something to do in this phase; the rest pass through
    order: Mapping[str, int]
    # address -> the address to name as the reason it cannot go ahead (itself when it failed
    # or was skipped; the original failure when an unchanged resource in between is blocked)
    blocked: dict[str, str] = field(default_factory=dict)
    sorter: TopologicalSorter[str] = field(init=False)
    running: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.sorter = TopologicalSorter(self.graph)
        self.sorter.prepare()

    def next_round(self) -> Round | None:
        """Everything ready now; None when the phase is over."""
        if self.running:
            raise RuntimeError(f"a round is still running: {sorted(self.running)}")
        runnable: list[str] = []
        skipped: list[tuple[ResourceChange, str]] = []
        ready = self.sorter.get_ready()
        while ready:
            for node in ready:
                cause = self._cause(node)
                if cause:
                    self.blocked[node] = node if node in self.work else cause
                    if node in self.work:
                        skipped.append((self.work[node], cause))
                    self.sorter.done(node)
                elif node in self.work:
                    runnable.append(node)
                else:
                    self.sorter.done(node)  # unchanged here: passes through at once
            ready = self.sorter.get_ready()
        if not runnable and not skipped:
            return None
        runnable.sort(key=self.order.__getitem__)
        skipped.sort(key=lambda s: self.order[s[0].address])
        self.running = set(runnable)
        return Round(self.verb, tuple(self.work[a] for a in runnable), tuple(skipped))

    def _cause(self, node: str) -> str:
        for d in self.graph[node]:
            if d in self.blocked:
                return self.blocked[d]
        return self.blocked.get(node, "")  # carried over from an earlier phase

    def finished(self, address: str, ok: bool) -> None:
        self.running.remove(address)
        if not ok:
            self.blocked[address] = address
        self.sorter.done(address)


class Walk:
    """Rounds of a plan's changes in dependency order. Call `finished` for every change of
    a round before asking for the next one.

    A dependency cycle is refused when the walk is made, before anything runs."""

    def __init__(self, changes: Sequence[ResourceChange]):
        graph = dependency_graph(changes)
        check_acyclic(graph)
        self._graph = graph
        self._order = {c.address: i for i, c in enumerate(changes)}
        actionable = [c for c in changes if not c.is_noop]
        self._upserts = {c.address: c for c in actionable if c.actions != ("delete",)}
        # A replace carried out in place (a rotated password) has no delete half: the new
        # secret is set over the old one in the apply phase, so the object never goes away.
        deletes = {c.address: c for c in actionable if "delete" in c.actions and not c.replaced_in_place}
        self._phase: _Phase | None = _Phase(DELETE, _reversed(graph), deletes, self._order)

    def next_round(self) -> Round | None:
        """The next round to run, or None when the walk is over."""
        while self._phase is not None:
            found = self._phase.next_round()
            if found is not None:
                return found
            if self._phase.verb == APPLY:
                self._phase = None
            else:
                # A change whose delete failed or was skipped stays: neither its own create
                # (a replace) nor what depends on it goes ahead.
                failed = {a: a for a, cause in self._phase.blocked.items() if a == cause and a in self._phase.work}
                self._phase = _Phase(APPLY, self._graph, self._upserts, self._order, failed)
        return None

    def finished(self, address: str, ok: bool) -> None:
        """A change of the running round is done (`ok`) or failed: its dependents may go ahead, or are stopped."""
        if self._phase is None:
            raise RuntimeError("the walk is over")
        self._phase.finished(address, ok)
