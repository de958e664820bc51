"""The core facade the CLI drives: load -> validate -> compile -> refresh -> diff -> apply.

It never prints; callers pass hooks and render results.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from meshctl.compile.kafka import compile_kafka
from meshctl.config.loader import LoadedConfig, LoadOptions, load
from meshctl.credentials import LocalCredentialStore
from meshctl.engine.apply import ApplyHooks, ApplyResult, apply_plan
from meshctl.engine.refresh import refresh
from meshctl.errors import MeshError
from meshctl.plan.diff import PlanOptions, diff
from meshctl.plan.model import Plan
from meshctl.providers.base import Provider
from meshctl.providers.kafka.client import KafkaClient
from meshctl.providers.kafka.provider import KafkaProvider
from meshctl.providers.kafka.settings import client_config
from meshctl.resources import Resource
from meshctl.state.local import LocalBackend
from meshctl.state.model import ResourceState, State


@dataclass
class Workspace:
    directory: Path
    load_options: LoadOptions = field(default_factory=LoadOptions)
    state_dir: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def __post_init__(self) -> None:
        self.meta_dir = self.state_dir or self.directory / ".meshctl"
        self.backend = LocalBackend(self.meta_dir)
        if self.load_options.cache_dir is None:
            self.load_options.cache_dir = self.meta_dir / "cache" / "hcl"
        self._config: LoadedConfig | None = None
        self._providers: dict[str, Provider] | None = None

    # -- configuration ------------------------------------------------------

    @property
    def config(self) -> LoadedConfig:
        if self._config is None:
            self._config = load(self.directory, self.load_options)
        return self._config

    def desired(self) -> list[Resource]:
        return compile_kafka(self.config.mesh)

    # -- providers ----------------------------------------------------------

    def kafka_settings(self) -> dict[str, str]:
        return client_config(self.config.mesh.kafka, self.env, self.directory)

    @property
    def providers(self) -> dict[str, Provider]:
        if self._providers is None:
            settings = self.kafka_settings()
            timeout = self.config.mesh.kafka.request_timeout_s
            store = LocalCredentialStore(self.meta_dir / "credentials", settings)
            self._providers = {"kafka": KafkaProvider(lambda: KafkaClient(settings, timeout), store)}
        return self._providers

    def admin_requests(self) -> int:
        return sum(p.requests for p in self.providers.values())

    # -- plan and apply -----------------------------------------------------

    def read_state(self) -> State:
        return self.backend.read()

    def plan(self, options: PlanOptions | None = None, state: State | None = None) -> tuple[Plan, dict]:
        desired = self.desired()
        prior = state if state is not None else self.read_state()
        actual = refresh(desired, prior, self.providers)
        return diff(desired, prior, actual, options or PlanOptions()), actual

    @staticmethod
    def refuse_blocked(plan: Plan) -> None:
        """Changes that lose data need an explicit opt-in; refuse before touching anything."""
        if plan.blocked:
            lines = "\n".join(f"  {c.address}: {c.blocked}" for c in plan.blocked)
            raise MeshError(f"the plan has changes that lose data and need an explicit opt-in:\n{lines}")

    def apply(self, plan: Plan, state: State, hooks: ApplyHooks) -> ApplyResult:
        self.refuse_blocked(plan)
        adopt = {
            c.address: ResourceState(c.type, c.name, dict(c.after or {}), c.source, c.depends_on, c.domain)
            for c in plan.changes
            if c.is_noop and c.address not in state.resources
        }
        return apply_plan(plan, state, self.providers, self.backend.write, hooks, adopt)
