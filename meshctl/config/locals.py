"""`locals` blocks: named expressions evaluated on first use, with cycle detection."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from meshctl.config import ast
from meshctl.config.evaluate import EvalError, Namespace, Scope, evaluate
from meshctl.errors import Diagnostics, SourceRange, error


class Locals(Namespace):
    """Locals evaluate on first use, so they may refer to each other in any order."""

    kind = "local"

    def __init__(self, blocks: list[ast.Block], diags: Diagnostics):
        self.exprs: dict[str, ast.Attribute] = {}
        self.diags = diags
        self.scope: Scope | None = None
        self.cache: dict[str, object] = {}
        self.failed: set[str] = set()
        self.active: list[str] = []
        for block in blocks:
            if block.labels:
                diags.error("locals block takes no labels", block.src)
            for nested in block.body.blocks:
                diags.error(
                    f"unexpected block {nested.type!r} in locals", nested.src, hint="locals hold NAME = VALUE only"
                )
            for attr in block.body.attributes.values():
                if attr.name in self.exprs:
                    diags.error(
                        f"duplicate local {attr.name!r}", attr.src, detail=f"first set at {self.exprs[attr.name].src}"
                    )
                    continue
                self.exprs[attr.name] = attr
        self.values = self.exprs  # for did-you-mean hints

    def get(self, name: str, src: SourceRange) -> object:
        if name in self.cache:
            return self.cache[name]
        if name not in self.exprs:
            return super().get(name, src)
        if name in self.failed:
            raise EvalError(error(f"local {name!r} could not be evaluated", src))  # already reported
        if name in self.active:
            cycle = " -> ".join([*self.active[self.active.index(name) :], name])
            raise EvalError(error(f"cycle between locals: {cycle}", self.exprs[name].src))
        assert self.scope is not None
        self.active.append(name)
        try:
            value = evaluate(self.exprs[name].expr, self.scope)
        finally:
            self.active.pop()
        self.cache[name] = value
        return value

    def evaluate_all(self) -> None:
        for name in self._dependency_order():
            attr = self.exprs[name]
            try:
                self.get(name, attr.src)
            except EvalError as exc:
                if name not in self.failed:
                    self.failed.add(name)
                    self.diags.add(exc.diagnostic)
            except RecursionError:  # only left with a cycle elsewhere; a plain chain is ordered away
                self.failed.add(name)
                self.diags.error(f"local {name!r} refers to locals nested too deeply", attr.src)

    def _dependency_order(self) -> list[str]:
        """The locals a local reads come first, so a long chain (a0 = local.a1, a1 = local.a2, ...)
        is evaluated one step at a time instead of recursing through all of it. Each cycle is
        reported once, and its members are left out."""
        graph = {
            name: {ref[1] for ref in ast.references(attr.expr) if ref[0] == "local" and len(ref) > 1}
            & self.exprs.keys()
            for name, attr in self.exprs.items()
        }
        while True:
            try:
                return [name for name in TopologicalSorter(graph).static_order() if name not in self.failed]
            except CycleError as exc:
                cycle: list[str] = exc.args[1][::-1]  # [a, b, ..., a]: each reads the next
                self._report_cycle(cycle)
                for name in cycle:
                    graph.pop(name, None)
                for deps in graph.values():
                    deps.difference_update(cycle)

    def _report_cycle(self, cycle: list[str]) -> None:
        self.failed.update(cycle)
        shown = cycle if len(cycle) <= 6 else [*cycle[:5], "...", cycle[-1]]
        count = f" ({len(cycle) - 1} locals)" if len(cycle) > 6 else ""
        self.diags.error(
            f"cycle between locals: {' -> '.join(shown)}{count}",
            self.exprs[cycle[0]].src,
            hint="a local cannot depend on itself: break the cycle with a literal value",
        )
