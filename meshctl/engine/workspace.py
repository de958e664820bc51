"""The core facade the CLI drives: load -> validate -> compile -> refresh -> diff -> apply.

It never prints; callers pass hooks and render results.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from meshctl import interrupt
from meshctl.aws_session import client as aws_client
from meshctl.compile.aws import RESOURCE_POLICY_TYPES, compile_resources
from meshctl.compile.kafka import compile_kafka
from meshctl.compile.lifecycle import RETIRE, Stage, stages
from meshctl.compile.protection import protect
from meshctl.compile.registry import compile_registry
from meshctl.config.builder import http_url_problem
from meshctl.config.kafka_settings import client_config
from meshctl.config.loader import LoadedConfig, LoadOptions, load
from meshctl.config.parse_cache import parse_cache_dir
from meshctl.credentials import CredentialStore, LocalCredentialStore, SecretsManagerCredentialStore
from meshctl.engine.apply import ApplyHooks, ApplyResult, apply_plan
from meshctl.engine.migration import guard_retirement, migrations, watched_groups
from meshctl.engine.refresh import refresh
from meshctl.errors import ConfigError, Diagnostics, MeshError, error
from meshctl.mesh.capacity import replication_errors
from meshctl.plan.diff import PlanOptions, diff, match_moves, prevent_destroy_errors, topics_at_stake
from meshctl.plan.model import Plan
from meshctl.plan.moves import resolve_moved
from meshctl.plan.outside import Territory, explain, outside, territory
from meshctl.plan.planfile import Fingerprint, SavedPlan, fingerprint
from meshctl.plan.scope import Scope, narrow
from meshctl.providers.aws.provider import AwsProvider, AwsSettings
from meshctl.providers.base import Provider
from meshctl.providers.kafka.client import KafkaClient
from meshctl.providers.kafka.provider import KafkaProvider
from meshctl.providers.registry.client import RegistryClient
from meshctl.providers.registry.provider import RegistryProvider
from meshctl.redaction import leaves, secret_paths
from meshctl.resources import RESOURCE_TYPES, Resource
from meshctl.state.backend import StateBackend
from meshctl.state.local import LocalBackend
from meshctl.state.model import ResourceState, State, frozen_topics
from meshctl.state.s3 import S3Backend, S3Settings


@dataclass
class Workspace:
    directory: Path
    load_options: LoadOptions = field(default_factory=LoadOptions)
    state_dir: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    today: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        self.meta_dir = self.state_dir or self.directory / ".meshctl"
        if self.load_options.cache_dir is None:  # the user's cache: nothing is read from or written to the mesh
            self.load_options.cache_dir = parse_cache_dir(self.env)
        self._config: LoadedConfig | None = None
        self._providers: dict[str, Provider] | None = None
        self._backend: StateBackend | None = None
        self._deployers: tuple[str, ...] | None = None
        self._aws: AwsProvider | None = None

    # -- configuration ------------------------------------------------------

    @property
    def config(self) -> LoadedConfig:
        if self._config is None:
            self._config = load(self.directory, self.load_options)
        return self._config

    def stages(self, state: State | None = None) -> dict[str, Stage]:
        state = state or State()
        # A retired version stays retired: its name is in state even after its resources are gone.
        return stages(self.config.mesh, self.today, frozen_topics(state) | set(state.retired))

    def desired(self, state: State | None = None, *, offline: bool = False) -> list[Resource]:
        """What the configuration compiles to, given where each product version is in its life.
        `offline` (validate) leaves the deployers out of resource policies: nothing is applied."""
        current = self.stages(state)
        mesh = self.config.mesh
        deployers = () if offline else self.deployers()
        resources = compile_kafka(mesh, current) + compile_registry(mesh, current) + compile_resources(mesh, deployers)
        return protect(resources, mesh)

    def deployers(self) -> tuple[str, ...]:
        """Whom every Deny of a resource policy admits: `aws.deployer_arns`, else the caller
        from STS, asked once and only for a mesh with resource policies. The caller must be
        in the mesh's `account_id`: its ARN would admit nobody in another account."""
        if self._deployers is None:
            mesh = self.config.mesh
            if mesh.deployers or not any(r.type in RESOURCE_POLICY_TYPES for r in mesh.resources):
                self._deployers = mesh.deployers
            else:
                caller = self._aws_provider().identity()
                expected = mesh.aws.get("account_id")
                if expected and caller.account != expected:
                    raise MeshError(
                        f"the AWS credentials are for account {caller.account}, but aws.account_id is {expected}: "
                        "use that account's profile or credentials"
                    )
                self._deployers = (caller.principal_arn,)
        return self._deployers

    def fingerprint(self, state: State | None = None) -> Fingerprint:
        return fingerprint(self.config.files, self.desired(state))

    def domain_scope(self, names: tuple[str, ...]) -> frozenset[str]:
        """The domains of the subtrees rooted at `names`."""
        mesh = self.config.mesh
        unknown = [n for n in names if n not in mesh.domains]
        if unknown:
            raise MeshError(f"--domain {unknown[0]}: no such domain (domains: {', '.join(sorted(mesh.domains))})")
        return frozenset(d for n in names for d in mesh.subtree(n))

    # -- state ----------------------------------------------------------------

    @property
    def backend(self) -> StateBackend:
        if self._backend is None:
            self._backend = self._make_backend()
        return self._backend

    def _make_backend(self) -> StateBackend:
        cfg = self.config.mesh.backend
        if cfg is None or cfg.type == "local":
            path = cfg.settings.get("path") if cfg else None
            if path and self.state_dir is None:
                return LocalBackend(self.directory / path)
            return LocalBackend(self.meta_dir)
        s = cfg.settings
        return S3Backend(
            S3Settings(
                bucket=s["bucket"],
                key=s["key"],
                region=s.get("region"),
                profile=s.get("profile"),
                endpoint_url=s.get("endpoint_url"),
                dynamodb_table=s.get("dynamodb_table"),
            )
        )

    def backend_warnings(self) -> list[str]:
        """Advice about where state lives (an S3 bucket without versioning keeps no history)."""
        backend = self.backend
        if isinstance(backend, S3Backend):
            warning = backend.check_versioning()
            return [warning] if warning else []
        return []

    def read_state(self) -> State:
        return self.backend.read()

    # -- providers ----------------------------------------------------------

    def kafka_settings(self) -> dict[str, str]:
        return client_config(self.config.mesh.kafka, self.env, self.directory)

    @property
    def providers(self) -> dict[str, Provider]:
        if self._providers is None:
            settings = self.kafka_settings()
            timeout = self.config.mesh.kafka.request_timeout_s
            store = self.credential_store(settings)
            self._providers = {
                "kafka": KafkaProvider(lambda: KafkaClient(settings, timeout), store),
                "registry": RegistryProvider(self._registry_client),
                "aws": self._aws_provider(),
            }
        return self._providers

    def _aws_provider(self) -> AwsProvider:
        """One AWS provider, also before (or without) the Kafka and registry ones."""
        if self._aws is None:
            settings = {k: v for k, v in self.config.mesh.aws.items() if k != "account_id"}
            self._aws = AwsProvider(AwsSettings(**settings))
        return self._aws

    def credential_store(self, settings: dict[str, str] | None = None) -> CredentialStore:
        """Secrets Manager when the mesh has an aws block, local 0600 files otherwise."""
        local = LocalCredentialStore(self.meta_dir / "credentials", settings or {})
        if not self.config.mesh.aws:
            return local
        a = self.config.mesh.aws
        return SecretsManagerCredentialStore(  # a mesh on AWS keeps passwords in Secrets Manager
            aws_client("secretsmanager", a.get("region"), a.get("profile"), a.get("endpoint_url")), settings or {}
        )

    def migrate_credentials(self) -> list[str]:
        """Local password files move to Secrets Manager once the mesh uses AWS."""
        store = self.credential_store()
        if not isinstance(store, SecretsManagerCredentialStore):
            return []
        return store.migrate_from(LocalCredentialStore(self.meta_dir / "credentials"))

    def providers_in_use(self, state: State | None = None) -> dict[str, Provider]:
        """The providers this mesh needs: the registry only when products have schemas or
        state holds subjects, so a mesh without schemas never needs a registry."""
        recorded = {RESOURCE_TYPES[rs.type].provider for rs in (state or State()).resources.values()}
        needed = {"kafka"} | recorded
        if any(p.schema for p in self.config.mesh.products):
            needed.add("registry")
        if self.config.mesh.resources:
            needed.add("aws")
        return {name: p for name, p in self.providers.items() if name in needed}

    def _registry_client(self) -> RegistryClient:
        """Connected only when a plan has subjects to read: a mesh without schemas needs no registry."""
        reg = self.config.mesh.registry
        url = self.env.get("MESHCTL_REGISTRY_URL") or reg.url
        if not url:
            raise MeshError(
                "data products have schemas but no schema registry is configured: set url in a "
                "schema_registry block or MESHCTL_REGISTRY_URL"
            )
        problem = http_url_problem(url) if self.env.get("MESHCTL_REGISTRY_URL") else ""
        if problem:
            raise MeshError(f"MESHCTL_REGISTRY_URL is not an http(s) URL: {problem}")
        username = self.env.get("MESHCTL_REGISTRY_USERNAME") or reg.username
        password = self.env.get("MESHCTL_REGISTRY_PASSWORD") or reg.password
        return RegistryClient(url, username, password, reg.request_timeout_s)

    def admin_requests(self) -> int:
        return sum(p.requests for p in self.providers.values())

    # -- plan and apply -----------------------------------------------------

    def plan(
        self, options: PlanOptions | None = None, state: State | None = None, scope: Scope | None = None
    ) -> tuple[Plan, dict]:
        prior = state if state is not None else self.read_state()
        options = options or PlanOptions()
        current = self.stages(prior)
        everything = self.desired(prior)
        desired, scoped_prior = narrow(everything, prior, scope or Scope())
        self._refuse_reused_names(desired, prior)
        self._refuse_sensitive_attributes(desired)
        moved = self.moved(everything)
        scoped_prior = _with_move_sources(everything, desired, prior, scoped_prior, moved)
        actual = refresh(desired, scoped_prior, self.providers)
        self._refuse_over_replicated(desired)
        records = self._records_at_stake(desired, scoped_prior, actual)
        plan = diff(desired, scoped_prior, actual, options, moved, records)
        self._refuse_breaking(plan)
        positions = self._consumer_positions(current, plan, scoped_prior)
        plan = guard_retirement(plan, self.config.mesh, current, positions, options, records)
        protected = prevent_destroy_errors(plan, frozenset(a for a, st in current.items() if st.stage == RETIRE))
        if protected:
            raise ConfigError(protected)
        plan.migrations = migrations(self.config.mesh, current, positions, self.today)
        self._plan_outside(plan, everything, prior, actual, scope or Scope())
        return plan, actual

    def _refuse_over_replicated(self, desired: list[Resource]) -> None:
        """Refresh learnt the broker count; a replication factor above it is a configuration error."""
        brokers = getattr(self.providers["kafka"], "broker_count", None)
        problems = replication_errors(desired, brokers, self.config.mesh) if brokers else []
        if problems:
            raise ConfigError(problems)

    def territory(self, desired: list[Resource], prior: State) -> Territory:
        """What meshctl owns on the cluster: declared and recorded objects, every domain's namespace."""
        mesh = self.config.mesh
        items = [(r.type, r.attributes, r.domain) for r in desired]
        items += [(rs.type, rs.attributes, rs.domain) for rs in prior.resources.values()]
        user = self.kafka_settings().get("sasl.username")
        kept = [*mesh.kafka.keep_acls_of, *([f"User:{user}"] if user else [])]
        return territory(items, {d: mesh.path(d) + "." for d in mesh.domains}, kept)

    def _plan_outside(self, plan: Plan, desired: list[Resource], prior: State, actual: dict, scope: Scope) -> None:
        """Escalations out of band become changes; unmanaged objects in namespaces are listed.
        A `--target` plan is about its targets only, as in Terraform."""
        plan.changes[:] = [explain(c) for c in plan.changes]
        if scope.targets:
            return
        known = {r.address for r in desired} | set(prior.resources)
        deletes, found = outside(self.territory(desired, prior), actual, known, scope.domains)
        plan.changes.extend(deletes)
        plan.unmanaged = [u.to_json() for u in found]

    def moved(self, desired: list[Resource]) -> dict[str, str]:
        """The configuration's `moved` blocks, checked against what it declares: old -> new address."""
        diags = Diagnostics()
        out = resolve_moved(self.config.mesh.moved, (r.address for r in desired), diags)
        diags.raise_if_errors()
        return out

    def _records_at_stake(
        self, desired: list[Resource], prior: State, actual: Mapping[str, Mapping[str, object]]
    ) -> dict[str, int]:
        """How many records each live topic the plan may delete or replace still holds: a fact
        the guards on deleting, replacing and retiring read. No request when no topic may go."""
        doomed = topics_at_stake(desired, prior, actual)
        if not doomed:
            return {}
        return self.providers["kafka"].topic_records(doomed)  # type: ignore[attr-defined]

    def _refuse_sensitive_attributes(self, desired: list[Resource]) -> None:
        """State and saved plans are plain text: a sensitive variable's value may not become an attribute."""
        sensitive = [
            (f"var.{n}", leaf) for n, v in self.config.variables.items() if v.sensitive for leaf in leaves(v.value)
        ]
        for r in desired:
            for path, name in secret_paths(r.attributes, sensitive):
                raise MeshError(
                    f"{r.address} (from {r.source}): {path} would hold the value of the sensitive {name}, "
                    "and state and saved plans are plain text: keep the value in Secrets Manager and refer to it "
                    "by name, or drop sensitive = true if it is no secret"
                )

    def _refuse_reused_names(self, desired: list[Resource], prior: State) -> None:
        own = self.kafka_settings().get("sasl.username")  # the principal meshctl connects as
        for r in desired:
            if r.type == "kafka_topic" and r.name in prior.retired:
                raise MeshError(
                    f"topic {r.name} ({r.source}) was retired on {prior.retired[r.name]}; a retired version's "
                    "name is never used again: publish the next version number instead"
                )
            if r.type == "kafka_scram_user" and own and r.name == own:
                # Managing it would give meshctl's own (often super) user a new password and the block's ACLs.
                raise MeshError(
                    f"{r.source} would be the principal User:{own}, which meshctl itself connects as: "
                    "rename the domain or integration"
                )

    def _refuse_breaking(self, plan: Plan) -> None:
        problems = []
        for name, provider in self.providers.items():
            check = getattr(provider, "check", None)
            mine = [c for c in plan.actionable if RESOURCE_TYPES[c.type].provider == name]
            if check is not None and mine:
                problems += check(mine)
        if problems:
            mesh = self.config.mesh
            diags = []
            for address, detail in problems:
                change = next(c for c in plan.changes if c.address == address)
                product = next((p for p in mesh.products if p.address == change.source), None)
                version = product.version if product else 0
                diags.append(
                    error(
                        f"breaking schema change in {change.source or address}",
                        product.srcs.get("schema.file", product.src) if product else None,
                        detail=detail,
                        hint=f"breaking changes are published as version {version + 1}: a new data_product block "
                        f"with lifecycle {{ replaces = {version} }}, never inside a version",
                    )
                )
            raise ConfigError(diags)

    def _consumer_positions(self, current: dict[str, Stage], plan: Plan, prior: State) -> dict[str, list[dict]]:
        """Consumer groups and lag on product versions that are being replaced, and on their successors."""
        topics, prefixes = watched_groups(self.config.mesh, current)
        if not topics:
            return {}
        kafka = self.providers["kafka"]
        return kafka.consumer_positions(topics, prefixes)  # type: ignore[attr-defined]

    @staticmethod
    def refuse_blocked(plan: Plan) -> None:
        """Changes that lose data need an explicit opt-in; refuse before touching anything."""
        if plan.blocked:
            lines = "\n".join(f"  {c.address}: {c.blocked}" for c in plan.blocked)
            raise MeshError(f"the plan has changes that lose data and need an explicit opt-in:\n{lines}")

    def refuse_stale(self, saved: SavedPlan, state: State) -> None:
        """A saved plan applies only to the state and configuration it was made from."""
        plan = saved.plan
        if plan.state_lineage and state.lineage and state.lineage != plan.state_lineage:
            raise MeshError(
                f"the saved plan is for another state (lineage {plan.state_lineage}, "
                f"the state at {self.backend.describe()} has lineage {state.lineage}): plan again"
            )
        if plan.state_lineage and not state.lineage:
            raise MeshError(
                f"the saved plan was made from state serial {plan.state_serial} (lineage {plan.state_lineage}), "
                f"but there is no state at {self.backend.describe()} now: restore it, or plan again"
            )
        if state.serial < plan.state_serial:
            raise MeshError(
                f"the state looks rolled back: the saved plan was made from serial {plan.state_serial}, the state "
                f"at {self.backend.describe()} has serial {state.serial} (same lineage); it was restored or edited "
                "by hand, so the plan would act on a past it does not know: plan again"
            )
        if state.serial != plan.state_serial:
            raise MeshError(
                f"the saved plan is stale: the state moved from serial {plan.state_serial} to {state.serial} "
                "since it was made (another apply ran); plan again"
            )
        self._refuse_other_variables(saved)
        changed = saved.fingerprint.differences(self.fingerprint(state))
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
            now = self.config.variables.get(name)
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

    def apply(
        self, plan: Plan, state: State, hooks: ApplyHooks, stop_requested: Callable[[], bool] = lambda: False
    ) -> ApplyResult:
        self.refuse_blocked(plan)
        self.migrate_credentials()
        # Unchanged resources are recorded too: adopted when they already existed as configured,
        # and with the block, domain and dependencies the configuration now gives them.
        adopt = {}
        for c in plan.changes:
            if not c.is_noop:
                continue
            known = state.resources.get(c.address) or state.resources.get(c.previous_address)
            attributes = dict(known.attributes) if known else dict(c.after or {})
            fresh = ResourceState(
                c.type, c.name, attributes, c.source, c.depends_on, c.domain, c.module, c.protected_at
            )
            if fresh != known:
                adopt[c.address] = fresh
        return apply_plan(plan, state, self.providers, self._write_state, hooks, adopt, stop_requested)

    def _write_state(self, state: State) -> None:
        with interrupt.shielded():  # a signal never cuts a state write in half
            self.backend.write(state)


def _with_move_sources(
    everything: list[Resource], desired: list[Resource], prior: State, scoped: State, moved: Mapping[str, str]
) -> State:
    """A `--target` or `--domain` plan also sees the recorded entry a chosen resource moves
    from: it plans the move, never an adoption next to an old entry a later plan would delete."""
    if len(scoped.resources) == len(prior.resources):
        return scoped
    recorded = {a: rs.attributes for a, rs in prior.resources.items()}
    chosen = {r.address for r in desired}
    pairs = match_moves({r.address: r for r in everything}, prior, recorded, moved)
    for new, old in pairs.items():
        if new in chosen:
            scoped.resources.setdefault(old, prior.resources[old])
    return scoped
