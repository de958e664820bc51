"""One run of a command against one state: compile the desired state once, refresh, plan, apply.

The workspace (engine.workspace) wires providers, the state backend and credentials from the
configuration; a run reads nothing of its own but the state it was given, and compiles the
configuration exactly once however many steps (scope, plan, fingerprint) ask for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import cached_property
from typing import Protocol

from meshctl import interrupt
from meshctl.compile.aws import compile_resources
from meshctl.compile.clusters import place_on_clusters
from meshctl.compile.connect import compile_connectors
from meshctl.compile.kafka import compile_kafka
from meshctl.compile.lifecycle import stages
from meshctl.compile.protection import protect
from meshctl.compile.registry import compile_registry
from meshctl.config.loader import LoadedConfig
from meshctl.engine.apply import ApplyHooks, ApplyResult, apply_plan
from meshctl.engine.refresh import ReadAhead, read_ahead, refresh
from meshctl.errors import Diagnostics, MeshError, SourceRange
from meshctl.plan.build import Desired, build_plan, scope_plan
from meshctl.plan.diff import PlanOptions
from meshctl.plan.force_replace import replace_problems
from meshctl.plan.model import Plan
from meshctl.plan.moves import resolve_moved
from meshctl.plan.observed import Observed, from_state
from meshctl.plan.planfile import Fingerprint, SavedPlan, fingerprint
from meshctl.plan.scope import Scope, destroy_set, narrow, unmatched_targets
from meshctl.plan.unchanged import records_to_update
from meshctl.providers.base import Provider
from meshctl.redaction import leaves
from meshctl.resources import Resource
from meshctl.state.backend import StateBackend
from meshctl.state_model import State, frozen_topics


class Wiring(Protocol):
    """What a run needs of the workspace (engine.workspace) that wires it: the configuration, the
    state backend, the providers and whom meshctl connects as. A protocol, so that the workspace
    may make runs without the run module importing it back."""

    @property
    def today(self) -> date: ...

    @property
    def config(self) -> LoadedConfig: ...

    @property
    def backend(self) -> StateBackend: ...

    @property
    def providers(self) -> dict[str, Provider]: ...

    @property
    def principal(self) -> str: ...

    def cluster_principals(self) -> dict[str, str]: ...

    def deployers(self) -> tuple[str, ...]: ...

    def domain_scope(self, names: tuple[str, ...]) -> frozenset[str]: ...

    def providers_in_use(self, state: State | None = None) -> dict[str, Provider]: ...

    def migrate_credentials(self) -> list[str]: ...


def compile_desired(
    config: LoadedConfig, prior: State, today: date, deployers: tuple[str, ...] = (), principal: str = ""
) -> Desired:
    """What the configuration compiles to, given where each product version is in its life
    (from today's date and what state recorded), with what of the configuration the planner
    reads. Pure: `deployers` (whom resource policies admit) and `principal` (whom meshctl
    connects as) come from the wiring."""
    mesh = config.mesh
    # A retired version stays retired: its name is in state even after its resources are gone.
    current = stages(mesh, today, frozen_topics(prior) | set(prior.retired))
    placed = place_on_clusters(mesh, compile_kafka(mesh, current) + compile_registry(mesh, current))
    resources = placed + compile_resources(mesh, deployers) + compile_connectors(mesh, placed)
    sensitive = tuple(
        (f"var.{n}", leaf) for n, v in config.variables.items() if v.sensitive for leaf in leaves(v.value)
    )
    return Desired(mesh, tuple(protect(resources, mesh)), current, sensitive, principal)


class Run:
    """A command's run against `state`: the desired state compiled once, then planned and applied."""

    def __init__(self, workspace: Wiring, state: State, *, offline: bool = False):
        self.workspace = workspace
        self.state = state
        self.offline = offline  # `validate`: resource policies admit no deployer, nothing is applied
        self.observed: Observed | None = None  # what the last plan's refresh saw
        self._ahead: dict[str, ReadAhead] = {}

    @cached_property
    def desired(self) -> Desired:
        ws = self.workspace
        return compile_desired(ws.config, self.state, ws.today, () if self.offline else ws.deployers())

    @cached_property
    def connected(self) -> Desired:
        """The desired state with the principal meshctl connects as, which needs the Kafka
        settings: what planning and drift read (never managed, its ACLs never touched)."""
        ws = self.workspace
        return replace(self.desired, principal=ws.principal, cluster_principals=ws.cluster_principals())

    @property
    def resources(self) -> list[Resource]:
        return list(self.desired.resources)

    # -- before planning ----------------------------------------------------

    def scope(self, targets: tuple[str, ...] = (), domains: tuple[str, ...] = ()) -> Scope:
        chosen = tuple(t for target in targets for t in self._instances.get(target, [target]))
        return Scope(chosen, self.workspace.domain_scope(domains) if domains else frozenset())

    def unmatched_targets(self, targets: tuple[str, ...]) -> list[tuple[str, str]]:
        """Each `--target` that matches nothing, with the closest address ("" if none is close)."""
        if not targets:
            return []
        plain = tuple(t for t in targets if t not in self._instances)
        return unmatched_targets(self.resources, self.state, plain) if plain else []

    @cached_property
    def _instances(self) -> dict[str, list[str]]:
        """A for_each or count instance's address (`data_product.orders["eu"]`) -> the address
        of the block it is (`data_product.sales.orders-eu.v1`): what `--target` may name."""
        mesh = self.workspace.config.mesh
        out: dict[str, list[str]] = {}
        blocks: list[tuple[SourceRange, str]] = [
            (b.src, b.address)
            for group in (mesh.domains.values(), mesh.products, mesh.access, mesh.integrations, mesh.applications)
            for b in group
        ]
        for src, address in blocks:
            if src.instance:
                out.setdefault(src.instance, []).append(address)
        return out

    def replace_problems(self, options: PlanOptions) -> list[str]:
        """Why each `-replace` of `options` cannot be planned (plan.force_replace), from the
        configuration and state alone: before any request."""
        if not options.replace:
            return []
        resources, _ = narrow(self.resources, self.state, options.scope)
        return replace_problems(self.resources, self.state, (r.address for r in resources), options)

    def check_moved(self) -> dict[str, str]:
        """The configuration's `moved` blocks, checked against what it declares: old -> new address."""
        diags = Diagnostics()
        out = resolve_moved(self.desired.mesh.moved, (r.addr for r in self.desired.resources), diags)
        diags.raise_if_errors()
        return out

    def fingerprint(self) -> Fingerprint:
        return fingerprint(self.workspace.config.files, self.resources)

    # -- plan -----------------------------------------------------------------

    def read_ahead(self) -> None:
        """Start reading the live state of what state records, before the configuration is
        compiled, for the next plan of the whole mesh (engine.refresh.ReadAhead). A problem
        building the providers is left for the plan to meet in its own order."""
        if self.offline or self._ahead or not self.state.resources:
            return
        try:
            providers = self.workspace.providers
        except MeshError:
            return
        self._ahead = read_ahead(self.state, providers)

    def plan(
        self, options: PlanOptions | None = None, scope: Scope | None = None, *, refresh_live: bool = True
    ) -> Plan:
        """Refresh what the scope needs, then plan (plan.build): configuration errors are raised
        before any request when the configuration alone shows them. Without `refresh_live`
        (`-refresh=false`) nothing is asked of any provider: state is taken as the truth."""
        options = options or PlanOptions()
        if scope is not None:
            options = replace(options, scope=scope)
        scoped, diags = scope_plan(self.connected, self.state, options.scope, options)
        diags.raise_if_errors()
        ahead, self._ahead = (self._ahead if options.scope.everything else {}), {}  # read for the whole mesh
        if refresh_live:
            self.observed = refresh(scoped, self.workspace.providers, ahead)
        else:
            self.observed = from_state(self.state)
        plan, diags = build_plan(self.connected, self.state, self.observed, options, self.workspace.today)
        diags.raise_if_errors()
        return plan

    def destroy_plan(self, options: PlanOptions, *, refresh_live: bool = True) -> Plan:
        """The deletion of everything state records within `options.scope` (plan.scope.destroy_set),
        under the same guards as any delete: objects that hold data need their opt-in, and a
        `prevent_destroy` of the configuration or of state is an error before any request."""
        doomed = destroy_set(self.state, options.scope)
        protected = {r.address: r.protected_at for r in self.desired.resources if r.protected_at}
        refused = [
            f"  {a} (prevent_destroy at {protected.get(a) or rs.protected_at})"
            for a, rs in sorted(doomed.resources.items())
            if protected.get(a) or rs.protected_at
        ]
        if refused:
            raise MeshError(
                "destroy would delete objects protected by prevent_destroy, which no flag overrides:\n"
                + "\n".join(refused)
                + "\nset prevent_destroy = false and apply first, or leave them out with --target/--domain"
            )
        # Nothing is desired: each recorded entry in scope is planned as a delete (or forgotten
        # when already gone), and nothing outside the scope is read or touched.
        nothing = replace(self.connected, resources=())
        everything = replace(options, scope=Scope())
        scoped, diags = scope_plan(nothing, doomed, Scope(), everything)
        diags.raise_if_errors()
        self._ahead = {}
        self.observed = refresh(scoped, self.workspace.providers, {}) if refresh_live else from_state(doomed)
        plan, diags = build_plan(nothing, doomed, self.observed, everything, self.workspace.today)
        diags.raise_if_errors()
        # Only deletes of recorded entries: objects found out of band are not destroy's business.
        plan.changes[:] = [
            replace(c, reason="meshctl destroy") for c in plan.changes if c.address in doomed.resources and c.is_delete
        ]
        plan.unmanaged = []
        plan.migrations = []
        return plan

    def refuse_stale(self, saved: SavedPlan) -> None:
        """A saved plan applies only to the state and configuration it was made from."""
        plan, state, where = saved.plan, self.state, self.workspace.backend.describe()
        if plan.state_lineage and state.lineage and state.lineage != plan.state_lineage:
            raise MeshError(
                f"the saved plan is for another state (lineage {plan.state_lineage}, "
                f"the state at {where} has lineage {state.lineage}): plan again"
            )
        if plan.state_lineage and not state.lineage:
            raise MeshError(
                f"the saved plan was made from state serial {plan.state_serial} (lineage {plan.state_lineage}), "
                f"but there is no state at {where} now: restore it, or plan again"
            )
        if state.serial < plan.state_serial:
            raise MeshError(
                f"the state looks rolled back: the saved plan was made from serial {plan.state_serial}, the state "
                f"at {where} has serial {state.serial} (same lineage); it was restored or edited "
                "by hand, so the plan would act on a past it does not know: plan again"
            )
        if state.serial != plan.state_serial:
            raise MeshError(
                f"the saved plan is stale: the state moved from serial {plan.state_serial} to {state.serial} "
                "since it was made (another apply ran); plan again"
            )
        self._refuse_other_variables(saved)
        changed = saved.fingerprint.differences(self.fingerprint())
        if changed:
            raise MeshError(
                "the saved plan is stale: the configuration changed since it was made ("
                + "; ".join(changed)
                + "); plan again"
            )

    def _refuse_other_variables(self, saved: SavedPlan) -> None:
        """A saved plan applies with the values it was made with; a different one given now is an error."""
        problems = []
        for name, recorded in sorted(saved.variables.items()):
            now = self.workspace.config.variables.get(name)
            if now is not None and now.origin != "saved plan" and now.value != recorded:
                problems.append(
                    f"var.{name} is {json.dumps(recorded)} in the plan, {now.origin} gives {json.dumps(now.value)}"
                )
        if problems:
            raise MeshError(
                "the saved plan was made with other variable values: "
                + "; ".join(problems)
                + ". A saved plan applies with the values it was made with: drop those settings, or plan again"
            )

    # -- apply ----------------------------------------------------------------

    @staticmethod
    def refuse_blocked(plan: Plan) -> None:
        """Changes that lose data need an explicit opt-in; refuse before touching anything."""
        if plan.blocked:
            lines = "\n".join(f"  {c.address}: {c.blocked}" for c in plan.blocked)
            raise MeshError(f"the plan has changes that lose data and need an explicit opt-in:\n{lines}")

    def apply(self, plan: Plan, hooks: ApplyHooks, stop_requested: Callable[[], bool] = lambda: False) -> ApplyResult:
        self.refuse_blocked(plan)
        ws = self.workspace
        ws.migrate_credentials()
        # Unchanged resources are recorded too: adopted when they already existed as configured,
        # and with the block, domain and dependencies the configuration now gives them.
        adopt = records_to_update(plan, self.state)
        return apply_plan(plan, self.state, ws.providers, self._write_state, hooks, adopt, stop_requested)

    def _write_state(self, state: State) -> None:
        with interrupt.shielded():  # a signal never cuts a state write in half
            self.workspace.backend.write(state)
